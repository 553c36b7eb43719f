"""Dashboard sessions: kept on the server, found by the hash of the cookie's token, ended
by deleting the row. Each session has its own CSRF token for the dashboard's forms."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.db import utcnow
from campaign.staff.models import StaffSession, StaffUser
from campaign.tokens import hash_token, new_token

# A working day at most, then log in again; an hour and a half idle ends it sooner.
SESSION_LIFETIME = timedelta(hours=12)
SESSION_IDLE_TIMEOUT = timedelta(minutes=90)
# Recording every page view would make each read a write; a minute is close enough.
_LAST_SEEN_RESOLUTION = timedelta(minutes=1)
_MAX_TOKEN_LENGTH = 100
_MAX_USER_AGENT_LENGTH = 300


@dataclass(frozen=True)
class ActiveSession:
    session: StaffSession
    user: StaffUser
    # The cookie's token, needed to derive the CSRF token; never stored.
    secret: str

    @property
    def csrf_token(self) -> str:
        return csrf_token_for(self.secret)


async def start_session(
    session: AsyncSession, user: StaffUser, *, user_agent: str | None
) -> tuple[StaffSession, str]:
    """A new session for a user who just logged in: a fresh token every time, so a token
    planted before login (session fixation) is worth nothing. Returns the row and the
    token for the cookie."""
    secret = new_token()
    now = utcnow()
    await _delete_ended_sessions(session, user, now)
    row = StaffSession(
        token_hash=hash_token(secret),
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + SESSION_LIFETIME,
        user_agent=user_agent[:_MAX_USER_AGENT_LENGTH] if user_agent else None,
    )
    session.add(row)
    await session.flush()
    return row, secret


async def find_session(session: AsyncSession, secret: str) -> ActiveSession | None:
    """The live session behind a cookie's token, or None (unknown, expired, idle, or its
    user deactivated)."""
    if not secret or len(secret) > _MAX_TOKEN_LENGTH:
        return None
    found = (
        await session.execute(
            select(StaffSession, StaffUser)
            .join(StaffUser, StaffUser.id == StaffSession.user_id)
            .where(
                StaffSession.token_hash == hash_token(secret),
                # Deactivating deletes the user's sessions too; this holds even for one
                # started by a login that raced the deactivation.
                StaffUser.deactivated_at.is_(None),
            )
        )
    ).first()
    if found is None:
        return None
    row, user = found
    now = utcnow()
    if _has_ended(row, now):
        # Left in place: this request is refused and rolls back; the owner's next login
        # clears it away.
        return None
    if now - row.last_seen_at > _LAST_SEEN_RESOLUTION:
        row.last_seen_at = now
        await session.flush()
    return ActiveSession(session=row, user=user, secret=secret)


async def end_session(session: AsyncSession, active: ActiveSession) -> None:
    await session.execute(delete(StaffSession).where(StaffSession.id == active.session.id))


async def end_all_sessions(session: AsyncSession, user_id: int) -> None:
    """Log a user out everywhere: deactivated, or a new password set."""
    await session.execute(delete(StaffSession).where(StaffSession.user_id == user_id))


def _has_ended(row: StaffSession, now: datetime) -> bool:
    return row.expires_at <= now or now - row.last_seen_at > SESSION_IDLE_TIMEOUT


async def _delete_ended_sessions(session: AsyncSession, user: StaffUser, now: datetime) -> None:
    await session.execute(
        delete(StaffSession).where(
            StaffSession.user_id == user.id,
            or_(
                StaffSession.expires_at <= now,
                StaffSession.last_seen_at < now - SESSION_IDLE_TIMEOUT,
            ),
        )
    )


def csrf_token_for(secret: str) -> str:
    # Derived from the session's own secret, so nothing more is stored, and it changes
    # with every login; the HMAC is one-way, so the page showing it cannot reveal the
    # cookie's token.
    return hmac.new(secret.encode(), b"staff dashboard csrf", hashlib.sha256).hexdigest()


def csrf_token_matches(active: ActiveSession, submitted: str | None) -> bool:
    if not submitted:
        return False
    return hmac.compare_digest(active.csrf_token.encode(), submitted.encode())
