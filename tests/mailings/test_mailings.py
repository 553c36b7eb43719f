"""Mailings through the staff API and the real worker: who gets one, a crash while its
recipients are written, cancelling, unsubscribing from it, and transactional mail going
first."""

from __future__ import annotations

import asyncio
import random
import re
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.config import Settings
from campaign.consents.models import ConsentRecord
from campaign.consents.service import current_consent_text
from campaign.db import transaction, utcnow
from campaign.inbox.models import EmailEvent
from campaign.mailings.models import Mailing
from campaign.outbox.models import OutboxMessage, Suppression
from campaign.people.models import Person
from campaign.signatures.models import Signature
from campaign.tags.models import Tag, Tagging
from emails.worker import SEND_CONCURRENCY, OutboxWorker
from tests.conftest import signer
from tests.fixtures.emails import read_emails, text_body

Publish = Callable[..., Awaitable[dict[str, Any]]]
MAILINGS = "/api/v1/staff/campaigns/stop-the-arms-trade/mailings"
UNSUBSCRIBE = re.compile(r"https?://\S+(/unsubscribe/[A-Za-z0-9_\-.]+)")


@dataclass
class Supporter:
    email: str
    status: str | None  # their signature on the campaign, if any
    consents: list[bool] = field(default_factory=list)  # oldest first
    suppression: str | None = None
    tags: list[str] = field(default_factory=list)
    country: str = "GB"
    source: str | None = None


def random_supporters(seed: int, count: int) -> list[Supporter]:
    chance = random.Random(seed)
    return [
        Supporter(
            email=f"person{i}@example.org",
            status=chance.choice(["confirmed", "confirmed", "pending", "fraudulent", None]),
            consents=[chance.random() < 0.6 for _ in range(chance.randint(0, 3))],
            suppression=chance.choice([None, None, None, "unsubscribe", "hard_bounce"]),
            tags=chance.sample(["donor", "volunteer", "press"], chance.randint(0, 2)),
            country=chance.choice(["GB", "FR"]),
            source=chance.choice([None, "newsletter", "twitter"]),
        )
        for i in range(count)
    ]


async def add_supporters(
    factory: async_sessionmaker[AsyncSession], campaign_id: int, supporters: list[Supporter]
) -> None:
    """Straight into the tables: many people with every combination, quickly."""
    now = utcnow()
    async with transaction(factory) as session:
        text = await current_consent_text(session, "en")
        tags = {}
        for name in ["donor", "volunteer", "press"]:
            tag = Tag(name=name, name_normalised=name)
            session.add(tag)
            tags[name] = tag
        await session.flush()
        for s in supporters:
            person = Person(
                email_normalised=s.email,
                email=s.email,
                given_name="Given",
                family_name=s.email.split("@")[0],
                country=s.country,
            )
            session.add(person)
            await session.flush()
            if s.status:
                session.add(
                    Signature(
                        campaign_id=campaign_id,
                        person_id=person.id,
                        status=s.status,
                        email=s.email,
                        given_name="Given",
                        family_name="Name",
                        country=s.country,
                        email_updates=bool(s.consents and s.consents[-1]),
                        channel="form",
                        utm_source=s.source,
                    )
                )
            for granted in s.consents:
                await session.execute(
                    insert(ConsentRecord).values(
                        person_id=person.id,
                        consent_text_id=text.id,
                        granted=granted,
                        language="en",
                        campaign_id=campaign_id,
                        channel="form",
                        created_at=now,
                    )
                )
            if s.suppression:
                session.add(Suppression(email_normalised=s.email, reason=s.suppression))
            for name in s.tags:
                session.add(Tagging(tag_id=tags[name].id, person_id=person.id))


def expected(supporters: list[Supporter], **narrowing: Any) -> set[str]:
    chosen = set()
    for s in supporters:
        if s.status != "confirmed" or not s.consents or not s.consents[-1] or s.suppression:
            continue
        if narrowing.get("tags") and not set(narrowing["tags"]) & set(s.tags):
            continue
        if narrowing.get("country") and s.country != narrowing["country"]:
            continue
        if narrowing.get("source") and s.source != narrowing["source"]:
            continue
        chosen.add(s.email)
    return chosen


def mailing_fields(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "subject": "The minister has answered",
        "body_markdown": "We **won** a hearing.\n\nThank you for signing.",
        "sender_name": "The campaigns team",
    }
    fields.update(overrides)
    return fields


def consenting(count: int) -> list[Supporter]:
    return [Supporter(f"p{i}@example.org", "confirmed", [True]) for i in range(count)]


async def mailing_sent(client: httpx.AsyncClient, headers: dict[str, str], **fields: Any) -> int:
    """A mailing written and sent through the API; its id."""
    created = await client.post(MAILINGS, json=mailing_fields(**fields), headers=headers)
    assert created.status_code == 201, created.text
    mailing_id = int(created.json()["id"])
    sent = await client.post(f"{MAILINGS}/{mailing_id}/send", json={}, headers=headers)
    assert sent.status_code == 202, sent.text
    return mailing_id


async def send_everything(
    factory: async_sessionmaker[AsyncSession], settings: Settings
) -> list[Any]:
    """The worker writes the recipients, then sends until nothing is due."""
    worker = OutboxWorker(factory, settings)
    await worker.enqueue_mailings()
    while await worker.send_due_messages():
        pass
    return read_emails(settings.email_file_dir)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # Small chunks, so that even these few people take several transactions.
    return settings.model_copy(update={"mailing_chunk_size": 7})


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
async def test_a_mailing_reaches_exactly_the_consenting_unsuppressed_signers(
    seed: int,
    client: httpx.AsyncClient,
    editor: dict[str, str],
    publish_petition: Publish,
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    petition = await publish_petition()
    supporters = random_supporters(seed, 60)
    await add_supporters(session_factory, petition["id"], supporters)
    chance = random.Random(seed)
    narrowing: dict[str, Any] = chance.choice(
        [{}, {"tags": ["donor"]}, {"tags": ["donor", "press"]}, {"country": "FR"},
         {"source": "newsletter"}, {"tags": ["volunteer"], "country": "GB"}]
    )  # fmt: skip
    wanted = expected(supporters, **narrowing)

    created = await client.post(MAILINGS, json=mailing_fields(**narrowing), headers=editor)
    assert created.status_code == 201, created.text
    assert created.json()["audience_size"] == len(wanted)
    mailing_id = created.json()["id"]
    sent = await client.post(f"{MAILINGS}/{mailing_id}/send", json={}, headers=editor)
    assert sent.status_code == 202, sent.text

    emails = await send_everything(session_factory, settings)
    addresses = [email["To"].addresses[0].addr_spec for email in emails]
    assert sorted(addresses) == sorted(wanted)  # each once, nobody else
    read = (await client.get(f"{MAILINGS}/{mailing_id}", headers=editor)).json()
    assert read["status"] == "sent"
    assert read["numbers"]["recipients"] == len(wanted)
    assert read["numbers"]["sent"] == len(wanted)
    for email in emails:
        assert email["Subject"] == "The minister has answered"
        assert "**won**" in text_body(email)
        assert "<strong>won</strong>" in email.get_body(preferencelist=("html",)).get_content()
        assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert UNSUBSCRIBE.search(text_body(email))


async def test_a_worker_killed_while_writing_recipients_resumes_without_doubles_or_gaps(
    client: httpx.AsyncClient,
    editor: dict[str, str],
    publish_petition: Publish,
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    """A real worker process is SIGKILLed part of the way through; the next one
    finishes. Every recipient is in the outbox once."""
    if not hasattr(signal, "SIGKILL"):
        pytest.skip("no SIGKILL here")
    from tests.emails.test_faults import worker_process

    petition = await publish_petition()
    supporters = consenting(400)
    await add_supporters(session_factory, petition["id"], supporters)
    mailing_id = await mailing_sent(client, editor)

    # One recipient per transaction, and no sending: the kill lands mid-walk.
    slow = settings.model_copy(
        update={"mailing_chunk_size": 1, "worker_poll_seconds": 0.05, "email_backend": "console"}
    )
    process = worker_process(slow)
    try:
        deadline = time.monotonic() + 60
        while await _written(session_factory, mailing_id) < 40:
            assert time.monotonic() < deadline, "the worker wrote nothing"
            await asyncio.sleep(0.005)
    finally:
        process.kill()
        process.join(timeout=10)
    part = await _written(session_factory, mailing_id)
    assert part < 400, "the worker finished before it was killed"

    await OutboxWorker(session_factory, settings).enqueue_mailings()
    async with session_factory() as session:
        addresses = list(
            await session.scalars(
                select(OutboxMessage.to_address).where(OutboxMessage.mailing_id == mailing_id)
            )
        )
        mailing = await session.get(Mailing, mailing_id)
    assert sorted(addresses) == sorted(s.email for s in supporters)
    assert mailing is not None and mailing.recipients == 400 and mailing.status == "sent"


async def _written(factory: async_sessionmaker[AsyncSession], mailing_id: int) -> int:
    async with factory() as session:
        count = await session.scalar(
            select(func.count()).where(OutboxMessage.mailing_id == mailing_id)
        )
    return int(count or 0)


async def test_cancelling_stops_what_is_not_yet_written_or_sent(
    client: httpx.AsyncClient,
    editor: dict[str, str],
    publish_petition: Publish,
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    petition = await publish_petition()
    supporters = consenting(30)
    await add_supporters(session_factory, petition["id"], supporters)
    mailing_id = await mailing_sent(client, editor)

    # Two chunks written (14 people), none sent; then staff cancel.
    from campaign.mailings.enqueue import enqueue_next_chunk

    for _ in range(2):
        async with transaction(session_factory) as session:
            await enqueue_next_chunk(session, mailing_id, 7)
    cancelled = await client.post(f"{MAILINGS}/{mailing_id}/cancel", headers=editor)
    assert cancelled.status_code == 200, cancelled.text

    assert await send_everything(session_factory, settings) == []
    numbers = (await client.get(f"{MAILINGS}/{mailing_id}", headers=editor)).json()["numbers"]
    assert numbers["recipients"] == 14
    assert numbers["sent"] == 0
    assert numbers["not_sent"] == 14
    again = await client.post(f"{MAILINGS}/{mailing_id}/cancel", headers=editor)
    assert again.status_code == 409


async def test_unsubscribing_from_a_mailing_leaves_the_next_one_out(
    client: httpx.AsyncClient,
    editor: dict[str, str],
    publish_petition: Publish,
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    petition = await publish_petition()
    supporters = consenting(3)
    await add_supporters(session_factory, petition["id"], supporters)
    first = await mailing_sent(client, editor)
    emails = await send_everything(session_factory, settings)
    leaving = next(e for e in emails if e["To"].addresses[0].addr_spec == "p1@example.org")
    match = UNSUBSCRIBE.search(text_body(leaving))
    assert match
    # The one-click POST a mail client makes from List-Unsubscribe.
    one_click = await client.post(match.group(1), data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200

    numbers = (await client.get(f"{MAILINGS}/{first}", headers=editor)).json()["numbers"]
    assert numbers["unsubscribed"] == 1
    # Counted against the copy that had the link, not some other row.
    async with session_factory() as session:
        left_from = await session.scalar(
            select(OutboxMessage.to_address)
            .join(EmailEvent, EmailEvent.outbox_message_id == OutboxMessage.id)
            .where(EmailEvent.event == "unsubscribe")
        )
    assert left_from == "p1@example.org"
    second = await client.post(MAILINGS, json=mailing_fields(subject="Next"), headers=editor)
    assert second.json()["audience_size"] == 2


async def test_confirmations_go_before_a_mailing_already_waiting(
    client: httpx.AsyncClient,
    editor: dict[str, str],
    publish_petition: Publish,
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    petition = await publish_petition()
    supporters = consenting(25)
    await add_supporters(session_factory, petition["id"], supporters)
    await mailing_sent(client, editor)
    small_batches = settings.model_copy(update={"worker_batch_size": 5})
    worker = OutboxWorker(session_factory, small_batches)
    await worker.enqueue_mailings()

    # Signed after the mailing's 25 were queued: goes in the very next batch.
    signed = await client.post(
        "/api/v1/campaigns/stop-the-arms-trade/signatures",
        json=signer(email="new@example.org"),
    )
    assert signed.status_code == 202
    await worker.send_due_messages()
    kinds = {
        email["To"].addresses[0].addr_spec: email for email in read_emails(settings.email_file_dir)
    }
    assert "new@example.org" in kinds
    # The confirmation, and the mailing's copies to fill the pass: a batch of
    # everything else, SEND_CONCURRENCY batches of a mailing.
    assert len(kinds) == 5 * SEND_CONCURRENCY
    await worker.send_due_messages()
    assert len(read_emails(settings.email_file_dir)) == 26  # the rest of the mailing


async def test_a_test_copy_goes_to_the_staff_user_and_counts_nowhere(
    client: httpx.AsyncClient,
    publish_petition: Publish,
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    from campaign.staff.models import Role
    from campaign.staff.schemas import StaffUserCreate
    from campaign.staff.service import create_token
    from campaign.staff.users import create_user

    async with transaction(session_factory) as session:
        user = await create_user(
            session,
            StaffUserCreate(
                email="grace@example.org",
                name="Grace Hopper",
                role=Role.EDITOR,
                password="a long enough password",
            ),
        )
        _token, secret = await create_token(session, name="grace", role=Role.EDITOR, user=user)
    headers = {"Authorization": f"Bearer {secret}"}
    await publish_petition()
    mailing_id = (await client.post(MAILINGS, json=mailing_fields(), headers=headers)).json()["id"]
    tested = await client.post(f"{MAILINGS}/{mailing_id}/test", headers=headers)
    assert tested.status_code == 202, tested.text
    [email] = await send_everything(session_factory, settings)
    assert email["To"].addresses[0].addr_spec == "grace@example.org"
    assert email["Subject"] == "[Test] The minister has answered"
    assert "TEST COPY" in text_body(email)
    read = (await client.get(f"{MAILINGS}/{mailing_id}", headers=headers)).json()
    assert read["status"] == "draft" and read["audience_size"] == 0


async def test_bad_mailings_are_refused_with_the_field_named(
    client: httpx.AsyncClient,
    editor: dict[str, str],
    viewer: dict[str, str],
    publish_petition: Publish,
) -> None:
    await publish_petition()
    unknown_tag = await client.post(MAILINGS, json=mailing_fields(tags=["nope"]), headers=editor)
    assert unknown_tag.status_code == 422
    assert unknown_tag.headers["content-type"].startswith("application/problem+json")
    assert "tags" in unknown_tag.text
    header_injection = await client.post(
        MAILINGS, json=mailing_fields(subject="Hi\r\nBcc: all@example.org"), headers=editor
    )
    assert header_injection.status_code == 422 and "subject" in header_injection.text
    assert (await client.post(MAILINGS, json=mailing_fields(), headers=viewer)).status_code == 403
    mailing_id = await mailing_sent(client, editor)
    edit = await client.put(f"{MAILINGS}/{mailing_id}", json=mailing_fields(), headers=editor)
    assert edit.status_code == 409
    assert (await client.get(f"{MAILINGS}/99999", headers=editor)).status_code == 404
    assert (await client.get(f"{MAILINGS}/{2**64}", headers=editor)).status_code in (404, 422)
