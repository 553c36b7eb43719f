"""A signing request writes one submission row, the same whoever signs; the worker
resolves it later (new, repeat pending, repeat confirmed, held) and deletes it. The
public count only moves on confirmation."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.db import transaction
from campaign.outbox.models import OutboxMessage
from campaign.signatures import submissions
from campaign.signatures.models import Signature, SignatureSubmission
from campaign.signatures.submissions import resolve_submissions
from tests.conftest import signer
from tests.fixtures.emails import confirmation_path

Publish = Callable[..., Awaitable[dict[str, Any]]]
Deliver = Callable[[], Awaitable[list[Any]]]
Settle = Callable[[], Awaitable[None]]
Factory = async_sessionmaker[AsyncSession]
SLUG = "stop-the-arms-trade"
SIGN = f"/api/v1/campaigns/{SLUG}/signatures"
PUBLIC = f"/api/v1/campaigns/{SLUG}"
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) " + "x" * 400


async def _submissions(factory: Factory) -> list[SignatureSubmission]:
    async with factory() as session:
        query = select(SignatureSubmission).order_by(SignatureSubmission.id)
        return list(await session.scalars(query))


async def _signatures(factory: Factory) -> list[Signature]:
    async with factory() as session:
        return list(await session.scalars(select(Signature).order_by(Signature.id)))


async def _count(factory: Factory, model: Any) -> int:
    async with factory() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _pending_and_confirmed_addresses(client: httpx.AsyncClient, deliver: Deliver) -> None:
    await client.post(SIGN, json=signer(email="pending@example.org"))
    await client.post(SIGN, json=signer(email="confirmed@example.org"))
    emails = await deliver()
    [to_confirm] = [e for e in emails if "confirmed@" in str(e["To"])]
    assert (await client.get(confirmation_path(to_confirm))).status_code == 200


async def test_the_submission_is_the_same_for_new_pending_and_confirmed_addresses(
    client: httpx.AsyncClient, publish_petition: Publish, deliver_emails: Deliver, factory: Factory
) -> None:
    await publish_petition()
    await _pending_and_confirmed_addresses(client, deliver_emails)
    assert await _submissions(factory) == []
    outbox_before = await _count(factory, OutboxMessage)
    signatures_before = await _count(factory, Signature)

    headers = {"User-Agent": USER_AGENT}
    for address in ("new@example.org", "pending@example.org", "confirmed@example.org"):
        answer = await client.post(SIGN, json=signer(email=address), headers=headers)
        assert answer.status_code == 202

    rows = await _submissions(factory)
    assert [row.email for row in rows] == [
        "new@example.org",
        "pending@example.org",
        "confirmed@example.org",
    ]
    # The request wrote the submission and nothing else, whoever the address belongs to.
    assert await _count(factory, OutboxMessage) == outbox_before
    assert await _count(factory, Signature) == signatures_before
    # What differs by person, and by request (its time and its id).
    personal = {"id", "email", "email_normalised", "created_at", "available_at", "request_id"}
    columns = [column.key for column in SignatureSubmission.__table__.columns]
    filled = [{c for c in columns if getattr(row, c) is not None} for row in rows]
    assert filled[0] == filled[1] == filled[2]
    rest = [{c: getattr(row, c) for c in columns if c not in personal} for row in rows]
    assert rest[0] == rest[1] == rest[2]
    assert rest[0]["over_rate_limit"] is False
    assert rest[0]["honeypot_filled"] is False
    assert rest[0]["user_agent"] == USER_AGENT[:300]


async def test_the_worker_resolves_each_kind_and_deletes_the_submissions(
    client: httpx.AsyncClient, publish_petition: Publish, deliver_emails: Deliver, factory: Factory
) -> None:
    await publish_petition()
    await _pending_and_confirmed_addresses(client, deliver_emails)
    sent_before = len(await deliver_emails())
    for address in ("new@example.org", "pending@example.org", "confirmed@example.org"):
        await client.post(SIGN, json=signer(email=address), headers={"User-Agent": USER_AGENT})
    emails = (await deliver_emails())[sent_before:]

    assert await _submissions(factory) == []  # personal data does not outlive its use
    by_address = {email["To"].addresses[0].addr_spec: email for email in emails}
    assert set(by_address) == {"new@example.org", "pending@example.org", "confirmed@example.org"}
    assert "confirm your signature" in by_address["new@example.org"]["Subject"]
    assert "confirm your signature" in by_address["pending@example.org"]["Subject"]
    assert "already signed" in by_address["confirmed@example.org"]["Subject"]
    # The fresh link for the pending signature works.
    assert (await client.get(confirmation_path(by_address["pending@example.org"]))).status_code == (
        200
    )
    statuses = {s.email: (s.status, s.user_agent) for s in await _signatures(factory)}
    assert statuses["new@example.org"] == ("pending", USER_AGENT[:300])
    assert statuses["pending@example.org"][0] == "confirmed"


async def test_a_repeat_within_the_cap_only(
    client: httpx.AsyncClient, publish_petition: Publish, deliver_emails: Deliver, factory: Factory
) -> None:
    await publish_petition()
    await client.post(SIGN, json=signer())
    await deliver_emails()
    for _ in range(10):
        await client.post(SIGN, json=signer())
        await deliver_emails()  # each in its own pass: the cap holds across passes
    assert await _count(factory, OutboxMessage) == 5  # max_emails_per_signature
    assert await _submissions(factory) == []


async def test_a_filled_honeypot_is_answered_as_usual_and_held_without_email(
    client: httpx.AsyncClient, publish_petition: Publish, deliver_emails: Deliver, factory: Factory
) -> None:
    await publish_petition()
    page = await client.get(f"/c/{SLUG}")
    token = page.text.split('name="form_token" value="', 1)[1].split('"', 1)[0]
    assert 'name="website"' in page.text and 'aria-hidden="true"' in page.text
    form = {
        "form_token": token,
        "given_name": "Ada",
        "family_name": "Lovelace",
        "email": "ada@example.org",
        "country": "GB",
        "postcode": "N1 9GU",
        "email_updates": "yes",
    }
    person = await client.post(f"/c/{SLUG}/sign", data=form)
    bot = await client.post(
        f"/c/{SLUG}/sign", data=form | {"email": "bot@example.org", "website": "http://spam"}
    )
    assert (person.status_code, person.headers["location"]) == (
        bot.status_code,
        bot.headers["location"],
    )
    assert [(s.email, s.honeypot_filled) for s in await _submissions(factory)] == [
        ("ada@example.org", False),
        ("bot@example.org", True),
    ]
    emails = await deliver_emails()
    assert [e["To"].addresses[0].addr_spec for e in emails] == ["ada@example.org"]
    statuses = {s.email: (s.status, s.emails_sent) for s in await _signatures(factory)}
    assert statuses == {"ada@example.org": ("pending", 1), "bot@example.org": ("fraudulent", 0)}


async def test_the_json_api_has_no_honeypot(
    client: httpx.AsyncClient, publish_petition: Publish
) -> None:
    await publish_petition()
    answer = await client.post(SIGN, json=signer(website="http://spam"))
    assert answer.status_code == 422
    assert answer.json()["field"] == "website"


async def test_a_signature_accepted_while_open_counts_after_the_close(
    client: httpx.AsyncClient,
    publish_petition: Publish,
    deliver_emails: Deliver,
    factory: Factory,
    editor: dict[str, str],
) -> None:
    await publish_petition()
    assert (await client.post(SIGN, json=signer())).status_code == 202
    await client.post(f"/api/v1/staff/campaigns/{SLUG}/close", headers=editor)
    [email] = await deliver_emails()
    assert "confirm your signature" in email["Subject"]
    [signature] = await _signatures(factory)
    assert signature.status == "pending"
    staff = await client.get(f"/api/v1/staff/campaigns/{SLUG}", headers=editor)
    assert staff.json()["counts"]["pending"] == 1


async def test_the_public_count_moves_on_confirmation_only(
    client: httpx.AsyncClient, publish_petition: Publish, deliver_emails: Deliver
) -> None:
    await publish_petition()
    await client.post(SIGN, json=signer(email="first@example.org"))
    [first] = await deliver_emails()
    assert (await client.get(confirmation_path(first))).status_code == 200
    assert (await client.get(PUBLIC)).json()["counts"] == {"confirmed": 1}

    await client.post(SIGN, json=signer(email="second@example.org"))
    [_, second] = await deliver_emails()
    assert (await client.get(PUBLIC)).json()["counts"] == {"confirmed": 1}
    page = await client.get(f"/c/{SLUG}")
    assert "<strong data-count>1</strong>" in page.text
    assert (await client.get(confirmation_path(second))).status_code == 200
    assert (await client.get(PUBLIC)).json()["counts"] == {"confirmed": 2}


@pytest.fixture
async def failing_resolution(factory: Factory, on_postgres: bool) -> AsyncIterator[None]:
    """The database refuses any signature for fail@example.org, as a fault would."""
    if on_postgres:
        create = [
            "CREATE FUNCTION refuse_fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "IF NEW.email = 'fail@example.org' THEN RAISE EXCEPTION 'refused'; END IF; "
            "RETURN NEW; END $$",
            "CREATE TRIGGER refuse_fail BEFORE INSERT ON signatures "
            "FOR EACH ROW EXECUTE FUNCTION refuse_fail()",
        ]
        drop = ["DROP TRIGGER refuse_fail ON signatures", "DROP FUNCTION refuse_fail()"]
    else:
        create = [
            "CREATE TRIGGER refuse_fail BEFORE INSERT ON signatures "
            "WHEN NEW.email = 'fail@example.org' BEGIN SELECT RAISE(ABORT, 'refused'); END"
        ]
        drop = ["DROP TRIGGER refuse_fail"]
    async with factory() as session, session.begin():
        for statement in create:
            await session.execute(text(statement))
    try:
        yield
    finally:
        async with factory() as session, session.begin():
            for statement in drop:
                await session.execute(text(statement))


async def test_one_failing_submission_does_not_fail_the_batch(
    client: httpx.AsyncClient,
    publish_petition: Publish,
    factory: Factory,
    failing_resolution: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await publish_petition()
    for address in ("one@example.org", "fail@example.org", "two@example.org"):
        await client.post(SIGN, json=signer(email=address))

    caplog.set_level(logging.WARNING, logger="campaign.signatures.submissions")
    for attempt in range(1, submissions.MAX_ATTEMPTS + 1):
        async with transaction(factory) as session:
            await resolve_submissions(session, 100, max_emails_per_signature=5)
        left = await _submissions(factory)
        assert {s.email for s in await _signatures(factory)} == {
            "one@example.org",
            "two@example.org",
        }
        if attempt < submissions.MAX_ATTEMPTS:
            [kept] = left
            assert kept.email == "fail@example.org"
            # Due again only after a pause; made due now to try again at once.
            async with factory() as session, session.begin():
                await session.execute(
                    update(SignatureSubmission).values(available_at=kept.created_at)
                )
    assert left == []  # dropped after its last try
    assert "fail@example.org" not in caplog.text  # the log names no one
    assert "dropping signature submission" in caplog.text


@pytest.fixture
def factory(session_factory: Factory) -> Factory:
    return session_factory
