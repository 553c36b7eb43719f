"""Every error is problem+json naming the field; nothing a client sends causes a 500."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import uuid4

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.problems import MAX_LISTED_ERRORS
from tests.conftest import petition_fields, signer

SIGN = "/api/v1/campaigns/stop-the-arms-trade/signatures"


async def test_malformed_json_is_a_400(
    client: httpx.AsyncClient, publish_petition: Callable[..., Awaitable[Any]]
) -> None:
    await publish_petition()
    answer = await client.post(
        SIGN, content=b'{"given_name": "Ada",', headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 400
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"] == "/problems/malformed-body"


async def test_an_unknown_route_is_a_problem_too(client: httpx.AsyncClient) -> None:
    answer = await client.get("/no/such/thing")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json() == {
        "type": "/problems/http-404",
        "title": "Not found",
        "status": 404,
        "detail": "Not Found",
    }


async def test_a_wrong_method_is_a_405_problem(client: httpx.AsyncClient) -> None:
    answer = await client.delete("/api/v1/campaigns/anything")
    assert answer.status_code == 405
    assert answer.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"slug": "Not A Slug"}, "slug"),
        ({"slug": "ab"}, "slug"),
        ({"title": "x" * 201}, "title"),
        ({"signature_goal": 0}, "signature_goal"),
        ({"signature_goal": 10**12}, "signature_goal"),
        ({"signature_goal": "lots"}, "signature_goal"),
        ({"language": "klingon"}, "language"),
        ({"language": "zz"}, "language"),
        ({"postcode_mode": "sometimes"}, "postcode_mode"),
        ({"consent_text_id": 999999}, "consent_text_id"),
        ({"target": "All\nstates"}, "target"),
    ],
)
async def test_bad_campaign_input_names_the_field(
    client: httpx.AsyncClient, editor: dict, change: dict, field: str
) -> None:
    answer = await client.post(
        "/api/v1/staff/campaigns", json=petition_fields(**change), headers=editor
    )
    assert 400 <= answer.status_code < 500
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["field"] == field
    assert problem["status"] == answer.status_code
    assert problem["detail"]


async def test_a_bad_query_parameter_names_it(client: httpx.AsyncClient, viewer: dict) -> None:
    answer = await client.get("/api/v1/staff/campaigns", params={"limit": 0}, headers=viewer)
    assert answer.status_code == 422
    assert answer.json()["field"] == "limit"


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=400),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=10,
)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    field=st.sampled_from(
        [
            "given_name",
            "family_name",
            "email",
            "country",
            "postcode",
            "comment",
            "consent",
            "tracking",
        ]
    ),
    value=json_values,
)
async def test_no_signing_input_causes_a_server_error(
    client: httpx.AsyncClient,
    publish_petition: Callable[..., Awaitable[Any]],
    field: str,
    value: Any,
) -> None:
    if (await client.get("/api/v1/campaigns/stop-the-arms-trade")).status_code == 404:
        await publish_petition()
    answer = await client.post(SIGN, json=signer(**{field: value}))
    assert answer.status_code < 500, answer.text
    if answer.status_code >= 400:
        assert answer.headers["content-type"] == "application/problem+json"


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    field=st.sampled_from(
        [
            "slug",
            "title",
            "summary",
            "body_markdown",
            "target",
            "signature_goal",
            "language",
            "postcode_mode",
            "consent_text_id",
        ]
    ),
    value=json_values,
)
async def test_no_campaign_input_causes_a_server_error(
    client: httpx.AsyncClient, editor: dict, field: str, value: Any
) -> None:
    fields = petition_fields(slug=f"fuzzed-{uuid4().hex[:12]}")
    fields[field] = value
    answer = await client.post("/api/v1/staff/campaigns", json=fields, headers=editor)
    assert answer.status_code < 500, answer.text
    if answer.status_code == 201:
        slug = answer.json()["slug"]
        read = await client.get(f"/api/v1/staff/campaigns/{slug}", headers=editor)
        assert read.status_code == 200
        assert read.json()["slug"] == slug


@pytest.mark.parametrize("field", ["given_name", "comment", "email", "postcode", "country"])
async def test_lone_surrogates_are_refused_not_stored(
    client: httpx.AsyncClient, publish_petition: Callable[..., Awaitable[Any]], field: str
) -> None:
    # Valid JSON, but not encodable as UTF-8: the database would refuse it.
    await publish_petition()
    body = json.dumps(signer(**{field: "abc\ud800def"}))
    answer = await client.post(SIGN, content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 422
    assert answer.json()["field"] == field


async def test_an_oversized_body_is_refused_before_parsing(
    client: httpx.AsyncClient, publish_petition: Callable[..., Awaitable[Any]]
) -> None:
    await publish_petition()
    huge = json.dumps(signer(comment="x" * (2 * 1024 * 1024)))
    answer = await client.post(SIGN, content=huge, headers={"Content-Type": "application/json"})
    assert answer.status_code == 413
    assert answer.headers["content-type"] == "application/problem+json"


async def test_a_streamed_oversized_body_is_refused_too(
    client: httpx.AsyncClient, publish_petition: Callable[..., Awaitable[Any]]
) -> None:
    await publish_petition()

    async def chunks() -> Any:
        for _ in range(40):
            yield b"x" * 65536

    answer = await client.post(SIGN, content=chunks(), headers={"Content-Type": "application/json"})
    assert answer.status_code == 413
    assert answer.json()["type"] == "/problems/body-too-large"


async def test_a_body_of_many_wrong_keys_gets_a_short_answer(
    client: httpx.AsyncClient, editor: dict
) -> None:
    body = petition_fields() | {f"k{n}": n for n in range(60_000)}
    answer = await client.post("/api/v1/staff/campaigns", json=body, headers=editor)
    assert answer.status_code == 422
    problem = answer.json()
    assert len(problem["errors"]) == MAX_LISTED_ERRORS
    assert problem["error_count"] == 60_000
    assert problem["detail"].endswith(f"and {60_000 - MAX_LISTED_ERRORS} more")
    assert len(answer.content) < 20_000


async def test_a_huge_key_is_not_repeated_whole(client: httpx.AsyncClient, editor: dict) -> None:
    body = petition_fields() | {"k" * 500_000: 1}
    answer = await client.post("/api/v1/staff/campaigns", json=body, headers=editor)
    assert answer.status_code == 422
    assert len(answer.content) < 5_000
    assert answer.json()["field"].startswith("kkk")
