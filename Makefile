# Two entry points: `make demo` (install, then serve the sample petition on SQLite)
# and `make test` (install with the test tools, then run the whole suite).
# Both install exactly the versions and hashes in the lock files.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint lock clean messages catalogues

# Supporters' languages besides English (the source), and the catalogues' domains
# (campaign/i18n.py says what each holds). The staff workspace's messages are extracted
# (staff.pot) but have no catalogues yet: it is shown in English.
LANGUAGES := fr es de
DOMAINS := pages emails
LOCALE := campaign/locale
CATALOGUES := $(foreach l,$(LANGUAGES),$(foreach d,$(DOMAINS),$(LOCALE)/$(l)/LC_MESSAGES/$(d).mo))

# The demo is a development server: it says so, which lets it sign links with the
# development placeholder instead of a real CAMPAIGN_SECRET_KEY.
demo: $(VENV)/.runtime-installed catalogues
	CAMPAIGN_ENVIRONMENT=$${CAMPAIGN_ENVIRONMENT:-development} $(BIN)/campaign demo

test: $(VENV)/.dev-installed catalogues
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

# Every marked message out of the code and templates, into each domain's template (.pot)
# and merged into each language's catalogue (.po), which translators then complete.
messages: $(VENV)/.dev-installed
	$(BIN)/pybabel -q extract --no-location --sort-output -c "Translators:" \
		-F $(LOCALE)/staff.cfg -k _ -k gettext -k ngettext:1,2 -k pgettext:1c,2 \
		-o $(LOCALE)/staff.pot .
	for d in $(DOMAINS); do \
		$(BIN)/pybabel -q extract --no-location --sort-output -c "Translators:" \
			-F $(LOCALE)/$$d.cfg -k _ -k gettext -k ngettext:1,2 -k pgettext:1c,2 \
			-o $(LOCALE)/$$d.pot . || exit 1; \
		for l in $(LANGUAGES); do \
			$(BIN)/pybabel -q update --init-missing --no-fuzzy-matching --ignore-obsolete \
				--ignore-pot-creation-date -D $$d -i $(LOCALE)/$$d.pot -d $(LOCALE) -l $$l \
				|| exit 1; \
		done; \
	done

# The compiled catalogues the product reads; built, never committed.
catalogues: $(CATALOGUES)

$(LOCALE)/%.mo: $(LOCALE)/%.po $(VENV)/.runtime-installed
	$(BIN)/pybabel compile --statistics -i $< -o $@

clean:
	rm -rf $(VENV) var
	rm -f $(CATALOGUES)
