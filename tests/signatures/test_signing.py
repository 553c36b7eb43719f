"""Supporters sign, confirm by email, and are counted once; nobody learns who signed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.consents.models import ConsentRecord
from campaign.outbox.models import OutboxMessage
from campaign.people.models import Person
from campaign.signatures.models import Signature
from tests.conftest import petition_fields, signer
from tests.fixtures.emails import confirmation_path, text_body

Publish = Callable[..., Awaitable[dict[str, Any]]]
Deliver = Callable[[], Awaitable[list[Any]]]
Settle = Callable[[], Awaitable[None]]
SIGN = "/api/v1/campaigns/stop-the-arms-trade/signatures"
PUBLIC = "/api/v1/campaigns/stop-the-arms-trade"


async def _rows(factory: async_sessionmaker[AsyncSession], model: Any) -> list[Any]:
    async with factory() as session:
        return list((await session.execute(select(model).order_by(model.id))).scalars())


async def _staff_counts(client: httpx.AsyncClient, editor: dict) -> tuple[int, int]:
    staff = await client.get("/api/v1/staff/campaigns/stop-the-arms-trade", headers=editor)
    counts = staff.json()["counts"]
    return counts["confirmed"], counts["pending"]


async def test_sign_confirm_and_count(
    client: httpx.AsyncClient, publish_petition: Publish, deliver_emails: Deliver, editor: dict
) -> None:
    await publish_petition()
    signed = await client.post(SIGN, json=signer())
    assert signed.status_code == 202

    [email] = await deliver_emails()
    # The public sees confirmed signatures only; staff see the pending one too.
    assert (await client.get(PUBLIC)).json()["counts"] == {"confirmed": 0}
    assert await _staff_counts(client, editor) == (0, 1)
    assert email["To"] == "Ada Lovelace <ada@example.org>"
    assert "Stop arms transfers" in email["Subject"]
    assert email.get_body(preferencelist=("html",)) is not None

    page = await client.get(confirmation_path(email))
    assert page.status_code == 200
    assert "your signature is confirmed" in page.text
    assert (await client.get(PUBLIC)).json()["counts"] == {"confirmed": 1}
    assert await _staff_counts(client, editor) == (1, 0)

    # Following the link again changes nothing.
    again = await client.get(confirmation_path(email))
    assert again.status_code == 200
    assert (await client.get(PUBLIC)).json()["counts"] == {"confirmed": 1}


async def test_confirm_through_the_json_api(
    client: httpx.AsyncClient, publish_petition: Publish, deliver_emails: Deliver
) -> None:
    await publish_petition()
    await client.post(SIGN, json=signer())
    [email] = await deliver_emails()
    token = confirmation_path(email).rsplit("/", 1)[1]
    confirmed = await client.post("/api/v1/signatures/confirm", json={"token": token})
    assert confirmed.status_code == 200
    assert confirmed.json() == {
        "status": "confirmed",
        "campaign_slug": "stop-the-arms-trade",
        "campaign_title": "Stop arms transfers that fuel war crimes",
    }


async def test_a_wrong_link_is_a_clear_404(client: httpx.AsyncClient) -> None:
    page = await client.get("/confirm/not-a-real-token-at-all")
    assert page.status_code == 404
    assert "did not work" in page.text
    api = await client.post("/api/v1/signatures/confirm", json={"token": "not-a-real-token"})
    assert api.status_code == 404
    assert api.json()["field"] == "token"


async def test_the_answer_does_not_reveal_who_signed(
    client: httpx.AsyncClient, publish_petition: Publish, deliver_emails: Deliver
) -> None:
    await publish_petition()
    first = await client.post(SIGN, json=signer())
    [email] = await deliver_emails()
    pending_repeat = await client.post(SIGN, json=signer())
    await client.get(confirmation_path(email))
    confirmed_repeat = await client.post(SIGN, json=signer())
    stranger = await client.post(SIGN, json=signer(email="someone.else@example.org"))

    answers = {(r.status_code, r.text) for r in (first, pending_repeat, confirmed_repeat, stranger)}
    assert len(answers) == 1


async def test_a_repeat_signature_sends_a_notice_not_a_second_row(
    client: httpx.AsyncClient,
    publish_petition: Publish,
    deliver_emails: Deliver,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await publish_petition()
    await client.post(SIGN, json=signer())
    [confirmation] = await deliver_emails()
    await client.get(confirmation_path(confirmation))

    await client.post(SIGN, json=signer(given_name="Augusta"))
    emails = await deliver_emails()
    assert len(emails) == 2
    assert "already signed" in emails[1]["Subject"]
    assert "/confirm/" not in text_body(emails[1])
    assert len(await _rows(session_factory, Signature)) == 1


async def test_a_repeat_while_pending_sends_a_fresh_link(
    client: httpx.AsyncClient, publish_petition: Publish, deliver_emails: Deliver
) -> None:
    await publish_petition()
    await client.post(SIGN, json=signer())
    await client.post(SIGN, json=signer())
    first, second = await deliver_emails()
    assert "Stop arms transfers" in first["Subject"]
    assert "confirm your signature" in second["Subject"]
    # Only the newest link works, so a lost first email does not matter.
    assert (await client.get(confirmation_path(first))).status_code == 404
    assert (await client.get(confirmation_path(second))).status_code == 200
    assert (await client.get(PUBLIC)).json()["counts"] == {"confirmed": 1}


async def test_one_address_cannot_be_used_to_flood_an_inbox(
    client: httpx.AsyncClient, publish_petition: Publish, deliver_emails: Deliver
) -> None:
    await publish_petition()
    for _ in range(12):
        assert (await client.post(SIGN, json=signer())).status_code == 202
    assert len(await deliver_emails()) == 5  # max_emails_per_signature


@pytest.mark.parametrize(
    "typed",
    ["Ada.Lovelace+petitions@Gmail.com", "  adalovelace@googlemail.com ", "ADA.LOVELACE@gmail.com"],
)
async def test_gmail_spellings_of_one_inbox_are_one_signer(
    client: httpx.AsyncClient,
    publish_petition: Publish,
    deliver_emails: Deliver,
    session_factory: async_sessionmaker[AsyncSession],
    typed: str,
) -> None:
    await publish_petition()
    await client.post(SIGN, json=signer(email="adalovelace@gmail.com"))
    await client.post(SIGN, json=signer(email=typed))
    emails = await deliver_emails()
    assert len(await _rows(session_factory, Signature)) == 1
    [person] = await _rows(session_factory, Person)
    assert person.email_normalised == "adalovelace@gmail.com"
    # The reply goes to the address exactly as typed (domain case aside).
    assert emails[1]["To"].addresses[0].addr_spec == typed.strip().replace("Gmail", "gmail")


async def test_other_providers_keep_their_dots(
    client: httpx.AsyncClient,
    publish_petition: Publish,
    session_factory: async_sessionmaker[AsyncSession],
    settle_submissions: Settle,
) -> None:
    await publish_petition()
    await client.post(SIGN, json=signer(email="ada.lovelace@example.org"))
    await client.post(SIGN, json=signer(email="adalovelace@example.org"))
    await client.post(SIGN, json=signer(email="Ada.Lovelace@EXAMPLE.org"))
    await settle_submissions()
    assert len(await _rows(session_factory, Signature)) == 2


async def test_each_consent_choice_is_recorded_with_its_wording(
    client: httpx.AsyncClient,
    publish_petition: Publish,
    session_factory: async_sessionmaker[AsyncSession],
    settle_submissions: Settle,
) -> None:
    petition = await publish_petition()
    await client.post(SIGN, json=signer(consent={"email_updates": True}))
    await client.post(
        SIGN, json=signer(email="grace@example.org", consent={"email_updates": False})
    )
    await settle_submissions()
    records = await _rows(session_factory, ConsentRecord)
    assert [r.granted for r in records] == [True, False]
    assert {r.consent_text_id for r in records} == {petition["consent_text_id"]}
    assert {(r.language, r.channel, r.campaign_id) for r in records} == {
        ("en", "api", petition["id"])
    }


@pytest.mark.parametrize(
    ("consent", "field"),
    [
        (None, "consent"),
        ({}, "consent.email_updates"),
        ({"email_updates": "maybe"}, "consent.email_updates"),
    ],
)
async def test_consent_must_be_an_explicit_choice(
    client: httpx.AsyncClient, publish_petition: Publish, consent: Any, field: str
) -> None:
    await publish_petition()
    body = signer()
    if consent is None:
        del body["consent"]
    else:
        body["consent"] = consent
    answer = await client.post(SIGN, json=body)
    assert answer.status_code == 422
    assert answer.json()["field"] == field


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": "ada@example..org"}, "email"),
        ({"country": "XX"}, "country"),
        ({"country": "GBR"}, "country"),
        ({"given_name": ""}, "given_name"),
        ({"given_name": "Ada\r\nBcc: victim@example.org"}, "given_name"),
        ({"family_name": "x" * 101}, "family_name"),
        ({"comment": "nul \x00 byte"}, "comment"),
        ({"postcode": "N1\n9GU"}, "postcode"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
async def test_bad_signing_input_names_the_field(
    client: httpx.AsyncClient, publish_petition: Publish, change: dict, field: str
) -> None:
    await publish_petition()
    answer = await client.post(SIGN, json=signer(**change))
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["field"] == field


async def test_postcode_rules_follow_the_campaign(
    client: httpx.AsyncClient,
    publish_petition: Publish,
    session_factory: async_sessionmaker[AsyncSession],
    settle_submissions: Settle,
) -> None:
    await publish_petition(postcode_mode="required")
    missing = await client.post(SIGN, json=signer(postcode=None))
    assert missing.status_code == 422
    assert missing.json()["field"] == "postcode"

    await publish_petition(slug="no-postcodes", postcode_mode="hidden")
    await client.post("/api/v1/campaigns/no-postcodes/signatures", json=signer())
    await settle_submissions()
    [signature] = await _rows(session_factory, Signature)
    assert signature.postcode is None


async def test_drafts_and_closed_petitions_take_no_signatures(
    client: httpx.AsyncClient, publish_petition: Publish, editor: dict
) -> None:
    await publish_petition()
    await client.post(
        "/api/v1/staff/campaigns", json=petition_fields(slug="a-draft"), headers=editor
    )
    draft = await client.post("/api/v1/campaigns/a-draft/signatures", json=signer())
    assert draft.status_code == 404

    await client.post("/api/v1/staff/campaigns/stop-the-arms-trade/close", headers=editor)
    closed = await client.post(SIGN, json=signer())
    assert closed.status_code == 409
    assert (await client.get(PUBLIC)).json()["state"] == "closed"


async def test_a_petition_closed_before_confirmation_keeps_the_signature_pending(
    client: httpx.AsyncClient, publish_petition: Publish, deliver_emails: Deliver, editor: dict
) -> None:
    await publish_petition()
    await client.post(SIGN, json=signer())
    [email] = await deliver_emails()
    await client.post("/api/v1/staff/campaigns/stop-the-arms-trade/close", headers=editor)
    page = await client.get(confirmation_path(email))
    assert page.status_code == 409
    assert (await client.get(PUBLIC)).json()["counts"] == {"confirmed": 0}
    assert await _staff_counts(client, editor) == (0, 1)


async def test_every_signature_writes_its_email_in_the_same_transaction(
    client: httpx.AsyncClient,
    publish_petition: Publish,
    session_factory: async_sessionmaker[AsyncSession],
    settle_submissions: Settle,
) -> None:
    await publish_petition()
    for n in range(5):
        await client.post(SIGN, json=signer(email=f"signer{n}@example.org"))
    await settle_submissions()
    async with session_factory() as session:
        signatures = await session.scalar(select(func.count()).select_from(Signature))
        emails = await session.scalar(select(func.count()).select_from(OutboxMessage))
    assert signatures == emails == 5


async def test_closing_takes_effect_at_once_for_signers_already_under_way(
    client: httpx.AsyncClient,
    publish_petition: Publish,
    editor: dict,
    session_factory: async_sessionmaker[AsyncSession],
    settle_submissions: Settle,
) -> None:
    # The first signature makes the server remember the campaign as open.
    await publish_petition()
    assert (await client.post(SIGN, json=signer())).status_code == 202
    await client.post("/api/v1/staff/campaigns/stop-the-arms-trade/close", headers=editor)
    for email in ("late@example.org", "ada@example.org"):
        late = await client.post(SIGN, json=signer(email=email))
        assert late.status_code == 409
    await settle_submissions()
    assert len(await _rows(session_factory, Signature)) == 1
    assert len(await _rows(session_factory, Person)) == 1


async def test_one_person_signs_two_petitions(
    client: httpx.AsyncClient,
    publish_petition: Publish,
    deliver_emails: Deliver,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await publish_petition()
    await publish_petition(slug="second-petition", title="A second petition")
    await client.post(SIGN, json=signer())
    await client.post(
        "/api/v1/campaigns/second-petition/signatures", json=signer(email=" ADA@example.org")
    )
    first, second = await deliver_emails()
    assert len(await _rows(session_factory, Person)) == 1
    signatures = await _rows(session_factory, Signature)
    assert len({s.campaign_id for s in signatures}) == 2
    assert len({s.person_id for s in signatures}) == 1
    assert len(await _rows(session_factory, ConsentRecord)) == 2
    assert "Stop arms transfers" in first["Subject"]
    assert "A second petition" in second["Subject"]
    assert (await client.get(confirmation_path(second))).status_code == 200
    counts = (await client.get("/api/v1/campaigns/second-petition")).json()["counts"]
    assert counts == {"confirmed": 1}


async def test_a_long_referrer_is_kept_up_to_its_limit(
    client: httpx.AsyncClient,
    publish_petition: Callable[..., Awaitable[dict[str, Any]]],
    session_factory: async_sessionmaker[AsyncSession],
    settle_submissions: Settle,
) -> None:
    slug = (await publish_petition())["slug"]
    referrer = "https://news.example.org/" + "a" * 400
    kept = await client.post(
        f"/api/v1/campaigns/{slug}/signatures",
        json=signer(tracking={"referrer": referrer}),
    )
    assert kept.status_code == 202, kept.text
    too_long = await client.post(
        f"/api/v1/campaigns/{slug}/signatures",
        json=signer(email="bo@example.org", tracking={"referrer": referrer + "b" * 100}),
    )
    assert too_long.status_code == 422
    assert too_long.json()["field"] == "tracking.referrer"
    await settle_submissions()
    async with session_factory() as session:
        assert await session.scalar(select(Signature.referrer)) == referrer
