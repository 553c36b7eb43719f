"""Staff: people who log in to the dashboard, their server-side sessions, API tokens, and
the emailed links that set a password (an invitation, a reset). Only hashes of
passwords, session tokens, API tokens and links are stored."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from campaign.db import Base, BigIntFK, BigIntPK, UTCDateTime, personal, utcnow


class Role(StrEnum):
    VIEWER = "viewer"
    EDITOR = "editor"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def allows(self, required: Role) -> bool:
        return self.rank >= required.rank


class UserStatus(StrEnum):
    # Invited: the account exists, but nobody has set its password yet.
    INVITED = "invited"
    ACTIVE = "active"
    # Cannot log in; its sessions were ended and its API tokens are refused.
    DEACTIVATED = "deactivated"


class StaffUser(Base):
    __tablename__ = "staff_users"
    __table_args__ = (
        CheckConstraint("role IN ('viewer', 'editor', 'admin')", name="role"),
        CheckConstraint("failed_attempts >= 0", name="failed_attempts"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    # Normalised (trimmed, lower case), so one person cannot hold two accounts by case.
    email: Mapped[str] = mapped_column(String(320), unique=True, info=personal())
    name: Mapped[str] = mapped_column(String(100), info=personal())
    role: Mapped[str] = mapped_column(String(20))
    # An argon2id hash in PHC format: parameters and salt travel with it. None until the
    # invited person sets a password through their link.
    password_hash: Mapped[str | None] = mapped_column(String(200))
    # Wrong passwords since the last success or lock-out.
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def status(self) -> UserStatus:
        if self.deactivated_at is not None:
            return UserStatus.DEACTIVATED
        if self.password_hash is None:
            return UserStatus.INVITED
        return UserStatus.ACTIVE


class StaffSession(Base):
    """A dashboard login. The cookie holds the token; this row holds only its hash."""

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(
        BigIntFK, ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_agent: Mapped[str | None] = mapped_column(String(300), info=personal())


class ApiToken(Base):
    __tablename__ = "api_tokens"
    __table_args__ = (CheckConstraint("role IN ('viewer', 'editor', 'admin')", name="role"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters of the token, so staff can tell their tokens apart.
    prefix: Mapped[str] = mapped_column(String(16))
    # The staff user the token acts for; tokens made before users existed have none.
    user_id: Mapped[int | None] = mapped_column(BigIntFK, ForeignKey("staff_users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LinkPurpose(StrEnum):
    INVITATION = "invitation"
    PASSWORD_RESET = "password_reset"  # noqa: S105 (a purpose, not a password)


class PasswordLink(Base):
    """An emailed link that lets its holder set a user's password, once, before it
    expires. The email carries the secret; this row holds only its hash."""

    __tablename__ = "staff_password_links"
    __table_args__ = (
        CheckConstraint("purpose IN ('invitation', 'password_reset')", name="purpose"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(
        BigIntFK, ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
