"""Staff users: create one, and log in with a password, with a lock-out after repeated
failures."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.db import utcnow
from campaign.errors import Conflict
from campaign.staff.models import StaffUser
from campaign.staff.passwords import check_against_dummy, check_password, hash_password
from campaign.staff.schemas import StaffUserCreate, normalise_staff_email

MAX_FAILED_ATTEMPTS = 5
LOCK_OUT_FOR = timedelta(minutes=15)


async def create_user(session: AsyncSession, data: StaffUserCreate) -> StaffUser:
    taken = await session.execute(select(StaffUser.id).where(StaffUser.email == data.email))
    if taken.first() is not None:
        raise Conflict("a staff user with this email exists", field="email")
    user = StaffUser(
        email=data.email,
        name=data.name,
        role=data.role.value,
        password_hash=await hash_password(data.password.get_secret_value()),
        failed_attempts=0,
    )
    session.add(user)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as error:  # a concurrent create won the unique index
        raise Conflict("a staff user with this email exists", field="email") from error
    return user


async def get_user_by_email(session: AsyncSession, email: str) -> StaffUser | None:
    result = await session.execute(
        select(StaffUser).where(StaffUser.email == normalise_staff_email(email))
    )
    return result.scalar_one_or_none()


async def log_in(session: AsyncSession, email: str, password: str) -> StaffUser | None:
    """The user when the password is right and the account not locked; None otherwise,
    whatever the reason, so callers cannot tell the reasons apart. Every path hashes once,
    so an unknown address, a wrong password and a locked account take about as long."""
    user = await get_user_by_email(session, email)
    if user is None:
        await check_against_dummy(password)
        return None
    now = utcnow()
    if user.locked_until is not None and user.locked_until > now:
        # Checked anyway, for the timing; a right password does not open a locked account.
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
