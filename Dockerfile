# One image: `campaign serve`, applying migrations on start.
# Configure with CAMPAIGN_* environment variables (see README: Configuration).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

RUN useradd --system --uid 10001 --create-home --home-dir /home/campaign campaign \
    && mkdir -p /data && chown campaign /data

WORKDIR /app
# Dependencies first, from the hashed lock, so code changes reuse this layer.
COPY requirements-pip.lock requirements.lock ./
RUN pip install --require-hashes -r requirements-pip.lock \
    && pip install --require-hashes -r requirements.lock

COPY pyproject.toml README.md ./
COPY campaign ./campaign
COPY api ./api
COPY emails ./emails
COPY migrations ./migrations
# The supporters' languages: compile the gettext catalogues, then install with them.
RUN pybabel compile -d campaign/locale -D pages \
    && pybabel compile -d campaign/locale -D emails \
    && pip install --no-deps .

USER campaign
WORKDIR /data
# Defaults for a single container; production sets CAMPAIGN_DATABASE_URL to PostgreSQL.
# CAMPAIGN_SECRET_KEY must be given at run time: the server refuses to start without it.
ENV CAMPAIGN_ENVIRONMENT=production \
    CAMPAIGN_DATABASE_URL=sqlite+aiosqlite:////data/campaign.db \
    CAMPAIGN_EMAIL_FILE_DIR=/data/outbox \
    CAMPAIGN_MIGRATE_ON_START=true

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
CMD ["campaign", "serve", "--host", "0.0.0.0", "--port", "8000"]
