"""Registering endpoints, replaying, and the worker's delivery step.

A delivery is one POST of up to BATCH_SIZE feed events, as a JSON array of OSDI
resources keyed by their type (`{"osdi:signature": {...}}`), as Action Network sends
them. It is signed: `X-Campaign-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of
"<time>.<body>" under the endpoint's secret>`, and carries an `Idempotency-Key` that
names the batch. Only a 2xx moves the endpoint's cursor; anything else is retried
with backoff (30 s doubling to an hour, with jitter), the same batch again."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import random
import secrets
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.config import Settings
from campaign.db import transaction, utcnow
from campaign.donations.models import Donation
from campaign.errors import InvalidInput, NotFound
from campaign.letters.models import Letter
from campaign.letters.queries import officials_of_letters
from campaign.osdi import resources
from campaign.osdi.resources import Links, osdi_amount
from campaign.osdi.service import subscription_statuses
from campaign.people.models import Person
from campaign.signatures.models import Signature
from campaign.webhooks.models import FeedEvent, FeedKind, WebhookEndpoint

logger = logging.getLogger(__name__)

BATCH_SIZE = 100
REQUEST_TIMEOUT_SECONDS = 10.0
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(hours=1)
SIGNATURE_HEADER = "X-Campaign-Signature"
FEED_RETENTION = timedelta(days=30)
# Batches one worker pass delivers at most, over all endpoints, before it turns to email.
MAX_BATCHES_PER_PASS = 20


async def forget_old_feed(session: AsyncSession) -> None:
    """The feed is kept FEED_RETENTION: a replay reaches back that far, no further."""
    await session.execute(delete(FeedEvent).where(FeedEvent.created_at < utcnow() - FEED_RETENTION))


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, *, tolerance_seconds: int = 300) -> bool:
    """What a receiver does: recompute the HMAC over the timestamp and the body, compare
    in constant time, and refuse an old timestamp (a replayed request)."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - timestamp) > tolerance_seconds:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), header)


def check_url(url: str, settings: Settings) -> str:
    """HTTPS only; plain HTTP to this machine outside production (a local receiver)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname and settings.environment != "production":
        try:
            loopback = ipaddress.ip_address(parts.hostname).is_loopback
        except ValueError:
            loopback = parts.hostname == "localhost"
        if loopback:
            return url
    raise InvalidInput("a webhook endpoint must be an https:// URL", field="url")


async def register_endpoint(
    session: AsyncSession, settings: Settings, url: str, *, created_by: int | None
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint, reading the feed from now on; returns it and its secret."""
    secret = "whsec_" + secrets.token_urlsafe(32)
    latest = await session.scalar(select(FeedEvent.id).order_by(FeedEvent.id.desc()).limit(1))
    endpoint = WebhookEndpoint(
        url=check_url(url, settings),
        secret=secret,
        cursor=latest or 0,
        created_by=created_by,
    )
    session.add(endpoint)
    await session.flush()
    return endpoint, secret


async def list_endpoints(session: AsyncSession) -> list[WebhookEndpoint]:
    return list(await session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)))


async def get_endpoint(session: AsyncSession, endpoint_id: int) -> WebhookEndpoint:
    endpoint = await session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFound("no such webhook endpoint", field="endpoint_id")
    return endpoint


async def deactivate_endpoint(session: AsyncSession, endpoint_id: int) -> WebhookEndpoint:
    endpoint = await get_endpoint(session, endpoint_id)
    endpoint.active = False
    return endpoint


async def replay(session: AsyncSession, endpoint_id: int, after_event: int) -> WebhookEndpoint:
    """Deliver again everything after feed event `after_event` (0: all that is kept)."""
    endpoint = await get_endpoint(session, endpoint_id)
    endpoint.cursor = after_event
    endpoint.batch_end = None
    endpoint.attempts = 0
    endpoint.next_attempt_at = utcnow()
    endpoint.active = True
    return endpoint


async def deliver_due(
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    client: httpx.AsyncClient,
) -> int:
    """One delivery to each endpoint that is due, one endpoint at a time; returns how
    many batches were acknowledged. An endpoint is held for a claim lease while its
    batch is delivered; a worker that dies holding it hands it on when that runs out."""
    delivered = 0
    for _ in range(MAX_BATCHES_PER_PASS):
        claimed = await claim_endpoint(session_factory, settings)
        if claimed is None:
            break
        if await _deliver(session_factory, settings, client, claimed):
            delivered += 1
    return delivered


async def claim_endpoint(
    session_factory: async_sessionmaker[AsyncSession], settings: Settings
) -> WebhookEndpoint | None:
    """Lease the next due endpoint with something to send and fix its batch (unless one
    is still unacknowledged, which is sent again as it was); None if there is none. An
    endpoint with nothing new is looked at again a second later, not on every pass."""
    now = utcnow()
    due = (
        select(WebhookEndpoint)
        .where(
            WebhookEndpoint.active.is_(True),
            WebhookEndpoint.next_attempt_at <= now,
            (WebhookEndpoint.leased_until.is_(None)) | (WebhookEndpoint.leased_until < now),
        )
        .order_by(WebhookEndpoint.next_attempt_at, WebhookEndpoint.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    async with transaction(session_factory) as session:
        while (endpoint := await session.scalar(due)) is not None:
            if endpoint.batch_end is None:
                endpoint.batch_end = await _batch_end(session, settings, endpoint, now)
            if endpoint.batch_end is None:
                endpoint.next_attempt_at = now + timedelta(seconds=1)
                await session.flush()
                continue
            endpoint.leased_until = now + timedelta(seconds=settings.worker_claim_lease_seconds)
            await session.flush()
            session.expunge(endpoint)
            return endpoint
    return None


async def _batch_end(
    session: AsyncSession, settings: Settings, endpoint: WebhookEndpoint, now: datetime
) -> int | None:
    """The last feed event of the endpoint's next batch; None if nothing has settled."""
    settled = now - timedelta(seconds=settings.webhook_settle_seconds)
    ids = list(
        await session.scalars(
            select(FeedEvent.id)
            .where(FeedEvent.id > endpoint.cursor, FeedEvent.created_at < settled)
            .order_by(FeedEvent.id)
            .limit(BATCH_SIZE)
        )
    )
    return ids[-1] if ids else None


async def _deliver(
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    client: httpx.AsyncClient,
    endpoint: WebhookEndpoint,
) -> bool:
    assert endpoint.batch_end is not None
    async with session_factory() as session:
        events = list(
            await session.scalars(
                select(FeedEvent)
                .where(FeedEvent.id > endpoint.cursor, FeedEvent.id <= endpoint.batch_end)
                .order_by(FeedEvent.id)
            )
        )
        items = await _osdi_items(session, settings, events)
    body = json.dumps(items, separators=(",", ":")).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(endpoint.secret, timestamp, body),
        "Idempotency-Key": f"campaign-webhook-{endpoint.id}-{endpoint.cursor}-{endpoint.batch_end}",
        "User-Agent": "campaign-webhooks",
    }
    error: str | None = None
    try:
        answer = await client.post(
            endpoint.url, content=body, headers=headers, timeout=REQUEST_TIMEOUT_SECONDS
        )
        if not 200 <= answer.status_code < 300:
            error = f"the endpoint answered {answer.status_code}"
    except httpx.HTTPError as failure:
        error = f"the request failed: {type(failure).__name__}"
    async with transaction(session_factory) as session:
        values: dict[str, Any] = {"leased_until": None}
        if error is None:
            values |= {
                "cursor": endpoint.batch_end,
                "batch_end": None,
                "attempts": 0,
                "last_error": None,
                "last_delivered_at": utcnow(),
                "next_attempt_at": utcnow(),
            }
        else:
            values |= {
                "attempts": endpoint.attempts + 1,
                "last_error": error,
                "next_attempt_at": utcnow() + _backoff(endpoint.attempts + 1),
            }
            logger.warning("webhook %d: %s; retrying later", endpoint.id, error)
        # Only if no one replayed it meanwhile (a replay clears batch_end).
        await session.execute(
            update(WebhookEndpoint)
            .where(
                WebhookEndpoint.id == endpoint.id,
                WebhookEndpoint.batch_end == endpoint.batch_end,
                WebhookEndpoint.cursor == endpoint.cursor,
            )
            .values(**values)
        )
    return error is None


def _backoff(attempts: int) -> timedelta:
    delay = min(FIRST_RETRY * 2 ** (attempts - 1), MAX_RETRY)
    return delay * (0.5 + random.random())  # noqa: S311 (jitter, not a secret)


async def _osdi_items(
    session: AsyncSession, settings: Settings, events: Sequence[FeedEvent]
) -> list[dict[str, Any]]:
    """Each event's resource as it is now (one item per resource, at its latest event);
    a resource since deleted is left out."""
    links = Links(settings.public_url.rstrip("/") + "/osdi/v1")
    latest = {(e.kind, e.resource_id): e.id for e in events}
    wanted: dict[str, list[int]] = {}
    for kind, resource_id in latest:
        wanted.setdefault(kind, []).append(resource_id)
    built: dict[tuple[str, int], dict[str, Any]] = {}
    for kind, ids in wanted.items():
        for resource_id, item in (await _build(session, links, kind, ids)).items():
            built[(kind, resource_id)] = item
    ordered = sorted(latest.items(), key=lambda pair: pair[1])
    return [built[key] for key, _ in ordered if key in built]


async def _build(
    session: AsyncSession, links: Links, kind: str, ids: list[int]
) -> dict[int, dict[str, Any]]:
    if kind == FeedKind.SIGNATURE:
        rows = await session.scalars(select(Signature).where(Signature.id.in_(ids)))
        return {r.id: {"osdi:signature": resources.signature(links, r)} for r in rows}
    if kind == FeedKind.OUTREACH:
        letters = list(await session.scalars(select(Letter).where(Letter.id.in_(ids))))
        officials = await officials_of_letters(session, [letter.id for letter in letters])
        return {
            letter.id: {"osdi:outreach": resources.outreach(links, letter, officials[letter.id])}
            for letter in letters
        }
    if kind == FeedKind.DONATION:
        donations = await session.scalars(select(Donation).where(Donation.id.in_(ids)))
        return {
            d.id: {"osdi:donation": resources.donation(links, d, amount_text=osdi_amount)}
            for d in donations
        }
    people = list(await session.scalars(select(Person).where(Person.id.in_(ids))))
    statuses = await subscription_statuses(session, people)
    return {
        p.id: {"osdi:person": resources.person(links, p, subscribed=statuses[p.id])} for p in people
    }
