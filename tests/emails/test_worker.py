"""The outbox worker renders each message, hands it to the backend once, and records
the result; a failing backend leads to retries with backoff, then a visible failure."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.config import Settings
from campaign.db import transaction, utcnow
from campaign.outbox.models import EmailKind, OutboxMessage, OutboxStatus, Priority, Suppression
from campaign.outbox.service import MAX_ATTEMPTS, enqueue_email, mark_sent
from emails.backends import TemporaryFailure
from emails.backends.console import ConsoleBackend
from emails.render import Batch, render_batches, render_message
from emails.worker import SEND_CONCURRENCY, OutboxWorker
from tests.fixtures.emails import read_emails, text_body


async def _enqueue_confirmation(
    factory: async_sessionmaker[AsyncSession], to_name: str = "Ada Lovelace"
) -> None:
    async with transaction(factory) as session:
        await enqueue_email(
            session,
            EmailKind.SIGNATURE_CONFIRMATION,
            to_address="ada@example.org",
            to_name=to_name,
            context={
                "given_name": "Ada",
                "campaign_title": "Save <the> meadows & rivers",
                "campaign_slug": "meadows",
                "token": "tok123",
            },
        )


async def _messages(factory: async_sessionmaker[AsyncSession]) -> list[OutboxMessage]:
    async with factory() as session:
        return list((await session.execute(select(OutboxMessage))).scalars())


class FailingBackend:
    name = "a failing backend"

    def __init__(self) -> None:
        self.calls = 0

    async def send(self, batch: Batch, attempt_id: str) -> dict[int, str]:
        self.calls += 1
        raise TemporaryFailure("provider unreachable")

    async def accepted(self, attempt_id: str, outbox_ids: Sequence[int]) -> dict[int, str] | None:
        return {}


async def test_a_message_is_written_once_and_marked_sent(
    session_factory: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    await _enqueue_confirmation(session_factory)
    worker = OutboxWorker(session_factory, settings)
    assert await worker.send_due_messages() == 1
    assert await worker.send_due_messages() == 0

    [email] = read_emails(settings.email_file_dir)
    assert "http://campaign.test/confirm/tok123" in text_body(email)
    html = email.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]
    assert "Save &lt;the&gt; meadows &amp; rivers" in html
    [message] = await _messages(session_factory)
    assert message.status == OutboxStatus.SENT
    assert message.provider_message_id == f"file:{message.id:08d}.eml"
    assert message.sent_at is not None
    # The link's token is gone from the database once the email is out.
    assert "token" not in message.context
    assert message.context["campaign_title"] == "Save <the> meadows & rivers"


async def test_failures_back_off_then_give_up_visibly(
    session_factory: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    await _enqueue_confirmation(session_factory)
    backend = FailingBackend()
    worker = OutboxWorker(session_factory, settings, backend, jitter=lambda: 0.5)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        await worker.send_due_messages()
        [message] = await _messages(session_factory)
        assert message.attempts == attempt
        assert "provider unreachable" in (message.last_error or "")
        if attempt < MAX_ATTEMPTS:
            assert message.status == OutboxStatus.PENDING
            assert message.available_at > utcnow() + timedelta(seconds=20)
            # Not due yet: a second pass must not retry it early.
            await worker.send_due_messages()
            assert backend.calls == attempt
            async with transaction(session_factory) as session:
                await session.execute(update(OutboxMessage).values(available_at=utcnow()))
    [message] = await _messages(session_factory)
    assert message.status == OutboxStatus.FAILED


async def test_a_message_claimed_by_a_dead_worker_is_retried_after_its_lease(
    session_factory: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    await _enqueue_confirmation(session_factory)
    from campaign.outbox.service import claim_due_messages

    async with transaction(session_factory) as session:
        assert len(await claim_due_messages(session, 10, timedelta(minutes=5))) == 1
    # The worker died here. Another one sees nothing until the lease runs out...
    worker = OutboxWorker(session_factory, settings)
    assert await worker.send_due_messages() == 0
    async with transaction(session_factory) as session:
        await session.execute(update(OutboxMessage).values(available_at=utcnow()))
    # ...then sends it.
    assert await worker.send_due_messages() == 1
    assert len(read_emails(settings.email_file_dir)) == 1


async def test_claims_by_workers_that_died_cost_no_attempts(
    session_factory: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    """Attempts count hand-overs: a message claimed more times than MAX_ATTEMPTS by
    workers killed before they handed it over still goes, counted once."""
    await _enqueue_confirmation(session_factory)
    from campaign.outbox.service import claim_due_messages

    for _ in range(MAX_ATTEMPTS + 2):
        async with transaction(session_factory) as session:
            assert len(await claim_due_messages(session, 10, timedelta(minutes=5))) == 1
            await session.execute(update(OutboxMessage).values(available_at=utcnow()))
    assert await OutboxWorker(session_factory, settings).send_due_messages() == 1
    [message] = await _messages(session_factory)
    assert (message.status, message.attempts) == (OutboxStatus.SENT, 1)


async def test_a_worker_whose_claim_was_taken_over_does_not_send(
    session_factory: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    await _enqueue_confirmation(session_factory)
    from campaign.outbox.service import claim_due_messages, mark_sending, new_attempt_id

    async with transaction(session_factory) as session:
        [slow] = await claim_due_messages(session, 10, timedelta(minutes=5))
        # Its lease runs out while it works; another worker claims the message.
        await session.execute(update(OutboxMessage).values(available_at=utcnow()))
    async with transaction(session_factory) as session:
        [fast] = await claim_due_messages(session, 10, timedelta(minutes=5))
    async with transaction(session_factory) as session:
        assert await mark_sending(session, [slow], new_attempt_id(), timedelta(minutes=5)) == set()
        going = await mark_sending(session, [fast], new_attempt_id(), timedelta(minutes=5))
    assert going == {fast.id}
    [message] = await _messages(session_factory)
    assert (message.status, message.attempts) == (OutboxStatus.SENDING, 1)


async def test_a_message_that_cannot_be_rendered_uses_up_its_attempts(
    session_factory: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    """A failed rendering is never handed over, yet counts: a broken message ends as
    failed instead of coming back for ever."""
    async with transaction(session_factory) as session:
        await enqueue_email(
            session,
            EmailKind.SIGNATURE_CONFIRMATION,
            to_address="ada@example.org",
            to_name="Ada",
            context={"given_name": "Ada"},  # the template needs more than this
        )
    worker = OutboxWorker(session_factory, settings, jitter=lambda: 0.5)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert await worker.send_due_messages() == 0
        [message] = await _messages(session_factory)
        assert message.attempts == attempt
        assert "rendering failed" in (message.last_error or "")
        async with transaction(session_factory) as session:
            await session.execute(update(OutboxMessage).values(available_at=utcnow()))
    assert message.status == OutboxStatus.FAILED
    assert read_emails(settings.email_file_dir) == []


class BulkHoldingBackend:
    """Holds every request for `bulk…` addresses until released; sends the rest."""

    name = "a backend that holds bulk requests"

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.holding = 0
        self.sent: list[str] = []

    async def send(self, batch: Batch, attempt_id: str) -> dict[int, str]:
        if batch.recipients[0].address.startswith("bulk"):
            self.holding += 1
            await self.release.wait()
        self.sent.extend(r.address for r in batch.recipients)
        return {r.outbox_id: f"held:{r.outbox_id}" for r in batch.recipients}

    async def accepted(self, attempt_id: str, outbox_ids: Sequence[int]) -> dict[int, str] | None:
        return {}


async def _until(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    for _ in range(int(seconds / 0.02)):
        if condition():
            return True
        await asyncio.sleep(0.02)
    return condition()


async def test_a_confirmation_goes_while_every_bulk_request_is_held(
    session_factory: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    """Copies of a mailing never take every request slot: with the provider holding all
    their requests, a confirmation arriving then still goes."""
    async with transaction(session_factory) as session:
        for n in range(8):
            await enqueue_email(
                session,
                EmailKind.SIGNATURE_CONFIRMATION,
                to_address=f"bulk{n}@example.org",
                to_name=None,
                # Each its own batch: a title of its own.
                context={"given_name": "B", "campaign_title": f"T{n}", "token": f"t{n}"},
                priority=Priority.BULK,
            )
    settings = settings.model_copy(update={"worker_batch_size": 1, "worker_poll_seconds": 0.01})
    backend = BulkHoldingBackend()
    worker = OutboxWorker(session_factory, settings, backend)
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    try:
        assert await _until(lambda: backend.holding >= SEND_CONCURRENCY - 1)
        await _enqueue_confirmation(session_factory)
        assert await _until(lambda: "ada@example.org" in backend.sent)
        assert backend.holding == SEND_CONCURRENCY - 1
        backend.release.set()
        # Released, the copies all go: none was lost to the wait.
        assert await _until(lambda: len(backend.sent) == 9)
    finally:
        backend.release.set()
        stop.set()
        await running


async def test_a_message_sent_twice_keeps_its_first_sending(
    session_factory: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    """A worker whose lease ran out while it sent may record the sending after another
    worker has: the first record stands (the metrics count `sent_at` once)."""
    await _enqueue_confirmation(session_factory)
    assert await OutboxWorker(session_factory, settings).send_due_messages() == 1
    [first] = await _messages(session_factory)
    async with transaction(session_factory) as session:
        await mark_sent(session, {first.id: "late-worker"})
    [after] = await _messages(session_factory)
    assert (after.sent_at, after.provider_message_id) == (
        first.sent_at,
        first.provider_message_id,
    )


@pytest.mark.parametrize("name", ["Ada\r\nBcc: victim@example.org", "Ada\nLovelace"])
def test_header_injection_is_impossible_in_rendering(settings: Settings, name: str) -> None:
    # The API refuses line breaks in names; rendering makes them spaces on its own.
    message = OutboxMessage(
        id=1,
        kind=EmailKind.ALREADY_SIGNED.value,
        to_address="ada@example.org",
        to_name=name,
        context={"given_name": "Ada", "campaign_title": "T", "campaign_slug": "t"},
    )
    raw = render_message(message, settings).as_bytes()
    headers = raw.split(b"\n\n")[0]
    assert b"\nBcc" not in headers and b"\nLovelace" not in headers
    assert headers.count(b"ada@example.org") == 1


async def test_the_console_backend_prints_the_text(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    message = OutboxMessage(
        id=7,
        kind=EmailKind.ALREADY_SIGNED.value,
        to_address="ada@example.org",
        to_name="Ada Lovelace",
        context={"given_name": "Ada", "campaign_title": "Meadows", "campaign_slug": "m"},
    )
    [batch] = render_batches([message], settings)
    provider_ids = await ConsoleBackend(settings).send(batch, "attempt-1")
    printed = capsys.readouterr().out
    assert provider_ids == {7: "console:7"}
    assert "Ada Lovelace <ada@example.org>" in printed
    assert "You have already signed: Meadows" in printed


def test_every_kind_has_its_templates(settings: Settings) -> None:
    # Every variable any kind uses; each kind takes what it needs.
    context: dict[str, Any] = {
        "given_name": "Ada",
        "campaign_title": "T",
        "campaign_slug": "t",
        "token": "x",
        "view_token": "y",
        "subject": "S",
        "body": "Dear A,\n\nB",
        "officials": ["A, Member"],
        "official_name": "A",
        "amount": "5.00 GBP",
        "monthly": False,
        "staff_name": "Ana",
        "role": "editor",
        "sent_by": "Lin",
        "valid_hours": 72,
        "date": "2026-11-27",
        "reference": "pi_1",
        "day": "2026-11-27",
        "count": 1,
        "personalised": 1,
        "unedited": 0,
        "letters": [
            {
                "name": "N",
                "email": "n@example.org",
                "locality": None,
                "subject": "S",
                "body": "B",
                "personalised": True,
            }
        ],
        "mailing_id": 7,
        "threshold": 10_000,
        "signatures": 10_001,
        "staff_url": "http://campaign.test/staff/campaigns/t/response",
        "asked_about": [
            {"delivery_id": 1, "name": "A", "title": "Member", "delivered_on": "27 November 2026"}
        ],
        "official_title": "Member for Kettle",
        "campaign_target": "All states",
        "petition_url": "http://campaign.test/c/t",
        "organisation": "Campaign",
        "signers": 2,
        "asked_for_names": True,
        "names": ["Ada Lovelace"],
        "weeks": [{"starts": "2026-11-23", "signers": 2, "width": 100}],
    }
    # A mailing's copies get what they share from the mailing (and a petition's
    # response, what the response says of itself).
    mailings = {
        7: {
            "subject": "S",
            "body_text": "B",
            "body_html": "<p>B</p>",
            "campaign_title": "T",
            "target": "A",
            "responded_on": "1 December 2026",
            "link": None,
            "petition_url": "http://campaign.test/c/t",
        }
    }
    for kind in EmailKind:
        message = OutboxMessage(
            id=1, kind=kind.value, to_address="a@example.org", to_name=None, context=context
        )
        rendered = render_message(message, settings, mailings)
        assert rendered["Subject"]


async def test_a_hard_bounced_address_gets_nothing_more(
    session_factory: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    async with transaction(session_factory) as session:
        session.add(Suppression(email_normalised="ada@example.org", reason="hard_bounce"))
    await _enqueue_confirmation(session_factory)
    assert await OutboxWorker(session_factory, settings).send_due_messages() == 0
    assert read_emails(settings.email_file_dir) == []
    [message] = await _messages(session_factory)
    assert message.status == OutboxStatus.FAILED
    assert message.last_error == "suppressed: hard_bounce"


async def test_an_unsubscribed_address_still_gets_its_confirmation(
    session_factory: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    async with transaction(session_factory) as session:
        session.add(Suppression(email_normalised="ada@example.org", reason="unsubscribe"))
    await _enqueue_confirmation(session_factory)
    assert await OutboxWorker(session_factory, settings).send_due_messages() == 1
