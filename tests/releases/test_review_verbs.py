"""The staff API's review verbs the dashboard also calls: accepting a call, correcting a
release's details, editing a call with only what differs counted as a change, and
merging, which leaves calls drafted into a campaign alone."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.releases.test_call_review import SURE, UNSURE, fixed_extractor  # noqa: F401
from tests.releases.test_releases_api import RELEASES, submit

CALLS = "/api/v1/staff/calls"
HEADLINE = "Rivers Alliance: ministers must stop the Vale dam"


async def _submitted(client: httpx.AsyncClient, editor: dict) -> dict[str, Any]:
    answer = await submit(client, editor)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def _addressing(submitted: dict[str, Any], target: str) -> dict[str, Any]:
    return next(c for c in submitted["calls_to_action"] if c["targets"] == [target])


async def test_staff_accept_a_call_under_review_and_only_one(
    client: httpx.AsyncClient, editor: dict, viewer: dict
) -> None:
    submitted = await _submitted(client, editor)
    agency = _addressing(submitted, "the Environment Agency")
    path = f"{CALLS}/{agency['id']}/accept"
    assert (await client.post(path)).status_code == 401
    assert (await client.post(path, headers=viewer)).status_code == 403

    accepted = await client.post(path, headers=editor)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted" and accepted.json()["campaign_id"] is None
    again = await client.post(path, headers=editor)
    assert again.status_code == 409 and again.json()["field"] == "status"
    edited = await client.patch(f"{CALLS}/{agency['id']}", json={"action": "x"}, headers=editor)
    assert edited.status_code == 409

    ministers = _addressing(submitted, "Ministers")
    await client.post(f"{CALLS}/{ministers['id']}/reject", headers=editor)
    refused = await client.post(f"{CALLS}/{ministers['id']}/accept", headers=editor)
    assert refused.status_code == 409 and refused.json()["field"] == "status"
    assert (await client.post(f"{CALLS}/999999/accept", headers=editor)).status_code == 404

    # An accepted call is one to draft from.
    drafted = await client.post(
        f"{RELEASES}/{submitted['release']['id']}/drafts",
        json={"call_ids": [agency["id"]]},
        headers=editor,
    )
    assert drafted.status_code == 201, drafted.text
    assert drafted.json()["calls_to_action"][0]["campaign_id"] is not None


async def test_staff_correct_a_releases_details(
    client: httpx.AsyncClient, editor: dict, viewer: dict
) -> None:
    submitted = await _submitted(client, editor)
    path = f"{RELEASES}/{submitted['release']['id']}"
    body = {"organisation": "The Rivers Alliance", "published_on": "2026-11-20", "language": "cy"}
    assert (await client.patch(path, json=body, headers=viewer)).status_code == 403

    changed = await client.patch(path, json=body, headers=editor)
    assert changed.status_code == 200, changed.text
    release = changed.json()
    assert release["title"] == "Vale dam"  # not sent: as it was
    assert (release["organisation"], release["published_on"], release["language"]) == (
        "The Rivers Alliance",
        "2026-11-20",
        "cy",
    )
    assert release["text"] == submitted["release"]["text"]

    cleared = await client.patch(
        path, json={"title": None, "organisation": None, "published_on": None}, headers=editor
    )
    assert cleared.status_code == 200
    assert (cleared.json()["title"], cleared.json()["organisation"]) == (HEADLINE, None)
    assert cleared.json()["published_on"] is None and cleared.json()["language"] == "cy"
    listed = await client.get(f"{path}/calls", headers=viewer)
    assert len(listed.json()) == len(submitted["calls_to_action"])  # the calls stay


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"language": None}, "language"),
        ({"language": "xx-"}, "language"),
        ({"published_on": "soon"}, "published_on"),
        ({"title": "two\nlines"}, "title"),
        ({"title": ""}, "title"),
        ({"text": "States must act."}, "text"),
    ],
)
async def test_bad_release_details_name_the_field(
    client: httpx.AsyncClient, editor: dict, body: dict, field: str
) -> None:
    submitted = await _submitted(client, editor)
    path = f"{RELEASES}/{submitted['release']['id']}"
    answer = await client.patch(path, json=body, headers=editor)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["field"] == field
    assert (await client.get(path, headers=editor)).json() == submitted["release"]


async def test_details_of_a_release_that_does_not_exist(
    client: httpx.AsyncClient, editor: dict
) -> None:
    answer = await client.patch(f"{RELEASES}/999999", json={"title": "x"}, headers=editor)
    assert answer.status_code == 404 and answer.json()["field"] == "release_id"


async def test_an_edit_that_changes_nothing_keeps_the_call_as_found(
    client: httpx.AsyncClient, editor: dict
) -> None:
    they = _addressing(await _submitted(client, editor), "They")
    assert they["resolved_targets"] == ["Ministers"]
    same = {"targets": ["They"], "action": they["action"], "strength": they["strength"]}
    answer = await client.patch(f"{CALLS}/{they['id']}", json=same, headers=editor)
    assert answer.status_code == 200
    assert answer.json()["resolved_targets"] == ["Ministers"]
    assert answer.json()["edited"] is False

    stronger = await client.patch(
        f"{CALLS}/{they['id']}", json={"strength": "must"}, headers=editor
    )
    assert (stronger.json()["strength"], stronger.json()["edited"]) == ("must", True)
    assert stronger.json()["resolved_targets"] == ["Ministers"]


async def test_a_call_drafted_into_a_campaign_is_not_merged(
    client: httpx.AsyncClient, editor: dict
) -> None:
    submitted = await _submitted(client, editor)
    ministers, they = _addressing(submitted, "Ministers"), _addressing(submitted, "They")
    drafted = await client.post(
        f"{RELEASES}/{submitted['release']['id']}/drafts",
        json={"call_ids": [ministers["id"]]},
        headers=editor,
    )
    assert drafted.status_code == 201
    answer = await client.post(
        f"{CALLS}/merge", json={"call_ids": [ministers["id"], they["id"]]}, headers=editor
    )
    assert answer.status_code == 409 and answer.json()["field"] == "call_ids"
    calls = await client.get(f"{RELEASES}/{submitted['release']['id']}/calls", headers=editor)
    assert {c["id"]: c["status"] for c in calls.json()}[they["id"]] == "proposed"


async def test_a_merged_call_is_as_decided_as_the_most_decided_of_them(
    client: httpx.AsyncClient,
    editor: dict,
    fixed_extractor: None,  # noqa: F811  (the fixture imported above)
) -> None:
    calls = {c["sentence"]: c for c in (await _submitted(client, editor))["calls_to_action"]}
    sure, unsure = calls[SURE], calls[UNSURE]
    assert (sure["status"], unsure["status"]) == ("proposed", "possible")
    accepted = await client.post(f"{CALLS}/{unsure['id']}/accept", headers=editor)
    assert accepted.json()["status"] == "accepted"
    # The call kept is the first in the text, proposed; the other was accepted.
    merged = await client.post(
        f"{CALLS}/merge", json={"call_ids": [unsure["id"], sure["id"]]}, headers=editor
    )
    assert merged.status_code == 200, merged.text
    assert (merged.json()["id"], merged.json()["status"]) == (sure["id"], "accepted")
