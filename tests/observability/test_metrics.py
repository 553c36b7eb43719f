"""GET /metrics: the Prometheus text, for the networks allowed to scrape it and nobody
else; the series it holds, labelled by route template and never by what a path holds."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import ValidationError

from campaign.config import Settings
from campaign.db import transaction
from campaign.metrics.rollup import update_rollups
from tests.conftest import signer

Publish = Callable[..., Awaitable[dict[str, Any]]]
SLUG = "stop-the-arms-trade"
SIGN = f"/api/v1/campaigns/{SLUG}/signatures"


@pytest.fixture
async def loopback(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client on the same machine: inside the default allowed network."""
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40001))
    async with httpx.AsyncClient(transport=transport, base_url="http://campaign.test") as client:
        yield client


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(client: httpx.AsyncClient) -> Samples:
    answer = await client.get("/metrics")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain; version=")
    samples: Samples = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def labels_of(samples: Samples, name: str) -> list[dict[str, str]]:
    return [dict(labels) for sample, labels in samples if sample == name]


async def test_anyone_outside_the_allowed_networks_gets_the_404_of_an_unknown_address(
    client: httpx.AsyncClient, loopback: httpx.AsyncClient
) -> None:
    unknown = await client.get("/no-such-address")
    refused = await client.get("/metrics")
    assert refused.status_code == unknown.status_code == 404
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json() == unknown.json()
    assert "campaign_" not in refused.text
    # From the allowed network, other methods answer as for any unknown address too.
    posted = await loopback.post("/metrics")
    assert posted.status_code == 404
    assert posted.json() == (await loopback.post("/no-such-address")).json()
    assert (await loopback.get("/metrics")).status_code == 200


async def test_the_allowed_networks_are_the_operators_choice(
    settings: Settings, session_factory: Any
) -> None:
    from api.app import create_app

    allowing = settings.model_copy(update={"metrics_allowed_networks": "203.0.113.0/24, ::1"})
    app = create_app(allowing)
    async with app.router.lifespan_context(app):
        for host, status in (("203.0.113.7", 200), ("127.0.0.1", 404), ("198.51.100.1", 404)):
            transport = httpx.ASGITransport(app=app, client=(host, 40002))
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                assert (await client.get("/metrics")).status_code == status, host
    with pytest.raises(ValidationError, match="not a network"):
        Settings(environment="test", metrics_allowed_networks="10.0.0.0/8,everyone")


async def test_the_series_follow_signing_sending_and_the_rollups(
    client: httpx.AsyncClient,
    loopback: httpx.AsyncClient,
    publish_petition: Publish,
    settle_submissions: Callable[[], Awaitable[None]],
    deliver_emails: Callable[[], Awaitable[list[Any]]],
    session_factory: Any,
) -> None:
    await publish_petition()
    before = await scrape(loopback)
    for address in ("ada@example.org", "grace@example.org"):
        assert (await client.post(SIGN, json=signer(email=address))).status_code == 202
    await client.get("/staff/campaigns/a-draft-slug")  # a dashboard page, under /staff
    await client.get("/confirm/not-a-real-token-at-all-AAAAAAAAAAAAAAAAAAAAAAAAA")

    waiting = await scrape(loopback)
    accepted = "campaign_signatures_accepted_total"
    assert value(waiting, accepted, channel="api") - value(before, accepted, channel="api") == 2
    assert value(waiting, "campaign_signature_submissions_waiting") == 2
    assert value(waiting, "campaign_database_up") == 1

    count = "campaign_http_request_duration_seconds_count"
    route = {"method": "POST", "route": "/api/v1/campaigns/{slug}/signatures", "status": "2xx"}
    assert value(waiting, count, **route) - value(before, count, **route) == 2
    routes = {labels["route"] for labels in labels_of(waiting, count)}
    assert "/staff/campaigns/{slug}" in routes
    assert "/confirm/{token}" in routes
    # Route templates only: nothing a client put in a path becomes a label.
    assert not [r for r in routes if SLUG in r or "a-draft-slug" in r or "AAAA" in r]

    await settle_submissions()
    queued = await scrape(loopback)
    depth = "campaign_outbox_messages"
    assert value(queued, depth, status="pending", kind="signature_confirmation") == 2
    assert value(queued, "campaign_signature_submissions_waiting") == 0
    assert value(queued, "campaign_outbox_oldest_due_age_seconds", lane="first") >= 0
    assert {"lane": "bulk"} in labels_of(queued, "campaign_outbox_oldest_due_age_seconds")

    emails = await deliver_emails()
    assert len(emails) == 2
    sent = await scrape(loopback)
    assert value(sent, depth, status="pending", kind="signature_confirmation") == 0
    assert value(sent, "campaign_outbox_oldest_due_age_seconds", lane="first") == 0
    batches = "campaign_worker_batches_sent_total"
    assert value(sent, batches) - value(before, batches) >= 1
    messages = "campaign_worker_messages_sent_total"
    kind = {"kind": "signature_confirmation"}
    assert value(sent, messages, **kind) - value(before, messages, **kind) == 2

    assert labels_of(sent, "campaign_metrics_rollup_lag_seconds") == []  # no pass yet
    async with transaction(session_factory) as session:
        await update_rollups(session)
    rolled = await scrape(loopback)
    assert 0 < value(rolled, "campaign_metrics_rollup_lag_seconds") < 3600


async def test_a_due_message_that_waits_shows_its_age(
    client: httpx.AsyncClient,
    loopback: httpx.AsyncClient,
    publish_petition: Publish,
    settle_submissions: Callable[[], Awaitable[None]],
    session_factory: Any,
) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from campaign.db import utcnow
    from campaign.outbox.models import OutboxMessage

    await publish_petition()
    await client.post(SIGN, json=signer())
    await settle_submissions()
    async with transaction(session_factory) as session:
        await session.execute(
            update(OutboxMessage).values(available_at=utcnow() - timedelta(minutes=10))
        )
    samples = await scrape(loopback)
    age = value(samples, "campaign_outbox_oldest_due_age_seconds", lane="first")
    assert 600 <= age < 3600
