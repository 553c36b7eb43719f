"""An endpoint and its place in the feed; the feed itself, one row per change.

The feed is written by database triggers on the four tables (see the migration that
made them), in the transaction of the change itself, so no write path can forget it
and none pays for it while no endpoint is active."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from campaign.db import Base, BigIntFK, BigIntPK, UTCDateTime, utcnow


class FeedKind(StrEnum):
    SIGNATURE = "signature"
    OUTREACH = "outreach"
    DONATION = "donation"
    PERSON = "person"


class WebhookEndpoint(Base):
    __tablename__ = "webhook_endpoints"
    __table_args__ = (CheckConstraint("attempts >= 0", name="attempts"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    # The shared secret the bodies are signed with (HMAC-SHA256). Shown to staff once.
    secret: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The last feed event this endpoint has acknowledged; staff move it back to replay.
    cursor: Mapped[int] = mapped_column(BigInteger, default=0)
    # The batch being delivered and not yet acknowledged: events (cursor, batch_end].
    # Set before the request, so a retry after a crash resends that same batch, with the
    # same idempotency key, rather than a longer one.
    batch_end: Mapped[int | None] = mapped_column(BigInteger)
    # Failed deliveries in a row, and when the next try is due (backoff).
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A worker delivering to it holds it until then (one delivery at a time, in order).
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(BigIntFK, ForeignKey("staff_users.id"))


class FeedEvent(Base):
    __tablename__ = "webhook_feed"
    __table_args__ = (
        CheckConstraint("kind IN ('signature', 'outreach', 'donation', 'person')", name="kind"),
        Index(None, "created_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    resource_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
