"""Faults the worker must survive without losing a message or sending one twice: a
worker process killed with SIGKILL at random points, twenty times over, with the file
backend and with the fake SendGrid; and the database connection lost while a sent batch
is being recorded.

They take some seconds each; CAMPAIGN_TEST_FAULTS=0 skips them."""

from __future__ import annotations

import asyncio
import multiprocessing
import multiprocessing.process
import os
import random
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from pathlib import Path

import asyncpg
import pytest
from pydantic import SecretStr
from sqlalchemy import insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.config import Settings
from campaign.db import create_engine, create_session_factory, transaction
from campaign.outbox.models import EmailKind, OutboxMessage, OutboxStatus
from emails.backends.file import ATTEMPT_HEADER, FileBackend
from emails.render import Batch
from emails.worker import OutboxWorker
from tests.fakes.sendgrid import API_KEY, FakeSendGrid

pytestmark = pytest.mark.skipif(
    os.environ.get("CAMPAIGN_TEST_FAULTS") == "0" or sys.platform == "win32",
    reason="fault tests turned off (CAMPAIGN_TEST_FAULTS=0), or no SIGKILL here",
)

MESSAGES = 300
KILLS = 20
# Short, so a killed worker's batches are looked into again soon after.
LEASE_SECONDS = 1.0


async def queue_confirmations(factory: async_sessionmaker[AsyncSession], count: int) -> None:
    rows = [
        {
            "kind": EmailKind.SIGNATURE_CONFIRMATION.value,
            "to_address": f"signer{n}@example.org",
            "to_name": f"Signer {n}",
            "context": {
                "given_name": f"Signer{n}",
                "campaign_title": "Meadows",
                "campaign_slug": "meadows",
                "token": f"token-{n}",
            },
            "status": OutboxStatus.PENDING.value,
            "attempts": 0,
        }
        for n in range(count)
    ]
    async with transaction(factory) as session:
        await session.execute(insert(OutboxMessage), rows)


async def statuses(factory: async_sessionmaker[AsyncSession]) -> Counter[str]:
    async with factory() as session:
        return Counter((await session.scalars(select(OutboxMessage.status))).all())


def worker_process(settings: Settings) -> multiprocessing.process.BaseProcess:
    """A worker process, as `campaign worker` runs it, forked from this one so that it
    starts in milliseconds (a fresh `campaign worker` spends seconds importing)."""
    process = multiprocessing.get_context("fork").Process(
        target=_run_worker, args=(settings,), daemon=True
    )
    process.start()
    return process


def _run_worker(settings: Settings) -> None:
    async def run() -> None:
        engine = create_engine(settings)
        await OutboxWorker(create_session_factory(engine), settings).run(asyncio.Event())

    asyncio.run(run())


def kill_at_random_points(
    settings: Settings, handed_over: Callable[[], int], kills: int, seed: int
) -> None:
    """Start a worker, wait until it hands something over (or a little while, once all
    is handed over), then SIGKILL it a random moment later; `kills` times."""
    chance = random.Random(seed)
    for _ in range(kills):
        before = handed_over()
        process = worker_process(settings)
        try:
            deadline = time.monotonic() + 0.5
            while handed_over() == before and time.monotonic() < deadline:
                time.sleep(0.002)
            time.sleep(chance.uniform(0.0, 0.1))
        finally:
            process.kill()  # SIGKILL
            process.join(timeout=10)


async def finish_with_a_clean_worker(
    factory: async_sessionmaker[AsyncSession], settings: Settings, seconds: float = 30
) -> None:
    worker = OutboxWorker(factory, settings)
    deadline = time.monotonic() + seconds
    while (await statuses(factory))[OutboxStatus.SENT] < MESSAGES:
        assert time.monotonic() < deadline, await statuses(factory)
        if await worker.send_due_messages() == 0:
            await asyncio.sleep(0.1)  # a killed worker's lease has yet to run out


def deliveries_in(folder: Path) -> dict[str, set[str]]:
    """Outbox id → the attempts in which its email was written."""
    attempts: dict[str, set[str]] = defaultdict(set)
    for path in folder.glob("*.eml"):
        email = message_from_bytes(path.read_bytes(), policy=policy.default)
        attempts[str(email["X-Campaign-Outbox-Id"])].add(str(email[ATTEMPT_HEADER]))
    return attempts


def duplicates(attempts: dict[str, set[str]]) -> int:
    return sum(len(seen) - 1 for seen in attempts.values())


async def test_twenty_kills_with_the_file_backend_lose_nothing_and_send_nothing_twice(
    session_factory: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    settings = settings.model_copy(
        update={"worker_batch_size": 25, "worker_claim_lease_seconds": LEASE_SECONDS}
    )
    await queue_confirmations(session_factory, MESSAGES)
    folder = settings.email_file_dir

    await asyncio.to_thread(
        kill_at_random_points,
        settings,
        lambda: len(list(folder.glob("*.eml"))) if folder.exists() else 0,
        KILLS,
        seed=1,
    )
    await finish_with_a_clean_worker(session_factory, settings)

    written = deliveries_in(folder)
    async with session_factory() as session:
        ids = {str(i) for i in (await session.scalars(select(OutboxMessage.id))).all()}
    assert set(written) == ids  # every message delivered
    assert duplicates(written) == 0
    assert await statuses(session_factory) == {OutboxStatus.SENT: MESSAGES}


@pytest.fixture
def fake_sendgrid(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSendGrid]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    fake = FakeSendGrid(keep_content=False).start()
    try:
        yield fake
    finally:
        fake.stop()


async def test_twenty_kills_with_sendgrid_lose_nothing_and_send_nothing_twice(
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    fake_sendgrid: FakeSendGrid,
) -> None:
    settings = settings.model_copy(
        update={
            "email_backend": "sendgrid",
            "sendgrid_api_key": SecretStr(API_KEY),
            "sendgrid_host": fake_sendgrid.url,
            "worker_batch_size": 25,
            "worker_claim_lease_seconds": LEASE_SECONDS,
        }
    )
    await queue_confirmations(session_factory, MESSAGES)

    await asyncio.to_thread(
        kill_at_random_points, settings, lambda: len(fake_sendgrid.deliveries), KILLS, seed=2
    )
    await finish_with_a_clean_worker(session_factory, settings)

    attempts: dict[str, set[str]] = defaultdict(set)
    for outbox_id, attempt in fake_sendgrid.attempts():
        attempts[str(outbox_id)].add(str(attempt))
    assert len(attempts) == MESSAGES
    assert duplicates(attempts) == 0
    assert await statuses(session_factory) == {OutboxStatus.SENT: MESSAGES}


class DatabaseGoesAwayAfterTheHandOver(FileBackend):
    """The real file backend; once a batch is written, every connection to the test
    database is cut for a while (pg_terminate_backend), as a database restart would."""

    def __init__(self, settings: Settings, outage_seconds: float) -> None:
        super().__init__(settings.email_file_dir, settings)
        url = make_url(settings.database_url).set(drivername="postgresql")
        self.dsn = url.render_as_string(hide_password=False)
        self.outage_seconds = outage_seconds
        self.cut = 0
        self.outages: list[threading.Thread] = []

    async def send(self, batch: Batch, attempt_id: str) -> dict[int, str]:
        written = await super().send(batch, attempt_id)
        # The worker records the batch while the outage goes on.
        outage = threading.Thread(target=self._cut_connections_for_a_while)
        outage.start()
        self.outages.append(outage)
        await asyncio.sleep(0.02)
        return written

    def _cut_connections_for_a_while(self) -> None:
        asyncio.run(self._cut())

    async def _cut(self) -> None:
        connection = await asyncpg.connect(self.dsn)
        try:
            deadline = time.monotonic() + self.outage_seconds
            while time.monotonic() < deadline:
                self.cut += await connection.fetchval(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
                await asyncio.sleep(0.01)
        finally:
            await connection.close()


async def test_a_lost_database_connection_while_recording_sent_is_retried(
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    on_postgres: bool,
) -> None:
    if not on_postgres:
        pytest.skip("cuts connections with PostgreSQL's pg_terminate_backend")
    await queue_confirmations(session_factory, MESSAGES)
    async with session_factory() as session:  # every pooled connection has been used once
        await session.execute(select(1))
    backend = DatabaseGoesAwayAfterTheHandOver(settings, outage_seconds=0.3)
    worker = OutboxWorker(session_factory, settings, backend)

    # Each batch's recording starts while the connections are being cut, and gets
    # through once they are not.
    sent = 0
    while sent < MESSAGES:
        handed_over = await worker.send_due_messages()
        assert handed_over > 0
        sent += handed_over

    for outage in backend.outages:
        outage.join()
    assert backend.cut > 0
    # The last outage goes on after the last batch was recorded, and may have cut
    # connections resting in the pool (as a restart would); the check reads with new ones.
    await session_factory.kw["bind"].dispose()
    written = deliveries_in(settings.email_file_dir)
    assert len(written) == MESSAGES and duplicates(written) == 0
    assert await statuses(session_factory) == {OutboxStatus.SENT: MESSAGES}
