"""Letter follow-ups: fourteen days after a letter reached its officials, its writer is
asked once whether each replied; the answers, given by signed links, show on their own
letter page and in the officials' responsiveness figures for staff."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import statistics
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from itsdangerous import URLSafeSerializer
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.app import create_app
from campaign.config import Settings
from campaign.db import transaction, utcnow
from campaign.followups.models import FollowupQuestion, LetterFollowup
from campaign.followups.service import follow_up_due_letters, send_due_followups
from campaign.letters.delivery import send_due_digests
from campaign.letters.models import Letter, LetterDelivery
from campaign.outbox.models import OutboxMessage, Suppression
from campaign.staff.models import Role
from tests.conftest import petition_fields
from tests.dashboard.conftest import (  # noqa: F401
    LogIn,
    MakeUser,
    log_in,
    make_user,
)
from tests.fixtures.emails import read_emails, text_body
from tests.inbox.test_sendgrid_webhook import PUBLIC_KEY, signed
from tests.letters.conftest import outbox, writer

Factory = async_sessionmaker[AsyncSession]
Deliver = Callable[[], Awaitable[list[EmailMessage]]]
CampaignMaker = Callable[..., Awaitable[str]]

LETTER_CONFIRM = re.compile(r"https?://\S+(/letters/confirm/[A-Za-z0-9_\-]+)")
STATUS_LINK = re.compile(r"https?://\S+/letters/([A-Za-z0-9_\-]{20,})")
OFFICIAL_LINE = re.compile(r"^(.+?), .+ \(your letter reached them on .+\):$")
ANSWER_LINE = re.compile(r"^\s+(Yes, they replied|No, no reply|Not yet):\s+https?://\S+?(/\S+)$")
ANSWERS = {"Yes, they replied": "yes", "No, no reply": "no", "Not yet": "not_yet"}
FOLLOWUP = "letter_followup"


async def write_and_send(
    client: httpx.AsyncClient, deliver: Deliver, slug: str, **fields: Any
) -> str:
    """Write a letter, confirm it from the email and send it; returns the token of the
    writer's own letter page (from their copy)."""
    data = writer(**fields)
    written = await client.post(f"/api/v1/campaigns/{slug}/letters", json=data)
    assert written.status_code == 202, written.text
    [confirmation] = [
        e
        for e in await deliver()
        if data["email"] in str(e["To"]) and "confirm" in str(e["Subject"])
    ]
    match = LETTER_CONFIRM.search(text_body(confirmation))
    assert match
    assert (await client.get(match.group(1))).status_code == 200
    [copy] = [
        e
        for e in await deliver()
        if data["email"] in str(e["To"]) and "on its way" in str(e["Subject"])
    ]
    status = STATUS_LINK.search(text_body(copy))
    assert status
    return status.group(1)


def followups_to(emails: list[EmailMessage], address: str) -> list[EmailMessage]:
    return [e for e in emails if address in str(e["To"]) and "reply?" in str(e["Subject"])]


def answer_paths(email: EmailMessage) -> dict[tuple[str, str], str]:
    """(official's name, answer) → the path of that answer's link in a follow-up."""
    paths: dict[tuple[str, str], str] = {}
    official = None
    for line in text_body(email).splitlines():
        if found := OFFICIAL_LINE.match(line):
            official = found.group(1)
        elif (found := ANSWER_LINE.match(line)) and official:
            paths[(official, ANSWERS[found.group(1)])] = found.group(2)
    return paths


async def letter_emails(factory: Factory) -> list[OutboxMessage]:
    return await outbox(factory, "letter_to_official")


async def report(
    settings: Settings, events: list[tuple[OutboxMessage, str, datetime]], **extra: Any
) -> None:
    """SendGrid's signed event webhook, for these messages."""
    app = create_app(settings.model_copy(update={"sendgrid_webhook_public_key": PUBLIC_KEY}))
    body = json.dumps(
        [
            {
                "email": message.to_address,
                "event": event,
                "timestamp": int(at.timestamp()),
                "sg_event_id": f"{event}-{message.id}",
                "sg_message_id": "x.filter",
                "outbox_id": str(message.id),
                **extra,
            }
            for message, event, at in events
        ]
    ).encode()
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://campaign.test") as c:
            answer = await c.post("/webhooks/sendgrid", content=body, headers=signed(body))
            assert answer.status_code in (200, 204), answer.text


async def own_answers(client: httpx.AsyncClient, token: str) -> dict[str, str | None]:
    answer = await client.get(f"/api/v1/letters/{token}")
    assert answer.status_code == 200, answer.text
    return {d["official_name"]: d["followup_answer"] for d in answer.json()["deliveries"]}


async def test_one_follow_up_fourteen_days_after_delivery_and_never_again(
    client: httpx.AsyncClient,
    letter_campaign: CampaignMaker,
    deliver_emails: Deliver,
    settings: Settings,
    session_factory: Factory,
) -> None:
    slug = await letter_campaign()
    # Ada writes to both members for her postcode; three others write and are then
    # suppressed, one way each; Dave's letter bounces; Eve never confirms hers.
    await write_and_send(client, deliver_emails, slug, postcode="E1 6AN")
    suppressed = {
        "bounced@example.org": "hard_bounce",
        "complained@example.org": "spam_report",
        "left@example.org": "unsubscribe",
    }
    for address in suppressed:
        await write_and_send(client, deliver_emails, slug, email=address)
    await write_and_send(client, deliver_emails, slug, email="dave@example.org")
    eve = await client.post(
        f"/api/v1/campaigns/{slug}/letters", json=writer(email="eve@example.org")
    )
    assert eve.status_code == 202
    async with transaction(session_factory) as session:
        for address, reason in suppressed.items():
            session.add(Suppression(email_normalised=address, reason=reason))
    sent = await letter_emails(session_factory)
    [daves] = [m for m in sent if m.id == max(m.id for m in sent)]
    await report(settings, [(daves, "bounce", utcnow())], type="bounce")

    delivered = [m.sent_at for m in sent if m.sent_at is not None]
    assert len(delivered) == len(sent) == 6  # Ada's two, one each for the other four
    first, last = min(delivered), max(delivered)

    # A minute short of fourteen days after the first delivery: nothing.
    await follow_up_due_letters(session_factory, settings, now=first + timedelta(days=13, hours=23))
    assert await outbox(session_factory, FOLLOWUP) == []

    # Fourteen days after: one email, to Ada only, asking about each of her officials.
    await follow_up_due_letters(session_factory, settings, now=last + timedelta(days=14))
    [queued] = await outbox(session_factory, FOLLOWUP)
    assert queued.to_address == "ada@example.org"
    emails = await deliver_emails()
    [email] = followups_to(emails, "ada@example.org")
    assert sorted(answer_paths(email)) == [
        (name, answer)
        for name in ("Alex Morgan", "Sam Patel")
        for answer in ("no", "not_yet", "yes")
    ]
    assert [e for e in emails if "reply?" in str(e["Subject"])] == [email]
    # The outbox keeps no link that answers for Ada.
    [kept] = await outbox(session_factory, FOLLOWUP)
    assert "followup" not in json.dumps(kept.context)

    # Again, and six days later: nothing more, for anyone.
    await follow_up_due_letters(session_factory, settings, now=last + timedelta(days=14))
    await follow_up_due_letters(session_factory, settings, now=last + timedelta(days=20))
    assert len(await outbox(session_factory, FOLLOWUP)) == 1
    async with session_factory() as session:
        outcomes = dict(
            (
                await session.execute(
                    select(Letter.email, LetterFollowup.outcome).join(
                        LetterFollowup, LetterFollowup.letter_id == Letter.id
                    )
                )
            ).all()
        )
    assert outcomes == {"ada@example.org": "sent"} | dict.fromkeys(suppressed, "suppressed")


async def test_a_backlog_goes_in_bounded_batches(
    client: httpx.AsyncClient,
    letter_campaign: CampaignMaker,
    deliver_emails: Deliver,
    settings: Settings,
    session_factory: Factory,
) -> None:
    slug = await letter_campaign()
    for i in range(5):
        await write_and_send(client, deliver_emails, slug, email=f"writer{i}@example.org")
    later = utcnow() + timedelta(days=15)
    async with transaction(session_factory) as session:
        taken = await send_due_followups(session, now=later, after=timedelta(days=14), limit=2)
    assert taken == 2
    assert len(await outbox(session_factory, FOLLOWUP)) == 2

    small = settings.model_copy(update={"letter_followup_batch_size": 2})
    assert await follow_up_due_letters(session_factory, small, now=later) == 3
    followups = await outbox(session_factory, FOLLOWUP)
    assert sorted(m.to_address for m in followups) == [f"writer{i}@example.org" for i in range(5)]


async def test_a_letter_that_went_in_a_digest_is_followed_up_too(
    client: httpx.AsyncClient,
    letter_campaign: CampaignMaker,
    deliver_emails: Deliver,
    settings: Settings,
    session_factory: Factory,
) -> None:
    slug = await letter_campaign(per_official_daily_limit=1, over_limit="digest")
    await write_and_send(client, deliver_emails, slug)
    await write_and_send(client, deliver_emails, slug, email="bob@example.org")
    async with transaction(session_factory) as session:
        assert await send_due_digests(session, now=utcnow() + timedelta(days=1)) == 1
    await deliver_emails()
    [digest] = await outbox(session_factory, "letter_digest")
    assert digest.sent_at is not None

    # Bob's letter reached Alex when the digest did.
    await follow_up_due_letters(session_factory, settings, now=digest.sent_at + timedelta(days=14))
    followups = await outbox(session_factory, FOLLOWUP)
    assert sorted(m.to_address for m in followups) == ["ada@example.org", "bob@example.org"]
    async with session_factory() as session:
        reached = await session.scalar(
            select(FollowupQuestion.delivered_at)
            .join(Letter, Letter.id == FollowupQuestion.letter_id)
            .where(Letter.email == "bob@example.org")
        )
    assert reached == digest.sent_at


async def test_two_workers_at_once_still_send_one_each(
    client: httpx.AsyncClient,
    letter_campaign: CampaignMaker,
    deliver_emails: Deliver,
    settings: Settings,
    session_factory: Factory,
) -> None:
    slug = await letter_campaign()
    for i in range(4):
        await write_and_send(client, deliver_emails, slug, email=f"writer{i}@example.org")
    later = utcnow() + timedelta(days=15)
    small = settings.model_copy(update={"letter_followup_batch_size": 3})
    await asyncio.gather(
        *(follow_up_due_letters(session_factory, small, now=later) for _ in range(2))
    )
    await follow_up_due_letters(session_factory, small, now=later)  # a retry finds nothing
    followups = await outbox(session_factory, FOLLOWUP)
    assert sorted(m.to_address for m in followups) == [f"writer{i}@example.org" for i in range(4)]


async def test_answers_show_on_the_letter_page_and_in_the_responsiveness_figures(
    client: httpx.AsyncClient,
    letter_campaign: CampaignMaker,
    deliver_emails: Deliver,
    settings: Settings,
    session_factory: Factory,
    viewer: dict[str, str],
) -> None:
    slug = await letter_campaign()
    tokens = {
        "ada": await write_and_send(client, deliver_emails, slug, postcode="E1 6AN"),
        "bob": await write_and_send(client, deliver_emails, slug, email="bob@example.org"),
        "cat": await write_and_send(
            client, deliver_emails, slug, email="cat@example.org", postcode="N1 9GU"
        ),
        "dan": await write_and_send(client, deliver_emails, slug, email="dan@example.org"),
    }
    # The provider reports each letter delivered, on days well apart.
    now = utcnow()
    sent = await letter_emails(session_factory)
    reached = {m.id: now - timedelta(days=15 + 3 * i, hours=i) for i, m in enumerate(sent)}
    await report(settings, [(m, "delivered", reached[m.id]) for m in sent])

    await follow_up_due_letters(session_factory, settings, now=now)
    emails = await deliver_emails()
    paths = {
        name: answer_paths(followups_to(emails, f"{name}@example.org")[0])
        for name in ("bob", "cat", "dan")
    }
    paths["ada"] = answer_paths(followups_to(emails, "ada@example.org")[0])

    # Opening a link asks; it answers nothing (a mail scanner opens links too).
    yes_to_alex = paths["ada"][("Alex Morgan", "yes")]
    page = await client.get(yes_to_alex)
    assert page.status_code == 200
    assert 'method="post"' in page.text and "Yes, they replied" in page.text
    assert await own_answers(client, tokens["ada"]) == {"Alex Morgan": None, "Sam Patel": None}

    # Posting the form does.
    done = await client.post(yes_to_alex)
    assert done.status_code == 200 and "Thank you" in done.text
    assert (await client.post(paths["ada"][("Sam Patel", "not_yet")])).status_code == 200
    assert await own_answers(client, tokens["ada"]) == {
        "Alex Morgan": "yes",
        "Sam Patel": "not_yet",
    }
    # "Not yet", then a reply comes: the yes link changes it.
    assert (await client.post(paths["ada"][("Sam Patel", "yes")])).status_code == 200
    assert (await client.post(paths["bob"][("Alex Morgan", "no")])).status_code == 200
    assert (await client.post(paths["cat"][("Sam Patel", "yes")])).status_code == 200
    assert await own_answers(client, tokens["ada"]) == {"Alex Morgan": "yes", "Sam Patel": "yes"}
    assert await own_answers(client, tokens["dan"]) == {"Alex Morgan": None}
    own_page = await client.get(f"/letters/{tokens['bob']}")
    assert own_page.status_code == 200
    assert "Did they reply?" in own_page.text and "No reply" in own_page.text

    # The figures, against what the rows say.
    async with session_factory() as session:
        rows = (
            await session.execute(
                select(
                    FollowupQuestion.official_id,
                    FollowupQuestion.answer,
                    FollowupQuestion.delivered_at,
                    FollowupQuestion.answered_at,
                    LetterDelivery.outbox_message_id,
                ).join(LetterDelivery, LetterDelivery.id == FollowupQuestion.delivery_id)
            )
        ).all()
    # Delivered when the provider said so, not when it was sent.
    assert len(rows) == len(sent) == 5
    for _, _, delivered_at, _, message_id in rows:
        assert abs((delivered_at - reached[message_id]).total_seconds()) < 1

    def expected(of: list[Any]) -> dict[str, Any]:
        answered = [r for r in of if r.answer is not None]
        yes = [r for r in of if r.answer == "yes"]
        days = [(r.answered_at - r.delivered_at).total_seconds() / 86_400 for r in yes]
        return {
            "delivered": len(of),
            "asked": len(of),
            "answered": len(answered),
            "replied": len(yes),
            "answer_rate": len(yes) / len(answered) if answered else None,
            "median_days_to_reply": statistics.median(days) if days else None,
        }

    answer = await client.get(f"/api/v1/staff/campaigns/{slug}/responsiveness", headers=viewer)
    assert answer.status_code == 200, answer.text
    figures = answer.json()
    by_name = {line["name"]: line for line in figures["officials"]}
    ids = {line["name"]: line["official_id"] for line in figures["officials"]}
    for name, official_rows in (
        ("Alex Morgan", [r for r in rows if r.official_id == ids["Alex Morgan"]]),
        ("Sam Patel", [r for r in rows if r.official_id == ids["Sam Patel"]]),
        (None, rows),
    ):
        got = figures["totals"] if name is None else by_name[name]["figures"]
        want = expected(list(official_rows))
        for key, value in want.items():
            if isinstance(value, float):
                assert got[key] == pytest.approx(value, abs=1e-4), (name, key)
            else:
                assert got[key] == value, (name, key)
    assert by_name["Alex Morgan"]["figures"]["answer_rate"] == pytest.approx(0.5)
    assert by_name["Sam Patel"]["figures"]["answer_rate"] == pytest.approx(1.0)
    assert 15 < figures["totals"]["median_days_to_reply"] < 40


async def test_a_link_answers_only_its_own_question(
    client: httpx.AsyncClient,
    letter_campaign: CampaignMaker,
    deliver_emails: Deliver,
    settings: Settings,
    session_factory: Factory,
) -> None:
    slug = await letter_campaign()
    ada = await write_and_send(client, deliver_emails, slug)
    bob = await write_and_send(client, deliver_emails, slug, email="bob@example.org")
    await follow_up_due_letters(session_factory, settings, now=utcnow() + timedelta(days=15))
    emails = await deliver_emails()
    ada_yes = answer_paths(followups_to(emails, "ada@example.org")[0])[("Alex Morgan", "yes")]
    bob_yes = answer_paths(followups_to(emails, "bob@example.org")[0])[("Alex Morgan", "yes")]

    # Ada's signature over Bob's delivery: refused, on GET and POST alike.
    ada_token = ada_yes.rsplit("/", 1)[1]
    bob_payload = bob_yes.rsplit("/", 1)[1].split(".")[0]
    swapped = f"/letters/followup/{bob_payload}.{ada_token.split('.', 1)[1]}"
    # Signed with another key, and for a delivery nobody was asked about.
    async with session_factory() as session:
        unasked = await session.scalar(select(func.max(LetterDelivery.id)))
    other_key = URLSafeSerializer("not our secret", salt="letter-followup").dumps([1, "yes"])
    unasked_token = URLSafeSerializer(
        settings.secret_key.get_secret_value(), salt="letter-followup"
    ).dumps([(unasked or 0) + 1000, "yes"])
    malformed = base64.urlsafe_b64encode(b"nonsense").decode().rstrip("=")
    for path in (
        swapped,
        f"/letters/followup/{other_key}",
        f"/letters/followup/{unasked_token}",
        f"/letters/followup/{malformed}",
        "/letters/followup/x",
    ):
        for method in ("GET", "POST"):
            answer = await client.request(method, path)
            assert answer.status_code == 404, (method, path, answer.status_code)
            assert "This link did not work" in answer.text
    assert (await client.get("/letters/followup/not%20a%20token")).status_code in (404, 422)

    # Ada answering touches Ada's letter alone.
    assert (await client.post(ada_yes)).status_code == 200
    assert await own_answers(client, ada) == {"Alex Morgan": "yes"}
    assert await own_answers(client, bob) == {"Alex Morgan": None}
    page = await client.get(f"/letters/{bob}")
    assert "Did they reply?" not in page.text


async def test_staff_see_the_replies_page_and_the_api_needs_a_token(
    client: httpx.AsyncClient,
    letter_campaign: CampaignMaker,
    deliver_emails: Deliver,
    settings: Settings,
    session_factory: Factory,
    make_user: MakeUser,  # noqa: F811
    log_in: LogIn,  # noqa: F811
    viewer: dict[str, str],
    editor: dict[str, str],
) -> None:
    slug = await letter_campaign()
    petition = await client.post(
        "/api/v1/staff/campaigns", json=petition_fields(slug="a-petition"), headers=editor
    )
    assert petition.status_code == 201, petition.text
    api = f"/api/v1/staff/campaigns/{slug}/responsiveness"
    assert (await client.get(api)).status_code == 401
    # Nothing yet: honest empties.
    empty = (await client.get(api, headers=viewer)).json()
    assert empty["officials"] == []
    assert empty["totals"]["delivered"] == 0
    assert empty["totals"]["answer_rate"] is None
    assert empty["totals"]["median_days_to_reply"] is None

    await make_user("viewer@example.org", Role.VIEWER)
    await make_user("editor@example.org", Role.EDITOR)
    assert (await client.get(f"/staff/campaigns/{slug}/replies")).status_code in (303, 401)
    assert (await log_in("viewer@example.org")).status_code == 303
    page = await client.get(f"/staff/campaigns/{slug}/replies")
    assert page.status_code == 200
    assert 'id="replies-empty"' in page.text
    assert f'href="/staff/campaigns/{slug}/replies" aria-current="page"' in page.text
    # A petition writes to nobody: no tab, and the page says why it is empty.
    other = await client.get("/staff/campaigns/a-petition/replies")
    assert other.status_code == 200 and 'id="replies-none"' in other.text
    assert "/staff/campaigns/a-petition/replies" not in other.text

    await write_and_send(client, deliver_emails, slug)
    await follow_up_due_letters(session_factory, settings, now=utcnow() + timedelta(days=15))
    [email] = followups_to(await deliver_emails(), "ada@example.org")
    assert (await client.post(answer_paths(email)[("Alex Morgan", "no")])).status_code == 200

    client.cookies.clear()
    assert (await log_in("editor@example.org")).status_code == 303
    page = await client.get(f"/staff/campaigns/{slug}/replies")
    assert page.status_code == 200
    assert re.search(r'id="replies-answered">1<', page.text)
    assert re.search(r'id="replies-yes">0<', page.text)
    assert re.search(r'id="replies-rate">0%<', page.text)
    assert re.search(r'id="replies-median">–<', page.text)
    assert "Alex Morgan" in page.text


async def test_the_letter_that_was_never_sent_gets_no_follow_up(
    client: httpx.AsyncClient,
    letter_campaign: CampaignMaker,
    deliver_emails: Deliver,
    settings: Settings,
    session_factory: Factory,
) -> None:
    slug = await letter_campaign()
    await write_and_send(client, deliver_emails, slug)
    # Its email failed for good: it never left.
    async with transaction(session_factory) as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.kind == "letter_to_official")
            .values(status="failed", sent_at=None)
        )
    await follow_up_due_letters(session_factory, settings, now=utcnow() + timedelta(days=30))
    assert await outbox(session_factory, FOLLOWUP) == []
    assert [e for e in read_emails(settings.email_file_dir) if "reply?" in str(e["Subject"])] == []
