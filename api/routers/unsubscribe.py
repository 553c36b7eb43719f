"""Unsubscribing from an email's link or its one-click header, without login."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.deps import SessionDep, SettingsDep
from api.pages import templates
from api.params import TokenPath
from campaign.outbox.unsubscribe import address_of, unsubscribe

router = APIRouter(tags=["public"])


@router.get("/unsubscribe/{token}", response_class=HTMLResponse, include_in_schema=False)
async def confirm_unsubscribe(
    token: TokenPath, request: Request, settings: SettingsDep
) -> HTMLResponse:
    """A page with a button: mail scanners follow links, and must not unsubscribe anyone."""
    address_of(token, settings.secret_key.get_secret_value())  # 404 for a forged link
    return templates.TemplateResponse(request, "unsubscribe.html", {"token": token})


@router.post("/unsubscribe/{token}")
async def unsubscribe_now(
    token: TokenPath, request: Request, session: SessionDep, settings: SettingsDep
) -> HTMLResponse:
    """The form's button, and RFC 8058 one-click (POST "List-Unsubscribe=One-Click")."""
    await unsubscribe(session, token, settings.secret_key.get_secret_value())
    return templates.TemplateResponse(request, "unsubscribed.html", {})
