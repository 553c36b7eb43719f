"""Unsubscribing from an email's link or its one-click header, without login."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import SessionDep, SettingsDep
from api.languages import request_language
from api.pages import render_page
from api.params import TokenPath
from api.problems import error_page
from campaign.errors import NotFound
from campaign.i18n import supported_language
from campaign.outbox.unsubscribe import (
    UnsubscribeLink,
    campaign_language_of,
    link_of,
    unsubscribe,
)

router = APIRouter(tags=["public"])


@router.get("/unsubscribe/{token}", response_class=HTMLResponse, include_in_schema=False)
async def confirm_unsubscribe(
    token: TokenPath, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    """A page with a button: mail scanners follow links, and must not unsubscribe anyone."""
    try:
        link = link_of(token, settings.secret_key.get_secret_value())
    except NotFound as error:  # a forged or damaged link: a page a person can read
        return error_page(request, error.status, error.detail)
    language = await _language(request, session, link)
    return render_page(request, "unsubscribe.html", {"token": token}, language=language)


@router.post("/unsubscribe/{token}")
async def unsubscribe_now(
    token: TokenPath, request: Request, session: SessionDep, settings: SettingsDep
) -> HTMLResponse:
    """The form's button, and RFC 8058 one-click (POST "List-Unsubscribe=One-Click")."""
    link = link_of(token, settings.secret_key.get_secret_value())
    await unsubscribe(session, token, settings.secret_key.get_secret_value())
    language = await _language(request, session, link)
    return render_page(request, "unsubscribed.html", {}, language=language)


async def _language(request: Request, session: AsyncSession, link: UnsubscribeLink) -> str:
    """The language of the campaign whose email held the link, when the link says which
    email that was; else the one the browser asks for."""
    language = await campaign_language_of(session, link)
    return supported_language(language) if language else request_language(request)
