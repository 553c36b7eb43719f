"""How outbox messages and their delivery events look to staff. The template context is
not shown: it may hold a confirmation token until the message is sent."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class EventView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    event: str
    occurred_at: datetime


class MessageView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    to_address: str
    campaign_id: int | None
    status: str
    delivery_status: str
    attempts: int
    created_at: datetime
    sent_at: datetime | None
    provider_message_id: str | None
    last_error: str | None


class MessageWithEvents(MessageView):
    events: list[EventView]
