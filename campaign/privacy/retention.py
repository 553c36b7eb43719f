"""Forgetting what is kept only for a while: client IP addresses and user agents some
days after the action, a letter's text some days after it was delivered (never before).
The worker runs it in bounded batches, each its own transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from campaign.config import Settings
from campaign.db import transaction
from campaign.letters.models import Letter, LetterDelivery, LetterDigest, LetterStatus
from campaign.outbox.models import EmailKind, OutboxMessage, OutboxStatus
from campaign.privacy.models import DataRightsLink
from campaign.signatures.models import Signature

# What a letter's text says once its retention period is over.
REMOVED = "(removed after the retention period)"
REMOVED_CONTENT: dict[str, Any] = {"removed": "after the retention period"}
BATCH_SIZE = 1000


@dataclass
class Scrubbed:
    ip_addresses: int = 0
    user_agents: int = 0
    letter_bodies: int = 0


def _cutoff(now: datetime, days: int) -> datetime | None:
    return now - timedelta(days=days) if days > 0 else None


async def scrub_expired_data(
    factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    now: datetime,
    batch_size: int = BATCH_SIZE,
) -> Scrubbed:
    """Everything past its retention period at `now`, a batch per transaction."""
    done = Scrubbed()
    ips = _cutoff(now, settings.retain_ip_addresses_days)
    agents = _cutoff(now, settings.retain_user_agents_days)
    bodies = _cutoff(now, settings.retain_letter_bodies_days)
    if ips is not None:
        for model in (Signature, Letter):
            done.ip_addresses += await _in_batches(
                factory, lambda s, m=model: _clear(s, m, "ip_address", ips, batch_size)
            )
    if agents is not None:
        done.user_agents += await _in_batches(
            factory, lambda s: _clear(s, Signature, "user_agent", agents, batch_size)
        )
    if bodies is not None:
        done.letter_bodies += await _in_batches(
            factory, lambda s: _remove_letter_bodies(s, bodies, batch_size)
        )
    async with transaction(factory) as session:
        # A link that has expired holds an address for nothing.
        await session.execute(delete(DataRightsLink).where(DataRightsLink.expires_at <= now))
    return done


async def _in_batches(factory: async_sessionmaker[AsyncSession], batch: Any) -> int:
    total = 0
    while True:
        async with transaction(factory) as session:
            changed, full = await batch(session)
        total += changed
        if not full:
            return total


async def _clear(
    session: AsyncSession, model: Any, column: str, before: datetime, size: int
) -> tuple[int, bool]:
    field = getattr(model, column)
    ids = list(
        await session.scalars(
            select(model.id)
            .where(field.is_not(None), model.created_at < before)
            .order_by(model.id)
            .limit(size)
        )
    )
    if ids:
        await session.execute(
            update(model).where(model.id.in_(ids)).values({column: None}),
            execution_options={"synchronize_session": False},
        )
    return len(ids), len(ids) == size


async def _remove_letter_bodies(
    session: AsyncSession, before: datetime, size: int
) -> tuple[int, bool]:
    """Letters every one of whose emails to officials was sent before `before`."""
    alone = aliased(OutboxMessage)
    bundled = aliased(OutboxMessage)
    delivered_at = func.coalesce(alone.sent_at, bundled.sent_at)
    not_delivered_in_time = (
        select(LetterDelivery.id)
        .outerjoin(alone, alone.id == LetterDelivery.outbox_message_id)
        .outerjoin(LetterDigest, LetterDigest.id == LetterDelivery.digest_id)
        .outerjoin(bundled, bundled.id == LetterDigest.outbox_message_id)
        .where(
            LetterDelivery.letter_id == Letter.id,
            or_(delivered_at.is_(None), delivered_at >= before),
        )
        .exists()
    )
    has_deliveries = select(LetterDelivery.id).where(LetterDelivery.letter_id == Letter.id).exists()
    letters = (
        await session.execute(
            select(Letter.id, Letter.campaign_id, Letter.email)
            .where(
                Letter.status == LetterStatus.CONFIRMED,
                Letter.body != REMOVED,
                has_deliveries,
                ~not_delivered_in_time,
            )
            .order_by(Letter.id)
            .limit(size)
        )
    ).all()
    if not letters:
        return 0, False
    letter_ids = [row.id for row in letters]
    await session.execute(
        update(Letter).where(Letter.id.in_(letter_ids)).values(body=REMOVED),
        execution_options={"synchronize_session": False},
    )
    await session.execute(
        update(LetterDelivery).where(LetterDelivery.letter_id.in_(letter_ids)).values(body=REMOVED),
        execution_options={"synchronize_session": False},
    )
    # The same text in the emails that carried it: to the officials (alone or in a
    # digest, all of whose letters went at once) and the writer's own copy.
    direct = select(LetterDelivery.outbox_message_id).where(
        LetterDelivery.letter_id.in_(letter_ids), LetterDelivery.outbox_message_id.is_not(None)
    )
    digests = (
        select(LetterDigest.outbox_message_id)
        .join(LetterDelivery, LetterDelivery.digest_id == LetterDigest.id)
        .where(LetterDelivery.letter_id.in_(letter_ids))
    )
    copies = await session.scalars(
        select(OutboxMessage.id).where(
            OutboxMessage.kind == EmailKind.LETTER_COPY,
            OutboxMessage.status == OutboxStatus.SENT,
            OutboxMessage.sent_at < before,
            or_(
                *(
                    and_(
                        OutboxMessage.campaign_id == row.campaign_id,
                        OutboxMessage.to_address == row.email,
                    )
                    for row in letters
                )
            ),
        )
    )
    await session.execute(
        update(OutboxMessage)
        .where(
            or_(
                OutboxMessage.id.in_(direct),
                OutboxMessage.id.in_(digests),
                OutboxMessage.id.in_(list(copies)),
            )
        )
        .values(context=REMOVED_CONTENT),
        execution_options={"synchronize_session": False},
    )
    return len(letters), len(letters) == size
