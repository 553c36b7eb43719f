"""Outgoing webhooks, for admins: register an endpoint (its secret shown once), see how
far each has read the feed and its last error, stop one, replay from a feed event."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.dashboard.rendering import page, refusable, see_other
from api.deps import AdminForm, AdminLogin, SessionDep, SettingsDep
from api.page_forms import FormState, read_form, refused_state
from api.params import RowIdPath
from campaign.errors import InvalidInput
from campaign.i18n import translations
from campaign.staff.sessions import ActiveSession
from campaign.webhooks import service
from campaign.webhooks.models import FeedEvent, WebhookEndpoint

router = APIRouter()
# The staff workspace is shown in English; its messages are marked for the `staff` domain.
_ = translations("en", "staff").gettext

WEBHOOKS = "/staff/webhooks"


@router.get("/webhooks")
async def webhook_list(request: Request, session: SessionDep, active: AdminLogin) -> HTMLResponse:
    return await _webhooks_page(request, session, active)


@router.post("/webhooks")
async def register_webhook(
    request: Request, session: SessionDep, settings: SettingsDep, active: AdminForm
) -> Response:
    """Answered with the page itself, the one place the secret is ever shown."""
    form = await read_form(request)
    values = {"url": form.get("url", "").strip()}
    if not values["url"]:
        state = FormState(values=values, errors={"url": _("Enter the endpoint's address.")})
        return await _webhooks_page(
            request, session, active, form=state, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT
        )
    async with refusable(session) as refused:
        endpoint, secret = await service.register_endpoint(
            session, settings, values["url"][:2000], created_by=active.user.id
        )
    if refused.error:
        return await _webhooks_page(
            request,
            session,
            active,
            form=refused_state(values, refused.error),
            status_code=refused.status_code,
        )
    return await _webhooks_page(
        request, session, active, created=(endpoint, secret), status_code=status.HTTP_201_CREATED
    )


@router.post("/webhooks/{endpoint_id}/stop")
async def stop_webhook(endpoint_id: RowIdPath, session: SessionDep, _active: AdminForm) -> Response:
    await service.deactivate_endpoint(session, endpoint_id)
    return see_other(WEBHOOKS)


@router.post("/webhooks/{endpoint_id}/replay")
async def replay_webhook(
    endpoint_id: RowIdPath, request: Request, session: SessionDep, _active: AdminForm
) -> Response:
    form = await read_form(request)
    raw = form.get("after_event", "0").strip() or "0"
    if not raw.isdigit() or int(raw) >= 2**63:
        raise InvalidInput(
            _("the feed event is a whole number, 0 for everything"), field="after_event"
        )
    await service.replay(session, endpoint_id, int(raw))
    return see_other(WEBHOOKS)


async def _webhooks_page(
    request: Request,
    session: AsyncSession,
    active: ActiveSession,
    *,
    form: FormState | None = None,
    created: tuple[WebhookEndpoint, str] | None = None,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    context: dict[str, Any] = {
        "endpoints": await service.list_endpoints(session),
        "latest_event": await session.scalar(select(func.max(FeedEvent.id))) or 0,
        "form": form or FormState(values={}),
        "created": created[0] if created else None,
        "secret": created[1] if created else None,
        "signature_header": service.SIGNATURE_HEADER,
    }
    return page(request, "staff/webhooks.html", status_code=status_code, active=active, **context)
