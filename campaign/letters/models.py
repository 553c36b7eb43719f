"""Letter campaigns: who a campaign writes to and how, the letters activists send, and
the emails each letter becomes (one per official)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from campaign.db import Base, BigIntFK, BigIntPK, UTCDateTime, personal, utcnow


class TargetRuleKind(StrEnum):
    FIXED = "fixed"  # these officials, whoever writes
    DIVISION = "division"  # members of one body for the activist's division
    ROLE = "role"  # the holder(s) of a role in the activist's country


class OverLimit(StrEnum):
    """What happens to letters beyond an official's hourly or daily limit."""

    QUEUE = "queue"  # delivered later, in the next hour or day with room
    DIGEST = "digest"  # bundled into one email per official per day


class LetterSetup(Base):
    """A letter campaign's targets, template and limits; one per letter campaign."""

    __tablename__ = "letter_setups"
    __table_args__ = (
        CheckConstraint("target_kind IN ('fixed', 'division', 'role')", name="target_kind"),
        CheckConstraint("over_limit IN ('queue', 'digest')", name="over_limit"),
        CheckConstraint("min_length >= 0 AND max_length >= min_length", name="lengths"),
    )

    campaign_id: Mapped[int] = mapped_column(BigIntFK, ForeignKey("campaigns.id"), primary_key=True)
    target_kind: Mapped[str] = mapped_column(String(20))
    # fixed: official ids; division: the body's name; role: the role key.
    target_official_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    target_organisation: Mapped[str | None] = mapped_column(String(200))
    target_role: Mapped[str | None] = mapped_column(String(60))
    subject_template: Mapped[str] = mapped_column(String(300))
    body_template: Mapped[str] = mapped_column(Text)
    subject_editable: Mapped[bool] = mapped_column(Boolean, default=True)
    min_length: Mapped[int] = mapped_column(Integer)
    max_length: Mapped[int] = mapped_column(Integer)
    # Passages the activist may not remove from the body.
    required_phrases: Mapped[list[str]] = mapped_column(JSON, default=list)
    per_official_hourly_limit: Mapped[int | None] = mapped_column(Integer)
    per_official_daily_limit: Mapped[int | None] = mapped_column(Integer)
    over_limit: Mapped[str] = mapped_column(String(20), default=OverLimit.QUEUE)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class LetterStatus(StrEnum):
    PENDING = "pending"  # waiting for the activist to confirm their address
    CONFIRMED = "confirmed"  # confirmed; its emails are in the outbox (or a digest)
    HELD = "held"  # over the per-address rate limit: kept, never sent


AWAITING_FOLLOWUP = "status = 'confirmed' AND followed_up_at IS NULL"


class Letter(Base):
    __tablename__ = "letters"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'confirmed', 'held')", name="status"),
        Index(None, "campaign_id", "created_at"),
        Index(None, "person_id", "id"),
        # A campaign's writers in person id order: a mailing's recipients (mailings/).
        Index(None, "campaign_id", "person_id"),
        # The letters whose follow-up is still to come, and only those: each pass of
        # campaign/followups looks for due ones among them, never among the many
        # already followed up.
        Index(
            "ix_letters_awaiting_followup",
            "id",
            postgresql_where=text(AWAITING_FOLLOWUP),
            sqlite_where=text(AWAITING_FOLLOWUP),
        ),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(BigIntFK, ForeignKey("campaigns.id"))
    person_id: Mapped[int] = mapped_column(BigIntFK, ForeignKey("people.id"))
    status: Mapped[str] = mapped_column(String(20))
    # As typed by the activist (the address too: the Reply-To of their letters).
    email: Mapped[str] = mapped_column(String(320), info=personal())
    given_name: Mapped[str] = mapped_column(String(100), info=personal())
    family_name: Mapped[str] = mapped_column(String(100), info=personal())
    country: Mapped[str] = mapped_column(String(2))
    postcode: Mapped[str | None] = mapped_column(String(16), info=personal())
    locality: Mapped[str | None] = mapped_column(String(100), info=personal())
    # The letter as the activist left it, placeholders and all.
    subject: Mapped[str] = mapped_column(String(300), info=personal())
    body: Mapped[str] = mapped_column(Text, info=personal())
    # How close the body is to the campaign's template (1.0: unchanged).
    similarity: Mapped[float] = mapped_column(Float)
    personalised: Mapped[bool] = mapped_column(Boolean)
    email_updates: Mapped[bool] = mapped_column(Boolean)
    ip_address: Mapped[str | None] = mapped_column(String(45), info=personal())
    confirmation_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The activist's private link to their letter and its delivery.
    # Made when the letter goes out (see delivery.py).
    view_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When its follow-up was written (or held, its address suppressed): set with its
    # row in letter_followups, in the same transaction. None while it has none.
    followed_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When anything here last changed: what OSDI clients sync by (modified_date).
    modified_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class DeliveryState(StrEnum):
    AWAITING_CONFIRMATION = "awaiting_confirmation"
    SCHEDULED = "scheduled"  # an outbox email exists, due at `scheduled_at`
    IN_DIGEST = "in_digest"  # over the limit: goes out in the official's daily digest
    DIGESTED = "digested"  # its digest email exists
    HELD = "held"  # the letter is held: never sent


class LetterDelivery(Base):
    """One letter to one official, rendered for them, as it was sent."""

    __tablename__ = "letter_deliveries"
    __table_args__ = (
        CheckConstraint(
            "state IN ('awaiting_confirmation', 'scheduled', 'in_digest', 'digested', 'held')",
            name="state",
        ),
        UniqueConstraint("letter_id", "official_id"),
        # Throttling counts an official's letters per campaign by the time they go out.
        Index(None, "campaign_id", "official_id", "scheduled_at"),
        Index(None, "state", "digest_day"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    letter_id: Mapped[int] = mapped_column(BigIntFK, ForeignKey("letters.id"))
    campaign_id: Mapped[int] = mapped_column(BigIntFK, ForeignKey("campaigns.id"))
    official_id: Mapped[int] = mapped_column(BigIntFK, ForeignKey("officials.id"))
    state: Mapped[str] = mapped_column(String(30))
    subject: Mapped[str] = mapped_column(String(300), info=personal())
    body: Mapped[str] = mapped_column(Text, info=personal())
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    digest_day: Mapped[date | None] = mapped_column(Date)
    outbox_message_id: Mapped[int | None] = mapped_column(
        BigIntFK, ForeignKey("outbox_messages.id")
    )
    digest_id: Mapped[int | None] = mapped_column(BigIntFK, ForeignKey("letter_digests.id"))


class LetterDigest(Base):
    """One day's over-the-limit letters to one official, sent as one email."""

    __tablename__ = "letter_digests"
    __table_args__ = (UniqueConstraint("campaign_id", "official_id", "day"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(BigIntFK, ForeignKey("campaigns.id"))
    official_id: Mapped[int] = mapped_column(BigIntFK, ForeignKey("officials.id"))
    day: Mapped[date] = mapped_column(Date)
    letters: Mapped[int] = mapped_column(Integer)
    personalised: Mapped[int] = mapped_column(Integer)
    outbox_message_id: Mapped[int] = mapped_column(BigIntFK, ForeignKey("outbox_messages.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
