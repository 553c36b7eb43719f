"""Staff API tokens: create (shown once), authenticate, list and revoke. A token may belong
to a staff user, and then never does more than that user may, and nothing at all while
the user is deactivated."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.db import utcnow
from campaign.errors import Forbidden, NotFound, Unauthorized
from campaign.staff.models import ApiToken, Role, StaffUser
from campaign.tokens import hash_token, new_token

TOKEN_PREFIX = "cmp_"  # noqa: S105 (a marker that makes leaked tokens easy to scan for)
# Recording every use would turn each staff read into a write; minutes are enough.
_LAST_USED_RESOLUTION = timedelta(minutes=5)


async def create_token(
    session: AsyncSession, *, name: str, role: Role, user: StaffUser | None = None
) -> tuple[ApiToken, str]:
    """Returns the stored token and the secret, which is not kept anywhere."""
    if user is not None and not Role(user.role).allows(role):
        raise Forbidden(
            f"{user.email} has the {user.role} role: "
            f"they cannot hold a token with the {role.value} role",
            field="role",
        )
    secret = new_token(TOKEN_PREFIX)
    token = ApiToken(
        name=name,
        role=role.value,
        token_hash=hash_token(secret),
        prefix=secret[:12],
        user_id=user.id if user is not None else None,
    )
    session.add(token)
    await session.flush()
    return token, secret


async def authenticate_token(session: AsyncSession, secret: str) -> ApiToken | None:
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None
    found = (
        await session.execute(
            select(ApiToken, StaffUser.deactivated_at)
            .outerjoin(StaffUser, StaffUser.id == ApiToken.user_id)
            .where(ApiToken.token_hash == hash_token(secret))
        )
    ).first()
    if found is None:
        return None
    token, user_deactivated_at = found
    if token.revoked_at is not None or user_deactivated_at is not None:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > _LAST_USED_RESOLUTION:
        token.last_used_at = now
    return token


async def token_role(session: AsyncSession, token: ApiToken) -> Role:
    """What the token may do: its own role, lowered to its user's if the user has since
    been given less. A deactivated user's token may do nothing (authenticate_token does
    not return one; this holds for a token found any other way)."""
    role = Role(token.role)
    if token.user_id is None:
        return role
    user = (
        await session.execute(
            select(StaffUser.role, StaffUser.deactivated_at).where(StaffUser.id == token.user_id)
        )
    ).first()
    if user is None:
        return role
    if user.deactivated_at is not None:
        raise Unauthorized("the API token is not valid or has been revoked")
    return min(role, Role(user.role), key=lambda r: r.rank)


async def token_owner(session: AsyncSession, token: ApiToken) -> StaffUser | None:
    """The staff user a token acts for, if it has one."""
    return await session.get(StaffUser, token.user_id) if token.user_id is not None else None


async def list_tokens(session: AsyncSession, *, owner_id: int | None = None) -> Sequence[ApiToken]:
    """Every token, or one user's."""
    query = select(ApiToken).order_by(ApiToken.id)
    if owner_id is not None:
        query = query.where(ApiToken.user_id == owner_id)
    return (await session.execute(query)).scalars().all()


async def revoke_token(
    session: AsyncSession, token_id: int, *, by: StaffUser | None = None
) -> ApiToken:
    """Revoke a token; `by`, a staff user who is not an admin, may revoke only their own
    (another's is a token they cannot see: not found). Revoking twice changes nothing."""
    token = await session.get(ApiToken, token_id)
    if token is None or not _may_revoke(by, token):
        raise NotFound("no such token", field="token_id")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        await session.flush()
    return token


def _may_revoke(by: StaffUser | None, token: ApiToken) -> bool:
    if by is None or Role(by.role).allows(Role.ADMIN):
        return True
    return token.user_id == by.id
