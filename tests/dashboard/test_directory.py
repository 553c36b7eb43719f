"""The directory of officials on the dashboard, over HTTP against the real app: browsing,
searching and paging; adding and editing with errors beside their fields; importing
files with their reports; and what viewers and forged forms are refused."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.db import transaction
from campaign.staff.models import Role
from campaign.targets.models import Official, PostcodeDivision
from tests.dashboard.conftest import LogIn, MakeUser, csrf_token_in
from tests.targets.documents import (
    CSV_HEADER,
    EASTMOOR,
    KETTLE,
    OFFICIALS_CSV,
    OFFICIALS_CSV_SKIPPED,
    POSTCODES_CSV,
    popolo_document,
)

Factory = async_sessionmaker[AsyncSession]
LIST = "/staff/officials"
NEW = "/staff/officials/new"
IMPORT = "/staff/officials/import"
POSTCODES = "/staff/officials/import/postcodes"
API = "/api/v1/staff/officials"
ROW = re.compile(r'<tr data-official="(\d+)">\s*<td>(.*?)(?: <span|</td>)', re.S)


def official_fields(**overrides: str) -> dict[str, str]:
    fields = {
        "external_id": "staff:wen",
        "name": "Wen Aldous",
        "title": "Member for Kettle",
        "role": "legislator",
        "organisation": "Assembly of Westland",
        "email": "wen.aldous@assembly.example",
        "country": "GB",
        "division_id": KETTLE,
        "party": "Green Lanterns",
        "source": "https://assembly.example/wen",
    }
    fields.update(overrides)
    return fields


def listed(page: httpx.Response) -> list[str]:
    """The names in the page's table of officials, in order."""
    return [name for _id, name in ROW.findall(page.text)]


def error_beside(page: httpx.Response, field_id: str) -> str:
    """The error shown next to a field, which the field names as describing it."""
    match = re.search(rf'id="{field_id}-error"[^>]*>(.*?)<(?:input|select)', page.text, re.S)
    assert match, f"no error beside {field_id}"
    field = re.search(rf'<input id="{field_id}"[^>]*>', page.text)
    assert field, f"no field {field_id}"
    assert 'aria-invalid="true"' in field.group(0)
    assert f"{field_id}-error" in field.group(0)
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


async def add_directly(factory: Factory, *officials: dict[str, Any]) -> list[int]:
    async with transaction(factory) as session:
        rows = [Official(**{**official_fields(), "active": True, **o}) for o in officials]
        session.add_all(rows)
        await session.flush()
        return [row.id for row in rows]


async def count(factory: Factory, model: type[Any]) -> int:
    async with factory() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def stored(factory: Factory, official_id: int) -> Official:
    async with factory() as session:
        official = await session.get(Official, official_id)
        assert official is not None
        return official


@pytest.fixture
async def westland(session_factory: Factory) -> list[int]:
    return await add_directly(
        session_factory,
        {"external_id": "a", "name": "Orla Penhallow", "division_id": EASTMOOR},
        {
            "external_id": "b",
            "name": "Tobias Wren",
            "role": "foreign_minister",
            "organisation": "Westland Cabinet",
            "division_id": None,
            "email": "tobias.wren@gov.example",
        },
        {"external_id": "c", "name": "Ida Moss", "country": "IE"},
        {"external_id": "d", "name": "Hal Brisk", "active": False},
    )


async def test_the_list_says_what_the_directory_is_and_shows_each_official(
    editor_session: httpx.AsyncClient, westland: list[int]
) -> None:
    page = await editor_session.get(LIST)

    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    purpose = re.search(r'<p class="note" id="directory-purpose">(.*?)</p>', page.text, re.S)
    assert purpose
    assert "letter campaigns write to" in purpose.group(1)
    assert "id, name, title, role, organisation, email, country, division_id" in purpose.group(1)
    assert "Popolo JSON" in purpose.group(1)
    assert listed(page) == ["Hal Brisk", "Ida Moss", "Orla Penhallow", "Tobias Wren"]
    orla = page.text[page.text.index(f'data-official="{westland[0]}"') :]
    orla = orla[: orla.index("</tr>")]
    for cell in ("legislator", "Assembly of Westland", "GB"):
        assert f"<td>{cell}</td>" in orla
    assert f'<td class="division">{EASTMOOR}</td>' in orla
    assert "wen.aldous@assembly.example" in orla  # staff see the address itself
    assert f'href="/staff/officials/{westland[0]}">Edit' in orla
    assert "(not in use)" in page.text[page.text.index(f'data-official="{westland[3]}"') :]
    assert 'href="/staff/officials/new"' in page.text
    assert 'href="/staff/officials/import"' in page.text


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ({"name": "ORLA"}, ["Orla Penhallow"]),
        ({"name": "w"}, ["Orla Penhallow", "Tobias Wren"]),
        ({"role": "Foreign Minister"}, ["Tobias Wren"]),
        ({"organisation": "cabinet"}, ["Tobias Wren"]),
        ({"country": "ie"}, ["Ida Moss"]),
        ({"division_id": EASTMOOR}, ["Orla Penhallow"]),
        ({"active": "no"}, ["Hal Brisk"]),
        ({"active": "yes", "organisation": "assembly", "country": "GB"}, ["Orla Penhallow"]),
        ({"name": "%"}, []),
    ],
)
async def test_staff_search_by_each_field(
    editor_session: httpx.AsyncClient,
    westland: list[int],
    query: dict[str, str],
    names: list[str],
) -> None:
    page = await editor_session.get(LIST, params=query)
    assert page.status_code == 200
    assert listed(page) == names
    if not names:
        assert "No official matches this search." in page.text


async def test_a_search_field_that_cannot_match_says_why_beside_it(
    editor_session: httpx.AsyncClient, westland: list[int]
) -> None:
    page = await editor_session.get(
        LIST, params={"country": "Westland", "division_id": "district:kettle"}
    )
    assert page.status_code == 422
    assert "ISO 3166-1 alpha-2" in error_beside(page, "country")
    assert "Open Civic Data" in error_beside(page, "division_id")
    assert listed(page) == []
    assert 'value="Westland"' in page.text


async def test_pages_follow_the_names_and_carry_the_search(
    editor_session: httpx.AsyncClient, session_factory: Factory
) -> None:
    # Names repeat, so only the id tells officials of the same name apart across pages.
    await add_directly(
        session_factory,
        *(
            {"external_id": f"m-{n}", "name": f"Member {n % 40:02d}", "country": "GB"}
            for n in range(120)
        ),
        {"external_id": "elsewhere", "name": "Member 00", "country": "FR"},
    )
    expected = sorted(f"Member {n % 40:02d}" for n in range(120))

    first = await editor_session.get(LIST, params={"country": "GB"})
    assert listed(first) == expected[:50]
    assert "First page" not in first.text
    assert "Previous page" not in first.text
    second = await editor_session.get(_link(first, "next"))
    assert listed(second) == expected[50:100]
    third = await editor_session.get(_link(second, "next"))
    assert listed(third) == expected[100:]
    assert 'rel="next"' not in third.text
    assert "country=GB" in _link(third, "prev")

    ids = [
        official_id for page in (first, second, third) for official_id, _ in ROW.findall(page.text)
    ]
    assert len(set(ids)) == 120  # none twice, none left out

    back = await editor_session.get(_link(third, "prev"))
    assert ROW.findall(back.text) == ROW.findall(second.text)
    back = await editor_session.get(_link(back, "prev"))
    assert ROW.findall(back.text) == ROW.findall(first.text)
    assert 'rel="prev"' not in back.text


async def test_a_page_from_an_id_no_official_has_is_empty_and_offers_the_first(
    editor_session: httpx.AsyncClient, westland: list[int]
) -> None:
    page = await editor_session.get(LIST, params={"after": 999_999})
    assert page.status_code == 200
    assert listed(page) == []
    assert "First page" in page.text
    too_big = await editor_session.get(LIST, params={"after": 2**63})
    assert too_big.status_code == 422


def _link(page: httpx.Response, rel: str) -> str:
    match = re.search(rf'<a href="([^"]+)" rel="{rel}">', page.text)
    assert match, f"no {rel} link"
    return match.group(1).replace("&amp;", "&")


async def test_an_editor_adds_an_official_through_the_form(
    editor_session: httpx.AsyncClient, session_factory: Factory
) -> None:
    form = await editor_session.get(NEW)
    assert form.status_code == 200
    token = csrf_token_in(form)
    fields = official_fields(title="", role="Foreign Minister", party="", source="")

    added = await editor_session.post(NEW, data={"csrf_token": token, **fields})

    assert added.status_code == 303, added.text
    location = added.headers["location"]
    assert re.fullmatch(r"/staff/officials/\d+\?saved=added", location)
    official = await stored(session_factory, int(location.split("/")[-1].split("?")[0]))
    assert (official.name, official.role, official.title) == (
        "Wen Aldous",
        "foreign_minister",
        "Foreign Minister",  # the role as written stands in for a title
    )
    assert (official.party, official.source, official.active) == (None, None, True)
    shown = await editor_session.get(location)
    assert "The official was added." in shown.text


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"email": "not-an-address"}, "email", "Not a valid address."),
        ({"name": ""}, "name", "Enter name."),
        ({"country": "Westland"}, "country", "ISO 3166-1 alpha-2"),
        ({"role": "!!"}, "role", "Latin letters, digits and underscores"),
        ({"division_id": "kettle"}, "division_id", "Open Civic Data"),
        ({"external_id": "x" * 301}, "external_id", "at most 300 characters"),
    ],
)
async def test_a_refused_official_is_not_added_and_the_error_is_beside_its_field(
    editor_session: httpx.AsyncClient,
    session_factory: Factory,
    overrides: dict[str, str],
    field: str,
    message: str,
) -> None:
    token = csrf_token_in(await editor_session.get(NEW))
    refused = await editor_session.post(
        NEW, data={"csrf_token": token, **official_fields(**overrides)}
    )
    assert refused.status_code == 422
    assert message in error_beside(refused, field)
    assert 'value="Wen Aldous"' in refused.text or field == "name"  # what was typed stays
    assert await count(session_factory, Official) == 0


async def test_an_id_already_in_the_directory_is_refused_beside_the_id(
    editor_session: httpx.AsyncClient, session_factory: Factory, westland: list[int]
) -> None:
    token = csrf_token_in(await editor_session.get(NEW))
    refused = await editor_session.post(
        NEW, data={"csrf_token": token, **official_fields(external_id="a")}
    )
    assert refused.status_code == 409
    assert f"belongs to official {westland[0]}" in error_beside(refused, "external_id")
    assert await count(session_factory, Official) == 4


async def test_an_editor_changes_every_field_of_an_official(
    editor_session: httpx.AsyncClient, session_factory: Factory, westland: list[int]
) -> None:
    orla = westland[0]
    page = await editor_session.get(f"{LIST}/{orla}")
    assert page.status_code == 200
    assert 'value="Orla Penhallow"' in page.text
    assert re.search(
        r'<input type="checkbox" id="active" name="active" value="yes"[^>]* checked', page.text
    )
    changes = official_fields(
        external_id="csv:orla",
        name="Orla Penhallow-Vane",
        title="Minister for Moors",
        role="Moors Minister",
        organisation="Westland Cabinet",
        email="orla@gov.example",
        country="IE",
        division_id="",
        party="",
        source="https://gov.example/orla",
    )
    # The "In use" box left unticked takes the official out of use.
    changed = await editor_session.post(
        f"{LIST}/{orla}", data={"csrf_token": csrf_token_in(page), **changes}
    )

    assert changed.status_code == 303, changed.text
    assert changed.headers["location"] == f"{LIST}/{orla}?saved=changed"
    official = await stored(session_factory, orla)
    assert (official.external_id, official.name, official.title, official.role) == (
        "csv:orla",
        "Orla Penhallow-Vane",
        "Minister for Moors",
        "moors_minister",
    )
    assert (official.organisation, official.email, official.country) == (
        "Westland Cabinet",
        "orla@gov.example",
        "IE",
    )
    assert (official.division_id, official.party, official.source, official.active) == (
        None,
        None,
        "https://gov.example/orla",
        False,
    )
    assert (
        "Your changes were saved." in (await editor_session.get(changed.headers["location"])).text
    )


@pytest.mark.parametrize(
    ("overrides", "field", "status", "message"),
    [
        ({"name": ""}, "name", 422, "Name cannot be removed."),
        ({"email": "  "}, "email", 422, "Email cannot be removed."),
        ({"external_id": "b"}, "external_id", 409, "belongs to official"),
        ({"email": "orla@"}, "email", 422, "Not a valid address."),
    ],
)
async def test_a_refused_change_changes_nothing_and_says_why_beside_the_field(
    editor_session: httpx.AsyncClient,
    session_factory: Factory,
    westland: list[int],
    overrides: dict[str, str],
    field: str,
    status: int,
    message: str,
) -> None:
    orla = westland[0]
    token = csrf_token_in(await editor_session.get(f"{LIST}/{orla}"))
    fields = official_fields(external_id="a", name="Orla Renamed", active="yes") | overrides
    refused = await editor_session.post(f"{LIST}/{orla}", data={"csrf_token": token, **fields})

    assert refused.status_code == status
    assert message in error_beside(refused, field)
    assert "<h1>Orla Penhallow</h1>" in refused.text  # the page shows what is stored
    official = await stored(session_factory, orla)
    assert (official.external_id, official.name) == ("a", "Orla Penhallow")


async def test_an_official_that_does_not_exist_is_not_found(
    editor_session: httpx.AsyncClient,
) -> None:
    assert (await editor_session.get(f"{LIST}/12345")).status_code == 404
    assert (await editor_session.get(f"{LIST}/{2**63}")).status_code == 422


async def _import(
    client: httpx.AsyncClient,
    path: str,
    name: str | None,
    content: str | bytes = b"",
    **data: str,
) -> httpx.Response:
    token = csrf_token_in(await client.get(IMPORT))
    body = content.encode() if isinstance(content, str) else content
    # A browser sends an empty, nameless file part when no file was chosen.
    files = {"file": (name or "", body, "application/octet-stream")}
    return await client.post(path, data={"csrf_token": token, **data}, files=files)


def skipped_rows(page: httpx.Response) -> list[str]:
    table = page.text[page.text.index('<table id="skipped-rows">') :]
    table = table[: table.index("</table>")]
    cells = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td></tr>", table)
    return [f"{where}: {why}".replace("&#39;", "'") for where, why in cells]


def report_count(page: httpx.Response, name: str) -> str:
    match = re.search(rf'<dd id="report-{name}">([^<]*)</dd>', page.text)
    assert match, f"no {name} in the report"
    return match.group(1)


async def test_an_officials_csv_is_imported_and_its_skipped_rows_listed_with_why(
    editor_session: httpx.AsyncClient, session_factory: Factory
) -> None:
    form = await editor_session.get(IMPORT)
    assert form.status_code == 200
    assert 'enctype="multipart/form-data"' in form.text
    assert "id, name, title, role, organisation, email, country, division_id" in form.text
    assert "postcode, division_id, country" in form.text

    report = await _import(editor_session, IMPORT, "officials.csv", OFFICIALS_CSV)

    assert report.status_code == 200, report.text
    assert "Import report: officials.csv" in report.text
    assert [report_count(report, n) for n in ("total", "created", "updated", "skipped")] == [
        "8",
        "2",
        "0",
        "6",
    ]
    assert skipped_rows(report) == OFFICIALS_CSV_SKIPPED
    assert await count(session_factory, Official) == 2

    again = await _import(editor_session, IMPORT, "officials.csv", OFFICIALS_CSV)
    assert [report_count(again, n) for n in ("created", "updated")] == ["0", "2"]


async def test_a_popolo_file_is_imported_with_a_country_for_areas_without_one(
    editor_session: httpx.AsyncClient, session_factory: Factory
) -> None:
    popolo = popolo_document()
    del popolo["memberships"][4]["end_date"]  # keep the test free of today's date
    document = json.dumps(popolo)

    missing = await _import(editor_session, IMPORT, "westland.json", document)
    assert missing.status_code == 422
    assert "give the country" in error_beside(missing, "officials-country")
    assert await count(session_factory, Official) == 0

    report = await _import(editor_session, IMPORT, "westland.json", document, country="GB")
    assert report.status_code == 200, report.text
    assert [report_count(report, n) for n in ("created", "skipped")] == ["4", "3"]
    assert "membership 2: no email" in skipped_rows(report)
    assert "Memberships are counted from 0" in report.text


async def test_a_postcode_table_is_imported_with_its_report(
    editor_session: httpx.AsyncClient, session_factory: Factory
) -> None:
    report = await _import(
        editor_session, POSTCODES, "postcodes.csv", POSTCODES_CSV, country="GB", replace="yes"
    )
    assert report.status_code == 200, report.text
    assert [report_count(report, n) for n in ("total", "created", "unchanged", "skipped")] == [
        "6",
        "3",
        "1",
        "2",
    ]
    assert [row.split(":")[0] for row in skipped_rows(report)] == ["line 6", "line 7"]
    assert "postcode: empty" in skipped_rows(report)[0]
    assert await count(session_factory, PostcodeDivision) == 3


# Lines of good officials, enough that the importer has written a chunk of them before it
# comes to the line that makes the file unreadable.
_GOOD_LINES = "".join(
    f"g-{n},Member {n},Member,legislator,Assembly,m{n}@assembly.example,GB,,,\n"
    for n in range(1200)
)


@pytest.mark.parametrize(
    ("path", "name", "content", "data", "field", "message"),
    [
        (
            IMPORT,
            "officials.csv",
            "name,email\nA,a@example.org\n",
            {},
            "file",
            "lacks the columns id",
        ),
        (IMPORT, "officials.csv", "", {}, "file", "The file is empty."),
        (IMPORT, "officials.json", '{"persons": [', {}, "file", "not valid JSON"),
        (IMPORT, "officials.json", '{"people": []}', {}, "file", "lists of persons"),
        (IMPORT, "officials.xlsx", "PK", {}, "file", "must be .csv or .json"),
        (IMPORT, "officials.csv", b"\xff\xfe", {}, "file", "must be UTF-8"),
        (
            IMPORT,
            "officials.csv",
            # Past the csv module's field size limit: a file that is not CSV at all.
            CSV_HEADER + _GOOD_LINES + '"' + "x" * 200_000 + '",b\n',
            {},
            "file",
            "field larger than field limit",
        ),
        (IMPORT, None, "", {}, "file", "Choose a file to import."),
        (POSTCODES, "postcodes.csv", "zip,district\n1,2\n", {"country": "GB"}, "file", "lacks"),
        (POSTCODES, "postcodes.json", POSTCODES_CSV, {"country": "GB"}, "file", "must be .csv"),
        (POSTCODES, "postcodes.csv", POSTCODES_CSV, {"country": "Westland"}, "country", "ISO"),
        (POSTCODES, None, "", {"country": "GB"}, "file", "Choose a file to import."),
    ],
)
async def test_a_file_that_is_not_what_it_claims_imports_nothing_and_says_why_beside_it(
    editor_session: httpx.AsyncClient,
    session_factory: Factory,
    westland: list[int],
    path: str,
    name: str | None,
    content: str | bytes,
    data: dict[str, str],
    field: str,
    message: str,
) -> None:
    refused = await _import(editor_session, path, name, content, **data)

    assert refused.status_code == 422
    prefix = "officials" if path == IMPORT else "postcodes"
    assert message in error_beside(refused, f"{prefix}-{field}")
    assert "Import report" not in refused.text
    assert await count(session_factory, Official) == 4
    assert await count(session_factory, PostcodeDivision) == 0


async def test_a_replaced_postcode_table_survives_a_refused_replacement(
    editor_session: httpx.AsyncClient, session_factory: Factory
) -> None:
    await _import(editor_session, POSTCODES, "postcodes.csv", POSTCODES_CSV, country="GB")
    broken = POSTCODES_CSV + '"' + "x" * 200_000 + '",b\n'
    refused = await _import(
        editor_session, POSTCODES, "postcodes.csv", broken, country="GB", replace="yes"
    )
    assert refused.status_code == 422
    assert await count(session_factory, PostcodeDivision) == 3


async def test_a_report_of_many_skipped_rows_lists_the_first_and_counts_them_all(
    editor_session: httpx.AsyncClient,
) -> None:
    bad = "".join(f"b-{n},Member {n},,legislator,Assembly,no-address,GB,,,\n" for n in range(250))
    report = await _import(editor_session, IMPORT, "officials.csv", CSV_HEADER + bad)
    assert report.status_code == 200
    assert report_count(report, "skipped") == "250"
    assert len(skipped_rows(report)) == 200
    assert "The first 200 of 250 skipped rows" in report.text


async def test_a_file_larger_than_other_bodies_may_be_imported_by_staff_only(
    editor_session: httpx.AsyncClient, app: Any, session_factory: Factory
) -> None:
    rows = "".join(
        f"big-{n},Member {n},Member,legislator,Assembly of Westland,"
        f"member.{n}@assembly.example,GB,,,https://assembly.example/{'x' * 40}\n"
        for n in range(9000)
    )
    content = CSV_HEADER + rows
    assert len(content) > 1024 * 1024  # over the app-wide body limit
    report = await _import(editor_session, IMPORT, "officials.csv", content)
    assert report.status_code == 200, report.text[:500]
    assert report_count(report, "created") == "9,000"

    # Without a staff session the ordinary limit applies.
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://campaign.test") as other:
        anonymous = await other.post(IMPORT, files={"file": ("officials.csv", content.encode())})
    assert anonymous.status_code == 413
    assert await count(session_factory, Official) == 9000


async def test_a_viewer_sees_the_directory_but_no_change_and_every_post_is_refused(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    log_in: LogIn,
    session_factory: Factory,
    westland: list[int],
) -> None:
    await make_user(email="viewer@example.org", role=Role.VIEWER)
    await log_in(email="viewer@example.org")
    orla = westland[0]

    listing = await client.get(LIST)
    assert listing.status_code == 200
    assert listed(listing) == ["Hal Brisk", "Ida Moss", "Orla Penhallow", "Tobias Wren"]
    assert f'href="/staff/officials/{orla}">View' in listing.text
    assert "/staff/officials/new" not in listing.text
    assert "/staff/officials/import" not in listing.text
    detail = await client.get(f"{LIST}/{orla}")
    assert detail.status_code == 200
    assert "wen.aldous@assembly.example" in detail.text
    assert _post_forms(listing) == _post_forms(detail) == ["/staff/logout"]
    assert (await client.get(NEW)).status_code == 403
    assert (await client.get(IMPORT)).status_code == 403

    token = csrf_token_in(listing)  # the logout form's: valid, but not enough
    csv_file = {"file": ("officials.csv", OFFICIALS_CSV.encode())}
    posts = [
        (NEW, official_fields(external_id="v"), None),
        (f"{LIST}/{orla}", official_fields(name="Renamed by a viewer"), None),
        (IMPORT, {}, csv_file),
        (POSTCODES, {"country": "GB"}, {"file": ("p.csv", POSTCODES_CSV.encode())}),
    ]
    for path, fields, files in posts:
        answer = await client.post(path, data={"csrf_token": token, **fields}, files=files)
        assert answer.status_code == 403, path
    assert await count(session_factory, Official) == 4
    assert await count(session_factory, PostcodeDivision) == 0
    assert (await stored(session_factory, orla)).name == "Orla Penhallow"


def _post_forms(page: httpx.Response) -> list[str]:
    return re.findall(r'<form method="post" action="([^"]+)"', page.text)


@pytest.mark.parametrize("token", [None, "", "0" * 64])
async def test_a_form_without_the_sessions_csrf_token_is_refused(
    editor_session: httpx.AsyncClient,
    session_factory: Factory,
    westland: list[int],
    token: str | None,
) -> None:
    orla = westland[0]
    extra = {} if token is None else {"csrf_token": token}
    posts = [
        (NEW, official_fields(external_id="forged"), None),
        (f"{LIST}/{orla}", official_fields(name="Forged"), None),
        (IMPORT, {}, {"file": ("officials.csv", OFFICIALS_CSV.encode())}),
        (POSTCODES, {"country": "GB"}, {"file": ("p.csv", POSTCODES_CSV.encode())}),
    ]
    for path, fields, files in posts:
        answer = await editor_session.post(path, data={**extra, **fields}, files=files)
        assert answer.status_code == 403, path
    assert await count(session_factory, Official) == 4
    assert await count(session_factory, PostcodeDivision) == 0
    assert (await stored(session_factory, orla)).name == "Orla Penhallow"


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        (NEW, official_fields(name="Wen\x00Aldous")),
        (NEW, official_fields(country="\U0001f30a", role="\u2028")),
        (NEW, {name: "x" * 5000 for name in official_fields()}),
    ],
)
async def test_what_no_form_field_can_hold_is_refused_not_an_error_of_ours(
    editor_session: httpx.AsyncClient,
    session_factory: Factory,
    path: str,
    fields: dict[str, str],
) -> None:
    token = csrf_token_in(await editor_session.get(NEW))
    answer = await editor_session.post(path, data={"csrf_token": token, **fields})
    assert answer.status_code == 422
    assert "There is a problem" in answer.text
    assert await count(session_factory, Official) == 0


async def test_a_form_of_bytes_that_are_not_utf8_is_no_error_of_ours(
    editor_session: httpx.AsyncClient,
) -> None:
    token = csrf_token_in(await editor_session.get(NEW))
    body = httpx.QueryParams({"csrf_token": token, **official_fields(name="")})
    answer = await editor_session.post(
        NEW,
        content=str(body).replace("name=&", "name=%ED%A0%80%FF&").encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    # The form parser puts a replacement character for each byte that is not UTF-8.
    assert answer.status_code == 303


@pytest.mark.parametrize(
    "query",
    [
        {"name": "\x00"},
        {"role": "x" * 500},
        {"active": "perhaps"},
        {"division_id": "ocd-division/a\u2028b"},
    ],
)
async def test_a_search_no_official_can_match_is_refused_beside_its_field(
    editor_session: httpx.AsyncClient, query: dict[str, str]
) -> None:
    page = await editor_session.get(LIST, params=query)
    assert page.status_code == 422
    [field] = query
    if field == "active":
        assert 'id="active-error"' in page.text
    else:
        assert error_beside(page, field)
