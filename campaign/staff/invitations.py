"""Emailed links that set a staff user's password: an invitation for a new account, a
reset for an existing one. A link works once and expires; only its hash is stored, and
the email that carries it is an outbox row in the same transaction as the link."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.db import utcnow
from campaign.errors import InvalidState, NotFound
from campaign.outbox.models import EmailKind
from campaign.outbox.service import enqueue_email
from campaign.staff.models import LinkPurpose, PasswordLink, StaffUser
from campaign.staff.passwords import hash_password
from campaign.staff.schemas import NewPassword, StaffInvitation
from campaign.staff.sessions import end_all_sessions
from campaign.staff.users import add_user
from campaign.tokens import hash_token, new_token

LINK_LIFETIMES = {
    LinkPurpose.INVITATION: timedelta(hours=72),
    LinkPurpose.PASSWORD_RESET: timedelta(hours=24),
}
_EMAIL_KINDS = {
    LinkPurpose.INVITATION: EmailKind.STAFF_INVITATION,
    LinkPurpose.PASSWORD_RESET: EmailKind.STAFF_PASSWORD_RESET,
}
# One answer for a link that is unknown, used, expired, replaced by a newer one, or whose
# account was deactivated: which of these it is helps nobody who holds a stolen link.
LINK_NOT_VALID = (
    "this link no longer works: it has been used, has expired or was replaced by a newer "
    "one. Ask an admin to send you a new one"
)
_MAX_SECRET_LENGTH = 100


@dataclass(frozen=True)
class OpenLink:
    """A link that would set a password now, and whose account it is."""

    link: PasswordLink
    user: StaffUser

    @property
    def purpose(self) -> LinkPurpose:
        return LinkPurpose(self.link.purpose)


async def invite_user(
    session: AsyncSession, data: StaffInvitation, *, sent_by: StaffUser | None
) -> StaffUser:
    """A new account without a password, and an email with the link to choose one. An
    address that already has an account (in any state) is refused beside the email."""
    user = await add_user(session, data, password_hash=None)
    await _send_link(session, user, LinkPurpose.INVITATION, sent_by=sent_by)
    return user


async def send_password_link(
    session: AsyncSession, user: StaffUser, *, sent_by: StaffUser | None
) -> LinkPurpose:
    """A reset link for a user with a password; a fresh invitation for one who never set
    it. Either replaces any earlier link. The current password keeps working until the
    new one is set."""
    if user.deactivated_at is not None:
        raise InvalidState(
            f"{user.name}'s account is deactivated: reactivate it first", field="user_id"
        )
    purpose = LinkPurpose.INVITATION if user.password_hash is None else LinkPurpose.PASSWORD_RESET
    await _send_link(session, user, purpose, sent_by=sent_by)
    return purpose


async def find_open_link(session: AsyncSession, secret: str) -> OpenLink | None:
    if not secret or len(secret) > _MAX_SECRET_LENGTH:
        return None
    found = (
        await session.execute(
            select(PasswordLink, StaffUser)
            .join(StaffUser, StaffUser.id == PasswordLink.user_id)
            .where(
                PasswordLink.token_hash == hash_token(secret),
                PasswordLink.expires_at > utcnow(),
                StaffUser.deactivated_at.is_(None),
            )
        )
    ).first()
    if found is None:
        return None
    link, user = found
    return OpenLink(link, user)


async def set_password_by_link(session: AsyncSession, secret: str, data: NewPassword) -> StaffUser:
    """Set the password the link is for, and use the link up. The old password stops
    working, every session of the user ends (they log in again with the new one), and
    any other link of theirs is void."""
    opened = await find_open_link(session, secret)
    if opened is None:
        raise NotFound(LINK_NOT_VALID, field="token")
    # Hashed before the link's row is locked by the delete: argon2 takes its time.
    password_hash = await hash_password(data.password.get_secret_value())
    # Deleted only if still there: of two posts of the same link at once, one finds it
    # gone and is refused, so the link works once.
    used = await session.execute(
        delete(PasswordLink).where(PasswordLink.id == opened.link.id).returning(PasswordLink.id),
        execution_options={"synchronize_session": False},
    )
    if used.first() is None:
        raise NotFound(LINK_NOT_VALID, field="token")
    user = opened.user
    user.password_hash = password_hash
    user.failed_attempts = 0
    user.locked_until = None
    await session.flush()
    await end_all_sessions(session, user.id)
    await session.execute(delete(PasswordLink).where(PasswordLink.user_id == user.id))
    return user


async def _send_link(
    session: AsyncSession, user: StaffUser, purpose: LinkPurpose, *, sent_by: StaffUser | None
) -> None:
    # A newer link replaces the older ones: only the latest email works.
    await session.execute(delete(PasswordLink).where(PasswordLink.user_id == user.id))
    secret = new_token()
    lifetime = LINK_LIFETIMES[purpose]
    now = utcnow()
    session.add(
        PasswordLink(
            token_hash=hash_token(secret),
            user_id=user.id,
            purpose=purpose.value,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    await session.flush()
    await enqueue_email(
        session,
        _EMAIL_KINDS[purpose],
        to_address=user.email,
        to_name=user.name,
        # `token` becomes the link when the email is written, and is removed from the row
        # once it has been sent (campaign/outbox/service.mark_sent).
        context={
            "token": secret,
            "staff_name": user.name,
            "role": user.role,
            "sent_by": sent_by.name if sent_by is not None else None,
            "valid_hours": int(lifetime.total_seconds() // 3600),
        },
    )
