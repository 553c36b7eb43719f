"""What the dashboard shows: campaigns with counts, releases with their calls to action
marked in the text (escaped), and a campaign's numbers drawn as SVG."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.charts import bar_chart, column_chart
from campaign.db import transaction
from campaign.donations.models import Donation, DonationPayment
from campaign.metrics.models import PageView
from campaign.metrics.rollup import update_rollups
from campaign.people.models import Person
from campaign.releases.models import CallToActionRecord, Release
from campaign.signatures.models import Signature

SVG = "{http://www.w3.org/2000/svg}"
RELEASE_TEXT = (
    "Campaigners met today.\n\n"
    "Ministers must <script>alert('x')</script> stop & think now. "
    "Everyone agreed it was wet."
)


async def _add_release(factory: async_sessionmaker[AsyncSession]) -> tuple[int, int]:
    sentence = "Ministers must <script>alert('x')</script> stop & think now."
    start = RELEASE_TEXT.index(sentence)
    async with transaction(factory) as session:
        release = Release(
            content_hash="a" * 64,
            title="Rain <b>report</b>",
            language="en",
            source_format="text",
            submitted=RELEASE_TEXT,
            text=RELEASE_TEXT,
        )
        session.add(release)
        await session.flush()
        call = CallToActionRecord(
            release_id=release.id,
            sentence=sentence,
            start=start,
            end=start + len(sentence),
            targets=["Ministers"],
            resolved_targets=["Ministers"],
            action="stop & think",
            strength="must",
            confidence=0.9,
            reason="deontic modal",
        )
        session.add(call)
        await session.flush()
        return release.id, call.id


async def test_a_release_marks_its_call_to_action_and_escapes_everything(
    editor_session: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    release_id, call_id = await _add_release(session_factory)
    listed = await editor_session.get("/staff/releases")
    assert f'href="/staff/releases/{release_id}"' in listed.text
    assert "Rain &lt;b&gt;report&lt;/b&gt;" in listed.text

    page = await editor_session.get(f"/staff/releases/{release_id}")
    assert page.status_code == 200
    assert "<script>" not in page.text
    marked = re.search(rf'<mark id="call-{call_id}"[^>]*>(.*?)</mark>', page.text, re.S)
    assert marked, page.text
    assert marked.group(1) == (
        "Ministers must &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; stop &amp; think now."
    )
    text = page.text[page.text.index('class="release-text"') :]
    assert "Campaigners met today.\n\n<mark" in text
    assert "</mark> Everyone agreed it was wet." in text


def test_marks_skip_offsets_that_do_not_fit_the_text() -> None:
    from campaign.staff.dashboard import release_text_parts

    calls: list[Any] = [
        CallToActionRecord(id=1, start=0, end=5),
        CallToActionRecord(id=2, start=3, end=8),  # overlaps the first: marked after it
        CallToActionRecord(id=4, start=1, end=4),  # inside the first: nothing left to mark
        CallToActionRecord(id=3, start=9, end=99),  # beyond the end
    ]
    parts = release_text_parts("abcdefghijkl", calls)
    assert [(p.text, p.call.id if p.call else None) for p in parts] == [
        ("abcde", 1),
        ("fgh", 2),
        ("ijkl", None),
    ]


async def _sign(
    factory: async_sessionmaker[AsyncSession],
    campaign_id: int,
    rows: list[tuple[str, str, datetime]],
) -> None:
    async with transaction(factory) as session:
        for number, (country, status, made) in enumerate(rows):
            email = f"signer{number}@example.org"
            person = Person(
                email_normalised=email,
                email=email,
                given_name="A",
                family_name="B",
                country=country,
            )
            session.add(person)
            await session.flush()
            session.add(
                Signature(
                    campaign_id=campaign_id,
                    person_id=person.id,
                    status=status,
                    email=email,
                    given_name="A",
                    family_name="B",
                    country=country,
                    email_updates=False,
                    channel="api",
                    created_at=made,
                    confirmed_at=made if status == "confirmed" else None,
                )
            )


def _bars(svg: str) -> dict[str, int]:
    root = ET.fromstring(svg)
    return {
        rect.attrib["data-label"]: int(rect.attrib["data-value"])
        for rect in root.iter(f"{SVG}rect")
    }


def _figure(page: str, figure_id: str) -> str:
    match = re.search(rf'<figure id="{figure_id}">(<svg.*?</svg>)</figure>', page, re.S)
    assert match, f"no chart {figure_id}"
    return match.group(1)


async def test_the_campaign_page_draws_its_numbers(
    editor_session: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    publish_petition: Callable[..., Awaitable[dict[str, Any]]],
) -> None:
    campaign = await publish_petition(slug="count-me")
    day = datetime(2026, 11, 20, 12, tzinfo=UTC)
    await _sign(
        session_factory,
        campaign["id"],
        [
            ("GB", "confirmed", day),
            ("GB", "confirmed", day + timedelta(hours=1)),
            ("FR", "pending", day),
            ("GB", "pending", day + timedelta(days=2)),
            ("DE", "fraudulent", day + timedelta(days=2)),  # made, but neither count
            ("DE", "confirmed", day + timedelta(days=2, hours=11, minutes=59)),
        ],
    )
    async with transaction(session_factory) as session:
        donor = Person(
            email_normalised="d@example.org",
            email="d@example.org",
            given_name="D",
            family_name="E",
            country="GB",
        )
        session.add(donor)
        await session.flush()
        gift = Donation(
            campaign_id=campaign["id"],
            person_id=donor.id,
            frequency="one_off",
            amount=500,
            currency="gbp",
            status="paid",
            request_key="k1",
        )
        session.add(gift)
        await session.flush()
        session.add(
            DonationPayment(
                payment_intent_id="pi_1",
                donation_id=gift.id,
                amount=500,
                currency="gbp",
                paid_at=day,
            )
        )

    async with transaction(session_factory) as session:
        await update_rollups(session, lag=timedelta(0))

    home = await editor_session.get("/staff")
    row = re.search(r'<a href="/staff/campaigns/count-me">.*?</tr>', home.text, re.S)
    assert row
    assert re.findall(r'<td class="number">(\d+)</td>', row.group(0)) == ["3", "2"]

    page = await editor_session.get("/staff/campaigns/count-me")
    assert page.status_code == 200
    assert re.search(r'id="confirmed-count">3<', page.text)
    assert re.search(r'id="pending-count">2<', page.text)

    per_day = _bars(_figure(page.text, "chart-per-day"))
    assert per_day == {"2026-11-20": 3, "2026-11-21": 0, "2026-11-22": 3}
    assert _bars(_figure(page.text, "chart-countries")) == {"GB": 3, "DE": 2, "FR": 1}
    funnel = _figure(page.text, "chart-funnel")
    assert _bars(funnel) == {"Signatures": 6, "Confirmations": 3, "Donations": 1}
    assert "not recorded" in funnel


async def test_the_funnel_starts_with_the_rolled_up_page_views(
    editor_session: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    publish_petition: Callable[..., Awaitable[dict[str, Any]]],
) -> None:
    campaign = await publish_petition(slug="seen-often")
    hour = datetime(2026, 11, 20, 12, tzinfo=UTC)
    async with transaction(session_factory) as session:
        for number, source in enumerate(["direct", "newsletter"]):
            session.add_all(
                PageView(
                    campaign_id=campaign["id"],
                    created_at=hour + timedelta(hours=number, minutes=minute),
                    source=source,
                )
                for minute in range(20)
            )
    await _sign(session_factory, campaign["id"], [("GB", "confirmed", hour)])
    async with transaction(session_factory) as session:
        await update_rollups(session, lag=timedelta(0))
    page = await editor_session.get("/staff/campaigns/seen-often")
    funnel = _figure(page.text, "chart-funnel")
    assert _bars(funnel) == {
        "Page views": 40,
        "Signatures": 1,
        "Confirmations": 1,
        "Donations": 0,
    }
    assert "not recorded" not in funnel


def test_bar_heights_follow_the_numbers_and_labels_are_escaped() -> None:
    svg = column_chart([("a", 2), ("<b>", 4), ("c", 0)], title="T & <x>")
    root = ET.fromstring(svg)
    heights = {r.attrib["data-label"]: float(r.attrib["height"]) for r in root.iter(f"{SVG}rect")}
    assert heights["<b>"] == 2 * heights["a"] > 0
    assert heights["c"] == 0
    assert "<b>" not in svg and "&lt;b&gt;" in svg
    assert root.attrib["aria-label"] == "T & <x>"

    bars = ET.fromstring(bar_chart([("x", 10), ("y", 5), ("z", None)], title="t"))
    widths = {r.attrib["data-label"]: float(r.attrib["width"]) for r in bars.iter(f"{SVG}rect")}
    assert widths["x"] == 2 * widths["y"]
    assert "z" not in widths
    texts = [t.text for t in bars.iter(f"{SVG}text")]
    assert "10" in texts and "5" in texts and "not recorded" in texts


async def test_countries_beyond_the_largest_are_one_other_bar(
    session_factory: async_sessionmaker[AsyncSession],
    publish_petition: Callable[..., Awaitable[dict[str, Any]]],
) -> None:
    from campaign.staff.dashboard import MAX_COUNTRIES_SHOWN, signatures_by_country

    campaign = await publish_petition(slug="many-countries")
    now = datetime.now(UTC)
    countries = ["GB", "GB", "FR", "DE", "ES", "IT", "NL", "BE", "PT", "IE", "AT", "PL", "SE"]
    await _sign(session_factory, campaign["id"], [(c, "pending", now) for c in countries])
    async with transaction(session_factory) as session:
        await update_rollups(session, lag=timedelta(0))
    async with session_factory() as session:
        rows = await signatures_by_country(session, campaign["id"])
    assert len(rows) == MAX_COUNTRIES_SHOWN
    assert rows[0] == ("GB", 2)
    assert rows[-1] == ("other", 3)
    assert sum(count for _, count in rows) == len(countries)


async def test_an_anonymous_visit_is_sent_to_log_in(client: httpx.AsyncClient) -> None:
    answer = await client.get("/staff/campaigns/anything")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/staff/login?next=%2Fstaff%2Fcampaigns%2Fanything"
    form = await client.get(answer.headers["location"])
    assert form.status_code == 200
    assert 'name="next" value="/staff/campaigns/anything"' in form.text
