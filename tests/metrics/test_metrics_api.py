"""The staff metrics API over HTTP: the time series in the caller's time zone (a DST
change day among them), breakdowns by country and source, the funnel from the page-view
beacon, and the letters, emails and donations totals."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from api.app import create_app
from campaign.config import Settings
from campaign.db import transaction
from campaign.donations.models import Donation, DonationPayment
from campaign.inbox.models import EmailEvent
from campaign.letters.models import Letter, LetterDelivery
from campaign.outbox.models import OutboxMessage
from campaign.people.models import Person
from campaign.targets.models import Official
from tests.conftest import signer
from tests.fixtures.emails import confirmation_path
from tests.metrics.conftest import Factory, RunPass, add_signatures, campaign_id

Publish = Callable[..., Awaitable[dict[str, Any]]]
Deliver = Callable[[], Awaitable[list[Any]]]
SLUG = "stop-the-arms-trade"
METRICS = f"/api/v1/staff/campaigns/{SLUG}/metrics"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def signatures_around_the_march_2026_clock_change(factory: Factory) -> None:
    """Europe/London moves to BST at 01:00 UTC on 29 March 2026: that day has 23 hours."""
    campaign = await campaign_id(factory, SLUG)
    await add_signatures(factory, campaign, 1, at=utc("2026-03-28T23:30"))  # 28th, GMT
    await add_signatures(factory, campaign, 1, at=utc("2026-03-29T00:30"))  # 29th, GMT
    await add_signatures(  # 29th, 23:30 BST
        factory,
        campaign,
        1,
        at=utc("2026-03-29T22:30"),
        status="confirmed",
        confirmed_at=utc("2026-03-29T22:40"),
    )
    await add_signatures(factory, campaign, 1, at=utc("2026-03-29T23:30"))  # 30th, BST


async def series(client: httpx.AsyncClient, viewer: dict[str, str], **query: str) -> list[Any]:
    params = {"from": "2026-03-28", "to": "2026-03-31", **query}
    answer = await client.get(METRICS, params=params, headers=viewer)
    assert answer.status_code == 200, answer.text
    return [(p["start"], p["created"], p["confirmed"]) for p in answer.json()["series"]]


async def test_days_follow_the_callers_time_zone_across_a_clock_change(
    client: httpx.AsyncClient,
    viewer: dict[str, str],
    publish_petition: Publish,
    session_factory: Factory,
    run_pass: RunPass,
) -> None:
    await publish_petition()
    await signatures_around_the_march_2026_clock_change(session_factory)
    await run_pass()

    assert await series(client, viewer, tz="Europe/London") == [
        ("2026-03-28T00:00:00Z", 1, 0),
        ("2026-03-29T00:00:00Z", 2, 1),
        ("2026-03-30T00:00:00+01:00", 1, 0),
    ]
    assert await series(client, viewer, tz="UTC") == [
        ("2026-03-28T00:00:00Z", 1, 0),
        ("2026-03-29T00:00:00Z", 3, 1),
    ]


async def test_hours_in_a_half_hour_zone_start_at_half_past(
    client: httpx.AsyncClient,
    viewer: dict[str, str],
    publish_petition: Publish,
    session_factory: Factory,
    run_pass: RunPass,
) -> None:
    await publish_petition()
    await signatures_around_the_march_2026_clock_change(session_factory)
    await run_pass()

    hours = await series(client, viewer, tz="Asia/Kolkata", bucket="hour")
    assert hours[0] == ("2026-03-29T04:30:00+05:30", 1, 0)
    assert ("2026-03-30T03:30:00+05:30", 1, 1) in hours  # 22:30 UTC: its hour from 22:00
    days = await series(client, viewer, tz="Asia/Kolkata")
    assert days == [("2026-03-29T00:00:00+05:30", 2, 0), ("2026-03-30T00:00:00+05:30", 2, 1)]


async def test_an_unknown_time_zone_is_a_problem_naming_tz(
    client: httpx.AsyncClient, viewer: dict[str, str], publish_petition: Publish
) -> None:
    await publish_petition()
    answer = await client.get(METRICS, params={"tz": "Mars/Olympus_Mons"}, headers=viewer)
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["field"] == "tz"
    reversed_window = {"from": "2026-03-02", "to": "2026-03-01"}
    assert (await client.get(METRICS, params=reversed_window, headers=viewer)).status_code == 422


async def test_metrics_need_a_staff_token(
    client: httpx.AsyncClient, publish_petition: Publish
) -> None:
    await publish_petition()
    assert (await client.get(METRICS)).status_code == 401
    assert (await client.get("/api/v1/staff/metrics")).status_code == 401


async def test_the_funnel_runs_from_page_views_to_confirmations(
    client: httpx.AsyncClient,
    viewer: dict[str, str],
    publish_petition: Publish,
    deliver_emails: Deliver,
    run_pass: RunPass,
) -> None:
    await publish_petition()
    views = f"/api/v1/campaigns/{SLUG}/views"
    for body in ({"source": "newsletter"}, {"referrer": "https://www.Example.net/x?y"}, None):
        answer = await client.post(views, json=body)
        assert answer.status_code == 204
        assert "set-cookie" not in answer.headers
    assert (await client.post(views, json={"source": "x" * 201})).status_code == 422
    assert (await client.post("/api/v1/campaigns/no-such/views")).status_code == 404

    tracked = signer(email="grace@example.org", tracking={"source": "newsletter"})
    for person in (signer(), tracked):
        assert (await client.post(f"/api/v1/campaigns/{SLUG}/signatures", json=person)).is_success
    first_email = (await deliver_emails())[0]
    assert (await client.get(confirmation_path(first_email))).status_code == 200
    await run_pass()

    answer = (await client.get(METRICS, headers=viewer)).json()
    assert answer["funnel"] == {
        "page_views": 3,
        "signatures": 2,
        "confirmations": 1,
        "donations": 0,
    }
    by_source = {row["key"]: (row["page_views"], row["created"]) for row in answer["by_source"]}
    assert by_source == {"newsletter": (1, 1), "www.example.net": (1, 0), "direct": (1, 1)}
    assert answer["by_country"] == [{"key": "GB", "created": 2, "confirmed": 1, "page_views": 0}]
    assert answer["totals"]["signatures"] == {
        "confirmed": 1,
        "pending": 1,
        "fraudulent": 0,
        "invalidated": 0,
    }


async def test_totals_of_letters_emails_and_donations(
    client: httpx.AsyncClient,
    viewer: dict[str, str],
    publish_petition: Publish,
    session_factory: Factory,
    run_pass: RunPass,
) -> None:
    await publish_petition()
    await publish_petition(slug="other")
    campaign = await campaign_id(session_factory, SLUG)
    other = await campaign_id(session_factory, "other")
    await _emails_letters_and_donations(session_factory, campaign)
    just_sent = await _emails_letters_and_donations(session_factory, other)
    await run_pass()

    totals = (await client.get(METRICS, headers=viewer)).json()["totals"]
    assert totals["letters"] == {"sent": 2, "delivered": 1}
    assert totals["emails"] == {
        "sent": 3,
        "delivered": 1,
        "bounced": 1,
        "opened": 1,
        "unsubscribed": 1,
    }
    assert totals["donations"] == {
        "donations": 2,
        "currencies": [
            {"currency": "eur", "payments": 1, "received": 1000, "refunded": 0},
            {"currency": "gbp", "payments": 2, "received": 3500, "refunded": 500},
        ],
    }
    everything = (await client.get("/api/v1/staff/metrics", headers=viewer)).json()["totals"]
    assert everything["emails"]["sent"] == 6
    assert everything["donations"]["donations"] == 4

    # Events after the pass: a message already opened is not opened again; one not yet
    # delivered now is.
    await _add_events(session_factory, just_sent, "open", "delivered")
    await run_pass()
    other_totals = (
        await client.get("/api/v1/staff/campaigns/other/metrics", headers=viewer)
    ).json()
    assert other_totals["totals"]["emails"] == totals["emails"] | {"delivered": 2}
    everything = (await client.get("/api/v1/staff/metrics", headers=viewer)).json()["totals"]
    assert everything["emails"] == {
        "sent": 6,
        "delivered": 3,
        "bounced": 2,
        "opened": 2,
        "unsubscribed": 2,
    }


_event_numbers = itertools.count()


async def _add_events(factory: Factory, message_id: int, *events: str) -> None:
    """Delivery events as the SendGrid webhook stores them."""
    async with transaction(factory) as session:
        for event in events:
            session.add(
                EmailEvent(
                    provider_event_id=f"event-{next(_event_numbers)}",
                    outbox_message_id=message_id,
                    event=event,
                    occurred_at=datetime.now(UTC),
                    payload={},
                )
            )


async def _emails_letters_and_donations(factory: Factory, campaign: int) -> int:
    """Three emails sent (delivered, bounced, opened and unsubscribed from) and one still
    queued; two of them letters to an official; a paid one-off gift, a monthly gift paid
    twice in two currencies, and an unpaid one. Returns the id of the email opened but
    not yet delivered."""
    now = datetime.now(UTC)
    async with transaction(factory) as session:
        person = Person(
            email_normalised=f"d{campaign}@example.org",
            email=f"d{campaign}@example.org",
            given_name="Ada",
            family_name="Byron",
            country="GB",
        )
        official = Official(
            external_id=f"official-{campaign}",
            name="A. Member",
            title="Member",
            role="member",
            organisation="Parliament",
            email="member@example.org",
            country="GB",
        )
        session.add_all([person, official])
        await session.flush()
        emails = [
            OutboxMessage(
                kind="letter_to_official",
                to_address="member@example.org",
                context={},
                campaign_id=campaign,
                status=status,
                sent_at=now if status == "sent" else None,
                delivery_status=delivery,
            )
            for status, delivery in [
                ("sent", "delivered"),
                ("sent", "bounced"),
                ("sent", "sent"),
                ("pending", "queued"),
            ]
        ]
        session.add_all(emails)
        await session.flush()
        for email in (emails[0], emails[2], emails[3]):
            letter = Letter(
                campaign_id=campaign,
                person_id=person.id,
                status="confirmed",
                email=person.email,
                given_name="Ada",
                family_name="Byron",
                country="GB",
                subject="Please",
                body="Please act.",
                similarity=1.0,
                personalised=False,
                email_updates=False,
            )
            session.add(letter)
            await session.flush()
            session.add(
                LetterDelivery(
                    letter_id=letter.id,
                    campaign_id=campaign,
                    official_id=official.id,
                    state="scheduled",
                    subject="Please",
                    body="Please act.",
                    outbox_message_id=email.id,
                )
            )
        gifts = [
            Donation(
                campaign_id=campaign,
                person_id=person.id,
                frequency=frequency,
                amount=amount,
                currency="gbp",
                status=status,
                request_key=f"key-{campaign}-{number}",
            )
            for number, (frequency, amount, status) in enumerate(
                [
                    ("one_off", 2500, "paid"),
                    ("monthly", 1000, "active"),
                    ("one_off", 900, "pending"),
                ]
            )
        ]
        session.add_all(gifts)
        await session.flush()
        for number, (gift, amount, currency, refunded) in enumerate(
            [(gifts[0], 2500, "gbp", 500), (gifts[1], 1000, "gbp", 0), (gifts[1], 1000, "eur", 0)]
        ):
            session.add(
                DonationPayment(
                    payment_intent_id=f"pi_{campaign}_{number}",
                    donation_id=gift.id,
                    amount=amount,
                    currency=currency,
                    paid_at=now - timedelta(minutes=number),
                    refunded_amount=refunded,
                )
            )
    delivered, bounced, just_sent, _ = (email.id for email in emails)
    # Reported twice, as providers sometimes do: still one delivered message.
    await _add_events(factory, delivered, "processed", "delivered", "delivered")
    await _add_events(factory, bounced, "processed", "bounce")
    await _add_events(factory, just_sent, "processed", "open", "open", "group_unsubscribe")
    return just_sent


async def test_breakdowns_count_exactly_the_hours_of_a_window_with_ragged_ends(
    client: httpx.AsyncClient,
    viewer: dict[str, str],
    publish_petition: Publish,
    session_factory: Factory,
    run_pass: RunPass,
) -> None:
    """Whole days come from the daily rollups and the ends from the hourly ones; either
    way a breakdown covers the same hours as the series."""
    await publish_petition()
    campaign = await campaign_id(session_factory, SLUG)
    made = {
        "2026-03-10T04:59": "FR",  # before the window
        "2026-03-10T05:10": "GB",  # its first, partial day
        "2026-03-10T23:59": "DE",
        "2026-03-11T12:00": "GB",  # a whole day
        "2026-03-12T06:59": "FR",  # its last, partial day
        "2026-03-12T07:10": "GB",  # the hour the window ends in
        "2026-03-12T08:00": "DE",  # after the window
    }
    for at, country in made.items():
        # An email campaign brought the British signers.
        utm = {"utm_campaign": "spring-appeal"} if country == "GB" else {}
        await add_signatures(session_factory, campaign, at=utc(at), country=country, **utm)
    await run_pass()

    async def counted(start: str, end: str, tz: str) -> dict[str, int]:
        params = {"from": start, "to": end, "tz": tz, "bucket": "hour"}
        answer = (await client.get(METRICS, params=params, headers=viewer)).json()
        by_country = {row["key"]: row["created"] for row in answer["by_country"]}
        assert sum(by_country.values()) == sum(point["created"] for point in answer["series"])
        assert sum(row["created"] for row in answer["by_source"]) == sum(by_country.values())
        by_utm = {row["key"]: row["created"] for row in answer["by_utm_campaign"]}
        assert by_utm == {
            key: count
            for key, count in {
                "spring-appeal": by_country.get("GB", 0),
                "(none)": sum(by_country.values()) - by_country.get("GB", 0),
            }.items()
            if count
        }
        return by_country

    assert await counted("2026-03-10T05:00", "2026-03-12T07:30", "UTC") == {
        "GB": 3,
        "FR": 1,
        "DE": 1,
    }
    # The same instants in a zone half an hour off UTC.
    assert await counted("2026-03-10T10:30", "2026-03-12T13:00", "Asia/Kolkata") == {
        "GB": 3,
        "FR": 1,
        "DE": 1,
    }
    assert await counted("2026-03-11T10:00", "2026-03-11T13:00", "UTC") == {"GB": 1}
    assert await counted("2026-03-09", "2026-03-14", "UTC") == {"GB": 3, "FR": 2, "DE": 2}


async def test_views_beyond_the_per_ip_limit_are_answered_alike_and_not_counted(
    settings: Settings,
    viewer: dict[str, str],
    publish_petition: Publish,
    run_pass: RunPass,
) -> None:
    await publish_petition()
    application = create_app(settings.model_copy(update={"view_rate_limit": "2/minute"}))
    async with application.router.lifespan_context(application):
        for ip, views in (("198.51.100.7", 4), ("198.51.100.8", 1)):
            transport = httpx.ASGITransport(app=application, client=(ip, 50000))
            async with httpx.AsyncClient(
                transport=transport, base_url="http://campaign.test"
            ) as visitor:
                for _ in range(views):
                    answer = await visitor.post(f"/api/v1/campaigns/{SLUG}/views")
                    assert (answer.status_code, answer.content) == (204, b"")
        await run_pass()
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://campaign.test") as staff:
            funnel = (await staff.get(METRICS, headers=viewer)).json()["funnel"]
    assert funnel["page_views"] == 3
