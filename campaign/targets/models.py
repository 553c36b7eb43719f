"""The target directory: officials a letter can be addressed to, and the table that
finds an activist's division from their postcode."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from campaign.db import Base, BigIntPK, UTCDateTime, utcnow


class Official(Base):
    __tablename__ = "officials"
    __table_args__ = (
        # Lookups: "this role in this country", "this body for these divisions".
        Index(None, "country", "role"),
        Index(None, "division_id"),
        # The directory's pages list by name, a page at a time by key (name, id).
        Index(None, "name", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    # The source's own id for this office holder ("csv:…", "popolo:…"): imports upsert on it.
    external_id: Mapped[str] = mapped_column(String(300), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # As a person would write it: "Member of Parliament for Islington North".
    title: Mapped[str] = mapped_column(String(300))
    # A key that campaign rules match: "legislator", "foreign_minister", ...
    role: Mapped[str] = mapped_column(String(60))
    # The body they sit in or work for: "House of Commons", "Foreign Office".
    organisation: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    country: Mapped[str] = mapped_column(String(2))
    # Open Civic Data division id of what they represent, if anything.
    division_id: Mapped[str | None] = mapped_column(String(300))
    party: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str | None] = mapped_column(String(500))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PostcodeDivision(Base):
    """One postcode in one division; a postcode that straddles a boundary has several."""

    __tablename__ = "postcode_divisions"
    __table_args__ = (UniqueConstraint("country", "postcode", "division_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    country: Mapped[str] = mapped_column(String(2))
    # Normalised: upper case, no spaces ("SW1A1AA").
    postcode: Mapped[str] = mapped_column(String(16))
    division_id: Mapped[str] = mapped_column(String(300))
