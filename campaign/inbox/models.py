"""Events that providers report to us (SendGrid's delivery events), each stored once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from campaign.db import Base, BigIntFK, BigIntPK, UTCDateTime, personal, utcnow


class EmailEvent(Base):
    __tablename__ = "email_events"
    __table_args__ = (Index(None, "outbox_message_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    # SendGrid's own id for the event: a redelivered event is recognised and ignored.
    provider_event_id: Mapped[str] = mapped_column(String(200), unique=True)
    outbox_message_id: Mapped[int | None] = mapped_column(
        BigIntFK, ForeignKey("outbox_messages.id")
    )
    event: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    payload: Mapped[dict[str, Any]] = mapped_column(
        JSON().with_variant(JSONB(), "postgresql"), info=personal()
    )
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
