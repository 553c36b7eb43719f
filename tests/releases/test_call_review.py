"""Calls the extractor was unsure of are stored as possible and reviewed like the others;
staff add the calls it missed from a passage of the release, by offsets or wording."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from api.deps import release_extractor
from campaign.extraction import extract_calls_to_action
from campaign.extraction.models import CallToAction, Strength, Verdict
from tests.releases.test_releases_api import RELEASE, RELEASES, submit

SURE = "Ministers must withdraw the permit for the Vale dam before construction starts."
UNSURE = "The council should have consulted residents years ago."
UNMARKED = "The dam may threaten three villages."


class FixedExtractor:
    """The extractor's interface, answering the same two calls whatever it is given: a
    sure one and an unsure one, at their places in the text."""

    def extract(self, text: str, *, organisation: str | None = None) -> list[CallToAction]:
        return [
            _found(text, SURE, ["Ministers"], Strength.MUST, Verdict.PROPOSED),
            _found(text, UNSURE, ["The council"], Strength.SHOULD, Verdict.POSSIBLE),
        ]


def _found(
    text: str, sentence: str, targets: list[str], strength: Strength, verdict: Verdict
) -> CallToAction:
    start = text.index(sentence)
    return CallToAction(
        sentence=sentence,
        start=start,
        end=start + len(sentence),
        targets=targets,
        action="act",
        strength=strength,
        confidence=0.9 if verdict == Verdict.PROPOSED else 0.4,
        reason="fixed",
        status=verdict,
    )


@pytest.fixture
def fixed_extractor(app: Any) -> Iterator[None]:
    app.dependency_overrides[release_extractor] = FixedExtractor
    yield
    app.dependency_overrides.pop(release_extractor)


async def _release(client: httpx.AsyncClient, editor: dict) -> dict[str, Any]:
    answer = await submit(client, editor)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def _by_sentence(calls: list[dict[str, Any]], sentence: str) -> dict[str, Any]:
    return next(c for c in calls if c["sentence"] == sentence)


async def test_each_call_is_stored_with_the_extractors_verdict(
    client: httpx.AsyncClient, editor: dict, viewer: dict, fixed_extractor: None
) -> None:
    submitted = await _release(client, editor)
    calls = submitted["calls_to_action"]
    assert {c["sentence"]: c["status"] for c in calls} == {SURE: "proposed", UNSURE: "possible"}

    listed = f"{RELEASES}/{submitted['release']['id']}/calls"
    possible = await client.get(listed, params={"status": "possible"}, headers=viewer)
    assert [c["sentence"] for c in possible.json()] == [UNSURE]
    proposed = await client.get(listed, params={"status": "proposed"}, headers=viewer)
    assert [c["sentence"] for c in proposed.json()] == [SURE]
    every = await client.get(listed, headers=viewer)
    assert len(every.json()) == 2
    rejected = await client.get(listed, params={"status": "rejected"}, headers=viewer)
    assert rejected.json() == []


@pytest.mark.parametrize("value", ["maybe", "POSSIBLE", ""])
async def test_an_unknown_status_filter_names_the_status(
    client: httpx.AsyncClient, editor: dict, viewer: dict, value: str
) -> None:
    release_id = (await _release(client, editor))["release"]["id"]
    answer = await client.get(
        f"{RELEASES}/{release_id}/calls", params={"status": value}, headers=viewer
    )
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["field"] == "status"


async def test_a_possible_call_is_reviewed_like_a_proposed_one(
    client: httpx.AsyncClient, editor: dict, fixed_extractor: None
) -> None:
    submitted = await _release(client, editor)
    unsure = _by_sentence(submitted["calls_to_action"], UNSURE)
    edited = await client.patch(
        f"/api/v1/staff/calls/{unsure['id']}", json={"action": "consult residents"}, headers=editor
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["status"] == "possible" and edited.json()["edited"] is True

    drafted = await client.post(
        f"{RELEASES}/{submitted['release']['id']}/drafts",
        json={"call_ids": [unsure["id"]]},
        headers=editor,
    )
    assert drafted.status_code == 201, drafted.text
    assert drafted.json()["calls_to_action"][0]["status"] == "accepted"


async def test_a_possible_call_can_be_rejected_or_merged(
    client: httpx.AsyncClient, editor: dict, fixed_extractor: None
) -> None:
    calls = (await _release(client, editor))["calls_to_action"]
    sure, unsure = _by_sentence(calls, SURE), _by_sentence(calls, UNSURE)
    merged = await client.post(
        "/api/v1/staff/calls/merge", json={"call_ids": [sure["id"], unsure["id"]]}, headers=editor
    )
    assert merged.status_code == 200, merged.text
    assert merged.json()["id"] == sure["id"]

    await client.post(RELEASES, json={"content": "Another one.\n\n" + RELEASE}, headers=editor)
    listed = await client.get(f"{RELEASES}?limit=1", headers=editor)
    again = await client.get(f"{RELEASES}/{listed.json()[0]['id']}/calls", headers=editor)
    unsure = _by_sentence(again.json(), UNSURE)
    rejected = await client.post(f"/api/v1/staff/calls/{unsure['id']}/reject", headers=editor)
    assert rejected.json()["status"] == "rejected"


async def test_staff_promote_a_possible_call_and_only_a_possible_one(
    client: httpx.AsyncClient, editor: dict, viewer: dict, fixed_extractor: None
) -> None:
    calls = (await _release(client, editor))["calls_to_action"]
    sure, unsure = _by_sentence(calls, SURE), _by_sentence(calls, UNSURE)
    forbidden = await client.post(f"/api/v1/staff/calls/{unsure['id']}/promote", headers=viewer)
    assert forbidden.status_code == 403

    promoted = await client.post(f"/api/v1/staff/calls/{unsure['id']}/promote", headers=editor)
    assert promoted.status_code == 200
    assert promoted.json()["status"] == "proposed"
    for call in (sure, unsure):  # both proposed now
        again = await client.post(f"/api/v1/staff/calls/{call['id']}/promote", headers=editor)
        assert again.status_code == 409
        assert again.json()["field"] == "status"
    missing = await client.post("/api/v1/staff/calls/999999/promote", headers=editor)
    assert missing.status_code == 404


def _calls_path(release: dict[str, Any]) -> str:
    return f"{RELEASES}/{release['release']['id']}/calls"


async def test_staff_add_a_call_by_offsets_and_their_word_stands(
    client: httpx.AsyncClient, editor: dict, viewer: dict
) -> None:
    release = await _release(client, editor)
    text = release["release"]["text"]
    assert UNMARKED not in {c["sentence"] for c in release["calls_to_action"]}
    start = text.index(UNMARKED)
    # A selection drags whitespace along; the call is the passage without it.
    body = {
        "start": start - 1,
        "end": start + len(UNMARKED) + 1,
        "targets": ["The dam's owners"],
        "action": "protect the villages",
        "strength": "demand",
    }
    added = await client.post(_calls_path(release), json=body, headers=editor)
    assert added.status_code == 201, added.text
    call = added.json()
    assert (call["start"], call["end"]) == (start, start + len(UNMARKED))
    assert call["sentence"] == UNMARKED == text[call["start"] : call["end"]]
    assert call["targets"] == ["The dam's owners"] and call["resolved_targets"] == []
    assert (call["action"], call["strength"]) == ("protect the villages", "demand")
    assert (call["status"], call["edited"], call["reason"]) == ("proposed", True, "staff")

    listed = await client.get(_calls_path(release), params={"status": "proposed"}, headers=viewer)
    assert call["id"] in {c["id"] for c in listed.json()}


async def test_staff_add_a_call_by_its_wording_and_the_extractor_reads_the_rest(
    client: httpx.AsyncClient, editor: dict
) -> None:
    release = await _release(client, editor)
    agency = next(c for c in release["calls_to_action"] if c["strength"] == "call")
    # Its passage is taken while the extractor's call is open; rejected, it is free.
    body = {"sentence": agency["sentence"]}
    taken = await client.post(_calls_path(release), json=body, headers=editor)
    assert taken.status_code == 409 and taken.json()["field"] == "start"
    await client.post(f"/api/v1/staff/calls/{agency['id']}/reject", headers=editor)

    # As a browser posts a textarea: CRLF line breaks, spaces around.
    added = await client.post(
        _calls_path(release), json={"sentence": f"  {agency['sentence']}\r\n"}, headers=editor
    )
    assert added.status_code == 201, added.text
    call = added.json()
    assert (call["start"], call["end"]) == (agency["start"], agency["end"])
    assert call["targets"] == ["the Environment Agency"]
    assert call["strength"] == "call"
    assert call["action"] == agency["action"]
    assert (call["status"], call["reason"]) == ("proposed", "staff")


async def test_a_passage_the_extractor_reads_nothing_in_gets_plain_defaults(
    client: httpx.AsyncClient, editor: dict
) -> None:
    release = await _release(client, editor)
    added = await client.post(_calls_path(release), json={"sentence": UNMARKED}, headers=editor)
    assert added.status_code == 201, added.text
    assert added.json()["strength"] == "other"
    assert added.json()["targets"] == []


async def test_a_passage_may_share_up_to_half_with_a_call_under_review(
    client: httpx.AsyncClient, editor: dict
) -> None:
    release = await _release(client, editor)
    text = release["release"]["text"]
    agency = next(c for c in release["calls_to_action"] if c["strength"] == "call")
    # 26 characters: the last 13 of the agency's call and the 13 of the text after it.
    half = {"start": agency["end"] - 13, "end": agency["end"] + 13}
    more = {"start": agency["end"] - 14, "end": agency["end"] + 12}
    for span in (half, more):  # no whitespace at the ends to be trimmed away
        assert not text[span["start"]].isspace() and not text[span["end"] - 1].isspace()

    refused = await client.post(_calls_path(release), json=more, headers=editor)
    assert refused.status_code == 409, refused.text
    assert refused.json()["field"] == "start"
    assert str(agency["id"]) in refused.json()["detail"]
    added = await client.post(_calls_path(release), json=half, headers=editor)
    assert added.status_code == 201, added.text


async def test_a_passage_mostly_inside_or_around_a_call_repeats_it(
    client: httpx.AsyncClient, editor: dict
) -> None:
    release = await _release(client, editor)
    ministers = next(c for c in release["calls_to_action"] if c["targets"] == ["Ministers"])
    they = next(c for c in release["calls_to_action"] if c["targets"] == ["They"])
    inside = {"start": ministers["start"] + 2, "end": ministers["end"] - 2}
    around = {"start": ministers["start"], "end": they["end"]}
    for span in (inside, around):
        answer = await client.post(_calls_path(release), json=span, headers=editor)
        assert answer.status_code == 409, answer.text
        assert answer.json()["field"] == "start"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({}, 422, "start"),
        ({"start": 0}, 422, "end"),
        ({"end": 10}, 422, "start"),
        ({"start": -1, "end": 10}, 422, "start"),
        ({"start": 10, "end": 10}, 422, "end"),
        ({"start": 12, "end": 3}, 422, "end"),
        ({"start": 0, "end": 10**5}, 422, "end"),
        ({"start": 10**5, "end": 10**5 + 1}, 422, "start"),
        ({"start": 0, "end": 10**7}, 422, "end"),
        ({"start": "one", "end": 10}, 422, "start"),
        ({"start": 0, "end": 10, "sentence": "Rivers"}, 422, "sentence"),
        ({"sentence": "Nobody said this."}, 422, "sentence"),
        ({"sentence": "Vale dam"}, 422, "sentence"),  # in the text more than once
        ({"sentence": "   "}, 422, "sentence"),
        ({"sentence": "bell \x07"}, 422, "sentence"),
        ({"sentence": UNMARKED, "strength": "loud"}, 422, "strength"),
        ({"sentence": UNMARKED, "targets": "Ministers"}, 422, "targets"),
        ({"sentence": UNMARKED, "action": ""}, 422, "action"),
        ({"sentence": UNMARKED, "status": "accepted"}, 422, "status"),
        ({"sentence": SURE}, 409, "start"),
    ],
)
async def test_a_bad_passage_names_the_field(
    client: httpx.AsyncClient, editor: dict, body: dict, status: int, field: str
) -> None:
    release = await _release(client, editor)
    answer = await client.post(_calls_path(release), json=body, headers=editor)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["field"] == field


async def test_a_passage_of_only_whitespace_is_refused(
    client: httpx.AsyncClient, editor: dict
) -> None:
    release = await _release(client, editor)
    text = release["release"]["text"]
    blank = text.index("\n\n")
    answer = await client.post(
        _calls_path(release), json={"start": blank, "end": blank + 2}, headers=editor
    )
    assert answer.status_code == 422
    assert answer.json()["field"] == "start"


async def test_adding_a_call_needs_an_editor_and_a_release(
    client: httpx.AsyncClient, editor: dict, viewer: dict
) -> None:
    release = await _release(client, editor)
    body = {"sentence": UNMARKED}
    assert (await client.post(_calls_path(release), json=body)).status_code == 401
    refused = await client.post(_calls_path(release), json=body, headers=viewer)
    assert refused.status_code == 403
    missing = await client.post(f"{RELEASES}/999999/calls", json=body, headers=editor)
    assert missing.status_code == 404 and missing.json()["field"] == "release_id"
    listed = await client.get(_calls_path(release), headers=viewer)
    assert UNMARKED not in {c["sentence"] for c in listed.json()}


async def test_the_real_extractors_verdicts_are_what_is_stored(
    client: httpx.AsyncClient, editor: dict
) -> None:
    text = (
        "Rivers Alliance: ministers must stop the Vale dam\n\n"
        "Rivers Alliance calls on the Environment Agency to review every dam licence.\n\n"
        "Notes to editors\n\n"
        "The government should publish the flood modelling.\n"
    )
    submitted = await submit(client, editor, content=text)
    stored = {(c["start"], c["end"]): c["status"] for c in submitted.json()["calls_to_action"]}
    found = extract_calls_to_action(
        submitted.json()["release"]["text"], organisation="Rivers Alliance"
    )
    assert stored == {(c.start, c.end): c.status.value for c in found}
    # Whatever follows the notes to editors is at most a possible call.
    assert set(stored.values()) == {"proposed", "possible"}
