"""A person: one row per normalised email address, shared by all their actions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from campaign.db import Base, BigIntPK, UTCDateTime, personal, utcnow


class Person(Base):
    __tablename__ = "people"
    __table_args__ = (Index(None, "modified_at", "id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    # The dedupe key (see people.addresses); the address as typed lives on each action.
    email_normalised: Mapped[str] = mapped_column(String(320), unique=True, info=personal())
    email: Mapped[str] = mapped_column(String(320), info=personal())
    given_name: Mapped[str] = mapped_column(String(100), info=personal())
    family_name: Mapped[str] = mapped_column(String(100), info=personal())
    country: Mapped[str] = mapped_column(String(2))
    postcode: Mapped[str | None] = mapped_column(String(16), info=personal())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When they first proved this address is theirs (a confirmed signature or letter).
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Fields an organisation's own tools keep about the person (OSDI custom_fields).
    custom_fields: Mapped[dict[str, str]] = mapped_column(JSON, default=dict, info=personal())
    # When anything here last changed: what OSDI clients sync by (modified_date).
    modified_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # When their personal data was erased at their request (campaign/privacy): the row
    # stays, so their actions still count, and is never written to again.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
