"""Staff API tokens: create (shown once), authenticate, list and revoke. A token may belong
to a staff user, and then never does more than that user may."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.db import utcnow
from campaign.errors import Forbidden, NotFound
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
            f"they cannot hold a token with the {role.value} role"
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
    token = (
        await session.execute(select(ApiToken).where(ApiToken.token_hash == hash_token(secret)))
    ).scalar_one_or_none()
    if token is None or token.revoked_at is not None:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > _LAST_USED_RESOLUTION:
        token.last_used_at = now
    return token


async def token_role(session: AsyncSession, token: ApiToken) -> Role:
    """What the token may do: its own role, lowered to its user's if the user has since
    been given less."""
    role = Role(token.role)
    if token.user_id is None:
        return role
    user_role = await session.scalar(select(StaffUser.role).where(StaffUser.id == token.user_id))
    if user_role is None:
        return role
    return min(role, Role(user_role), key=lambda r: r.rank)


async def list_tokens(session: AsyncSession) -> Sequence[ApiToken]:
    result = await session.execute(select(ApiToken).order_by(ApiToken.id))
    return result.scalars().all()


async def revoke_token(session: AsyncSession, token_id: int) -> ApiToken:
    token = await session.get(ApiToken, token_id)
    if token is None:
        raise NotFound("no such token", field="token_id")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        await session.flush()
    return token
