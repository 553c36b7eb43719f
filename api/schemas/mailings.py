"""What the mailings API answers: a mailing as staff wrote it, where it has got to,
and its numbers."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from campaign.mailings.models import Mailing
from campaign.mailings.service import MailingNumbers


class MailingView(BaseModel):
    id: int
    subject: str
    body_markdown: str
    body_html: str
    sender_name: str | None
    audience: str
    tags: list[str]
    country: str | None
    source: str | None
    status: str
    send_at: datetime | None
    started_at: datetime | None
    enqueued_at: datetime | None
    cancelled_at: datetime | None
    created_at: datetime
    # Before it goes: how many it would reach now. After: how many it was written to.
    audience_size: int | None = None
    # Pydantic reads the service's dataclass as it is.
    numbers: MailingNumbers | None = None

    @classmethod
    def of(
        cls,
        mailing: Mailing,
        tags: list[str],
        *,
        audience_size: int | None = None,
        numbers: MailingNumbers | None = None,
    ) -> MailingView:
        return cls(
            id=mailing.id,
            subject=mailing.subject,
            body_markdown=mailing.body_markdown,
            body_html=mailing.body_html,
            sender_name=mailing.sender_name,
            audience=mailing.audience,
            tags=tags,
            country=mailing.country,
            source=mailing.source,
            status=mailing.status,
            send_at=mailing.send_at,
            started_at=mailing.started_at,
            enqueued_at=mailing.enqueued_at,
            cancelled_at=mailing.cancelled_at,
            created_at=mailing.created_at,
            audience_size=audience_size,
            numbers=numbers,
        )


class MailingList(BaseModel):
    items: list[MailingView]


class TestSent(BaseModel):
    outbox_id: int
    to: str
