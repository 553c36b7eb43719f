"""An activist finds their officials, edits the letter, confirms their address, and the
letter goes to each official from the organisation's address with Reply-To the activist."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.config import Settings
from campaign.db import transaction
from campaign.letters.models import LetterDelivery
from campaign.outbox.models import OutboxMessage
from tests.conftest import signer
from tests.fixtures.emails import confirmation_path, text_body
from tests.inbox.test_sendgrid_webhook import PUBLIC_KEY, signed
from tests.letters.conftest import BODY_TEMPLATE, REQUIRED, outbox, writer

LETTER_CONFIRM = re.compile(r"https?://\S+(/letters/confirm/[A-Za-z0-9_\-]+)")
STATUS_LINK = re.compile(r"https?://\S+/letters/([A-Za-z0-9_\-]{20,})")

Deliver = Callable[[], Awaitable[list[EmailMessage]]]


def emails_to(emails: list[EmailMessage], address: str) -> list[EmailMessage]:
    return [e for e in emails if address in str(e["To"])]


def link_in(email: EmailMessage, pattern: re.Pattern[str]) -> str:
    match = pattern.search(text_body(email))
    assert match, f"no link in {email['Subject']!r}"
    return match.group(1)


async def test_release_to_letter_to_officials_end_to_end(
    client: httpx.AsyncClient,
    editor: dict[str, str],
    officials: dict[str, int],
    deliver_emails: Deliver,
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    # A release's call to action becomes a drafted letter campaign...
    release = (
        await client.post(
            "/api/v1/staff/releases",
            json={
                "content": (
                    "Rivers Alliance: Members of Parliament must vote against the Vale dam\n\n"
                    "LONDON – The government has approved a dam that would flood farmland.\n\n"
                    "Members of Parliament must vote against the Vale dam bill next week.\n"
                ),
                "organisation": "Rivers Alliance",
            },
            headers=editor,
        )
    ).json()
    call = next(c for c in release["calls_to_action"] if "vote against" in c["sentence"])
    drafted = await client.post(
        f"/api/v1/staff/releases/{release['release']['id']}/drafts",
        json={"call_ids": [call["id"]], "kind": "letter"},
        headers=editor,
    )
    assert drafted.status_code == 201, drafted.text
    campaign = drafted.json()["campaign"]
    slug = campaign["slug"]
    template = drafted.json()["letter"]["body_template"]
    # ...whose drafted letter stays the template, for the members for each activist's seat.
    setup = await client.put(
        f"/api/v1/staff/campaigns/{slug}/letter",
        json={
            "targets": {"kind": "division", "organisation": "House of Commons"},
            "subject_template": "Vote against the Vale dam, {{official_name}}",
            "body_template": template,
            "min_length": 20,
            "max_length": 5000,
        },
        headers=editor,
    )
    assert setup.status_code == 200, setup.text
    assert (await client.post(f"/api/v1/staff/campaigns/{slug}/publish", headers=editor)).is_success

    # The activist looks up who represents them: names and roles, never addresses.
    found = await client.get(
        f"/api/v1/campaigns/{slug}/officials", params={"country": "GB", "postcode": "e1 6an"}
    )
    assert found.status_code == 200, found.text
    assert [o["name"] for o in found.json()["officials"]] == ["Alex Morgan", "Sam Patel"]
    assert "@" not in found.text

    # They edit the letter and send it.
    body = template + "\n\nI walk along the Vale every week."
    written = await client.post(
        f"/api/v1/campaigns/{slug}/letters", json=writer(postcode="E1 6AN", body=body)
    )
    assert written.status_code == 202, written.text
    [confirmation] = await deliver_emails()
    assert str(confirmation["Subject"]).strip().startswith("Please confirm your letter")
    assert "Alex Morgan" in text_body(confirmation) and "Sam Patel" in text_body(confirmation)
    assert await outbox(session_factory, "letter_to_official") == []

    # Confirming sends one email per official and a copy to the activist.
    page = await client.get(link_in(confirmation, LETTER_CONFIRM))
    assert page.status_code == 200
    assert "on its way" in page.text
    emails = await deliver_emails()
    for name, address in (
        ("Alex Morgan", "alex.morgan@parliament.example"),
        ("Sam Patel", "sam.patel@parliament.example"),
    ):
        [letter] = emails_to(emails, address)
        assert str(letter["Subject"]).strip() == f"Vote against the Vale dam, {name}"
        [(sender_name, sender_address)] = getaddresses([str(letter["From"])])
        assert sender_name == "Ada Lovelace via Campaign"
        assert sender_address == settings.email_from_address
        assert str(letter["Reply-To"]) == "ada@example.org"
        text = text_body(letter)
        assert text.startswith(f"Dear {name},")
        assert "I walk along the Vale every week." in text
    [copy] = [e for e in emails_to(emails, "ada@example.org") if "on its way" in str(e["Subject"])]
    token = link_in(copy, STATUS_LINK)

    # The activist's private link shows each email's progress, from delivery events.
    own = (await client.get(f"/api/v1/letters/{token}")).json()
    assert {d["official_name"]: d["email_status"] for d in own["deliveries"]} == {
        "Alex Morgan": "sent",
        "Sam Patel": "sent",
    }
    [to_alex] = [
        m
        for m in await outbox(session_factory, "letter_to_official")
        if m.to_address == "alex.morgan@parliament.example"
    ]
    await _report_delivered(settings, session_factory, to_alex)
    own = (await client.get(f"/api/v1/letters/{token}")).json()
    assert {d["official_name"]: d["email_status"] for d in own["deliveries"]} == {
        "Alex Morgan": "delivered",
        "Sam Patel": "sent",
    }
    page = await client.get(f"/letters/{token}")
    assert page.status_code == 200 and "delivered" in page.text

    # Staff see the letter with its deliveries; the public campaign shows none of it.
    staff = (await client.get(f"/api/v1/staff/campaigns/{slug}/letters", headers=editor)).json()
    assert staff["totals"]["letters_by_status"] == {"confirmed": 1}
    assert staff["totals"]["personalised"] == 1
    assert staff["letters"][0]["email"] == "ada@example.org"
    public = await client.get(f"/api/v1/campaigns/{slug}")
    assert "ada@example.org" not in public.text and "Lovelace" not in public.text


async def _report_delivered(
    settings: Settings, factory: async_sessionmaker[AsyncSession], message: OutboxMessage
) -> None:
    from api.app import create_app

    app = create_app(settings.model_copy(update={"sendgrid_webhook_public_key": PUBLIC_KEY}))
    event = [
        {
            "email": message.to_address,
            "event": "delivered",
            "timestamp": 1_800_000_000,
            "sg_event_id": f"delivered-{message.id}",
            "sg_message_id": "x.filter",
            "outbox_id": str(message.id),
        }
    ]
    body = json.dumps(event).encode()
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://campaign.test") as c:
            answer = await c.post("/webhooks/sendgrid", content=body, headers=signed(body))
            assert answer.status_code in (200, 204), answer.text


async def test_officials_are_found_by_rule(
    client: httpx.AsyncClient,
    letter_campaign: Callable[..., Awaitable[str]],
    officials: dict[str, int],
) -> None:
    by_seat = await letter_campaign("by-seat")
    by_role = await letter_campaign("by-role", targets={"kind": "role", "role": "foreign_minister"})
    fixed = await letter_campaign(
        "fixed", targets={"kind": "fixed", "official_ids": [officials["Sam Patel"]]}
    )

    async def names(slug: str, **params: str) -> list[str]:
        answer = await client.get(f"/api/v1/campaigns/{slug}/officials", params=params)
        assert answer.status_code == 200, answer.text
        return [o["name"] for o in answer.json()["officials"]]

    # Postcodes are matched whatever their case and spacing.
    assert await names(by_seat, country="GB", postcode="SW1A1AA") == ["Alex Morgan"]
    assert await names(by_seat, country="gb", postcode=" sw1a 1aa ") == ["Alex Morgan"]
    assert await names(by_seat, country="GB", postcode="ZZ9 9ZZ") == []
    assert await names(by_role, country="GB") == ["Jo Rivers"]
    assert await names(by_role, country="FR") == ["Camille Martin"]
    assert await names(fixed, country="FR") == ["Sam Patel"]

    no_postcode = await client.get(
        f"/api/v1/campaigns/{by_seat}/officials", params={"country": "GB"}
    )
    assert no_postcode.status_code == 422 and no_postcode.json()["field"] == "postcode"
    bad_country = await client.get(
        f"/api/v1/campaigns/{by_seat}/officials", params={"country": "XX", "postcode": "N1"}
    )
    assert bad_country.status_code == 422 and bad_country.json()["field"] == "country"


async def test_a_letter_must_stay_within_the_campaigns_limits(
    client: httpx.AsyncClient, letter_campaign: Callable[..., Awaitable[str]]
) -> None:
    slug = await letter_campaign()
    url = f"/api/v1/campaigns/{slug}/letters"
    cases = [
        (writer(body="Too short."), "body"),
        (writer(body=BODY_TEMPLATE + "x" * 3000), "body"),
        (writer(body=BODY_TEMPLATE.replace(REQUIRED, "think again")), "body"),
        (writer(body=BODY_TEMPLATE + " {{official_email}}"), "body"),
        (writer(locality=None), "locality"),
        (writer(postcode=None), "postcode"),
        (writer(postcode="ZZ9 9ZZ"), "postcode"),
        (writer(subject="Hello\r\nBcc: everyone@example.org"), "subject"),
        (writer(given_name="Ada\nBcc: everyone@example.org"), "given_name"),
        (writer(email="not an address"), "email"),
    ]
    for body, field in cases:
        answer = await client.post(url, json=body)
        assert answer.status_code == 422, (field, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["field"] == field, answer.json()


async def test_the_subject_stays_fixed_when_the_campaign_says_so(
    client: httpx.AsyncClient, letter_campaign: Callable[..., Awaitable[str]]
) -> None:
    slug = await letter_campaign(subject_editable=False)
    refused = await client.post(f"/api/v1/campaigns/{slug}/letters", json=writer(subject="Mine"))
    assert refused.status_code == 422 and refused.json()["field"] == "subject"
    accepted = await client.post(f"/api/v1/campaigns/{slug}/letters", json=writer())
    assert accepted.status_code == 202


async def test_hostile_names_cannot_add_headers_or_change_the_sender(
    client: httpx.AsyncClient,
    letter_campaign: Callable[..., Awaitable[str]],
    deliver_emails: Deliver,
    settings: Settings,
) -> None:
    slug = await letter_campaign()
    name = 'Eve "admin@evil.example", <x@evil.example>'
    written = await client.post(
        f"/api/v1/campaigns/{slug}/letters",
        json=writer(
            given_name=name, body=BODY_TEMPLATE + "\n\n{{official_name}} {{activist_name}}"
        ),
    )
    assert written.status_code == 202
    [confirmation] = await deliver_emails()
    await client.get(link_in(confirmation, LETTER_CONFIRM))
    [letter] = emails_to(await deliver_emails(), "alex.morgan@parliament.example")
    [(display, address)] = getaddresses([str(letter["From"])])
    assert address == settings.email_from_address
    assert display == f"{name} Lovelace via Campaign"
    assert letter["Bcc"] is None and letter.get_all("From") and len(letter.get_all("From")) == 1
    # The activist's name is text in the body, placeholders in it are not filled again.
    assert f"Alex Morgan {name} Lovelace" in text_body(letter)
    assert str(Address(addr_spec="ada@example.org")) == str(letter["Reply-To"])


async def test_an_address_confirmed_before_sends_at_once(
    client: httpx.AsyncClient,
    letter_campaign: Callable[..., Awaitable[str]],
    publish_petition: Callable[..., Awaitable[dict[str, Any]]],
    deliver_emails: Deliver,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    petition = await publish_petition()
    await client.post(f"/api/v1/campaigns/{petition['slug']}/signatures", json=signer())
    [confirmation] = await deliver_emails()
    assert (await client.get(confirmation_path(confirmation))).status_code == 200

    slug = await letter_campaign()
    written = await client.post(f"/api/v1/campaigns/{slug}/letters", json=writer())
    assert written.status_code == 202
    assert await outbox(session_factory, "letter_confirmation") == []
    [to_official] = await outbox(session_factory, "letter_to_official")
    assert to_official.to_address == "alex.morgan@parliament.example"
    assert len(await outbox(session_factory, "letter_copy")) == 1


async def test_a_second_letter_from_the_same_person_is_kept_not_sent(
    client: httpx.AsyncClient,
    letter_campaign: Callable[..., Awaitable[str]],
    deliver_emails: Deliver,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    slug = await letter_campaign()
    await client.post(f"/api/v1/campaigns/{slug}/letters", json=writer())
    [confirmation] = await deliver_emails()
    await client.get(link_in(confirmation, LETTER_CONFIRM))
    # Following the link again sends nothing more.
    again = await client.get(link_in(confirmation, LETTER_CONFIRM))
    assert again.status_code == 200
    second = await client.post(f"/api/v1/campaigns/{slug}/letters", json=writer())
    assert second.status_code == 202
    assert len(await outbox(session_factory, "letter_to_official")) == 1
    staff = await client.get(
        f"/api/v1/staff/campaigns/{slug}/letters",
        headers=await _viewer_headers(client, session_factory),
    )
    assert staff.json()["totals"]["letters_by_status"] == {"confirmed": 1, "held": 1}


async def _viewer_headers(
    client: httpx.AsyncClient, factory: async_sessionmaker[AsyncSession]
) -> dict[str, str]:
    from campaign.staff.models import Role
    from campaign.staff.service import create_token

    async with transaction(factory) as session:
        _token, secret = await create_token(session, name="reader", role=Role.VIEWER)
    return {"Authorization": f"Bearer {secret}"}


async def test_unedited_and_personalised_letters_are_counted_apart(
    client: httpx.AsyncClient,
    letter_campaign: Callable[..., Awaitable[str]],
    editor: dict[str, str],
    deliver_emails: Deliver,
) -> None:
    slug = await letter_campaign()
    letters = [
        writer(email="one@example.org"),  # the template as it is
        writer(email="two@example.org", body=BODY_TEMPLATE.replace("Dear", "Hello")),
        writer(
            email="three@example.org",
            body=BODY_TEMPLATE
            + "\n\nMy family has farmed in the Vale for four generations, and the flood"
            " would take our fields, our school and the church where my parents married.",
        ),
    ]
    for body in letters:
        assert (
            await client.post(f"/api/v1/campaigns/{slug}/letters", json=body)
        ).status_code == 202
    for confirmation in await deliver_emails():
        await client.get(link_in(confirmation, LETTER_CONFIRM))
    page = (await client.get(f"/api/v1/staff/campaigns/{slug}/letters", headers=editor)).json()
    assert page["totals"]["personalised"] == 1
    assert page["totals"]["unedited"] == 2
    by_email = {letter["email"]: letter for letter in page["letters"]}
    assert by_email["one@example.org"]["similarity"] == 1.0
    assert by_email["three@example.org"]["personalised"] is True


async def test_setup_is_checked(
    client: httpx.AsyncClient,
    editor: dict[str, str],
    officials: dict[str, int],
    publish_petition: Callable[..., Awaitable[dict[str, Any]]],
) -> None:
    from tests.conftest import petition_fields
    from tests.letters.conftest import setup_fields

    fields = petition_fields(slug="a-letter", kind="letter")
    await client.post("/api/v1/staff/campaigns", json=fields, headers=editor)
    not_ready = await client.post("/api/v1/staff/campaigns/a-letter/publish", headers=editor)
    assert not_ready.status_code == 409 and not_ready.json()["field"] == "letter"

    url = "/api/v1/staff/campaigns/a-letter/letter"
    cases = [
        (setup_fields(body_template=BODY_TEMPLATE + " {{secret}}"), "body_template"),
        (setup_fields(required_phrases=["not in the template"]), "required_phrases"),
        (setup_fields(min_length=500, max_length=100), "max_length"),
        (
            setup_fields(targets={"kind": "fixed", "official_ids": [999_999]}),
            "targets.official_ids",
        ),
        (setup_fields(targets={"kind": "role", "role": "!!"}), "targets.role.role"),
        (setup_fields(over_limit="drop"), "over_limit"),
    ]
    for body, field in cases:
        answer = await client.put(url, json=body, headers=editor)
        assert answer.status_code == 422, (field, answer.text)
        assert answer.json()["field"].startswith(field.split(".")[0]), answer.json()

    petition = await publish_petition()
    refused = await client.put(
        f"/api/v1/staff/campaigns/{petition['slug']}/letter", json=setup_fields(), headers=editor
    )
    assert refused.status_code == 409


async def test_deliveries_are_stored_as_sent(
    client: httpx.AsyncClient,
    letter_campaign: Callable[..., Awaitable[str]],
    deliver_emails: Deliver,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    slug = await letter_campaign()
    await client.post(f"/api/v1/campaigns/{slug}/letters", json=writer())
    [confirmation] = await deliver_emails()
    await client.get(link_in(confirmation, LETTER_CONFIRM))
    [letter] = emails_to(await deliver_emails(), "alex.morgan@parliament.example")
    async with session_factory() as session:
        [delivery] = await session.scalars(select(LetterDelivery))
    assert delivery.body.startswith("Dear Alex Morgan,")
    assert "As your constituent in Riverside" in delivery.body
    assert text_body(letter).startswith(delivery.body)
    # The confirmation link's token and the status link's are gone from the outbox.
    for message in await outbox(session_factory):
        assert "token" not in message.context and "view_token" not in message.context
