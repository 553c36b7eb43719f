"""Dependencies shared by the routers: the request's session (one transaction, committed
before the answer is sent), staff authentication, client facts and loaded campaigns."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.campaigns.cache import SignableCampaign, SignableCampaignCache
from campaign.campaigns.models import Campaign
from campaign.campaigns.service import get_campaign, get_public_campaign
from campaign.config import Settings
from campaign.errors import Forbidden, Unauthorized
from campaign.staff.models import ApiToken, Role
from campaign.staff.service import authenticate_token


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.session_factory() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


# scope="function": the commit runs before the response goes out, so a client is
# never told "done" about a transaction that then failed to commit.
SessionDep = Annotated[AsyncSession, Depends(_request_session, scope="function")]


# Plain `def` dependencies run in a thread pool; these are trivial, so they are async.
async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(_settings)]

_bearer = HTTPBearer(
    auto_error=False, description="A staff API token: `campaign staff create-token`"
)


def requires_role(role: Role) -> Callable[..., Awaitable[ApiToken]]:
    async def authenticate_staff(
        session: SessionDep,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> ApiToken:
        if credentials is None:
            raise Unauthorized("send a staff API token as 'Authorization: Bearer <token>'")
        token = await authenticate_token(session, credentials.credentials)
        if token is None:
            raise Unauthorized("the API token is not valid or has been revoked")
        if not Role(token.role).allows(role):
            raise Forbidden(f"this action needs the {role.value} role")
        return token

    # Marks the dependency so a test can prove every staff route carries one.
    authenticate_staff.staff_role = role  # type: ignore[attr-defined]
    return authenticate_staff


Viewer = Annotated[ApiToken, Depends(requires_role(Role.VIEWER))]
Editor = Annotated[ApiToken, Depends(requires_role(Role.EDITOR))]
Admin = Annotated[ApiToken, Depends(requires_role(Role.ADMIN))]


async def client_ip(request: Request) -> str | None:
    # Behind a proxy, uvicorn's --forwarded-allow-ips puts the real client here.
    return request.client.host if request.client else None


ClientIp = Annotated[str | None, Depends(client_ip)]


async def _signing_over_limit(request: Request, ip: ClientIp) -> bool:
    if ip is None:
        return False
    within = await request.app.state.sign_rate_limit.hit("sign", ip)
    return not within


SigningOverLimit = Annotated[bool, Depends(_signing_over_limit)]


async def _staff_campaign(slug: str, session: SessionDep, _staff: Viewer) -> Campaign:
    # Authenticates first, so nobody can probe which draft slugs exist.
    return await get_campaign(session, slug)


async def _public_campaign(slug: str, session: SessionDep) -> Campaign:
    return await get_public_campaign(session, slug)


async def _campaign_to_sign(slug: str, request: Request, session: SessionDep) -> SignableCampaign:
    cache: SignableCampaignCache = request.app.state.signable_campaigns
    return await cache.get(session, slug)


StaffCampaign = Annotated[Campaign, Depends(_staff_campaign)]
PublicCampaign = Annotated[Campaign, Depends(_public_campaign)]
CampaignToSign = Annotated[SignableCampaign, Depends(_campaign_to_sign)]
