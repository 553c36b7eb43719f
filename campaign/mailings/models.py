"""A mailing: an update staff write to a campaign's supporters who asked for news.

Its recipients are chosen when it goes, a chunk at a time, by the worker: the mailing
remembers the last person id it enqueued (`enqueued_through`), and each chunk's outbox
rows and that mark are written in one transaction, so a crash anywhere resumes where the
last chunk ended, with nobody mailed twice and nobody skipped."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from campaign.db import Base, BigIntFK, BigIntPK, UTCDateTime, utcnow

SUBJECT_LENGTH = 200
SENDER_NAME_LENGTH = 100
BODY_LENGTH = 50_000


class MailingStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"  # goes by itself at `send_at`
    SENDING = "sending"  # the worker is choosing its recipients, a chunk at a time
    SENT = "sent"  # every recipient is in the outbox; the worker sends them at its rate
    CANCELLED = "cancelled"


class Audience(StrEnum):
    SIGNERS = "signers"  # the campaign's confirmed signatures
    LETTER_WRITERS = "letter_writers"  # the people whose letters were confirmed
    # A petition's response (campaign/responses): every confirmed signer, told about the
    # petition they signed, whatever they said about news. Chosen by publishing the
    # response, never in the mailing editor.
    RESPONSE_SIGNERS = "response_signers"


class Mailing(Base):
    __tablename__ = "mailings"
    __table_args__ = (
        CheckConstraint(
            "status IN ('draft', 'scheduled', 'sending', 'sent', 'cancelled')", name="status"
        ),
        CheckConstraint(
            "audience IN ('signers', 'letter_writers', 'response_signers')", name="audience"
        ),
        Index(None, "campaign_id", "id"),
        # The worker's question: which mailings have recipients still to choose?
        Index(None, "status", "send_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(BigIntFK, ForeignKey("campaigns.id"))
    subject: Mapped[str] = mapped_column(String(SUBJECT_LENGTH))
    # Markdown as staff wrote it (the text part), and its sanitised HTML (the HTML part).
    body_markdown: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    sender_name: Mapped[str | None] = mapped_column(String(SENDER_NAME_LENGTH))
    audience: Mapped[str] = mapped_column(String(20), default=Audience.SIGNERS)
    # Narrowing: people with any of these tags; signers from this country, or who came
    # from this source (utm_source). None is everyone.
    tag_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    country: Mapped[str | None] = mapped_column(String(2))
    source: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default=MailingStatus.DRAFT)
    send_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last person id whose email is in the outbox; 0 before the first chunk.
    enqueued_through: Mapped[int] = mapped_column(BigIntFK, default=0)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A cancelled mailing's unsent messages are discarded by the worker, a chunk at a
    # time; this says it has finished.
    unsent_discarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None] = mapped_column(BigIntFK, ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
