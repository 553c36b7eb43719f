# Two entry points: `make demo` (install, then serve the sample petition on SQLite)
# and `make test` (install with the test tools, then run the whole suite).
# Both install exactly the versions and hashes in the lock files.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint lock clean

# The demo is a development server: it says so, which lets it sign links with the
# development placeholder instead of a real CAMPAIGN_SECRET_KEY.
demo: $(VENV)/.runtime-installed
	CAMPAIGN_ENVIRONMENT=$${CAMPAIGN_ENVIRONMENT:-development} $(BIN)/campaign demo

test: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/mypy campaign api emails
	$(BIN)/pytest

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy campaign api emails

# A known pip first: the one a Python bundles may be too old for the locks.
$(VENV)/.pip-installed: requirements-pip.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-pip.lock
	touch $@

$(VENV)/.runtime-installed: requirements.lock pyproject.toml $(VENV)/.pip-installed
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.dev-installed: requirements-dev.lock pyproject.toml $(VENV)/.pip-installed
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@ $(VENV)/.runtime-installed

# Re-resolve the locks after changing dependencies in pyproject.toml.
lock: $(VENV)/.dev-installed
	$(BIN)/pip-compile --quiet --generate-hashes --no-emit-index-url --no-emit-find-links \
		--allow-unsafe -o requirements.lock pyproject.toml
	$(BIN)/pip-compile --quiet --generate-hashes --no-emit-index-url --no-emit-find-links \
		--allow-unsafe --extra dev -o requirements-dev.lock pyproject.toml

clean:
	rm -rf $(VENV) var
