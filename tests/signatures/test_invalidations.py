"""Staff invalidate signatures in bulk by criteria through the staff API: a count, a
confirmation of that count, a job the worker runs in batches, a cancel, a reversal that
leaves alone what staff changed by hand since, the recount and the log."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.config import Settings
from campaign.db import transaction
from campaign.people.models import Person
from campaign.signatures.invalidations import run_invalidations, run_one_batch
from campaign.signatures.models import Signature
from emails.worker import OutboxWorker
from tests.conftest import signer
from tests.metrics.conftest import campaign_id

Factory = async_sessionmaker[AsyncSession]
Publish = Callable[..., Awaitable[dict[str, Any]]]
SLUG = "stop-the-arms-trade"
STAFF = f"/api/v1/staff/campaigns/{SLUG}"
NOW = datetime.now(UTC)
_people = itertools.count(1)


async def add_signature(
    factory: Factory,
    campaign: int,
    *,
    ip: str | None = "192.0.2.1",
    domain: str = "example.org",
    country: str = "GB",
    status: str = "pending",
    at: datetime | None = None,
    user_agent: str | None = None,
) -> int:
    """One signature of a new person, as signing writes it, with the facts a flood
    shares chosen."""
    number = next(_people)
    email = f"signer{number}@{domain}"
    async with transaction(factory) as session:
        person = Person(
            email_normalised=email,
            email=email,
            given_name="Grace",
            family_name="Hopper",
            country=country,
        )
        session.add(person)
        await session.flush()
        signature = Signature(
            campaign_id=campaign,
            person_id=person.id,
            status=status,
            email=email,
            given_name="Grace",
            family_name="Hopper",
            country=country,
            email_updates=False,
            channel="api",
            ip_address=ip,
            user_agent=user_agent,
            created_at=at or NOW - timedelta(minutes=5),
            confirmed_at=(at or NOW) if status == "confirmed" else None,
        )
        session.add(signature)
        await session.flush()
        return signature.id


async def statuses(factory: Factory, ids: list[int]) -> list[str]:
    async with transaction(factory) as session:
        found = dict(
            (
                await session.execute(
                    select(Signature.id, Signature.status).where(Signature.id.in_(ids))
                )
            ).all()
        )
    return [found[i] for i in ids]


async def count(
    client: httpx.AsyncClient, headers: dict[str, str], **criteria: Any
) -> dict[str, Any]:
    answer = await client.post(f"{STAFF}/invalidations/count", json=criteria, headers=headers)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def start(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    reason: str = "A flood from one network",
    **criteria: Any,
) -> dict[str, Any]:
    counted = await count(client, headers, **criteria)
    answer = await client.post(
        f"{STAFF}/invalidations",
        json={
            "criteria": criteria,
            "reason": reason,
            "expected_count": counted["matching"],
            "up_to_signature_id": counted["up_to_signature_id"],
        },
        headers=headers,
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def given(criteria: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in criteria.items() if value is not None}


async def campaign_counts(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, int]:
    """The campaign's counts as staff read them (campaign/metrics)."""
    return dict((await client.get(STAFF, headers=headers)).json()["counts"])


async def run_worker_until(
    factory: Factory,
    settings: Settings,
    client: httpx.AsyncClient,
    headers: dict[str, str],
    job: int,
    state: str,
) -> dict[str, Any]:
    """The real outbox worker's loop, until the job is in `state`."""
    stop = asyncio.Event()
    task = asyncio.create_task(OutboxWorker(factory, settings).run(stop))
    try:
        for _ in range(200):
            view = (await client.get(f"{STAFF}/invalidations/{job}", headers=headers)).json()
            if view["status"] == state:
                return dict(view)
            await asyncio.sleep(0.05)
        raise AssertionError(f"the job never became {state}: {view}")
    finally:
        stop.set()
        await task


@pytest.fixture
async def campaign(publish_petition: Publish, session_factory: Factory) -> int:
    await publish_petition()
    return await campaign_id(session_factory, SLUG)


async def test_criteria_count_the_signatures_they_match(
    client: httpx.AsyncClient, editor: dict[str, str], campaign: int, session_factory: Factory
) -> None:
    f = session_factory
    await add_signature(f, campaign, ip="198.51.100.7", domain="flood.example", user_agent="bot/1")
    await add_signature(f, campaign, ip="198.51.100.7", domain="flood.example", status="confirmed")
    await add_signature(f, campaign, ip="198.51.100.99", domain="flood.example", country="FR")
    await add_signature(f, campaign, ip="198.51.10.7", domain="Other.example")
    await add_signature(f, campaign, ip="2001:db8:1:2::5", at=NOW - timedelta(hours=3))
    await add_signature(f, campaign, ip="2001:db8:1:2:aa::1")
    await add_signature(f, campaign, ip="2001:db8:1:3::1")
    # Already marked by staff: not a job's to take.
    await add_signature(f, campaign, ip="198.51.100.7", status="invalidated")

    assert (await count(client, editor, ip_address="198.51.100.7"))["matching"] == 2
    assert (await count(client, editor, ip_prefix="198.51.100.0/24"))["matching"] == 3
    assert (await count(client, editor, ip_prefix="198.51.100.200/24"))["matching"] == 3
    assert (await count(client, editor, ip_prefix="2001:db8:1:2::/64"))["matching"] == 2
    assert (await count(client, editor, email_domain="@FLOOD.example"))["matching"] == 3
    assert (await count(client, editor, email_domain="other.example"))["matching"] == 1
    assert (await count(client, editor, country="fr"))["matching"] == 1
    assert (await count(client, editor, user_agent="bot/1"))["matching"] == 1
    window = {
        "signed_from": (NOW - timedelta(hours=4)).isoformat(),
        "signed_until": (NOW - timedelta(hours=2)).isoformat(),
    }
    assert (await count(client, editor, **window))["matching"] == 1
    both = await count(client, editor, ip_prefix="198.51.100.0/24", country="GB")
    assert both["matching"] == 2
    assert both["up_to_signature_id"] == 8


@pytest.mark.parametrize(
    ("criteria", "field"),
    [
        ({}, "body"),
        ({"ip_prefix": "198.51.0.0/16"}, "ip_prefix"),
        ({"ip_prefix": "2001:db8::/48"}, "ip_prefix"),
        ({"ip_address": "not-an-address"}, "ip_address"),
        ({"email_domain": "someone@example.org"}, "email_domain"),
        ({"country": "Narnia"}, "country"),
        ({"signed_from": "2026-12-01T10:00:00"}, "signed_from"),
        ({"signed_from": "2026-12-01T10:00:00Z", "signed_until": "2026-12-01T09:00:00Z"}, "body"),
        ({"user": "x"}, "user"),
    ],
)
async def test_bad_criteria_are_refused_naming_the_field(
    client: httpx.AsyncClient,
    editor: dict[str, str],
    campaign: int,
    criteria: dict[str, Any],
    field: str,
) -> None:
    answer = await client.post(f"{STAFF}/invalidations/count", json=criteria, headers=editor)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert field in {error["field"] for error in answer.json()["errors"]}


async def test_a_job_confirms_the_count_it_was_shown(
    client: httpx.AsyncClient, editor: dict[str, str], campaign: int, session_factory: Factory
) -> None:
    await add_signature(session_factory, campaign, ip="198.51.100.7")
    counted = await count(client, editor, ip_address="198.51.100.7")
    assert counted["matching"] == 1
    # Newer signatures are a new job's: the count staff saw still holds.
    await add_signature(session_factory, campaign, ip="198.51.100.7")
    body = {
        "criteria": {"ip_address": "198.51.100.7"},
        "reason": "Flood",
        "expected_count": 2,
        "up_to_signature_id": counted["up_to_signature_id"],
    }
    refused = await client.post(f"{STAFF}/invalidations", json=body, headers=editor)
    assert refused.status_code == 409, refused.text
    assert refused.json()["field"] == "expected_count"
    assert "1 signatures match" in refused.json()["detail"]

    nothing = {**body, "criteria": {"ip_address": "203.0.113.250"}, "expected_count": 0}
    refused = await client.post(f"{STAFF}/invalidations", json=nothing, headers=editor)
    assert refused.status_code == 409
    assert refused.json()["field"] == "criteria"

    started = await client.post(
        f"{STAFF}/invalidations", json={**body, "expected_count": 1}, headers=editor
    )
    assert started.status_code == 201, started.text
    job = started.json()
    assert job["status"] == "running"
    assert job["matched"] == 1
    assert given(job["criteria"]) == {"ip_address": "198.51.100.7"}
    # Nothing has changed yet: the worker does it.
    assert (await campaign_counts(client, editor))["pending"] == 2


async def test_the_worker_runs_the_job_and_the_counts_are_recounted(
    client: httpx.AsyncClient,
    app: Any,
    editor: dict[str, str],
    viewer: dict[str, str],
    publish_petition: Publish,
    session_factory: Factory,
    settings: Settings,
    deliver_emails: Callable[[], Awaitable[list[Any]]],
) -> None:
    await publish_petition()
    transport = httpx.ASGITransport(app=app, client=("198.51.100.23", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://campaign.test") as flood:
        for number in range(3):
            signed = await flood.post(
                f"/api/v1/campaigns/{SLUG}/signatures",
                json=signer(email=f"bot{number}@flood.example"),
            )
            assert signed.status_code in (201, 202), signed.text
    genuine = await client.post(f"/api/v1/campaigns/{SLUG}/signatures", json=signer())
    assert genuine.status_code in (201, 202), genuine.text
    await deliver_emails()
    assert (await campaign_counts(client, editor))["pending"] == 4

    job = await start(client, editor, ip_prefix="198.51.100.0/24")
    assert job["matched"] == 3
    done = await run_worker_until(session_factory, settings, client, viewer, job["id"], "finished")
    assert done["invalidated"] == 3
    assert done["counts_after"] == {"confirmed": 0, "pending": 1, "invalidated": 3}
    counts = await campaign_counts(client, viewer)
    assert (counts["pending"], counts["invalidated"]) == (1, 3)

    log = (await client.get(f"{STAFF}/invalidations", headers=viewer)).json()
    assert [entry["id"] for entry in log] == [job["id"]]
    assert log[0]["reason"] == "A flood from one network"
    assert given(log[0]["criteria"]) == {"ip_prefix": "198.51.100.0/24"}
    changed = (
        await client.get(f"{STAFF}/invalidations/{job['id']}/signatures", headers=viewer)
    ).json()
    assert [item["status_before"] for item in changed["items"]] == ["pending"] * 3
    async with transaction(session_factory) as session:
        marked = (
            await session.execute(
                select(Signature.email, Signature.status, Signature.review_reason).order_by(
                    Signature.id
                )
            )
        ).all()
    assert [(row.status, row.review_reason) for row in marked if "flood" in row.email] == [
        ("invalidated", "A flood from one network")
    ] * 3
    assert [row.status for row in marked if "flood" not in row.email] == ["pending"]


async def test_a_running_job_is_done_in_batches_and_can_be_cancelled(
    client: httpx.AsyncClient, editor: dict[str, str], campaign: int, session_factory: Factory
) -> None:
    ids = [await add_signature(session_factory, campaign, domain="flood.example") for _ in range(5)]
    job = await start(client, editor, email_domain="flood.example")
    async with transaction(session_factory) as session:
        assert await run_one_batch(session, batch_size=2)
    view = (await client.get(f"{STAFF}/invalidations/{job['id']}", headers=editor)).json()
    assert (view["status"], view["invalidated"]) == ("running", 2)

    cancelled = await client.post(f"{STAFF}/invalidations/{job['id']}/cancel", headers=editor)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["counts_after"]["invalidated"] == 2
    assert await run_invalidations(session_factory, batch_size=2) == 0
    assert await statuses(session_factory, ids) == ["invalidated"] * 2 + ["pending"] * 3

    again = await client.post(f"{STAFF}/invalidations/{job['id']}/cancel", headers=editor)
    assert again.status_code == 409
    assert again.json()["field"] == "status"


async def test_reversing_restores_exactly_what_the_job_changed(
    client: httpx.AsyncClient,
    editor: dict[str, str],
    campaign: int,
    session_factory: Factory,
) -> None:
    f = session_factory
    ids = [
        await add_signature(f, campaign, ip="203.0.113.9", status=status)
        for status in ("pending", "confirmed", "fraudulent", "pending", "confirmed")
    ]
    job = await start(client, editor, ip_address="203.0.113.9")
    assert await run_invalidations(f, batch_size=2) == 3
    assert await statuses(f, ids) == ["invalidated"] * 5
    early = await client.post(f"{STAFF}/invalidations/{job['id']}/cancel", headers=editor)
    assert early.status_code == 409  # finished already

    # By hand since: one undone, one marked again with a reason of staff's own.
    undone = await client.delete(f"/api/v1/staff/signatures/{ids[3]}/status", headers=editor)
    assert undone.status_code == 200, undone.text
    remarked = await client.post(
        f"/api/v1/staff/signatures/{ids[4]}/status",
        json={"status": "fraudulent", "reason": "Checked by hand"},
        headers=editor,
    )
    assert remarked.status_code == 200, remarked.text

    reversing = await client.post(f"{STAFF}/invalidations/{job['id']}/reverse", headers=editor)
    assert reversing.status_code == 200, reversing.text
    assert reversing.json()["status"] == "reversing"
    await run_invalidations(f, batch_size=2)
    view = (await client.get(f"{STAFF}/invalidations/{job['id']}", headers=editor)).json()
    assert (view["status"], view["restored"]) == ("reversed", 3)
    assert view["counts_after"] == {"confirmed": 1, "pending": 2, "invalidated": 0}
    assert await statuses(f, ids) == ["pending", "confirmed", "fraudulent", "pending", "fraudulent"]
    changed = (
        await client.get(f"{STAFF}/invalidations/{job['id']}/signatures", headers=editor)
    ).json()
    assert [item["restored"] for item in changed["items"]] == [True, True, True, False, False]
    async with transaction(f) as session:
        kept = await session.get(Signature, ids[4])
    assert kept is not None
    assert (kept.review_reason, kept.status_before_review) == ("Checked by hand", "confirmed")

    twice = await client.post(f"{STAFF}/invalidations/{job['id']}/reverse", headers=editor)
    assert twice.status_code == 409


async def test_viewers_read_but_never_invalidate(
    client: httpx.AsyncClient,
    viewer: dict[str, str],
    editor: dict[str, str],
    campaign: int,
    session_factory: Factory,
) -> None:
    await add_signature(session_factory, campaign, ip="198.51.100.7")
    job = await start(client, editor, ip_address="198.51.100.7")
    for path in (
        "/invalidations",
        f"/invalidations/{job['id']}/cancel",
        f"/invalidations/{job['id']}/reverse",
    ):
        answer = await client.post(
            STAFF + path, json={"ip_address": "198.51.100.7"}, headers=viewer
        )
        assert answer.status_code == 403, path
    assert (await client.get(f"{STAFF}/invalidations", headers=viewer)).status_code == 200
    assert (await client.get(f"{STAFF}/velocity", headers=viewer)).status_code == 200
    missing = await client.get(f"{STAFF}/invalidations/999", headers=viewer)
    assert missing.status_code == 404
