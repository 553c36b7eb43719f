"""Press releases as submitted, and the calls to action found in them."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from campaign.db import Base, BigIntFK, BigIntPK, UTCDateTime, utcnow


class ReleaseFormat(StrEnum):
    TEXT = "text"
    MARKDOWN = "markdown"
    HTML = "html"


class CallStatus(StrEnum):
    PROPOSED = "proposed"  # found by the extractor (or added by staff), not yet reviewed
    POSSIBLE = "possible"  # the extractor was unsure: listed apart, reviewed the same way
    ACCEPTED = "accepted"  # staff said it is a call to action, or drafted a campaign from it
    REJECTED = "rejected"  # staff said it is not a call to action
    MERGED = "merged"  # folded into another call (merged_into_id)


# Calls still under review: staff may edit, accept, reject or promote them; the others are
# decided.
OPEN_FOR_REVIEW = frozenset({CallStatus.PROPOSED, CallStatus.POSSIBLE})


class Release(Base):
    __tablename__ = "releases"
    __table_args__ = (
        CheckConstraint("source_format IN ('text', 'markdown', 'html')", name="source_format"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    # SHA-256 of the text the calls were found in: the same release twice is one row.
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str | None] = mapped_column(String(300))
    organisation: Mapped[str | None] = mapped_column(String(200))
    published_on: Mapped[date | None] = mapped_column(Date)
    language: Mapped[str] = mapped_column(String(16))
    source_format: Mapped[str] = mapped_column(String(20))
    source_url: Mapped[str | None] = mapped_column(String(2000))
    # What staff submitted, kept as it was; `text` is what offsets point into.
    submitted: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CallToActionRecord(Base):
    __tablename__ = "calls_to_action"
    __table_args__ = (
        CheckConstraint(
            "status IN ('proposed', 'possible', 'accepted', 'rejected', 'merged')", name="status"
        ),
        CheckConstraint(
            "strength IN ('must', 'should', 'call', 'urge', 'demand', 'other')", name="strength"
        ),
        Index(None, "release_id", "start"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    release_id: Mapped[int] = mapped_column(BigIntFK, ForeignKey("releases.id"))
    sentence: Mapped[str] = mapped_column(Text)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    targets: Mapped[list[Any]] = mapped_column(JSON().with_variant(JSONB(), "postgresql"))
    # What pronoun targets ("They") stand for, where the extractor could tell.
    resolved_targets: Mapped[list[Any]] = mapped_column(JSON().with_variant(JSONB(), "postgresql"))
    action: Mapped[str] = mapped_column(Text)
    strength: Mapped[str] = mapped_column(String(20))
    confidence: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default=CallStatus.PROPOSED)
    merged_into_id: Mapped[int | None] = mapped_column(BigIntFK, ForeignKey("calls_to_action.id"))
    campaign_id: Mapped[int | None] = mapped_column(BigIntFK, ForeignKey("campaigns.id"))
    # True once staff changed what the extractor proposed.
    edited: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
