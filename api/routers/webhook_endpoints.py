"""Staff API: outgoing webhook endpoints (admin): register, list, stop, replay."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.deps import Admin, SessionDep, SettingsDep
from api.params import RowIdPath
from campaign.staff.service import token_owner
from campaign.webhooks import service
from campaign.webhooks.models import WebhookEndpoint

router = APIRouter(prefix="/api/v1/staff/webhooks", tags=["staff: webhooks"])


class EndpointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=8, max_length=2000)


class ReplayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    after_event: int = Field(ge=0, le=2**63 - 1, description="Feed event id; 0 for all")


class EndpointView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    url: str
    active: bool
    cursor: int
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    last_delivered_at: datetime | None
    created_at: datetime


class NewEndpointView(EndpointView):
    # Shown once: the receiver verifies our signature with it.
    secret: str


@router.post("", status_code=201)
async def register(
    data: EndpointIn, session: SessionDep, settings: SettingsDep, token: Admin
) -> NewEndpointView:
    owner = await token_owner(session, token)
    endpoint, secret = await service.register_endpoint(
        session, settings, data.url, created_by=owner.id if owner else None
    )
    return NewEndpointView.model_validate({**_fields(endpoint), "secret": secret})


@router.get("")
async def list_endpoints(session: SessionDep, _staff: Admin) -> list[EndpointView]:
    return [EndpointView.model_validate(e) for e in await service.list_endpoints(session)]


@router.post("/{endpoint_id}/stop")
async def stop(endpoint_id: RowIdPath, session: SessionDep, _staff: Admin) -> EndpointView:
    return EndpointView.model_validate(await service.deactivate_endpoint(session, endpoint_id))


@router.post("/{endpoint_id}/replay")
async def replay(
    endpoint_id: RowIdPath, data: ReplayIn, session: SessionDep, _staff: Admin
) -> EndpointView:
    endpoint = await service.replay(session, endpoint_id, data.after_event)
    return EndpointView.model_validate(endpoint)


def _fields(endpoint: WebhookEndpoint) -> dict[str, object]:
    return {name: getattr(endpoint, name) for name in EndpointView.model_fields}
