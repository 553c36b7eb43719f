"""The outbox: every email the product sends is first a row here, written in the
same transaction as the action that causes it. The worker in emails/ sends them."""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from campaign.db import Base, BigIntFK, BigIntPK, UTCDateTime, personal, utcnow


class OutboxStatus(StrEnum):
    PENDING = "pending"
    # Recorded just before the hand-over to the provider: the provider may or may not
    # have it. Settled as sent, or (where the provider says it has not got it) pending.
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class ProviderStatus(StrEnum):
    """What the provider reported last about a sent message."""

    QUEUED = "queued"  # accepted by us, not yet handed over
    SENT = "sent"  # accepted by the provider ("processed")
    DELIVERED = "delivered"
    DEFERRED = "deferred"
    BOUNCED = "bounced"
    DROPPED = "dropped"


class EmailKind(StrEnum):
    """Each kind is a template pair in emails/templates ({kind}.txt and {kind}.html)."""

    SIGNATURE_CONFIRMATION = "signature_confirmation"
    ALREADY_SIGNED = "already_signed"
    LETTER_CONFIRMATION = "letter_confirmation"
    LETTER_TO_OFFICIAL = "letter_to_official"
    LETTER_COPY = "letter_copy"
    LETTER_DIGEST = "letter_digest"
    DONATION_RECEIPT = "donation_receipt"
    # A staff user's link to set their password (campaign/staff/invitations.py).
    STAFF_INVITATION = "staff_invitation"
    STAFF_PASSWORD_RESET = "staff_password_reset"  # noqa: S105 (a kind of email)
    # An update staff wrote to a campaign's supporters (campaign/mailings).
    MAILING = "mailing"
    # A petition's response, to its signers: a mailing's copies (campaign/responses).
    PETITION_RESPONSE = "petition_response"
    # Staff told that a petition reached one of its thresholds (campaign/responses).
    THRESHOLD_REACHED = "threshold_reached"
    # Asking an activist whether the officials replied to their letter (campaign/followups).
    LETTER_FOLLOWUP = "letter_followup"
    # A person's link to see or erase their data (campaign/privacy).
    DATA_RIGHTS_LINK = "data_rights_link"
    # A petition's confirmed signers in an official's division, told to the official
    # (campaign/reports).
    OFFICIAL_REPORT = "official_report"


# Kinds whose copies belong to a mailing and carry only its id: what they share is the
# mailing's, looked up once per batch.
MAILING_KINDS = frozenset({EmailKind.MAILING, EmailKind.PETITION_RESPONSE})


class Priority(IntEnum):
    """Which messages a worker takes first: everything a person is waiting for (a
    confirmation, a letter) before any of a mailing's million."""

    FIRST = 0
    BULK = 1


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed')", name="status"),
        CheckConstraint(
            "delivery_status IN ('queued', 'sent', 'delivered', 'deferred', 'bounced', 'dropped')",
            name="delivery_status",
        ),
        # The worker's claim queries, each over its own status only: due pending
        # messages oldest first, and hand-overs whose lease ran out. Partial, so they
        # hold only what is in flight, and so that the statements recording a batch by
        # its ids ("status is pending or sending" among their conditions) cannot pick
        # them over the primary key: with statistics taken when nearly everything was
        # sent, PostgreSQL did, and read every in-flight row for each batch of 1,000.
        # By priority first: a worker claims the first lane's due messages, then fills
        # the batch from the bulk lane, each read in order from the index.
        Index(
            "ix_outbox_messages_due",
            "priority",
            "available_at",
            "id",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        Index(
            "ix_outbox_messages_unsettled",
            "available_at",
            postgresql_where=text("status = 'sending'"),
            sqlite_where=text("status = 'sending'"),
        ),
        # A mailing's copies, for its numbers and its cancelling. A block-range index on
        # PostgreSQL: copies are written a chunk at a time, so a block holds one mailing,
        # and the index costs next to nothing as each copy's row is rewritten while it is
        # sent (a B-tree took a new entry each time).
        Index(
            "ix_outbox_messages_mailing_id",
            "mailing_id",
            postgresql_using="brin",
            postgresql_where=text("mailing_id IS NOT NULL"),
            sqlite_where=text("mailing_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    kind: Mapped[str] = mapped_column(String(50))
    to_address: Mapped[str] = mapped_column(String(320), info=personal())
    to_name: Mapped[str | None] = mapped_column(String(200), info=personal())
    # The sender's display name when it is not the organisation's (an activist's letter),
    # and where replies go.
    from_name: Mapped[str | None] = mapped_column(String(200), info=personal())
    reply_to: Mapped[str | None] = mapped_column(String(320), info=personal())
    # Template variables. Rendering happens at send time, in the worker.
    context: Mapped[dict[str, Any]] = mapped_column(
        JSON().with_variant(JSONB(), "postgresql"), info=personal()
    )
    campaign_id: Mapped[int | None] = mapped_column(BigIntFK, ForeignKey("campaigns.id"))
    # The mailing this message is one recipient's copy of; a test copy has none.
    mailing_id: Mapped[int | None] = mapped_column(BigIntFK, ForeignKey("mailings.id"))
    priority: Mapped[int] = mapped_column(
        SmallInteger, default=Priority.FIRST, server_default=text("0")
    )
    status: Mapped[str] = mapped_column(String(20), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    available_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The last hand-over: a random id shared by the messages of one provider request,
    # which the provider is given too (so it can be asked later whether it got them), and
    # when it began.
    attempt_id: Mapped[str | None] = mapped_column(String(64))
    sending_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    provider_message_id: Mapped[str | None] = mapped_column(String(200))
    delivery_status: Mapped[str] = mapped_column(
        String(20), default=ProviderStatus.QUEUED, server_default=ProviderStatus.QUEUED.value
    )
    last_error: Mapped[str | None] = mapped_column(Text)
    # The id of the request whose transaction wrote this message (None for what the
    # worker writes itself, such as mailings), so the worker's log lines about it can
    # be found beside the request's.
    request_id: Mapped[str | None] = mapped_column(String(64))


class SuppressionReason(StrEnum):
    HARD_BOUNCE = "hard_bounce"
    SPAM_REPORT = "spam_report"
    UNSUBSCRIBE = "unsubscribe"
    # The person asked for their data to be erased: the address is kept only as a keyed
    # hash (campaign/privacy), and holds everything but transactional email.
    ERASED = "erased"


class Suppression(Base):
    """An address we must not write to: hard bounces stop everything, spam reports and
    unsubscribes stop everything but transactional email."""

    __tablename__ = "suppressions"
    __table_args__ = (
        CheckConstraint(
            "reason IN ('hard_bounce', 'spam_report', 'unsubscribe', 'erased')", name="reason"
        ),
        CheckConstraint("email_normalised IS NOT NULL OR email_hash IS NOT NULL", name="address"),
        UniqueConstraint("email_normalised", "reason"),
        UniqueConstraint("email_hash", "reason"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    # The address in clear, or (for an erased person's) only its keyed hash.
    email_normalised: Mapped[str | None] = mapped_column(String(320), info=personal())
    email_hash: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
