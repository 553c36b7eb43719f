"""The links people ask for to see or erase their data, and the log of every export and
erasure (which holds the address only as its keyed hash)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from campaign.db import Base, BigIntFK, BigIntPK, UTCDateTime, personal, utcnow


class PrivacyAction(StrEnum):
    EXPORT = "export"
    ERASURE = "erasure"
    CONSENT_LEDGER = "consent_ledger"


class Requester(StrEnum):
    STAFF = "staff"  # a staff user on the dashboard, or an API token
    PERSON = "person"  # the person themselves, by the link emailed to them


class DataRightsLink(Base):
    """A link emailed to an address on request: whoever holds it may download or erase
    that address's data until it expires. Only the token's hash is stored; the address
    is kept until the link expires or is used to erase (then the row goes)."""

    __tablename__ = "data_rights_links"
    __table_args__ = (Index(None, "expires_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email_normalised: Mapped[str] = mapped_column(String(320), info=personal())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PrivacyAuditEntry(Base):
    """Who exported or erased whose data, and when; whose only as the address's keyed
    hash, so the log itself never keeps an erased address."""

    __tablename__ = "privacy_audit_log"
    __table_args__ = (
        CheckConstraint("action IN ('export', 'erasure', 'consent_ledger')", name="action"),
        CheckConstraint("requester IN ('staff', 'person')", name="requester"),
        Index(None, "created_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    action: Mapped[str] = mapped_column(String(20))
    requester: Mapped[str] = mapped_column(String(10))
    # None for the consent ledger, which is everyone's.
    email_hash: Mapped[str | None] = mapped_column(String(64))
    staff_user_id: Mapped[int | None] = mapped_column(BigIntFK, ForeignKey("staff_users.id"))
    api_token_id: Mapped[int | None] = mapped_column(BigIntFK, ForeignKey("api_tokens.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
