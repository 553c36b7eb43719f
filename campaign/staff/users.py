"""Staff users: create one, log in with a password (with a lock-out after repeated
failures), and what admins do to accounts: change a role, deactivate, reactivate. No
change may leave the workspace without an active admin."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.db import utcnow
from campaign.errors import Conflict, InvalidState, NotFound
from campaign.staff.models import PasswordLink, Role, StaffUser, UserStatus
from campaign.staff.passwords import check_against_dummy, check_password, hash_password
from campaign.staff.schemas import StaffInvitation, StaffUserCreate, normalise_staff_email
from campaign.staff.sessions import end_all_sessions

MAX_FAILED_ATTEMPTS = 5
LOCK_OUT_FOR = timedelta(minutes=15)
EMAIL_TAKEN = "an account with this email address already exists"


async def create_user(session: AsyncSession, data: StaffUserCreate) -> StaffUser:
    return await add_user(
        session, data, password_hash=await hash_password(data.password.get_secret_value())
    )


async def add_user(
    session: AsyncSession, data: StaffInvitation, *, password_hash: str | None
) -> StaffUser:
    """A new account; without a password hash it stays invited until one is set."""
    taken = await session.execute(select(StaffUser.id).where(StaffUser.email == data.email))
    if taken.first() is not None:
        raise Conflict(EMAIL_TAKEN, field="email")
    user = StaffUser(
        email=data.email,
        name=data.name,
        role=data.role.value,
        password_hash=password_hash,
        failed_attempts=0,
    )
    session.add(user)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as error:  # a concurrent create won the unique index
        raise Conflict(EMAIL_TAKEN, field="email") from error
    return user


async def get_user(session: AsyncSession, user_id: int) -> StaffUser:
    user = await session.get(StaffUser, user_id)
    if user is None:
        raise NotFound("no such staff user", field="user_id")
    return user


async def get_user_by_email(session: AsyncSession, email: str) -> StaffUser | None:
    result = await session.execute(
        select(StaffUser).where(StaffUser.email == normalise_staff_email(email))
    )
    return result.scalar_one_or_none()


async def list_users(session: AsyncSession) -> Sequence[StaffUser]:
    result = await session.execute(
        select(StaffUser).order_by(func.lower(StaffUser.name), StaffUser.id)
    )
    return result.scalars().all()


async def log_in(session: AsyncSession, email: str, password: str) -> StaffUser | None:
    """The user when the password is right and the account active and not locked; None
    otherwise, whatever the reason, so callers cannot tell the reasons apart. Every path
    hashes once, so an unknown address, a wrong password, a locked, invited or
    deactivated account take about as long."""
    user = await get_user_by_email(session, email)
    if user is None or user.password_hash is None:
        await check_against_dummy(password)
        return None
    now = utcnow()
    if user.deactivated_at is not None or (
        user.locked_until is not None and user.locked_until > now
    ):
        # Checked anyway, for the timing; a right password does not open the account.
        await check_password(password, user.password_hash)
        return None
    check = await check_password(password, user.password_hash)
    if not check.matches:
        await _count_failure(session, user)
        return None
    user.failed_attempts = 0
    user.locked_until = None
    user.last_login_at = now
    if check.new_hash is not None:
        user.password_hash = check.new_hash
    await session.flush()
    return user


async def change_role(session: AsyncSession, user: StaffUser, role: Role) -> StaffUser:
    if role != Role.ADMIN:
        await _keep_an_active_admin(session, user, field="role")
    user.role = role.value
    await session.flush()
    return user


async def deactivate_user(session: AsyncSession, user: StaffUser) -> StaffUser:
    """The user can no longer log in; their open sessions end and their API tokens are
    refused from the very next request, until they are reactivated. Their unused
    invitation or reset links stop working for good."""
    if user.deactivated_at is not None:
        return user
    await _keep_an_active_admin(session, user, field="user_id")
    user.deactivated_at = utcnow()
    await session.flush()
    await end_all_sessions(session, user.id)
    await session.execute(delete(PasswordLink).where(PasswordLink.user_id == user.id))
    return user


async def reactivate_user(session: AsyncSession, user: StaffUser) -> StaffUser:
    """Back as before: the same password and tokens (an invited user needs a new link)."""
    if user.deactivated_at is not None:
        user.deactivated_at = None
        user.failed_attempts = 0
        user.locked_until = None
        await session.flush()
    return user


async def _keep_an_active_admin(session: AsyncSession, leaving: StaffUser, *, field: str) -> None:
    """Refuse to take the admin role from the last active admin: nobody could manage users
    after that without a terminal. The active admins' rows are locked (on PostgreSQL), so
    two admins demoting each other at once cannot both succeed."""
    if Role(leaving.role) != Role.ADMIN or leaving.status != UserStatus.ACTIVE:
        return
    admins = await session.scalars(
        select(StaffUser.id)
        .where(
            StaffUser.role == Role.ADMIN.value,
            StaffUser.deactivated_at.is_(None),
            StaffUser.password_hash.is_not(None),
        )
        .with_for_update()
    )
    if not set(admins) - {leaving.id}:
        raise InvalidState(
            f"{leaving.name} is the last active admin: make someone else an admin first",
            field=field,
        )


async def _count_failure(session: AsyncSession, user: StaffUser) -> None:
    # Incremented in SQL: concurrent guesses each count, rather than overwriting one
    # another's read-modify-write.
    failures = (
        await session.execute(
            update(StaffUser)
            .where(StaffUser.id == user.id)
            .values(failed_attempts=StaffUser.failed_attempts + 1)
            .returning(StaffUser.failed_attempts)
        )
    ).scalar_one()
    if failures >= MAX_FAILED_ATTEMPTS:
        await session.execute(
            update(StaffUser)
            .where(StaffUser.id == user.id)
            .values(failed_attempts=0, locked_until=utcnow() + LOCK_OUT_FOR)
        )
    await session.refresh(user)
