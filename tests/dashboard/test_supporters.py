"""A campaign's supporters on the dashboard: signatures listed with what was stored
about them, searched by each filter, paged by keyset without gaps or repeats, and
marked fraudulent or invalid (and unmarked) by editors only; letter writers listed with
the officials they wrote to."""

from __future__ import annotations

import html
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.db import transaction
from campaign.letters.models import Letter
from campaign.people.models import Person
from campaign.signatures import queries
from campaign.signatures.models import Signature
from campaign.signatures.queries import PAGE_SIZE
from campaign.staff.models import Role
from tests.conftest import petition_fields
from tests.dashboard.conftest import LogIn, MakeUser, csrf_token_in
from tests.letters.conftest import letter_campaign, officials, writer

__all__ = ["letter_campaign", "officials"]  # fixtures, imported for the letters test

Factory = async_sessionmaker[AsyncSession]
Publish = Callable[..., Awaitable[dict[str, Any]]]
SLUG = "stop-the-arms-trade"
LIST = f"/staff/campaigns/{SLUG}/supporters"
PUBLIC = f"/api/v1/campaigns/{SLUG}"
SIGNED = datetime(2026, 11, 20, 12, tzinfo=UTC)
ROW_ID = re.compile(r'<tr data-signature="(\d+)"')
LINK = re.compile(r'<a href="([^"]+)"(?: rel="(?:prev|next)")?>(Newest|Newer|Older)</a>')


def _person(number: int, **fields: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "given_name": "Grace",
        "family_name": "Hopper",
        "email": f"person{number}@example.org",
        "country": "GB",
        "status": "pending",
    }
    values.update(fields)
    return values


async def _add(factory: Factory, campaign_id: int, people: list[dict[str, Any]]) -> list[int]:
    """Signatures as signing writes them, oldest first; returns their ids."""
    ids = []
    async with transaction(factory) as session:
        for number, fields in enumerate(people):
            fields = dict(fields)
            email = fields.pop("email")
            normalised = fields.pop("normalised", email.lower())
            status = fields.pop("status")
            person = Person(
                email_normalised=normalised,
                email=email,
                given_name=fields["given_name"],
                family_name=fields["family_name"],
                country=fields["country"],
            )
            session.add(person)
            await session.flush()
            made = SIGNED + timedelta(minutes=number)
            signature = Signature(
                campaign_id=campaign_id,
                person_id=person.id,
                status=status,
                email=email,
                email_updates=False,
                channel="web",
                created_at=made,
                confirmed_at=made + timedelta(minutes=5) if status == "confirmed" else None,
                **fields,
            )
            session.add(signature)
            await session.flush()
            ids.append(signature.id)
    return ids


def _listed(page: httpx.Response) -> list[int]:
    assert page.status_code == 200, page.text
    return [int(found) for found in ROW_ID.findall(page.text)]


def _links(page: httpx.Response) -> dict[str, str]:
    return {name: html.unescape(href) for href, name in LINK.findall(page.text)}


def _row(page: httpx.Response, signature_id: int) -> str:
    match = re.search(rf'<tr data-signature="{signature_id}">.*?</tr>', page.text, re.S)
    assert match, f"signature {signature_id} is not listed"
    return match.group(0)


async def _public_confirmed(client: httpx.AsyncClient) -> int:
    return int((await client.get(PUBLIC)).json()["counts"]["confirmed"])


@pytest.fixture
async def petition(publish_petition: Publish) -> int:
    created = await publish_petition()
    return int(created["id"])


async def test_the_list_shows_each_signature_with_what_was_stored(
    editor_session: httpx.AsyncClient, session_factory: Factory, petition: int
) -> None:
    [ada, bob] = await _add(
        session_factory,
        petition,
        [
            _person(
                1,
                given_name="Ada",
                family_name="Lovelace",
                status="confirmed",
                country="FR",
                utm_source="newsletter",
                utm_medium="email",
                comment="For <my> children",
            ),
            _person(2, given_name="Bob", referrer="https://www.example.net/article?x=1"),
        ],
    )
    page = await editor_session.get(LIST)
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert _listed(page) == [bob, ada]  # newest first
    row = _row(page, ada)
    for shown in (
        "Ada Lovelace",
        "person1@example.org",
        "confirmed",
        "FR",
        "newsletter / email",
        "For &lt;my&gt; children",
        "2026-11-20 12:00",
        "2026-11-20 12:05",
    ):
        assert shown in row
    assert "www.example.net" in _row(page, bob)
    assert re.search(r'id="confirmed-count">1<', page.text)
    assert re.search(r'id="pending-count">1<', page.text)
    assert f'href="{LIST}/{ada}">Review' in row


# Each search, and the people it finds among Ada, Bob and Bea (see the test).
SEARCHES: list[tuple[dict[str, str], list[str]]] = [
    ({"email": "Ada.Lovelace@Gmail.com"}, ["ada"]),  # the same inbox, however spelt
    ({"email": "adalovelace@gmail.com"}, ["ada"]),
    ({"email": "ADA."}, ["ada"]),  # the start of an address, in any case
    ({"email": "b*"}, ["bea", "bob"]),
    ({"email": "bob@example.org*"}, ["bob"]),
    ({"email": "bob@example.org"}, ["bob"]),
    ({"email": "nobody@example.org"}, []),
    ({"email": "_ob"}, []),  # LIKE's wildcards are only characters here
    ({"name": "LOVE"}, ["ada"]),
    ({"name": "ea Sm"}, ["bea"]),
    ({"name": "%"}, []),
    ({"status": "confirmed"}, ["ada", "bob"]),
    ({"status": "invalidated"}, []),
    ({"country": "fr"}, ["bea"]),
    ({"source": "newsletter"}, ["ada"]),
    ({"source": "news.example.com"}, ["bob"]),
    ({"source": "direct"}, ["bea"]),
    ({"status": "confirmed", "country": "GB", "name": "bob"}, ["bob"]),
]


async def test_each_filter_finds_its_signatures(
    editor_session: httpx.AsyncClient, session_factory: Factory, petition: int
) -> None:
    ids = await _add(
        session_factory,
        petition,
        [
            _person(
                1,
                given_name="Ada",
                family_name="Lovelace",
                email="Ada.Lovelace@gmail.com",
                normalised="adalovelace@gmail.com",
                status="confirmed",
                utm_source="newsletter",
            ),
            _person(
                2,
                given_name="Bob",
                family_name="Jones",
                email="bob@example.org",
                status="confirmed",
                referrer="https://News.Example.com/today",
            ),
            _person(
                3, given_name="Bea", family_name="Smith", email="bea@example.org", country="FR"
            ),
        ],
    )
    names = dict(zip(["ada", "bob", "bea"], ids, strict=True))
    for query, expected in SEARCHES:
        page = await editor_session.get(LIST, params=query)
        found = sorted(_listed(page))
        assert found == sorted(names[name] for name in expected), query
        assert "Show all" in page.text
        # The form shows the search it made.
        for name, value in query.items():
            shown = f'<option value="{value}" selected>' if name == "status" else f'value="{value}"'
            assert shown in page.text, (name, value)


async def test_a_search_that_cannot_be_made_says_why_beside_the_field(
    editor_session: httpx.AsyncClient, session_factory: Factory, petition: int
) -> None:
    await _add(session_factory, petition, [_person(1)])
    for query, field in (
        ({"country": "XX"}, "country"),
        ({"status": "deleted"}, "status"),
        ({"name": "n" * 201}, "name"),
        ({"email": "e" * 321}, "email"),
    ):
        page = await editor_session.get(LIST, params=query)
        assert page.status_code == 422, query
        assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', page.text, re.S)
        assert f'id="{field}-error"' in page.text
        assert ROW_ID.search(page.text) is None
        assert "Nothing was searched" in page.text


async def test_pages_follow_each_other_without_gaps_or_repeats(
    editor_session: httpx.AsyncClient, session_factory: Factory, petition: int
) -> None:
    count = 2 * PAGE_SIZE + 7
    everyone = [_person(n, country="FR" if n % 3 == 0 else "GB") for n in range(count)]
    ids = await _add(session_factory, petition, everyone)
    newest_first = sorted(ids, reverse=True)

    async def walk(start: str, params: dict[str, str]) -> tuple[list[list[int]], list[str]]:
        """Older and older pages from the first; then back with the Newer links."""
        pages, urls = [], []
        page = await editor_session.get(start, params=params)
        while True:
            pages.append(_listed(page))
            urls.append(str(page.url))
            older = _links(page).get("Older")
            if older is None:
                break
            page = await editor_session.get(older)
        return pages, urls

    pages, _urls = await walk(LIST, {})
    assert [len(found) for found in pages] == [PAGE_SIZE, PAGE_SIZE, 7]
    assert [row for found in pages for row in found] == newest_first

    # Back from the last page to the first by the Newer links: the same pages.
    page = await editor_session.get(_links(await editor_session.get(LIST)).get("Older", ""))
    page = await editor_session.get(_links(page)["Older"])
    assert _listed(page) == pages[2]
    assert "Older" not in _links(page)
    page = await editor_session.get(_links(page)["Newer"])
    assert _listed(page) == pages[1]
    page = await editor_session.get(_links(page)["Newer"])
    assert _listed(page) == pages[0]
    assert "Newer" not in _links(page)
    assert "Newest" in _links(page)  # reached by a link, so it offers the first page

    # A search pages the same way, and its links keep the search.
    french = [row for row, person in zip(ids, everyone, strict=True) if person["country"] == "FR"]
    pages, _urls = await walk(LIST, {"country": "FR"})
    assert [row for found in pages for row in found] == sorted(french, reverse=True)
    assert len(pages) == 1 or all("country=FR" in url for url in _urls)


async def test_a_search_with_more_than_a_page_of_matches_keeps_it_across_pages(
    editor_session: httpx.AsyncClient, session_factory: Factory, petition: int
) -> None:
    everyone = [_person(n, status="confirmed" if n % 2 else "pending") for n in range(130)]
    ids = await _add(session_factory, petition, everyone)
    confirmed = sorted(
        (row for row, person in zip(ids, everyone, strict=True) if person["status"] == "confirmed"),
        reverse=True,
    )
    first = await editor_session.get(LIST, params={"status": "confirmed"})
    older = _links(first)["Older"]
    assert "status=confirmed" in older
    second = await editor_session.get(older)
    assert _listed(first) + _listed(second) == confirmed[: 2 * PAGE_SIZE]
    assert "status=confirmed" in _links(second)["Newer"]


async def test_keysets_are_bounded_and_name_rows_of_no_other_campaign(
    editor_session: httpx.AsyncClient, session_factory: Factory, petition: int
) -> None:
    await _add(session_factory, petition, [_person(1)])
    assert (await editor_session.get(LIST, params={"before": str(2**64)})).status_code == 422
    assert (await editor_session.get(LIST, params={"after": "0"})).status_code == 422
    assert _listed(await editor_session.get(LIST, params={"before": "1"})) == []


async def test_an_editor_marks_a_signature_invalid_with_a_reason_and_undoes_it(
    editor_session: httpx.AsyncClient, session_factory: Factory, petition: int
) -> None:
    [ada, bob] = await _add(
        session_factory,
        petition,
        [_person(1, given_name="Ada", status="confirmed"), _person(2, status="confirmed")],
    )
    assert await _public_confirmed(editor_session) == 2
    review = await editor_session.get(f"{LIST}/{ada}")
    assert review.status_code == 200
    assert review.headers["cache-control"] == "no-store"
    assert "No staff mark." in review.text

    marked = await editor_session.post(
        f"{LIST}/{ada}/mark",
        data={
            "csrf_token": csrf_token_in(review),
            "status": "invalidated",
            "reason": "The same person as signature 2",
        },
    )
    assert marked.status_code == 303
    assert marked.headers["location"] == f"{LIST}/{ada}?marked=true"
    page = await editor_session.get(marked.headers["location"])
    assert 'id="signature-status">invalidated<' in page.text
    assert "Marked invalidated by Test editor" in page.text
    assert "“The same person as signature 2”" in page.text
    assert "It was confirmed before" in page.text
    assert await _public_confirmed(editor_session) == 1
    listed = await editor_session.get(LIST, params={"status": "invalidated"})
    assert _listed(listed) == [ada]
    assert "marked by staff: The same person as signature 2" in _row(listed, ada)
    assert re.search(r'id="invalidated-count">1<', listed.text)

    undone = await editor_session.post(
        f"{LIST}/{ada}/undo", data={"csrf_token": csrf_token_in(page)}
    )
    assert undone.status_code == 303
    page = await editor_session.get(undone.headers["location"])
    assert 'id="signature-status">confirmed<' in page.text
    assert "No staff mark." in page.text
    assert await _public_confirmed(editor_session) == 2
    assert bob  # never touched


async def test_a_mark_without_a_reason_is_refused_beside_the_field(
    editor_session: httpx.AsyncClient, session_factory: Factory, petition: int
) -> None:
    [ada] = await _add(session_factory, petition, [_person(1, status="confirmed")])
    review = await editor_session.get(f"{LIST}/{ada}")
    for form, field in (
        ({"status": "invalidated", "reason": "   "}, "reason"),
        ({"status": "confirmed", "reason": "fine"}, "status"),
        ({"reason": "spam"}, "status"),
    ):
        refused = await editor_session.post(
            f"{LIST}/{ada}/mark", data={"csrf_token": csrf_token_in(review), **form}
        )
        assert refused.status_code == 422
        assert f'id="{field}-error"' in refused.text
        assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', refused.text, re.S)
        assert 'id="signature-status">confirmed<' in refused.text
    assert await _public_confirmed(editor_session) == 1
    # Undoing where there is no mark says so, and changes nothing.
    nothing = await editor_session.post(
        f"{LIST}/{ada}/undo", data={"csrf_token": csrf_token_in(review)}
    )
    assert nothing.status_code == 409
    assert "no staff mark to undo" in nothing.text


async def test_a_viewer_sees_supporters_but_no_forms_and_may_not_post_them(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    log_in: LogIn,
    session_factory: Factory,
    petition: int,
) -> None:
    [ada] = await _add(session_factory, petition, [_person(1, status="confirmed")])
    await make_user("viewer@example.org", Role.VIEWER)
    assert (await log_in("viewer@example.org")).status_code == 303
    listed = await client.get(LIST)
    assert _listed(listed) == [ada]
    assert f'href="{LIST}/{ada}">View' in listed.text
    review = await client.get(f"{LIST}/{ada}")
    assert review.status_code == 200
    assert "/mark" not in review.text and 'name="reason"' not in review.text
    for action in ("mark", "undo"):
        refused = await client.post(
            f"{LIST}/{ada}/{action}",
            data={"csrf_token": csrf_token_in(review), "status": "invalidated", "reason": "x"},
        )
        assert refused.status_code == 403
    assert await _public_confirmed(client) == 1


async def test_a_mark_without_the_sessions_csrf_token_is_refused(
    editor_session: httpx.AsyncClient, session_factory: Factory, petition: int
) -> None:
    [ada] = await _add(session_factory, petition, [_person(1, status="confirmed")])
    form = {"status": "invalidated", "reason": "spam"}
    for token in ({}, {"csrf_token": "0" * 64}):
        refused = await editor_session.post(f"{LIST}/{ada}/mark", data={**form, **token})
        assert refused.status_code == 403
    assert await _public_confirmed(editor_session) == 1


async def test_nobody_without_a_login_sees_supporters(
    client: httpx.AsyncClient, session_factory: Factory, petition: int
) -> None:
    [ada] = await _add(session_factory, petition, [_person(1)])
    for path in (LIST, f"{LIST}/{ada}"):
        answer = await client.get(path)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/staff/login?next=")
        assert "person1@example.org" not in answer.text
    posted = await client.post(f"{LIST}/{ada}/mark", data={"status": "invalidated", "reason": "x"})
    assert posted.status_code == 303


async def test_a_signature_of_another_campaign_is_not_found_here(
    editor_session: httpx.AsyncClient,
    session_factory: Factory,
    petition: int,
    publish_petition: Publish,
) -> None:
    other = await publish_petition(slug="another-petition")
    [theirs] = await _add(session_factory, int(other["id"]), [_person(1, status="confirmed")])
    assert (await editor_session.get(f"{LIST}/{theirs}")).status_code == 404
    review = await editor_session.get(f"/staff/campaigns/another-petition/supporters/{theirs}")
    marked = await editor_session.post(
        f"{LIST}/{theirs}/mark",
        data={"csrf_token": csrf_token_in(review), "status": "invalidated", "reason": "x"},
    )
    assert marked.status_code == 404
    assert (await editor_session.get(f"{LIST}/{2**64}")).status_code == 422
    # The signature is untouched.
    assert 'id="signature-status">confirmed<' in review.text


async def test_a_letter_campaign_lists_its_writers_and_the_officials_they_wrote_to(
    client: httpx.AsyncClient,
    editor_session: httpx.AsyncClient,
    letter_campaign: Callable[..., Awaitable[str]],
) -> None:
    slug = await letter_campaign()
    sent = await client.post(f"/api/v1/campaigns/{slug}/letters", json=writer())
    assert sent.status_code == 202, sent.text
    other = writer(email="lin@example.org", given_name="Lin", postcode="E1 6AN", country="GB")
    assert (await client.post(f"/api/v1/campaigns/{slug}/letters", json=other)).status_code == 202

    page = await editor_session.get(f"/staff/campaigns/{slug}/supporters")
    assert page.status_code == 200, page.text
    rows = re.findall(r'<tr data-letter="\d+">.*?</tr>', page.text, re.S)
    assert len(rows) == 2
    assert "Lin Lovelace" in rows[0] and "Alex Morgan, Sam Patel" in rows[0]
    assert "ada@example.org" in rows[1] and "Alex Morgan" in rows[1]
    assert "pending" in rows[1] and "<td>no</td>" in rows[1]
    assert re.search(r'id="pending-count">2<', page.text)
    assert 'name="source"' not in page.text

    found = await editor_session.get(f"/staff/campaigns/{slug}/supporters", params={"name": "lin"})
    assert len(re.findall(r'<tr data-letter="\d+">', found.text)) == 1
    held = await editor_session.get(
        f"/staff/campaigns/{slug}/supporters", params={"status": "held"}
    )
    assert re.findall(r'<tr data-letter="\d+">', held.text) == []


async def test_letters_page_by_time_then_id_without_gaps_or_repeats(
    client: httpx.AsyncClient, editor: dict[str, str], session_factory: Factory
) -> None:
    """Letters are paged in the order of their index, (created_at, id): ids that do not
    follow the times, and letters written in the same instant, are each shown once."""
    fields = petition_fields(slug="write-to-them", kind="letter", target="Ministers")
    created = await client.post("/api/v1/staff/campaigns", json=fields, headers=editor)
    assert created.status_code == 201, created.text
    campaign_id = int(created.json()["id"])
    async with transaction(session_factory) as session:
        for number in range(23):
            person = Person(
                email_normalised=f"w{number}@example.org",
                email=f"w{number}@example.org",
                given_name="W",
                family_name=str(number),
                country="GB",
            )
            session.add(person)
            await session.flush()
            session.add(
                Letter(
                    campaign_id=campaign_id,
                    person_id=person.id,
                    status="confirmed",
                    email=person.email,
                    given_name="W",
                    family_name=str(number),
                    country="GB",
                    subject="s",
                    body="b",
                    similarity=1.0,
                    personalised=False,
                    email_updates=False,
                    # Later ids, earlier times; four letters in each instant.
                    created_at=SIGNED - timedelta(minutes=number // 4),
                )
            )
        await session.flush()
        rows = await session.execute(
            select(Letter.id, Letter.created_at).where(Letter.campaign_id == campaign_id)
        )
        expected = [row_id for row_id, _ in sorted(rows, key=lambda r: (r[1], r[0]), reverse=True)]

        pages = []
        found = await queries.letter_page(
            session, campaign_id, queries.LetterSearch(), queries.Keyset(), size=5
        )
        pages.append(found)
        while found.older is not None:
            found = await queries.letter_page(
                session, campaign_id, queries.LetterSearch(), found.older, size=5
            )
            pages.append(found)
        assert [line.id for page in pages for line in page.lines] == expected
        assert [len(page.lines) for page in pages] == [5, 5, 5, 5, 3]
        # And back again by the newer keysets.
        back = [found]
        while found.newer is not None:
            found = await queries.letter_page(
                session, campaign_id, queries.LetterSearch(), found.newer, size=5
            )
            back.append(found)
        assert [[line.id for line in page.lines] for page in reversed(back)] == [
            [line.id for line in page.lines] for page in pages
        ]


async def test_an_editor_tags_a_supporter_and_the_list_finds_people_by_tag(
    editor_session: httpx.AsyncClient, session_factory: Factory, petition: int
) -> None:
    [ada, bob] = await _add(
        session_factory, petition, [_person(1, given_name="Ada"), _person(2, given_name="Bob")]
    )
    review = await editor_session.get(f"{LIST}/{ada}")
    assert "No tags." in review.text
    token = csrf_token_in(review)
    added = await editor_session.post(
        f"{LIST}/{ada}/tags", data={"csrf_token": token, "tag": " Press  Contact "}
    )
    assert added.status_code == 303
    again = await editor_session.post(
        f"{LIST}/{ada}/tags", data={"csrf_token": token, "tag": "press contact"}
    )
    assert again.status_code == 303
    page = await editor_session.get(f"{LIST}/{ada}")
    assert page.text.count("<li>Press Contact") == 1  # one tag, whatever the case

    assert _listed(await editor_session.get(LIST, params={"tag": "PRESS CONTACT"})) == [ada]
    assert _listed(await editor_session.get(LIST, params={"tag": "nobody has this"})) == []
    assert set(_listed(await editor_session.get(LIST))) == {ada, bob}

    empty = await editor_session.post(f"{LIST}/{bob}/tags", data={"csrf_token": token, "tag": "  "})
    assert empty.status_code == 422 and "Enter a tag" in empty.text

    tag_id = re.search(r"/tags/(\d+)/remove", page.text)
    assert tag_id
    removed = await editor_session.post(
        f"{LIST}/{ada}/tags/{tag_id.group(1)}/remove", data={"csrf_token": token}
    )
    assert removed.status_code == 303
    assert _listed(await editor_session.get(LIST, params={"tag": "press contact"})) == []


async def test_exports_keep_to_the_people_with_a_tag(
    editor_session: httpx.AsyncClient,
    session_factory: Factory,
    petition: int,
    editor: dict[str, str],
) -> None:
    [ada, _bob] = await _add(
        session_factory, petition, [_person(1, given_name="Ada"), _person(2, given_name="Bob")]
    )
    review = await editor_session.get(f"{LIST}/{ada}")
    token = csrf_token_in(review)
    await editor_session.post(f"{LIST}/{ada}/tags", data={"csrf_token": token, "tag": "Volunteer"})

    listed = await editor_session.get(LIST, params={"tag": "volunteer"})
    link = re.search(r'id="export-tagged" href="([^"]+)"', listed.text)
    assert link
    tagged = await editor_session.get(html.unescape(link.group(1)))
    assert tagged.status_code == 200
    rows = tagged.text.strip().splitlines()
    assert len(rows) == 2 and "person1@example.org" in rows[1]

    api = await editor_session.get(
        f"/api/v1/staff/campaigns/{SLUG}/signatures.csv",
        params={"tag": "VOLUNTEER"},
        headers=editor,
    )
    assert api.text.strip().splitlines()[1:] == rows[1:]
    every = await editor_session.get(
        f"/api/v1/staff/campaigns/{SLUG}/signatures.csv", headers=editor
    )
    assert len(every.text.strip().splitlines()) == 3
