"""Consent ledger: the exact wording a person was shown, and every choice they made."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from campaign.db import Base, BigIntFK, BigIntPK, UTCDateTime, utcnow


class ConsentText(Base):
    """One version of the wording for one purpose in one language. Never edited:
    a change of wording is a new version, so old records keep pointing at what was shown."""

    __tablename__ = "consent_texts"
    __table_args__ = (UniqueConstraint("purpose", "language", "version"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    purpose: Mapped[str] = mapped_column(String(50))
    language: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConsentRecord(Base):
    """A person's answer to one consent text: given or withheld, when, and where."""

    __tablename__ = "consent_records"
    __table_args__ = (Index(None, "person_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    person_id: Mapped[int] = mapped_column(BigIntFK, ForeignKey("people.id"))
    consent_text_id: Mapped[int] = mapped_column(BigIntFK, ForeignKey("consent_texts.id"))
    granted: Mapped[bool] = mapped_column(Boolean)
    language: Mapped[str] = mapped_column(String(16))
    campaign_id: Mapped[int | None] = mapped_column(BigIntFK, ForeignKey("campaigns.id"))
    channel: Mapped[str] = mapped_column(String(30))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
