"""The release page of the dashboard: proposed and possible calls listed apart, who must
act with pronouns resolved, and the forms that add a call, promote or reject one."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from api.dashboard.forms import RELEASE_FIELD_LABELS
from api.deps import release_extractor
from campaign.staff.models import Role
from tests.dashboard.conftest import LogIn, MakeUser, csrf_token_in
from tests.dashboard.test_release_new import alert, field_error
from tests.releases.test_call_review import SURE, UNMARKED, UNSURE, FixedExtractor
from tests.releases.test_releases_api import RELEASE, RELEASES

AID_RELEASE = """\
Aid groups: Israel must lift the siege

Israel must allow fuel and food into Gaza. It must also restore water and electricity.
Medical teams reported shortages of anaesthetics.
"""


@pytest.fixture
def fixed_extractor(app: Any) -> Iterator[None]:
    app.dependency_overrides[release_extractor] = FixedExtractor
    yield
    app.dependency_overrides.pop(release_extractor)


async def _submit(client: httpx.AsyncClient, editor: dict, content: str = RELEASE) -> int:
    answer = await client.post(
        RELEASES, json={"content": content, "organisation": "Rivers Alliance"}, headers=editor
    )
    assert answer.status_code == 201, answer.text
    return int(answer.json()["release"]["id"])


async def _calls(client: httpx.AsyncClient, editor: dict, release_id: int) -> list[dict]:
    answer = await client.get(f"{RELEASES}/{release_id}/calls", headers=editor)
    return list(answer.json())


def _table(page: httpx.Response, section: str) -> str:
    """The HTML of one section's table of calls ('' when the section lists none)."""
    match = re.search(rf'<table id="{section}-calls">(.*?)</table>', page.text, re.S)
    return match.group(1) if match else ""


def _row(page: httpx.Response, call_id: int) -> str:
    match = re.search(rf'<tr id="call-row-{call_id}"[^>]*>(.*?)</tr>', page.text, re.S)
    assert match, f"no row for call {call_id}"
    return match.group(1)


async def test_proposed_and_possible_calls_are_listed_apart(
    editor_session: httpx.AsyncClient, editor: dict, fixed_extractor: None
) -> None:
    release_id = await _submit(editor_session, editor)
    calls = {c["sentence"]: c for c in await _calls(editor_session, editor, release_id)}
    sure, unsure = calls[SURE], calls[UNSURE]

    page = await editor_session.get(f"/staff/releases/{release_id}")
    assert page.status_code == 200
    proposed, possible = _table(page, "proposed"), _table(page, "possible")
    assert f'id="call-row-{sure["id"]}"' in proposed
    assert f'id="call-row-{unsure["id"]}"' not in proposed
    assert f'id="call-row-{unsure["id"]}"' in possible
    assert f'id="call-row-{sure["id"]}"' not in possible
    assert page.text.index('id="proposed"') < page.text.index('id="possible"')

    row = _row(page, unsure["id"])
    assert "The council" in row and "should" in row and "0.40" in row
    assert f"/staff/calls/{unsure['id']}/promote" in row
    assert f"/staff/calls/{unsure['id']}/reject" in row
    assert "/promote" not in _row(page, sure["id"])
    assert re.search(rf'<mark id="call-{unsure["id"]}" class="possible"', page.text)
    assert re.search(rf'<mark id="call-{sure["id"]}" class="proposed"', page.text)


async def test_pronoun_targets_are_shown_with_what_they_stand_for(
    editor_session: httpx.AsyncClient, editor: dict
) -> None:
    release_id = await _submit(editor_session, editor, AID_RELEASE)
    [it] = [c for c in await _calls(editor_session, editor, release_id) if c["targets"] == ["It"]]
    assert it["resolved_targets"] == ["Israel"]  # what the API says, the page says too

    page = await editor_session.get(f"/staff/releases/{release_id}")
    addressees = re.search(r'<td class="addressees">(.*?)</td>', _row(page, it["id"]))
    assert addressees and addressees.group(1) == "It → Israel"


async def test_an_editor_adds_a_call_through_the_form(
    editor_session: httpx.AsyncClient, editor: dict
) -> None:
    release_id = await _submit(editor_session, editor)
    page = await editor_session.get(f"/staff/releases/{release_id}")
    assert f'action="/staff/releases/{release_id}/calls"' in page.text
    form = {
        "csrf_token": csrf_token_in(page),
        # What a browser posts from the textarea: CRLF, and the fields left empty.
        "sentence": f"{UNMARKED}\r\n",
        "start": "",
        "end": "",
        "targets": "The dam's owners, the council",
        "action": "",
        "strength": "",
    }
    added = await editor_session.post(f"/staff/releases/{release_id}/calls", data=form)
    assert added.status_code == 303, added.text
    [call] = [c for c in await _calls(editor_session, editor, release_id) if c["edited"]]
    assert added.headers["location"] == f"/staff/releases/{release_id}#call-{call['id']}"
    assert call["sentence"] == UNMARKED
    assert call["targets"] == ["The dam's owners", "the council"]
    assert (call["status"], call["reason"], call["strength"]) == ("proposed", "staff", "other")

    page = await editor_session.get(f"/staff/releases/{release_id}")
    assert f'id="call-row-{call["id"]}"' in _table(page, "proposed")
    assert "added by staff" in _row(page, call["id"])
    marked = re.search(rf'<mark id="call-{call["id"]}"[^>]*>(.*?)</mark>', page.text)
    assert marked and marked.group(1) == UNMARKED


async def test_the_form_takes_offsets_as_a_selection_fills_them(
    editor_session: httpx.AsyncClient, editor: dict
) -> None:
    release_id = await _submit(editor_session, editor)
    text = (await editor_session.get(f"{RELEASES}/{release_id}", headers=editor)).json()["text"]
    start = text.index(UNMARKED)
    page = await editor_session.get(f"/staff/releases/{release_id}")
    form = {
        "csrf_token": csrf_token_in(page),
        "sentence": "",
        "start": str(start),
        "end": str(start + len(UNMARKED)),
        "strength": "demand",
    }
    added = await editor_session.post(f"/staff/releases/{release_id}/calls", data=form)
    assert added.status_code == 303, added.text
    [call] = [c for c in await _calls(editor_session, editor, release_id) if c["edited"]]
    assert (call["sentence"], call["strength"]) == (UNMARKED, "demand")


@pytest.mark.parametrize(
    ("fields", "status", "field", "message"),
    [
        ({"sentence": "Nobody said this."}, 422, "sentence", "this passage is not in the release"),
        ({"sentence": "Vale dam"}, 422, "sentence", "this passage is in the text more than once"),
        ({}, 422, "start", "send start and end, or the sentence"),
        ({"start": "5", "end": "2"}, 422, "end", "end must be greater than start"),
        ({"start": "five", "end": "9"}, 422, "start", ""),
        ({"sentence": UNMARKED, "start": "1", "end": "9"}, 422, "sentence", "send either"),
        # Pasted, not given by offsets: the passage is what repeats the call.
        ({"sentence": SURE}, 409, "sentence", "most of this passage is call"),
        ({"start": "0", "end": str(len(RELEASE))}, 409, "start", "most of this passage is call"),
        ({"sentence": UNMARKED, "strength": "loud"}, 422, "strength", ""),
    ],
)
async def test_the_form_says_what_is_wrong_beside_the_field_and_keeps_what_was_typed(
    editor_session: httpx.AsyncClient,
    editor: dict,
    fields: dict,
    status: int,
    field: str,
    message: str,
) -> None:
    release_id = await _submit(editor_session, editor)
    before = await _calls(editor_session, editor, release_id)
    page = await editor_session.get(f"/staff/releases/{release_id}")
    form = {"csrf_token": csrf_token_in(page), "action": "say it again"} | fields
    answer = await editor_session.post(f"/staff/releases/{release_id}/calls", data=form)
    assert answer.status_code == status
    assert answer.headers["content-type"].startswith("text/html")
    beside = field_error(answer, field)
    assert beside is not None and beside.lower().startswith(message), answer.text
    # Above, the same error names the field and links to it.
    label = RELEASE_FIELD_LABELS[field]
    assert alert(answer).startswith(f'<a href="#{field}">{label}: {message}'), alert(answer)
    assert re.search(rf'id="{field}" name="{field}"[^>]*aria-invalid="true"', answer.text)
    assert 'value="say it again"' in answer.text
    assert await _calls(editor_session, editor, release_id) == before


async def test_adding_a_call_needs_the_csrf_token_and_an_editor(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    log_in: LogIn,
    editor: dict,
) -> None:
    release_id = await _submit(client, editor)
    form = {"sentence": UNMARKED}
    await make_user()
    await log_in()
    for token in ({}, {"csrf_token": "0" * 64}):
        refused = await client.post(f"/staff/releases/{release_id}/calls", data=form | token)
        assert refused.status_code == 403
    await client.post(
        "/staff/logout", data={"csrf_token": csrf_token_in(await client.get("/staff"))}
    )

    await make_user(email="viewer@example.org", role=Role.VIEWER)
    await log_in(email="viewer@example.org")
    page = await client.get(f"/staff/releases/{release_id}")
    assert page.status_code == 200
    assert "add-call-form" not in page.text and "/reject" not in page.text
    viewer_form = form | {"csrf_token": csrf_token_in(page)}
    refused = await client.post(f"/staff/releases/{release_id}/calls", data=viewer_form)
    assert refused.status_code == 403
    assert not [c for c in await _calls(client, editor, release_id) if c["edited"]]


async def test_an_editor_promotes_and_rejects_calls_from_the_page(
    editor_session: httpx.AsyncClient, editor: dict, fixed_extractor: None
) -> None:
    release_id = await _submit(editor_session, editor)
    calls = {c["sentence"]: c for c in await _calls(editor_session, editor, release_id)}
    sure, unsure = calls[SURE], calls[UNSURE]
    token = csrf_token_in(await editor_session.get(f"/staff/releases/{release_id}"))

    refused = await editor_session.post(f"/staff/calls/{unsure['id']}/promote", data={})
    assert refused.status_code == 403
    promoted = await editor_session.post(
        f"/staff/calls/{unsure['id']}/promote", data={"csrf_token": token}
    )
    assert promoted.status_code == 303
    assert promoted.headers["location"] == f"/staff/releases/{release_id}#call-{unsure['id']}"
    page = await editor_session.get(f"/staff/releases/{release_id}")
    assert f'id="call-row-{unsure["id"]}"' in _table(page, "proposed")
    assert _table(page, "possible") == ""

    again = await editor_session.post(
        f"/staff/calls/{unsure['id']}/promote", data={"csrf_token": token}
    )
    assert again.status_code == 409
    assert "only a possible call can be promoted" in again.text

    rejected = await editor_session.post(
        f"/staff/calls/{sure['id']}/reject", data={"csrf_token": token}
    )
    assert rejected.status_code == 303
    page = await editor_session.get(f"/staff/releases/{release_id}")
    assert f'id="call-row-{sure["id"]}"' in _table(page, "reviewed")
    assert "rejected" in _row(page, sure["id"]) and "/reject" not in _row(page, sure["id"])
    listed = {c["id"]: c["status"] for c in await _calls(editor_session, editor, release_id)}
    assert listed == {sure["id"]: "rejected", unsure["id"]: "proposed"}


async def test_the_page_loads_its_script_from_the_site_only(
    editor_session: httpx.AsyncClient, editor: dict
) -> None:
    release_id = await _submit(editor_session, editor)
    page = await editor_session.get(f"/staff/releases/{release_id}")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.text, re.S)
    assert scripts == [(' src="/static/release.js" defer', "")]
    served = await editor_session.get("/static/release.js")
    assert served.status_code == 200
    assert "javascript" in served.headers["content-type"]


async def test_an_editor_drafts_a_letter_from_ticked_calls(
    editor_session: httpx.AsyncClient, editor: dict
) -> None:
    release_id = await _submit(editor_session, editor, AID_RELEASE)
    calls = await _calls(editor_session, editor, release_id)
    israel = [c["id"] for c in calls if c["targets"] == ["Israel"]]
    page = await editor_session.get(f"/staff/releases/{release_id}")
    assert 'id="ticked-calls"' in page.text
    form = {"csrf_token": csrf_token_in(page), "kind": "letter", "call_ids": israel[:1]}
    drafted = await editor_session.post(f"/staff/releases/{release_id}/drafts", data=form)
    assert drafted.status_code == 303
    slug = drafted.headers["location"].removeprefix("/staff/campaigns/")
    campaign = (await editor_session.get(f"/api/v1/staff/campaigns/{slug}", headers=editor)).json()
    assert campaign["kind"] == "letter"
    assert campaign["state"] == "draft"
    after = {c["id"]: c for c in await _calls(editor_session, editor, release_id)}
    assert after[israel[0]]["status"] == "accepted"


async def test_drafting_with_no_call_ticked_says_so_on_the_page(
    editor_session: httpx.AsyncClient, editor: dict
) -> None:
    release_id = await _submit(editor_session, editor, AID_RELEASE)
    page = await editor_session.get(f"/staff/releases/{release_id}")
    form = {"csrf_token": csrf_token_in(page), "kind": "petition"}
    answer = await editor_session.post(f"/staff/releases/{release_id}/drafts", data=form)
    assert answer.status_code == 422
    assert "Calls: tick one call" in answer.text
    assert "/staff/campaigns/" not in answer.headers.get("location", "")
