"""Whatever staff send to the target directory, the answer is never a 5xx."""

from __future__ import annotations

import csv
import io
import json
from typing import Any
from uuid import uuid4

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.test_problems import json_values
from tests.targets.documents import CSV_HEADER, popolo_document

OFFICIALS = "/api/v1/staff/officials"
IMPORT = "/api/v1/staff/officials/import"
OFFICIAL_FIELDS = (
    "external_id",
    "name",
    "title",
    "role",
    "organisation",
    "email",
    "country",
    "division_id",
    "party",
    "source",
)


def assert_no_server_error(answer: httpx.Response) -> None:
    assert answer.status_code < 500, answer.text
    if answer.status_code >= 400:
        assert answer.headers["content-type"] == "application/problem+json"


def official(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "external_id": f"fuzzed:{uuid4().hex}",
        "name": "Wen Aldous",
        "title": "Member for Kettle",
        "role": "legislator",
        "organisation": "Assembly of Westland",
        "email": "wen.aldous@assembly.example",
        "country": "GB",
    }
    fields.update(overrides)
    return fields


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(field=st.sampled_from((*OFFICIAL_FIELDS, "active")), value=json_values)
async def test_no_official_input_causes_a_server_error(
    client: httpx.AsyncClient, editor: dict[str, str], field: str, value: Any
) -> None:
    created = await client.post(OFFICIALS, json=official(**{field: value}), headers=editor)
    assert_no_server_error(created)
    changed = await client.patch(f"{OFFICIALS}/1", json={field: value}, headers=editor)
    assert_no_server_error(changed)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(cells=st.lists(st.text(max_size=40), min_size=1, max_size=12))
async def test_no_csv_row_causes_a_server_error(
    client: httpx.AsyncClient, editor: dict[str, str], cells: list[str]
) -> None:
    row = io.StringIO()
    csv.writer(row).writerow(cells)
    content = (CSV_HEADER + row.getvalue()).encode()
    answer = await client.post(IMPORT, files={"file": ("officials.csv", content)}, headers=editor)
    assert_no_server_error(answer)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    where=st.sampled_from(
        [
            ("persons", 0, "name"),
            ("persons", 1, "contact_details"),
            ("organizations", 0, "classification"),
            ("areas", 1, "identifiers"),
            ("memberships", 0, "end_date"),
            ("memberships", 0, "person_id"),
            ("memberships", 0, "area_id"),
            ("memberships", 1, "role"),
            ("memberships", 6, "post_id"),
        ]
    ),
    value=json_values,
)
async def test_no_popolo_value_causes_a_server_error(
    client: httpx.AsyncClient, editor: dict[str, str], where: tuple[str, int, str], value: Any
) -> None:
    document = popolo_document()
    key, index, name = where
    document[key][index][name] = value
    content = json.dumps(document).encode()
    answer = await client.post(
        IMPORT,
        files={"file": ("westland.json", content)},
        data={"country": "GB"},
        headers=editor,
    )
    assert_no_server_error(answer)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(document=json_values)
async def test_no_json_document_causes_a_server_error(
    client: httpx.AsyncClient, editor: dict[str, str], document: Any
) -> None:
    content = json.dumps(document).encode()
    answer = await client.post(IMPORT, files={"file": ("westland.json", content)}, headers=editor)
    assert_no_server_error(answer)
