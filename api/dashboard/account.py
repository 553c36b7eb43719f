"""Signing in and out of the dashboard, and its home page: the campaigns with their
numbers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.dashboard.rendering import page
from api.deps import (
    STAFF_LOGIN_PATH,
    STAFF_SESSION_COOKIE,
    SessionDep,
    StaffForm,
    StaffLogin,
)
from campaign.errors import Forbidden
from campaign.i18n import translations
from campaign.metrics.queries import rollups_as_of
from campaign.staff import dashboard
from campaign.staff.sessions import SESSION_LIFETIME, end_session, start_session
from campaign.staff.users import LOCK_OUT_FOR, MAX_FAILED_ATTEMPTS, log_in

router = APIRouter()
# The staff workspace is shown in English; its messages are marked for the `staff` domain.
_ = translations("en", "staff").gettext

HOME = "/staff"
# The one answer to every failed login, so it tells nobody whether an address has an
# account, or whether the account is locked.
LOGIN_REFUSED = _(
    "That email and password did not let you in. After %(attempts)s wrong passwords an "
    "account is locked for %(minutes)s minutes."
) % {"attempts": MAX_FAILED_ATTEMPTS, "minutes": int(LOCK_OUT_FOR.total_seconds() // 60)}


@router.get("/login")
async def login_form(request: Request, next: str = HOME) -> HTMLResponse:
    return page(request, "staff/login.html", next=_safe_next(next))


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
        return page(
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
    return page(request, "staff/home.html", active=active, lines=lines, as_of=as_of)


def _safe_next(target: str) -> str:
    """Only a dashboard path: a login link must not send anyone to another site."""
    if target.startswith("/staff") and not target.startswith("//") and "\\" not in target:
        return target
    return HOME
