"""A person's export holds every row that is theirs and nothing of anyone else's."""

from __future__ import annotations

import json

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.consents.models import ConsentRecord
from campaign.inbox.models import EmailEvent
from campaign.letters.models import Letter, LetterDelivery
from campaign.outbox.models import OutboxMessage
from campaign.privacy.models import PrivacyAuditEntry
from campaign.signatures.models import Signature
from tests.conftest import signer
from tests.privacy.conftest import LETTERS, OTHER, PETITIONS, ZEPHYRINE, Campaigns, MakeActive

EXPORT = "/api/v1/staff/privacy/export"


async def _count(factory: async_sessionmaker[AsyncSession], query: object) -> int:
    async with factory() as session:
        return int(await session.scalar(query) or 0)  # type: ignore[call-overload]


async def test_the_export_holds_all_of_theirs_and_none_of_anyone_elses(
    client: httpx.AsyncClient,
    editor: dict[str, str],
    campaigns: Campaigns,
    make_active: MakeActive,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await campaigns()
    person_id = await make_active(ZEPHYRINE)
    await make_active(OTHER)

    answer = await client.post(EXPORT, json={"email": ZEPHYRINE.email.upper()}, headers=editor)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-disposition"].startswith("attachment")
    document = answer.json()
    text = answer.text.lower()
    for trace in OTHER.traces:
        assert trace not in text, trace
    for trace in ZEPHYRINE.traces:
        assert trace in text, trace

    person = document["person"]
    assert (person["given_name"], person["family_name"]) == ("Zephyrine", "Quillfeather")
    assert person["custom_fields"]["nickname"] == "Zephyrine"
    by_person = Signature.person_id == person_id
    assert len(document["signatures"]) == await _count(
        session_factory, select(func.count()).where(by_person)
    )
    assert sorted(s["campaign"] for s in document["signatures"]) == sorted(PETITIONS)
    assert {s["comment"] for s in document["signatures"]} == {ZEPHYRINE.comment}
    assert all(s["ip_address"] and s["user_agent"] for s in document["signatures"])

    [letter] = document["letters"]
    assert letter["campaign"] == LETTERS
    assert ZEPHYRINE.letter_words in letter["body"]
    deliveries = await _count(
        session_factory,
        select(func.count())
        .select_from(LetterDelivery)
        .join(Letter, Letter.id == LetterDelivery.letter_id)
        .where(Letter.person_id == person_id),
    )
    assert len(letter["deliveries"]) == deliveries >= 1
    for delivery in letter["deliveries"]:
        assert delivery["official"] and delivery["sent_at"]
        assert ZEPHYRINE.letter_words in delivery["body"]

    assert len(document["consents"]) == await _count(
        session_factory, select(func.count()).where(ConsentRecord.person_id == person_id)
    )
    for consent in document["consents"]:
        assert consent["wording"].startswith("Yes, email me about this campaign")
        assert consent["wording_version"] >= 1 and consent["campaign"]
    assert [c["granted"] for c in document["consents"]] == [True, True, True]
    [donation] = document["donations"]
    assert (donation["amount"], donation["currency"]) == (1500, "gbp")
    assert len(donation["payments"]) == 1
    assert document["tags"] == ["Volunteer"]
    assert document["signatures_in_progress"] == []
    assert document["suppressions"] == []

    messages = await _count(
        session_factory,
        select(func.count()).where(OutboxMessage.to_address.ilike(ZEPHYRINE.email)),
    )
    assert len(document["emails"]) == messages == 3
    events = sum(len(email["events"]) for email in document["emails"])
    assert events == await _count(
        session_factory,
        select(func.count())
        .select_from(EmailEvent)
        .join(OutboxMessage, OutboxMessage.id == EmailEvent.outbox_message_id)
        .where(OutboxMessage.to_address.ilike(ZEPHYRINE.email)),
    )
    assert all("token" not in email["content"] for email in document["emails"])
    # No email to an official is theirs, even though it carries their letter.
    assert {e["kind"] for e in document["emails"]} == {"signature_confirmation", "letter_copy"}

    # Written to the log, with the address only as its keyed hash.
    async with session_factory() as session:
        [entry] = list(await session.scalars(select(PrivacyAuditEntry)))
    assert (entry.action, entry.requester) == ("export", "staff")
    assert entry.email_hash and len(entry.email_hash) == 64
    assert "zeph" not in json.dumps(entry.email_hash)


async def test_an_unknown_address_exports_empty_and_bad_input_is_named(
    client: httpx.AsyncClient, editor: dict[str, str], viewer: dict[str, str]
) -> None:
    empty = await client.post(EXPORT, json={"email": "nobody@example.org"}, headers=editor)
    assert empty.status_code == 200
    assert empty.json()["person"] is None and empty.json()["signatures"] == []
    bad = await client.post(EXPORT, json={"email": "not an address"}, headers=editor)
    assert bad.status_code == 422
    assert bad.json()["field"] == "email"
    refused = await client.post(EXPORT, json={"email": "nobody@example.org"}, headers=viewer)
    assert refused.status_code == 403
    assert (await client.post(EXPORT, json={"email": "nobody@example.org"})).status_code == 401


async def test_a_signature_still_in_progress_is_in_the_export(
    client: httpx.AsyncClient, editor: dict[str, str], campaigns: Campaigns
) -> None:
    await campaigns()
    signed = await client.post(
        f"/api/v1/campaigns/{PETITIONS[0]}/signatures",
        json=signer(email="just.now@example.org", comment="Moments ago"),
    )
    assert signed.status_code == 202
    document = (
        await client.post(EXPORT, json={"email": "just.now@example.org"}, headers=editor)
    ).json()
    [pending] = document["signatures_in_progress"]
    assert (pending["campaign"], pending["comment"]) == (PETITIONS[0], "Moments ago")
