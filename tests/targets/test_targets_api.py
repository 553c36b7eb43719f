"""The staff API of the target directory, over HTTP against the real app."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.targets.documents import (
    CSV_HEADER,
    EASTMOOR,
    KETTLE,
    OFFICIALS_CSV,
    OFFICIALS_CSV_SKIPPED,
    POSTCODES_CSV,
    popolo_document,
)

OFFICIALS = "/api/v1/staff/officials"
IMPORT = "/api/v1/staff/officials/import"
POSTCODES_IMPORT = "/api/v1/staff/postcodes/import"


def official(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "external_id": "staff:1",
        "name": "Wen Aldous",
        "title": "Member for Kettle",
        "role": "legislator",
        "organisation": "Assembly of Westland",
        "email": "wen.aldous@assembly.example",
        "country": "GB",
        "division_id": KETTLE,
    }
    fields.update(overrides)
    return fields


async def upload_officials(
    client: httpx.AsyncClient, headers: dict[str, str], name: str, content: str | bytes, **data: str
) -> httpx.Response:
    body = content.encode() if isinstance(content, str) else content
    return await client.post(IMPORT, files={"file": (name, body)}, data=data, headers=headers)


async def test_a_viewer_lists_but_cannot_import(
    client: httpx.AsyncClient, viewer: dict[str, str]
) -> None:
    listed = await client.get(OFFICIALS, headers=viewer)
    assert listed.status_code == 200
    assert listed.json() == {"items": [], "limit": 50, "offset": 0}

    refused = await upload_officials(client, viewer, "officials.csv", OFFICIALS_CSV)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    postcodes = await client.post(
        POSTCODES_IMPORT,
        files={"file": ("postcodes.csv", POSTCODES_CSV.encode())},
        data={"country": "GB"},
        headers=viewer,
    )
    assert postcodes.status_code == 403
    assert (await client.post(OFFICIALS, json=official(), headers=viewer)).status_code == 403


async def test_an_editor_imports_a_csv_and_staff_see_the_addresses(
    client: httpx.AsyncClient, editor: dict[str, str], viewer: dict[str, str]
) -> None:
    answer = await upload_officials(client, editor, "officials.csv", OFFICIALS_CSV)

    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (report["total"], report["created"], report["updated"]) == (8, 2, 0)
    assert report["skipped"][0] == {
        "place": "line",
        "number": 4,
        "reason": "email: not a valid address",
    }
    assert len(report["skipped"]) == len(OFFICIALS_CSV_SKIPPED)

    listed = (await client.get(OFFICIALS, headers=viewer)).json()["items"]
    assert [(o["name"], o["email"]) for o in listed] == [
        ("Orla Penhallow", "orla.penhallow@assembly.example"),
        ("Tobias Wren", "Tobias.Wren@gov.example"),
    ]

    again = await upload_officials(client, editor, "officials.csv", OFFICIALS_CSV)
    assert (again.json()["created"], again.json()["updated"]) == (0, 2)


async def test_an_editor_imports_popolo_with_a_country_for_areas_without_one(
    client: httpx.AsyncClient, editor: dict[str, str]
) -> None:
    popolo = popolo_document()
    # The one membership with an end date in the future: keep the test free of the date.
    del popolo["memberships"][4]["end_date"]
    document = json.dumps(popolo)
    missing = await upload_officials(client, editor, "westland.json", document)
    assert missing.status_code == 422
    assert missing.json()["field"] == "country"

    answer = await upload_officials(client, editor, "westland.json", document, country="GB")
    assert answer.status_code == 200, answer.text
    assert (answer.json()["created"], len(answer.json()["skipped"])) == (4, 3)
    assert {"place": "membership", "number": 2, "reason": "no email"} in answer.json()["skipped"]


@pytest.mark.parametrize(
    ("name", "content", "data", "field"),
    [
        ("officials.xlsx", b"PK\x03\x04", {}, "file"),
        ("officials.csv", b"\xff\xfe not utf-8", {}, "file"),
        ("officials.csv", b"name,email\nA,a@example.org\n", {}, "file"),
        ("officials.json", b'{"persons": [', {}, "file"),
        ("officials.json", b'{"people": []}', {}, "file"),
        ("officials.json", json.dumps(popolo_document()).encode(), {"country": "ZZ"}, "country"),
    ],
)
async def test_a_bad_officials_file_is_a_problem_naming_the_field(
    client: httpx.AsyncClient,
    editor: dict[str, str],
    name: str,
    content: bytes,
    data: dict[str, str],
    field: str,
) -> None:
    answer = await upload_officials(client, editor, name, content, **data)
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["field"] == field


async def test_an_upload_without_a_file_names_the_file(
    client: httpx.AsyncClient, editor: dict[str, str]
) -> None:
    answer = await client.post(IMPORT, data={"country": "GB"}, headers=editor)
    assert answer.status_code == 422
    assert answer.json()["field"] == "file"


async def test_an_import_file_may_be_larger_than_other_bodies(
    client: httpx.AsyncClient, editor: dict[str, str]
) -> None:
    # Over the app-wide 1 MiB body limit, far under the import limit.
    rows = "".join(
        f"big-{n},Member {n},Member,legislator,Assembly of Westland,"
        f"member.{n}@assembly.example,GB,,,https://assembly.example/{'x' * 40}\n"
        for n in range(15_000)
    )
    content = CSV_HEADER + rows
    assert len(content) > 1024 * 1024
    answer = await upload_officials(client, editor, "officials.csv", content)
    assert answer.status_code == 200, answer.text
    assert answer.json()["created"] == 15_000

    # Without a token the ordinary limit applies: nobody can make us read 50 MiB.
    anonymous = await upload_officials(client, {}, "officials.csv", content)
    assert anonymous.status_code == 413


async def test_an_editor_imports_postcodes(
    client: httpx.AsyncClient, editor: dict[str, str]
) -> None:
    answer = await client.post(
        POSTCODES_IMPORT,
        files={"file": ("postcodes.csv", POSTCODES_CSV.encode())},
        data={"country": "GB", "replace": "true"},
        headers=editor,
    )
    assert answer.status_code == 200, answer.text
    assert (answer.json()["created"], answer.json()["unchanged"]) == (3, 1)
    assert [s["number"] for s in answer.json()["skipped"]] == [6, 7]


@pytest.mark.parametrize(
    ("name", "data", "field"),
    [
        ("postcodes.json", {"country": "GB"}, "file"),
        ("postcodes.csv", {"country": "Westland"}, "country"),
        ("postcodes.csv", {}, "country"),
        ("postcodes.csv", {"country": "GB", "replace": "perhaps"}, "replace"),
    ],
)
async def test_a_bad_postcode_upload_names_the_field(
    client: httpx.AsyncClient, editor: dict[str, str], name: str, data: dict[str, str], field: str
) -> None:
    answer = await client.post(
        POSTCODES_IMPORT,
        files={"file": (name, POSTCODES_CSV.encode())},
        data=data,
        headers=editor,
    )
    assert answer.status_code == 422
    assert answer.json()["field"] == field


async def test_an_editor_adds_one_official_and_a_taken_id_conflicts(
    client: httpx.AsyncClient, editor: dict[str, str]
) -> None:
    created = await client.post(OFFICIALS, json=official(title=None), headers=editor)
    assert created.status_code == 201, created.text
    assert created.json()["title"] == "legislator"
    assert created.json()["active"] is True

    taken = await client.post(OFFICIALS, json=official(name="Someone Else"), headers=editor)
    assert taken.status_code == 409
    assert taken.json()["field"] == "external_id"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"email": "wen.aldous"}, "email"),
        ({"country": "Westland"}, "country"),
        ({"division_id": "kettle"}, "division_id"),
        ({"name": "Wen\nAldous"}, "name"),
        ({"name": "Wen\x00Aldous"}, "name"),
        ({"role": "1st"}, "role"),
        ({"external_id": "x" * 301}, "external_id"),
        ({"unknown": "field"}, "unknown"),
    ],
)
async def test_an_official_is_validated_like_a_csv_row(
    client: httpx.AsyncClient, editor: dict[str, str], overrides: dict[str, Any], field: str
) -> None:
    answer = await client.post(OFFICIALS, json=official(**overrides), headers=editor)
    assert answer.status_code == 422
    assert answer.json()["field"] == field


async def test_an_editor_changes_an_official_and_takes_one_out_of_use(
    client: httpx.AsyncClient, editor: dict[str, str], viewer: dict[str, str]
) -> None:
    created = (await client.post(OFFICIALS, json=official(), headers=editor)).json()
    other = await client.post(OFFICIALS, json=official(external_id="staff:2"), headers=editor)
    url = f"{OFFICIALS}/{created['id']}"

    changed = await client.patch(
        url,
        json={"title": "Member for Eastmoor", "division_id": EASTMOOR, "party": None},
        headers=editor,
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["title"], changed.json()["division_id"]) == (
        "Member for Eastmoor",
        EASTMOOR,
    )

    retired = await client.patch(url, json={"active": False}, headers=editor)
    assert retired.json()["active"] is False
    inactive = await client.get(OFFICIALS, params={"active": "false"}, headers=viewer)
    assert [o["id"] for o in inactive.json()["items"]] == [created["id"]]

    cleared = await client.patch(url, json={"name": None}, headers=editor)
    assert (cleared.status_code, cleared.json()["field"]) == (422, "name")
    taken = await client.patch(url, json={"external_id": "staff:2"}, headers=editor)
    assert (taken.status_code, taken.json()["field"]) == (409, "external_id")
    assert other.status_code == 201
    viewer_patch = await client.patch(url, json={"active": True}, headers=viewer)
    assert viewer_patch.status_code == 403


@pytest.mark.parametrize("official_id", ["999999", str(2**63), "-1", "x"])
async def test_changing_an_official_that_does_not_exist_is_a_4xx(
    client: httpx.AsyncClient, editor: dict[str, str], official_id: str
) -> None:
    answer = await client.patch(f"{OFFICIALS}/{official_id}", json={}, headers=editor)
    assert answer.status_code in (404, 422)
    assert answer.headers["content-type"] == "application/problem+json"


async def test_staff_filter_the_list(
    client: httpx.AsyncClient, editor: dict[str, str], viewer: dict[str, str]
) -> None:
    await upload_officials(client, editor, "officials.csv", OFFICIALS_CSV)
    await client.post(OFFICIALS, json=official(country="FR"), headers=editor)

    async def names(**params: str) -> list[str]:
        answer = await client.get(OFFICIALS, params=params, headers=viewer)
        assert answer.status_code == 200, answer.text
        return [o["name"] for o in answer.json()["items"]]

    assert await names(country="gb") == ["Orla Penhallow", "Tobias Wren"]
    assert await names(role="foreign_minister") == ["Tobias Wren"]
    assert await names(organisation="Assembly of Westland") == ["Orla Penhallow", "Wen Aldous"]
    assert await names(division_id=EASTMOOR) == ["Orla Penhallow"]
    assert await names(q="wren") == ["Tobias Wren"]
    assert await names(q="kettle") == ["Wen Aldous"]
    assert await names(q="100%") == []
    assert await names(limit="1", offset="1") == ["Tobias Wren"]


@pytest.mark.parametrize(
    "params",
    [{"q": "a\x00b"}, {"country": "Westland"}, {"division_id": "kettle"}, {"limit": "0"}],
)
async def test_bad_filters_are_refused_not_sent_to_the_database(
    client: httpx.AsyncClient, viewer: dict[str, str], params: dict[str, str]
) -> None:
    answer = await client.get(OFFICIALS, params=params, headers=viewer)
    assert answer.status_code == 422
    assert answer.json()["field"] == next(iter(params))
