"""Settings, read from the environment (prefix CAMPAIGN_), with defaults that run
on a bare machine."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Literal

from limits import parse_many
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# A known placeholder, refused in production (see the validator below).
DEVELOPMENT_SECRET = "development-only-not-secret"  # noqa: S105


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CAMPAIGN_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite+aiosqlite:///./var/campaign.db"
    # Connections per process; PostgreSQL only (SQLite uses one writer anyway).
    # Keep it at or above the requests in flight per process: connections beyond it are
    # opened and closed per request, which costs more than the request itself.
    database_pool_size: int = Field(default=20, ge=1, le=200)
    database_max_overflow: int = Field(default=10, ge=0, le=200)

    # PgBouncer in transaction mode in front of PostgreSQL: a server connection serves a
    # different client each transaction, so asyncpg's prepared statements are not cached
    # and each one it must prepare gets a name of its own (campaign/db.py).
    database_pgbouncer: bool = False
    # A read replica for what only reads, at length: CSV exports, OSDI listings and the
    # staff metrics. Unset, those read the primary.
    read_database_url: str | None = None

    # Log lines: "json" (one object a line) or "text"; unset, text in development and
    # JSON otherwise. Email addresses are masked in either.
    log_format: Literal["json", "text"] | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Who may read /metrics: client addresses in these networks (comma-separated CIDR);
    # anyone else gets the 404 of an unknown address.
    metrics_allowed_networks: str = "127.0.0.1/8,::1/128"
    # `campaign worker` serves its own /metrics on this port when set (off by default),
    # on this address.
    worker_metrics_port: int | None = Field(default=None, ge=1, le=65_535)
    worker_metrics_host: str = "127.0.0.1"

    # Signs unsubscribe links. Never logged; must be set outside development.
    secret_key: SecretStr = SecretStr(DEVELOPMENT_SECRET)
    # Where links in emails point: the public address of this service.
    public_url: str = "http://127.0.0.1:8000"
    # `campaign serve` applies pending migrations before it starts answering.
    migrate_on_start: bool = True
    # Proxies whose X-Forwarded-For is believed (comma-separated IPs, or "*").
    forwarded_allow_ips: str = "127.0.0.1"

    email_backend: Literal["file", "console", "sendgrid"] = "file"
    email_file_dir: Path = Path("./var/outbox")
    email_from_address: str = "campaigns@example.org"
    email_from_name: str = "Campaign"
    # Test mode: every email goes to this one address instead of its recipient.
    email_divert_to: str | None = None

    # SendGrid, for CAMPAIGN_EMAIL_BACKEND=sendgrid. The key is never logged.
    sendgrid_api_key: SecretStr | None = None
    sendgrid_host: str = "https://api.sendgrid.com"
    sendgrid_timeout_seconds: float = Field(default=30.0, gt=0, le=300)
    # SendGrid validates the requests and sends nothing (answers 200, fires no events).
    sendgrid_sandbox_mode: bool = False

    # Run one outbox worker inside `campaign serve`; production runs it as its own process.
    run_worker_in_process: bool = True
    # How long an idle worker waits before looking for new messages again.
    worker_poll_seconds: float = Field(default=0.5, gt=0, le=60)
    # Messages claimed per pass; they go out in provider requests of up to 1,000.
    worker_batch_size: int = Field(default=1000, ge=1, le=10_000)
    # A claimed message that its worker has not settled within this time (the worker
    # died) is due again.
    worker_claim_lease_seconds: float = Field(default=300, ge=1, le=86_400)
    # Webhook feed events younger than this wait for the next delivery: a transaction
    # that took an earlier event id may still be committing (campaign/webhooks).
    webhook_settle_seconds: float = Field(default=5, ge=0, le=3600)
    # Mailings leave each worker at most this fast (emails per second; 0 is as fast as
    # the provider takes them). Confirmations and letters never wait for them.
    mailing_rate_per_second: float = Field(default=0, ge=0, le=100_000)
    # Recipients a worker writes into the outbox per transaction.
    mailing_chunk_size: int = Field(default=5000, ge=1, le=100_000)
    # Days after a letter reached an official that its activist is asked whether the
    # official replied (campaign/followups), and letters followed up per transaction.
    letter_followup_days: int = Field(default=14, ge=1, le=365)
    letter_followup_batch_size: int = Field(default=500, ge=1, le=10_000)
    # A run of reports to officials releases one official's email this often, in the
    # bulk lane, so a parliament's mail servers see a trickle and not a burst.
    official_report_spacing_seconds: float = Field(default=2, ge=0, le=3600)
    # A hand-over whose outcome was never recorded, to a provider that cannot say whether
    # it got it (the console; SendGrid without its Email Activity add-on), is sent again
    # after this long, marked on the message as perhaps sent twice.
    worker_unknown_outcome_wait_seconds: float = Field(default=3600, ge=1, le=7 * 86_400)
    # Signing requests' submissions one process writes in one statement at most, and the
    # statements it has in flight at once (group commit, see signatures/writer.py).
    signing_batch_size: int = Field(default=64, ge=1, le=1000)
    signing_writes_in_flight: int = Field(default=2, ge=1, le=64)
    # How long a batch's first submission waits for others to join it (0: not at all).
    signing_batch_wait_ms: float = Field(default=2.0, ge=0, le=50)
    # Signature submissions resolved per worker transaction (see signatures/submissions.py).
    submission_batch_size: int = Field(default=500, ge=1, le=10_000)
    # How often the worker brings the metrics rollups up to date (one incremental pass).
    metrics_interval_seconds: float = Field(default=30, ge=1, le=86_400)
    # How long a process reuses a campaign's public signature count (0: count each time).
    public_count_cache_seconds: float = Field(default=1.0, ge=0, le=60)

    # Signing limits, in the `limits` notation ("20/hour;100/day"), counted only for
    # signatures accepted (valid, campaign open). Over any of them the answer is
    # unchanged and the signature is stored as fraudulent, with no email. Per client
    # network (an IPv4 address or an IPv6 /64), across campaigns:
    sign_rate_limit: str = "20/hour;100/day"
    # Per campaign, from everywhere: far above a real surge, a brake on a botnet.
    sign_campaign_rate_limit: str = "3000/minute"
    # Per email domain (of the normalised address) and campaign. One big webmail domain
    # can carry half of a campaign's real signers, so this stays at half the campaign's.
    sign_domain_rate_limit: str = "1500/minute"
    # Page views counted per client IP and campaign; beyond this a view is answered the
    # same and not recorded, so a script cannot inflate the funnel.
    view_rate_limit: str = "30/minute;300/day"
    # Starting a donation (each start is a Stripe Checkout session), per client network
    # (an IPv4 address or an IPv6 /64) and per campaign; over either, a 429.
    donation_rate_limit: str = "10/hour;30/day"
    donation_campaign_rate_limit: str = "600/hour"
    # Rate-limit state is shared between processes in Redis when this is set.
    redis_url: str | None = None

    # SendGrid's event webhook verification key (base64 DER, as SendGrid shows it). Without
    # it the webhook refuses every request.
    sendgrid_webhook_public_key: str | None = None
    # Signed webhook requests older than this are refused as replays.
    webhook_tolerance_seconds: int = Field(default=300, ge=10, le=86_400)

    # Stripe, for donations. Without the secret key, donations are off everywhere.
    stripe_secret_key: SecretStr | None = None
    stripe_webhook_secret: SecretStr | None = None
    # Only for tests and local mocks; Stripe's own address otherwise.
    stripe_api_base: str | None = None
    # Where Checkout sends the donor afterwards; default: pages of this service.
    donation_success_url: str | None = None
    donation_cancel_url: str | None = None

    # Retention (days; 0 keeps them): client IP addresses and user agents on signatures
    # and letters, counted from when they were made; a letter's text (and the copies
    # sent to officials), counted from its delivery. Scrubbed by the worker.
    retain_ip_addresses_days: int = Field(default=90, ge=0, le=36_500)
    retain_user_agents_days: int = Field(default=90, ge=0, le=36_500)
    retain_letter_bodies_days: int = Field(default=365, ge=0, le=36_500)
    # Asking for a link to see or erase one's data, per client network and per address;
    # over either the answer is the same and no email goes.
    data_request_rate_limit: str = "5/hour;20/day"

    # How many emails one signature may trigger (confirmation resends, "already signed").
    max_emails_per_signature: int = Field(default=5, ge=1, le=50)

    @field_validator("public_url", "sendgrid_host")
    @classmethod
    def _strip_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator(
        "sign_rate_limit",
        "sign_campaign_rate_limit",
        "sign_domain_rate_limit",
        "view_rate_limit",
        "donation_rate_limit",
        "donation_campaign_rate_limit",
        "data_request_rate_limit",
    )
    @classmethod
    def _parse_rate_limit(cls, value: str) -> str:
        parse_many(value)  # raises ValueError naming the bad part
        return value

    @field_validator("metrics_allowed_networks")
    @classmethod
    def _parse_networks(cls, value: str) -> str:
        networks_of(value)  # raises ValueError naming the bad part
        return value

    @model_validator(mode="after")
    def _refuse_the_development_secret_outside_development(self) -> Settings:
        # The placeholder is public: whoever reads this file could sign unsubscribe links
        # and donor tokens with it. A server whose operator forgot to say which
        # environment it is must not fall back to it, so development must be said.
        said_development = (
            self.environment == "development" and "environment" in self.model_fields_set
        )
        if self.secret_key.get_secret_value() == DEVELOPMENT_SECRET and not said_development:
            raise ValueError(
                "set CAMPAIGN_SECRET_KEY to a long random value "
                "(or CAMPAIGN_ENVIRONMENT=development to run with the development placeholder)"
            )
        return self

    @model_validator(mode="after")
    def _sendgrid_needs_a_key(self) -> Settings:
        if self.email_backend == "sendgrid" and self.sendgrid_api_key is None:
            raise ValueError("CAMPAIGN_EMAIL_BACKEND=sendgrid needs CAMPAIGN_SENDGRID_API_KEY")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def effective_log_format(self) -> str:
        if self.log_format is not None:
            return self.log_format
        return "text" if self.environment == "development" else "json"

    @property
    def metrics_networks(self) -> tuple[IPNetwork, ...]:
        return networks_of(self.metrics_allowed_networks)


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks_of(value: str) -> tuple[IPNetwork, ...]:
    """Comma-separated CIDR networks ("10.0.0.0/8, ::1/128"); a bare address is its own
    network. Empty: nobody."""
    networks = []
    for part in value.split(","):
        if part.strip():
            try:
                networks.append(ipaddress.ip_network(part.strip(), strict=False))
            except ValueError:
                raise ValueError(f"{part.strip()!r} is not a network (CIDR)") from None
    return tuple(networks)


@lru_cache
def get_settings() -> Settings:
    return Settings()
