"""Staff API: the emails the product sent or will send, their delivery, and retries."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import Editor, SessionDep, Viewer
from api.params import OffsetQuery, RowIdPath, RowIdQuery
from api.schemas.messages import EventView, MessageView, MessageWithEvents
from campaign.inbox.queries import events_of
from campaign.outbox import service
from campaign.outbox.models import EmailKind, OutboxStatus

router = APIRouter(prefix="/api/v1/staff/messages", tags=["staff: messages"])


@router.get("")
async def list_messages(
    session: SessionDep,
    _staff: Viewer,
    campaign_id: RowIdQuery = None,
    kind: EmailKind | None = None,
    status: OutboxStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: OffsetQuery = 0,
) -> list[MessageView]:
    messages = await service.list_messages(
        session, campaign_id=campaign_id, kind=kind, status=status, limit=limit, offset=offset
    )
    return [MessageView.model_validate(m) for m in messages]


@router.get("/{message_id}")
async def read_message(
    message_id: RowIdPath, session: SessionDep, _staff: Viewer
) -> MessageWithEvents:
    message = await service.get_message(session, message_id)
    events = [EventView.model_validate(e) for e in await events_of(session, message.id)]
    return MessageWithEvents(**MessageView.model_validate(message).model_dump(), events=events)


@router.post("/{message_id}/retry")
async def retry_message(message_id: RowIdPath, session: SessionDep, _staff: Editor) -> MessageView:
    message = await service.get_message(session, message_id)
    return MessageView.model_validate(await service.retry_message(session, message))
