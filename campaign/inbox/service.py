"""Recording SendGrid's delivery events: each event once, the message's delivery status
moved forward only, and addresses that bounced hard, complained or unsubscribed
suppressed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.db import insert_for, utcnow
from campaign.inbox.models import EmailEvent
from campaign.outbox.models import OutboxMessage, ProviderStatus, Suppression, SuppressionReason
from campaign.people.addresses import normalise_email

# The custom argument our SendGrid messages carry; SendGrid returns it as a top-level key.
OUTBOX_ID_ARG = "outbox_id"

_STATUS_OF_EVENT = {
    "processed": ProviderStatus.SENT,
    "deferred": ProviderStatus.DEFERRED,
    "delivered": ProviderStatus.DELIVERED,
    "bounce": ProviderStatus.BOUNCED,
    "dropped": ProviderStatus.DROPPED,
}
# Events arrive out of order: a status only ever moves to a later one.
_EARLIER = {
    ProviderStatus.SENT: [ProviderStatus.QUEUED],
    ProviderStatus.DEFERRED: [ProviderStatus.QUEUED, ProviderStatus.SENT],
    ProviderStatus.DELIVERED: [ProviderStatus.QUEUED, ProviderStatus.SENT, ProviderStatus.DEFERRED],
    ProviderStatus.BOUNCED: [ProviderStatus.QUEUED, ProviderStatus.SENT, ProviderStatus.DEFERRED],
    ProviderStatus.DROPPED: [ProviderStatus.QUEUED, ProviderStatus.SENT, ProviderStatus.DEFERRED],
}


@dataclass(frozen=True)
class EventsRecorded:
    new: int
    repeated: int
    malformed: int


async def record_sendgrid_events(
    session: AsyncSession, events: list[dict[str, Any]]
) -> EventsRecorded:
    new = repeated = malformed = 0
    for event in events:
        if not _well_formed(event):
            malformed += 1
            continue
        message_id = await _message_id(session, event)
        if await _store_once(session, event, message_id):
            new += 1
            await _apply(session, event, message_id)
        else:
            repeated += 1
    return EventsRecorded(new, repeated, malformed)


def _well_formed(event: dict[str, Any]) -> bool:
    return (
        isinstance(event.get("sg_event_id"), str)
        and 0 < len(event["sg_event_id"]) <= 200
        and isinstance(event.get("event"), str)
        and len(event["event"]) <= 40
        and isinstance(event.get("timestamp"), int)
        and 0 <= event["timestamp"] < 2**34
        and isinstance(event.get("email"), str)
        and len(event["email"]) <= 320
    )


async def _store_once(session: AsyncSession, event: dict[str, Any], message_id: int | None) -> bool:
    table = EmailEvent.__table__
    result = await session.execute(
        insert_for(session, table)
        .values(
            provider_event_id=event["sg_event_id"],
            outbox_message_id=message_id,
            event=event["event"],
            occurred_at=datetime.fromtimestamp(event["timestamp"], UTC),
            payload=event,
            received_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["provider_event_id"])
        .returning(table.c.id)
    )
    return result.scalar_one_or_none() is not None


async def _message_id(session: AsyncSession, event: dict[str, Any]) -> int | None:
    raw = event.get(OUTBOX_ID_ARG)
    if not isinstance(raw, str | int) or not str(raw).isdigit() or len(str(raw)) > 18:
        return None
    found = await session.scalar(select(OutboxMessage.id).where(OutboxMessage.id == int(raw)))
    return int(found) if found is not None else None


async def _apply(session: AsyncSession, event: dict[str, Any], message_id: int | None) -> None:
    kind = event["event"]
    status = _STATUS_OF_EVENT.get(kind)
    if status is not None and message_id is not None:
        await session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                OutboxMessage.delivery_status.in_(_EARLIER[status]),
            )
            .values(delivery_status=status)
        )
    reason = _suppression_reason(event)
    if reason is not None:
        await session.execute(
            insert_for(session, Suppression.__table__)
            .values(
                email_normalised=normalise_email(event["email"]), reason=reason, created_at=utcnow()
            )
            .on_conflict_do_nothing(index_elements=["email_normalised", "reason"])
        )


def _suppression_reason(event: dict[str, Any]) -> SuppressionReason | None:
    kind = event["event"]
    if kind == "bounce" and event.get("type", "bounce") == "bounce":
        return SuppressionReason.HARD_BOUNCE  # "blocked" bounces are temporary
    if kind == "spamreport":
        return SuppressionReason.SPAM_REPORT
    if kind in {"unsubscribe", "group_unsubscribe"}:
        return SuppressionReason.UNSUBSCRIBE
    return None
