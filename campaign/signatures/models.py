"""A signature: one person's support for one petition, pending until they confirm by email;
and a submission: what a signing request sent, until the worker turns it into one."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from campaign.db import Base, BigIntFK, BigIntPK, UTCDateTime, personal, utcnow
from campaign.i18n import SOURCE_LANGUAGE

# How much of a User-Agent header is kept; enough to tell clients apart.
USER_AGENT_LENGTH = 300


class SignatureStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    # Caught by an automatic check (signing rate limit); never counted.
    FRAUDULENT = "fraudulent"
    # Removed by staff after review; never counted.
    INVALIDATED = "invalidated"


class SignatureChannel(StrEnum):
    API = "api"
    WEB = "web"
    EMBED = "embed"


class Signature(Base):
    __tablename__ = "signatures"
    __table_args__ = (
        # One signature per person per campaign, whatever the race.
        UniqueConstraint("campaign_id", "person_id"),
        CheckConstraint(
            "status IN ('pending', 'confirmed', 'fraudulent', 'invalidated')", name="status"
        ),
        Index(None, "campaign_id", "status"),
        # Staff page through a campaign's signatures newest first, by id (keyset paging).
        Index(None, "campaign_id", "id"),
        # A person's signatures, and the OSDI listings synced by modified date.
        Index(None, "person_id", "id"),
        Index(None, "campaign_id", "modified_at", "id"),
        # Only a signature staff marked has the status it had before; undo restores it.
        CheckConstraint(
            "status_before_review IS NULL OR (status IN ('fraudulent', 'invalidated')"
            " AND status_before_review IN ('pending', 'confirmed', 'fraudulent'))",
            name="review",
        ),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(BigIntFK, ForeignKey("campaigns.id"))
    person_id: Mapped[int] = mapped_column(BigIntFK, ForeignKey("people.id"))
    status: Mapped[str] = mapped_column(String(20), default=SignatureStatus.PENDING)
    # As typed on this signature: the address we send to, and the details we show staff.
    email: Mapped[str] = mapped_column(String(320), info=personal())
    given_name: Mapped[str] = mapped_column(String(100), info=personal())
    family_name: Mapped[str] = mapped_column(String(100), info=personal())
    country: Mapped[str] = mapped_column(String(2))
    postcode: Mapped[str | None] = mapped_column(String(16), info=personal())
    # The postcode as the directory keys its postcodes (campaign.targets.service's
    # normalise_postcode), written with the signature: what reports to officials match
    # on, so that they place a signer where the letter lookups would.
    postcode_normalised: Mapped[str | None] = mapped_column(String(16), info=personal())
    comment: Mapped[str | None] = mapped_column(Text, info=personal())
    email_updates: Mapped[bool] = mapped_column(Boolean)
    # Yes to "may your name be given to your representative?", asked only where the
    # petition asks it; never assumed.
    name_may_be_given: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    channel: Mapped[str] = mapped_column(String(20))
    # The language version signed (campaign_versions.language, or the campaign's own
    # language for its primary version): one count, split by version. Signing always
    # writes it; the default is for rows loaded otherwise (scripts, fixtures).
    language: Mapped[str] = mapped_column(String(16), server_default=SOURCE_LANGUAGE)
    # The consent wording the signer was shown (consent_texts.id; a ledger, never
    # deleted), in that language. None for signatures made before it was kept here:
    # their consent record names it.
    consent_text_id: Mapped[int | None] = mapped_column(BigIntFK)
    ip_address: Mapped[str | None] = mapped_column(String(45), info=personal())
    # As the browser sent it, cut to USER_AGENT_LENGTH: staff group suspicious bursts by it.
    user_agent: Mapped[str | None] = mapped_column(String(USER_AGENT_LENGTH), info=personal())
    referrer: Mapped[str | None] = mapped_column(String(500), info=personal())
    utm_source: Mapped[str | None] = mapped_column(String(200))
    utm_medium: Mapped[str | None] = mapped_column(String(200))
    utm_campaign: Mapped[str | None] = mapped_column(String(200))
    # SHA-256 of the token in the confirmation link; the token itself is only in the email.
    confirmation_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Emails this signature has caused; capped so a form cannot be used to flood an inbox.
    emails_sent: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A staff mark (fraudulent or invalidated, see review.py): the status it replaced,
    # why, when and by whom (None for an API token that acts for no user). All four
    # are empty while no staff mark stands.
    status_before_review: Mapped[str | None] = mapped_column(String(20))
    review_reason: Mapped[str | None] = mapped_column(String(200))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by: Mapped[int | None] = mapped_column(BigIntFK, ForeignKey("staff_users.id"))
    # When anything here last changed: what OSDI clients sync by (modified_date).
    modified_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SignatureSubmission(Base):
    """One signing request as it was accepted, before anyone looked at whether its address
    has signed: every request writes exactly this row, so a request's answer and timing
    cannot tell a new address from a known one. The worker resolves it into a signature
    (submissions.py) and deletes it in the same transaction; it holds personal data, so
    it lives only until then."""

    __tablename__ = "signature_submissions"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(BigIntFK, ForeignKey("campaigns.id"))
    email: Mapped[str] = mapped_column(String(320), info=personal())
    email_normalised: Mapped[str] = mapped_column(String(320), info=personal())
    given_name: Mapped[str] = mapped_column(String(100), info=personal())
    family_name: Mapped[str] = mapped_column(String(100), info=personal())
    country: Mapped[str] = mapped_column(String(2))
    # Already under the campaign's postcode rule (None where it asks for none).
    postcode: Mapped[str | None] = mapped_column(String(16), info=personal())
    comment: Mapped[str | None] = mapped_column(Text, info=personal())
    email_updates: Mapped[bool] = mapped_column(Boolean)
    # Yes to "may your name be given to your representative?", asked only where the
    # petition asks it; never assumed.
    name_may_be_given: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    channel: Mapped[str] = mapped_column(String(20))
    # The language version signed, and the consent wording shown in it (None: the
    # campaign's own, for a submission accepted before either was kept).
    language: Mapped[str | None] = mapped_column(String(16))
    consent_text_id: Mapped[int | None] = mapped_column(BigIntFK)
    ip_address: Mapped[str | None] = mapped_column(String(45), info=personal())
    user_agent: Mapped[str | None] = mapped_column(String(USER_AGENT_LENGTH), info=personal())
    referrer: Mapped[str | None] = mapped_column(String(500), info=personal())
    utm_source: Mapped[str | None] = mapped_column(String(200))
    utm_medium: Mapped[str | None] = mapped_column(String(200))
    utm_campaign: Mapped[str | None] = mapped_column(String(200))
    # Over a signing limit, or a bot filled the form's hidden field: either way the
    # signature is held as fraudulent and no email goes out.
    over_rate_limit: Mapped[bool] = mapped_column(Boolean)
    honeypot_filled: Mapped[bool] = mapped_column(Boolean)
    # Failed resolutions so far, and when the next try is due.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    available_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The signing request's id (campaign/observability), handed on to its emails.
    request_id: Mapped[str | None] = mapped_column(String(64))
