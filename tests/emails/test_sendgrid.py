"""Sending through the real `sendgrid` client to a fake SendGrid on 127.0.0.1: batching,
personalisation, the provider's failures, test mode, and workers that die or stop."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.config import Settings
from campaign.db import transaction, utcnow
from campaign.outbox.models import EmailKind, OutboxMessage, OutboxStatus
from emails.worker import OutboxWorker
from tests.fakes.sendgrid import API_KEY, FakeSendGrid, rate_limit_headers


@pytest.fixture
def fake_sendgrid(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSendGrid]:
    # urllib would route loopback requests through a proxy configured in the environment.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    fake = FakeSendGrid().start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def sendgrid_settings(settings: Settings, fake_sendgrid: FakeSendGrid) -> Settings:
    return settings.model_copy(
        update={
            "email_backend": "sendgrid",
            "sendgrid_api_key": SecretStr(API_KEY),
            "sendgrid_host": fake_sendgrid.url,
            "sendgrid_timeout_seconds": 10.0,
        }
    )


@pytest.fixture
async def worker(
    session_factory: async_sessionmaker[AsyncSession], sendgrid_settings: Settings
) -> AsyncIterator[OutboxWorker]:
    # Jitter fixed at the middle of its range, so delays are exact.
    yield OutboxWorker(session_factory, sendgrid_settings, jitter=lambda: 0.5)


def confirmation(number: int, **overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "kind": EmailKind.SIGNATURE_CONFIRMATION.value,
        "to_address": f"signer{number}@example.org",
        "to_name": f"Signer {number}",
        "context": {
            "given_name": f"Signer{number}",
            "campaign_title": "Protect the meadows",
            "campaign_slug": "meadows",
            "token": f"token-{number}",
        },
        "status": OutboxStatus.PENDING.value,
        "attempts": 0,
        "created_at": utcnow(),
        "available_at": utcnow(),
    }
    row.update(overrides)
    return row


async def queue(factory: async_sessionmaker[AsyncSession], rows: list[dict[str, Any]]) -> None:
    async with transaction(factory) as session:
        for start in range(0, len(rows), 2000):
            await session.execute(insert(OutboxMessage), rows[start : start + 2000])


async def messages(factory: async_sessionmaker[AsyncSession]) -> list[OutboxMessage]:
    async with factory() as session:
        result = await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return list(result)


async def make_all_due(factory: async_sessionmaker[AsyncSession]) -> None:
    async with transaction(factory) as session:
        await session.execute(update(OutboxMessage).values(available_at=utcnow()))


async def test_one_request_carries_the_batch_each_recipient_with_their_own_values(
    worker: OutboxWorker,
    session_factory: async_sessionmaker[AsyncSession],
    fake_sendgrid: FakeSendGrid,
) -> None:
    hostile = confirmation(
        2, to_name="Bo <b>", context={**confirmation(2)["context"], "given_name": "Bo & <i>Co</i>"}
    )
    await queue(session_factory, [confirmation(1), hostile, confirmation(3)])

    assert await worker.send_due_messages() == 3

    assert fake_sendgrid.request_sizes == [3]
    rows = await messages(session_factory)
    by_id = {d.outbox_id: d for d in fake_sendgrid.deliveries}
    assert sorted(by_id) == sorted(str(row.id) for row in rows)
    for number, row in enumerate(rows, start=1):
        delivery = by_id[str(row.id)]
        assert delivery.to == [{"email": f"signer{number}@example.org", "name": row.to_name}]
        assert delivery.subject == "Please confirm your signature: Protect the meadows"
        assert delivery.categories == ["signature_confirmation"]
        assert f"http://campaign.test/confirm/token-{number}" in delivery.body("text/plain")
        assert f'href="http://campaign.test/confirm/token-{number}"' in delivery.body("text/html")
        assert row.status == OutboxStatus.SENT
        assert row.provider_message_id == delivery.message_id
        assert "token" not in row.context
    second = by_id[str(rows[1].id)]
    # The same value, as typed in the text and escaped in the HTML.
    assert "Dear Bo & <i>Co</i>," in second.body("text/plain")
    assert "Dear Bo &amp; &lt;i&gt;Co&lt;/i&gt;," in second.body("text/html")
    # The stylesheet is inlined: mail clients drop <style> blocks.
    assert "<style" not in second.body("text/html")
    assert 'style="' in second.body("text/html")


async def test_a_request_holds_at_most_1000_recipients(
    session_factory: async_sessionmaker[AsyncSession],
    sendgrid_settings: Settings,
    fake_sendgrid: FakeSendGrid,
) -> None:
    await queue(session_factory, [confirmation(n) for n in range(2001)])
    settings = sendgrid_settings.model_copy(update={"worker_batch_size": 2001})

    assert await OutboxWorker(session_factory, settings).send_due_messages() == 2001

    assert sorted(fake_sendgrid.request_sizes) == [1, 1000, 1000]
    ids = Counter(fake_sendgrid.outbox_ids())
    assert len(ids) == 2001 and set(ids.values()) == {1}


async def test_messages_with_different_shared_values_go_in_different_requests(
    worker: OutboxWorker,
    session_factory: async_sessionmaker[AsyncSession],
    fake_sendgrid: FakeSendGrid,
) -> None:
    other = confirmation(2)
    other["context"] = {**other["context"], "campaign_title": "Free the rivers"}
    already = confirmation(3, kind=EmailKind.ALREADY_SIGNED.value)
    await queue(session_factory, [confirmation(1), other, already, confirmation(4)])

    assert await worker.send_due_messages() == 4

    assert sorted(fake_sendgrid.request_sizes) == [1, 1, 2]
    subjects = sorted(d.subject for d in fake_sendgrid.deliveries)
    assert subjects == [
        "Please confirm your signature: Free the rivers",
        "Please confirm your signature: Protect the meadows",
        "Please confirm your signature: Protect the meadows",
        "You have already signed: Protect the meadows",
    ]


async def test_a_value_that_looks_like_a_tag_is_sent_as_text(
    worker: OutboxWorker,
    session_factory: async_sessionmaker[AsyncSession],
    fake_sendgrid: FakeSendGrid,
) -> None:
    sneaky = confirmation(1)
    sneaky["context"] = {**sneaky["context"], "given_name": "[%confirm_url:text%]"}
    await queue(session_factory, [sneaky, confirmation(2)])

    assert await worker.send_due_messages() == 2

    bodies = {d.to[0]["email"]: d.body() for d in fake_sendgrid.deliveries}
    assert "Dear [%confirm_url:text%]," in bodies["signer1@example.org"]
    assert "Dear Signer2," in bodies["signer2@example.org"]


async def test_a_rate_limit_pauses_the_worker_and_costs_no_attempt(
    worker: OutboxWorker,
    session_factory: async_sessionmaker[AsyncSession],
    fake_sendgrid: FakeSendGrid,
) -> None:
    await queue(session_factory, [confirmation(1)])
    fake_sendgrid.answer_next(429, headers=rate_limit_headers(2))

    assert await worker.send_due_messages() == 0

    [row] = await messages(session_factory)
    assert row.status == OutboxStatus.PENDING
    assert row.attempts == 0
    assert row.available_at > utcnow() + timedelta(seconds=0.5)
    # Paused: even a due message waits until SendGrid's limit resets.
    await make_all_due(session_factory)
    assert await worker.send_due_messages() == 0
    assert fake_sendgrid.requests == 1
    await asyncio.sleep(2.5)
    assert await worker.send_due_messages() == 1
    assert len(fake_sendgrid.deliveries) == 1


@pytest.mark.parametrize("status", [500, 503])
async def test_a_server_error_is_retried_with_backoff(
    worker: OutboxWorker,
    session_factory: async_sessionmaker[AsyncSession],
    fake_sendgrid: FakeSendGrid,
    status: int,
) -> None:
    await queue(session_factory, [confirmation(1), confirmation(2)])
    fake_sendgrid.answer_next(status, times=2)

    before = utcnow()
    assert await worker.send_due_messages() == 0
    rows = await messages(session_factory)
    assert {row.attempts for row in rows} == {1}
    assert all(f"SendGrid {status}" in (row.last_error or "") for row in rows)
    # First retry after 30 s (jitter 0.5 is the middle of 15-45 s).
    assert all(
        timedelta(seconds=29) < row.available_at - before < timedelta(seconds=32) for row in rows
    )

    await make_all_due(session_factory)
    assert await worker.send_due_messages() == 0
    rows = await messages(session_factory)
    assert all(
        timedelta(seconds=59) < row.available_at - utcnow() < timedelta(seconds=61) for row in rows
    ), "the second retry waits twice as long"

    await make_all_due(session_factory)
    assert await worker.send_due_messages() == 2
    assert Counter(fake_sendgrid.outbox_ids()) == Counter(str(row.id) for row in rows)


async def test_a_refusal_that_names_a_recipient_fails_only_that_one(
    worker: OutboxWorker,
    session_factory: async_sessionmaker[AsyncSession],
    fake_sendgrid: FakeSendGrid,
) -> None:
    await queue(
        session_factory,
        [confirmation(1), confirmation(2, to_address="nobody@localhost"), confirmation(3)],
    )

    assert await worker.send_due_messages() == 2

    first, refused, third = await messages(session_factory)
    assert refused.status == OutboxStatus.FAILED
    assert "personalizations.1.to.0.email" in (refused.last_error or "")
    assert first.status == third.status == OutboxStatus.SENT
    assert sorted(fake_sendgrid.outbox_ids()) == sorted([str(first.id), str(third.id)])


async def test_a_refusal_of_the_whole_request_fails_the_batch_visibly(
    session_factory: async_sessionmaker[AsyncSession],
    sendgrid_settings: Settings,
    fake_sendgrid: FakeSendGrid,
) -> None:
    await queue(session_factory, [confirmation(1), confirmation(2)])
    settings = sendgrid_settings.model_copy(update={"email_from_address": "campaigns"})

    assert await OutboxWorker(session_factory, settings).send_due_messages() == 0

    rows = await messages(session_factory)
    assert {row.status for row in rows} == {OutboxStatus.FAILED}
    assert all("from.email" in (row.last_error or "") for row in rows)
    assert fake_sendgrid.deliveries == []


async def test_a_wrong_api_key_fails_with_the_providers_error(
    session_factory: async_sessionmaker[AsyncSession],
    sendgrid_settings: Settings,
    fake_sendgrid: FakeSendGrid,
) -> None:
    await queue(session_factory, [confirmation(1)])
    settings = sendgrid_settings.model_copy(update={"sendgrid_api_key": SecretStr("SG.wrong")})

    await OutboxWorker(session_factory, settings).send_due_messages()

    [row] = await messages(session_factory)
    assert row.status == OutboxStatus.FAILED
    assert "SendGrid 401" in (row.last_error or "")
    assert "SG.wrong" not in (row.last_error or "")


async def test_test_mode_diverts_every_recipient(
    session_factory: async_sessionmaker[AsyncSession],
    sendgrid_settings: Settings,
    fake_sendgrid: FakeSendGrid,
) -> None:
    await queue(session_factory, [confirmation(1), confirmation(2)])
    settings = sendgrid_settings.model_copy(update={"email_divert_to": "qa@example.org"})

    assert await OutboxWorker(session_factory, settings).send_due_messages() == 2

    assert {d.to[0]["email"] for d in fake_sendgrid.deliveries} == {"qa@example.org"}
    assert sorted(d.headers["X-Campaign-Diverted-From"] for d in fake_sendgrid.deliveries) == [
        "signer1@example.org",
        "signer2@example.org",
    ]


async def test_sandbox_mode_is_accepted_and_nothing_is_delivered(
    session_factory: async_sessionmaker[AsyncSession],
    sendgrid_settings: Settings,
    fake_sendgrid: FakeSendGrid,
) -> None:
    await queue(session_factory, [confirmation(1)])
    settings = sendgrid_settings.model_copy(update={"sendgrid_sandbox_mode": True})

    assert await OutboxWorker(session_factory, settings).send_due_messages() == 1

    assert fake_sendgrid.deliveries == []
    [row] = await messages(session_factory)
    assert row.status == OutboxStatus.SENT
    assert row.provider_message_id == "sendgrid:200"


async def test_two_workers_send_10000_messages_each_exactly_once(
    session_factory: async_sessionmaker[AsyncSession],
    sendgrid_settings: Settings,
    fake_sendgrid: FakeSendGrid,
    on_postgres: bool,
) -> None:
    if not on_postgres:
        pytest.skip("parallel workers need PostgreSQL's SKIP LOCKED; SQLite runs one worker")
    await queue(session_factory, [confirmation(n) for n in range(10_000)])
    settings = sendgrid_settings.model_copy(update={"worker_batch_size": 1000})
    workers = [OutboxWorker(session_factory, settings) for _ in range(2)]

    async def drain(worker: OutboxWorker) -> int:
        total = 0
        while sent := await worker.send_due_messages():
            total += sent
        return total

    sent = await asyncio.gather(*(drain(w) for w in workers))

    assert sum(sent) == 10_000 and min(sent) > 0, sent
    received = Counter(fake_sendgrid.outbox_ids())
    assert len(received) == 10_000 and set(received.values()) == {1}
    rows = await messages(session_factory)
    assert {row.status for row in rows} == {OutboxStatus.SENT}
    assert set(received) == {str(row.id) for row in rows}


# -- A worker process that is killed or stopped -----------------------------------------


def _worker_process(settings: Settings, lease_seconds: float) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAMPAIGN_")}
    env["CAMPAIGN_SECRET_KEY"] = os.environ["CAMPAIGN_SECRET_KEY"]  # the suite's (conftest)
    key = settings.sendgrid_api_key
    assert key is not None
    env.update(
        NO_PROXY="127.0.0.1",
        CAMPAIGN_DATABASE_URL=settings.database_url,
        CAMPAIGN_EMAIL_BACKEND="sendgrid",
        CAMPAIGN_SENDGRID_API_KEY=key.get_secret_value(),
        CAMPAIGN_SENDGRID_HOST=settings.sendgrid_host,
        CAMPAIGN_PUBLIC_URL=settings.public_url,
        CAMPAIGN_WORKER_POLL_SECONDS="0.1",
        CAMPAIGN_WORKER_CLAIM_LEASE_SECONDS=str(lease_seconds),
    )
    return subprocess.Popen([sys.executable, "-m", "campaign", "worker"], env=env)


def _wait_for(condition: Any, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


async def test_a_killed_worker_loses_nothing_and_sends_nothing_twice(
    session_factory: async_sessionmaker[AsyncSession],
    sendgrid_settings: Settings,
    fake_sendgrid: FakeSendGrid,
) -> None:
    await queue(session_factory, [confirmation(n) for n in range(50)])
    fake_sendgrid.hold()
    process = _worker_process(sendgrid_settings, lease_seconds=2)
    try:
        # The worker has claimed the batch and its request is at SendGrid, unanswered.
        _wait_for(lambda: fake_sendgrid.waiting == 1, "the worker's request")
        process.kill()
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    fake_sendgrid.release()
    _wait_for(lambda: fake_sendgrid.abandoned == 1, "the abandoned request to be seen")
    assert fake_sendgrid.deliveries == []
    rows = await messages(session_factory)
    assert {row.status for row in rows} == {OutboxStatus.SENDING}
    assert {row.attempts for row in rows} == {1}

    # Another worker (with the same lease, as a deployment's workers have) finds nothing
    # to do until the dead one's claim runs out...
    same_lease = sendgrid_settings.model_copy(update={"worker_claim_lease_seconds": 2})
    second = OutboxWorker(session_factory, same_lease)
    assert await second.send_due_messages() == 0
    await asyncio.sleep(2.2)
    # ...then learns from SendGrid that it never got the request, and finishes the job.
    assert await second.send_due_messages() == 50
    received = Counter(fake_sendgrid.outbox_ids())
    assert len(received) == 50 and set(received.values()) == {1}


async def test_sigterm_lets_the_request_in_flight_finish_and_records_it(
    session_factory: async_sessionmaker[AsyncSession],
    sendgrid_settings: Settings,
    fake_sendgrid: FakeSendGrid,
) -> None:
    await queue(session_factory, [confirmation(n) for n in range(20)])
    fake_sendgrid.hold()
    process = _worker_process(sendgrid_settings, lease_seconds=300)
    try:
        _wait_for(lambda: fake_sendgrid.waiting == 1, "the worker's request")
        process.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        fake_sendgrid.release()
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()

    rows = await messages(session_factory)
    assert {row.status for row in rows} == {OutboxStatus.SENT}
    received = Counter(fake_sendgrid.outbox_ids())
    assert len(received) == 20 and set(received.values()) == {1}
