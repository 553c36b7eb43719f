"""Dependencies shared by the routers: the request's session (one transaction, committed
before the answer is sent), staff authentication, client facts and loaded campaigns."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from api.params import RowIdPath as RowIdPath  # where the routers first found it
from api.params import SlugPath
from api.ratelimit import SigningLimits
from campaign.campaigns.cache import SignableCampaignCache
from campaign.campaigns.models import Campaign
from campaign.campaigns.service import get_campaign, get_public_campaign
from campaign.campaigns.signable import SignableCampaign
from campaign.config import Settings
from campaign.db import read_only
from campaign.errors import Forbidden, Unauthorized
from campaign.extraction import Extractor
from campaign.extraction.extractor import default_extractor
from campaign.metrics.counts import SignatureCountCache
from campaign.signatures.writer import SubmissionWriter
from campaign.staff.models import ApiToken, Role
from campaign.staff.service import authenticate_token, token_role
from campaign.staff.sessions import ActiveSession, csrf_token_matches, find_session


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


async def _read_only_session(request: Request, primary: SessionDep) -> AsyncIterator[AsyncSession]:
    if request.app.state.settings.is_sqlite:
        # One file with one writer: a second transaction would queue behind the
        # request's own, and there is no replica to read.
        yield primary
        return
    async with read_only(request.app.state.read_session_factory) as session:
        yield session


# For routes that only read, at length or from the rollups (exports, staff figures): the
# read replica's session when CAMPAIGN_READ_DATABASE_URL is set, the primary's if not;
# read-only either way on PostgreSQL (SQLite's reads share the request's session). A
# route that also writes (authentication notes a token's use) does that through
# SessionDep, its own transaction on the primary.
ReadSessionDep = Annotated[AsyncSession, Depends(_read_only_session, scope="function")]


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
        if not (await token_role(session, token)).allows(role):
            raise Forbidden(f"this action needs the {role.value} role")
        return token

    # Marks the dependency so a test can prove every staff route carries one.
    authenticate_staff.staff_role = role  # type: ignore[attr-defined]
    return authenticate_staff


Viewer = Annotated[ApiToken, Depends(requires_role(Role.VIEWER))]
Editor = Annotated[ApiToken, Depends(requires_role(Role.EDITOR))]
Admin = Annotated[ApiToken, Depends(requires_role(Role.ADMIN))]

STAFF_SESSION_COOKIE = "campaign_staff"
STAFF_LOGIN_PATH = "/staff/login"


def requires_staff_login(role: Role) -> Callable[..., Awaitable[ActiveSession]]:
    """The dashboard's counterpart of requires_role: a session cookie instead of a bearer
    token. The JSON API does not accept the cookie, so a browser's ambient credentials
    never reach it and only the dashboard's forms need CSRF tokens."""

    async def authenticate_staff_session(request: Request, session: SessionDep) -> ActiveSession:
        secret = request.cookies.get(STAFF_SESSION_COOKIE)
        active = await find_session(session, secret) if secret else None
        if active is None:
            # A page, not an API: send the browser to the login form, and back afterwards.
            target = STAFF_LOGIN_PATH
            if request.method == "GET":
                target += "?" + urlencode({"next": request.url.path})
            raise HTTPException(status.HTTP_303_SEE_OTHER, headers={"Location": target})
        if not Role(active.user.role).allows(role):
            raise Forbidden(f"this page needs the {role.value} role")
        return active

    authenticate_staff_session.staff_role = role  # type: ignore[attr-defined]
    return authenticate_staff_session


StaffLogin = Annotated[ActiveSession, Depends(requires_staff_login(Role.VIEWER))]
AdminLogin = Annotated[ActiveSession, Depends(requires_staff_login(Role.ADMIN))]


def requires_staff_form(role: Role) -> Callable[..., Awaitable[ActiveSession]]:
    """A dashboard form that changes something: a logged-in user with the role, and the
    session's CSRF token in the form, so another site cannot submit it with our cookie."""
    login = requires_staff_login(role)

    # A default rather than Annotated: the annotation is a string (future import) that
    # FastAPI resolves in the module's globals, where the local `login` is not.
    async def form_with_valid_csrf(
        request: Request, active: ActiveSession = Depends(login)
    ) -> ActiveSession:
        form = await request.form()  # parsed once; the route reads the same cached form
        submitted = form.get("csrf_token")
        if not csrf_token_matches(active, submitted if isinstance(submitted, str) else None):
            raise Forbidden("the form has expired; reload the page and send it again")
        return active

    return form_with_valid_csrf


StaffForm = Annotated[ActiveSession, Depends(requires_staff_form(Role.VIEWER))]
EditorForm = Annotated[ActiveSession, Depends(requires_staff_form(Role.EDITOR))]
AdminForm = Annotated[ActiveSession, Depends(requires_staff_form(Role.ADMIN))]


async def client_ip(request: Request) -> str | None:
    # Behind a proxy, uvicorn's --forwarded-allow-ips puts the real client here.
    return request.client.host if request.client else None


ClientIp = Annotated[str | None, Depends(client_ip)]


async def client_user_agent(request: Request) -> str | None:
    return request.headers.get("user-agent")


UserAgent = Annotated[str | None, Depends(client_user_agent)]


async def _signing_limits(request: Request) -> SigningLimits:
    # Only handed over, never counted here: FastAPI runs dependencies before it checks
    # the body, and a request refused for its input must not count against anyone.
    limits: SigningLimits = request.app.state.signing_limits
    return limits


SigningLimitsDep = Annotated[SigningLimits, Depends(_signing_limits)]


async def _submission_writer(request: Request) -> SubmissionWriter:
    writer: SubmissionWriter = request.app.state.submission_writer
    return writer


SubmissionWriterDep = Annotated[SubmissionWriter, Depends(_submission_writer)]


async def _staff_campaign(slug: SlugPath, session: SessionDep, _staff: Viewer) -> Campaign:
    # Authenticates first, so nobody can probe which draft slugs exist.
    return await get_campaign(session, slug)


async def _public_campaign(slug: SlugPath, session: SessionDep) -> Campaign:
    return await get_public_campaign(session, slug)


async def _campaign_to_sign(slug: SlugPath, request: Request) -> SignableCampaign:
    cache: SignableCampaignCache = request.app.state.signable_campaigns
    return await cache.get_or_load(request.app.state.session_factory, slug)


StaffCampaign = Annotated[Campaign, Depends(_staff_campaign)]
PublicCampaign = Annotated[Campaign, Depends(_public_campaign)]
CampaignToSign = Annotated[SignableCampaign, Depends(_campaign_to_sign)]


async def release_extractor() -> Extractor:
    """What reads calls to action in releases: the rule extractor, loaded once per
    process. A dependency, so another backend behind the interface can stand in."""
    return default_extractor()


ReleaseExtractor = Annotated[Extractor, Depends(release_extractor)]


def public_counts(request: Request) -> SignatureCountCache:
    """The per-process cache of public signature counts, made on first use: the API and
    the pages read a campaign's count the same way, and cheaply under load."""
    cache: SignatureCountCache | None = getattr(request.app.state, "signature_counts", None)
    if cache is None:
        ttl = request.app.state.settings.public_count_cache_seconds
        cache = request.app.state.signature_counts = SignatureCountCache(ttl)
    return cache


PublicCounts = Annotated[SignatureCountCache, Depends(public_counts)]
