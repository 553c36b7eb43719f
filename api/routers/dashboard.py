"""The staff dashboard: server-rendered pages behind a password login and a session
cookie. Campaigns with their numbers and charts, releases with their calls to action."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from api.charts import bar_chart, column_chart
from api.deps import (
    STAFF_LOGIN_PATH,
    STAFF_SESSION_COOKIE,
    EditorForm,
    ReleaseExtractor,
    RowIdPath,
    SessionDep,
    StaffForm,
    StaffLogin,
    public_counts,
)
from api.page_forms import read_form
from api.pages import templates
from api.staff_forms import call_selection_from_form, draft_request_from_form, error_text
from campaign.campaigns import service as campaigns
from campaign.campaigns.models import Campaign, CampaignState
from campaign.errors import CampaignError, Forbidden
from campaign.extraction.models import Strength
from campaign.letters import service as letters
from campaign.metrics.queries import rollups_as_of
from campaign.releases import service as releases
from campaign.releases.models import CallToActionRecord, Release
from campaign.staff import dashboard
from campaign.staff.models import Role
from campaign.staff.sessions import SESSION_LIFETIME, ActiveSession, end_session, start_session
from campaign.staff.users import LOCK_OUT_FOR, MAX_FAILED_ATTEMPTS, log_in

router = APIRouter(prefix="/staff", include_in_schema=False)

HOME = "/staff"
# The one answer to every failed login, so it tells nobody whether an address has an
# account, or whether the account is locked.
LOGIN_REFUSED = (
    "That email and password did not let you in. "
    f"After {MAX_FAILED_ATTEMPTS} wrong passwords an account is locked for "
    f"{int(LOCK_OUT_FOR.total_seconds() // 60)} minutes."
)


@router.get("/login")
async def login_form(request: Request, next: str = HOME) -> HTMLResponse:
    return _page(request, "staff/login.html", next=_safe_next(next))


@router.post("/login")
async def login(
    request: Request,
    session: SessionDep,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form(max_length=500)] = HOME,
) -> Response:
    if not _same_origin(request):
        raise Forbidden("sign in from this site's own login page", field="Origin")
    user = await log_in(session, email, password)
    if user is None:
        return _page(
            request,
            "staff/login.html",
            status_code=status.HTTP_401_UNAUTHORIZED,
            next=_safe_next(next),
            email=email,
            error=LOGIN_REFUSED,
        )
    _row, secret = await start_session(session, user, user_agent=request.headers.get("user-agent"))
    response = RedirectResponse(_safe_next(next), status_code=status.HTTP_303_SEE_OTHER)
    response.set_cookie(
        STAFF_SESSION_COOKIE,
        secret,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        # The scheme is https behind a trusted proxy too: uvicorn takes it from
        # X-Forwarded-Proto when the proxy is in CAMPAIGN_FORWARDED_ALLOW_IPS.
        secure=request.url.scheme == "https",
    )
    return response


def _same_origin(request: Request) -> bool:
    """A login posted from another site would sign this browser in to an account that
    site chose (login CSRF). Browsers say where a post comes from: Sec-Fetch-Site, and
    Origin (which is "null" under our no-referrer policy, so only a named other origin
    counts against it)."""
    if request.headers.get("sec-fetch-site") in ("cross-site", "same-site"):
        return False
    origin = request.headers.get("origin")
    if origin in (None, "null"):
        return True
    return origin == f"{request.url.scheme}://{request.url.netloc}"


@router.post("/logout")
async def logout(request: Request, session: SessionDep, active: StaffForm) -> Response:
    await end_session(session, active)
    response = RedirectResponse(STAFF_LOGIN_PATH, status_code=status.HTTP_303_SEE_OTHER)
    response.delete_cookie(
        STAFF_SESSION_COOKIE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


@router.get("")
async def home(request: Request, session: SessionDep, active: StaffLogin) -> HTMLResponse:
    lines = await dashboard.campaigns_with_counts(session)
    as_of = await rollups_as_of(session)
    return _page(request, "staff/home.html", active=active, lines=lines, as_of=as_of)


@router.get("/releases")
async def release_list(request: Request, session: SessionDep, active: StaffLogin) -> HTMLResponse:
    found = await releases.list_releases(session, limit=200, offset=0)
    return _page(request, "staff/releases.html", active=active, releases=found)


@router.get("/releases/{release_id}")
async def release_page(
    release_id: RowIdPath, request: Request, session: SessionDep, active: StaffLogin
) -> HTMLResponse:
    release = await releases.get_release(session, release_id)
    return await _release_page(request, session, active, release)


@router.post("/releases/{release_id}/calls")
async def add_call(
    release_id: RowIdPath,
    request: Request,
    session: SessionDep,
    active: EditorForm,
    extractor: ReleaseExtractor,
) -> Response:
    release = await releases.get_release(session, release_id)
    form = await read_form(request)
    try:
        data = call_selection_from_form(form)
        call = await releases.add_call(session, release, data, extractor)
    except CampaignError as error:
        return await _release_page(request, session, active, release, error=error, form=form)
    return _back_to_release(release.id, f"call-{call.id}")


@router.post("/releases/{release_id}/drafts")
async def draft_campaign(
    release_id: RowIdPath, request: Request, session: SessionDep, active: EditorForm
) -> Response:
    """A draft petition or letter from the ticked calls; staff review it on its page and
    publish it there."""
    release = await releases.get_release(session, release_id)
    try:
        data = draft_request_from_form(await request.form())
        drafted = await releases.draft_campaign(session, release, data)
    except CampaignError as error:
        return await _release_page(request, session, active, release, error=error)
    return RedirectResponse(
        f"/staff/campaigns/{drafted.campaign.slug}", status_code=status.HTTP_303_SEE_OTHER
    )


@router.post("/calls/{call_id}/reject")
async def reject_call(
    call_id: RowIdPath, request: Request, session: SessionDep, active: EditorForm
) -> Response:
    call = await releases.get_call(session, call_id)
    return await _review_call(request, session, active, call, releases.reject_call, "reviewed")


@router.post("/calls/{call_id}/promote")
async def promote_call(
    call_id: RowIdPath, request: Request, session: SessionDep, active: EditorForm
) -> Response:
    call = await releases.get_call(session, call_id)
    return await _review_call(
        request, session, active, call, releases.promote_call, f"call-{call.id}"
    )


async def _review_call(
    request: Request,
    session: SessionDep,
    active: ActiveSession,
    call: CallToActionRecord,
    review: Callable[[AsyncSession, CallToActionRecord], Awaitable[CallToActionRecord]],
    anchor: str,
) -> Response:
    """Back to the release where the call now stands, or its page with why not."""
    try:
        await review(session, call)
    except CampaignError as error:
        release = await releases.get_release(session, call.release_id)
        return await _release_page(request, session, active, release, error=error)
    return _back_to_release(call.release_id, anchor)


async def _release_page(
    request: Request,
    session: SessionDep,
    active: ActiveSession,
    release: Release,
    *,
    error: CampaignError | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    calls = await releases.calls_of(session, release.id)
    return _page(
        request,
        "staff/release.html",
        status_code=error.status if error else status.HTTP_200_OK,
        active=active,
        release=release,
        calls=calls,
        review=dashboard.release_review(release.text, calls),
        may_edit=Role(active.user.role).allows(Role.EDITOR),
        strengths=list(Strength),
        error=error_text(error) if error else None,
        error_field=error.field if error else None,
        form=form or {},
    )


def _back_to_release(release_id: int, anchor: str) -> RedirectResponse:
    return RedirectResponse(
        f"/staff/releases/{release_id}#{anchor}", status_code=status.HTTP_303_SEE_OTHER
    )


@router.get("/campaigns/{slug}")
async def campaign_page(
    slug: str, request: Request, session: SessionDep, active: StaffLogin
) -> HTMLResponse:
    campaign = await campaigns.get_campaign(session, slug)
    return await _campaign_page(request, session, active, campaign)


@router.post("/campaigns/{slug}/publish")
async def publish(slug: str, request: Request, session: SessionDep, active: EditorForm) -> Response:
    campaign = await campaigns.get_campaign(session, slug)
    try:
        await letters.ensure_ready_to_publish(session, campaign)
        await campaigns.publish_campaign(session, campaign)
    except CampaignError as error:
        return await _campaign_page(request, session, active, campaign, error=error)
    return _back_to(campaign)


@router.post("/campaigns/{slug}/close")
async def close(slug: str, request: Request, session: SessionDep, active: EditorForm) -> Response:
    campaign = await campaigns.get_campaign(session, slug)
    try:
        await campaigns.close_campaign(session, campaign)
    except CampaignError as error:
        return await _campaign_page(request, session, active, campaign, error=error)
    return _back_to(campaign)


async def _campaign_page(
    request: Request,
    session: SessionDep,
    active: ActiveSession,
    campaign: Campaign,
    *,
    error: CampaignError | None = None,
) -> HTMLResponse:
    per_day = await dashboard.signatures_per_day(session, campaign.id)
    countries = await dashboard.signatures_by_country(session, campaign.id)
    funnel = await dashboard.signing_funnel(session, campaign.id)
    state = CampaignState(campaign.state)
    return _page(
        request,
        "staff/campaign.html",
        status_code=error.status if error else status.HTTP_200_OK,
        active=active,
        campaign=campaign,
        # The public count: exact within its cache's second or two, and cheap.
        counts=await public_counts(request).get(session, campaign.id),
        as_of=await rollups_as_of(session),
        funnel=funnel,
        error=error.detail if error else None,
        may_edit=Role(active.user.role).allows(Role.EDITOR),
        may_publish=state == CampaignState.DRAFT,
        may_close=state != CampaignState.CLOSED,
        per_day_chart=column_chart(
            [(day.isoformat(), count) for day, count in per_day], title="Signatures per day"
        ),
        country_chart=bar_chart(countries, title="Signatures by country"),
        funnel_chart=bar_chart(
            [
                ("Page views", funnel.page_views),
                ("Signatures", funnel.signatures),
                ("Confirmations", funnel.confirmations),
                ("Donations", funnel.donations),
            ],
            title="From page view to donation",
        ),
    )


def _page(
    request: Request, name: str, *, status_code: int = status.HTTP_200_OK, **context: Any
) -> HTMLResponse:
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    # Staff pages hold personal data and CSRF tokens: never kept by a browser or proxy.
    response.headers["Cache-Control"] = "no-store"
    return response


def _back_to(campaign: Campaign) -> RedirectResponse:
    return RedirectResponse(
        f"/staff/campaigns/{campaign.slug}", status_code=status.HTTP_303_SEE_OTHER
    )


def _safe_next(target: str) -> str:
    """Only a dashboard path: a login link must not send anyone to another site."""
    if target.startswith("/staff") and not target.startswith("//") and "\\" not in target:
        return target
    return HOME
