"""Reviewing a release's calls on its page: accept, edit (a form per call, folded away
until asked for), merge the ticked calls, with what became of them shown; a refusal
re-renders the page with the error beside the field and nothing of the change kept;
viewers see every call and no form, and forms need their CSRF token."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx
import pytest

from campaign.errors import InvalidInput
from campaign.releases import service
from campaign.staff.models import Role
from tests.dashboard.conftest import LogIn, MakeUser, csrf_token_in
from tests.dashboard.test_release_new import alert, field_error
from tests.dashboard.test_release_review import _calls, _row, _submit, _table

CALLS = "/api/v1/staff/calls"


async def _release(client: httpx.AsyncClient, editor: dict) -> tuple[int, dict[str, Any]]:
    """The Vale dam release and its calls, by who they address as written."""
    release_id = await _submit(client, editor)
    calls = {c["targets"][0]: c for c in await _calls(client, editor, release_id)}
    assert {"Ministers", "They", "the Environment Agency"} <= set(calls), calls
    return release_id, calls


async def _call(client: httpx.AsyncClient, editor: dict, release_id: int, call_id: int) -> Any:
    return next(c for c in await _calls(client, editor, release_id) if c["id"] == call_id)


async def test_an_editor_accepts_a_call_and_it_is_listed_as_accepted(
    editor_session: httpx.AsyncClient, editor: dict
) -> None:
    release_id, calls = await _release(editor_session, editor)
    agency = calls["the Environment Agency"]
    page = await editor_session.get(f"/staff/releases/{release_id}")
    assert f'action="/staff/calls/{agency["id"]}/accept"' in _row(page, agency["id"])
    token = csrf_token_in(page)

    accepted = await editor_session.post(
        f"/staff/calls/{agency['id']}/accept", data={"csrf_token": token}
    )
    assert accepted.status_code == 303
    assert accepted.headers["location"] == f"/staff/releases/{release_id}#call-row-{agency['id']}"
    assert (await _call(editor_session, editor, release_id, agency["id"]))["status"] == "accepted"
    page = await editor_session.get(f"/staff/releases/{release_id}")
    assert f'id="call-row-{agency["id"]}"' in _table(page, "accepted")
    assert f'id="call-row-{agency["id"]}"' not in _table(page, "proposed")
    row = _row(page, agency["id"])
    assert "not drafted yet" in row and "/accept" not in row and "/reject" not in row
    # Still to be ticked: for a draft, or a merge.
    assert f'name="call_ids" value="{agency["id"]}"' in row
    assert re.search(rf'<mark id="call-{agency["id"]}" class="accepted"', page.text)

    again = await editor_session.post(
        f"/staff/calls/{agency['id']}/accept", data={"csrf_token": token}
    )
    assert again.status_code == 409
    assert alert(again) == (
        f'<a href="#call-row-{agency["id"]}">this call is accepted and can no longer change</a>'
    )


async def test_an_accepted_call_drafted_into_a_campaign_links_to_it(
    editor_session: httpx.AsyncClient, editor: dict
) -> None:
    release_id, calls = await _release(editor_session, editor)
    agency = calls["the Environment Agency"]
    token = csrf_token_in(await editor_session.get(f"/staff/releases/{release_id}"))
    await editor_session.post(f"/staff/calls/{agency['id']}/accept", data={"csrf_token": token})
    form = {"csrf_token": token, "kind": "petition", "call_ids": [str(agency["id"])]}
    drafted = await editor_session.post(f"/staff/releases/{release_id}/drafts", data=form)
    assert drafted.status_code == 303
    row = _row(await editor_session.get(f"/staff/releases/{release_id}"), agency["id"])
    assert f'<a href="{drafted.headers["location"]}">drafted</a>' in row
    assert "call_ids" not in row  # its campaign was written from it: it is not merged


async def test_an_editor_edits_a_call_through_its_form(
    editor_session: httpx.AsyncClient, editor: dict
) -> None:
    release_id, calls = await _release(editor_session, editor)
    they = calls["They"]
    assert they["resolved_targets"] == ["Ministers"]
    page = await editor_session.get(f"/staff/releases/{release_id}")
    edit = re.search(rf'<details id="call-{they["id"]}-edit">(.*?)</details>', page.text, re.S)
    assert edit, "no edit form for the call, folded away"
    assert f'action="/staff/calls/{they["id"]}/edit"' in edit.group(1)
    assert f'id="call-{they["id"]}-targets" name="targets" type="text" value="They"' in edit.group(
        1
    )
    assert "Read as They → Ministers." in edit.group(1)
    form = {
        "csrf_token": csrf_token_in(page),
        "targets": "They",  # as shown: still the pronoun standing for the ministers
        "action": "publish the flood modelling in full",
        "strength": "must",
    }
    saved = await editor_session.post(f"/staff/calls/{they['id']}/edit", data=form)
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/staff/releases/{release_id}#call-row-{they['id']}"
    after = await _call(editor_session, editor, release_id, they["id"])
    assert (after["action"], after["strength"], after["edited"]) == (
        "publish the flood modelling in full",
        "must",
        True,
    )
    assert (after["targets"], after["resolved_targets"]) == (["They"], ["Ministers"])
    row = _row(await editor_session.get(f"/staff/releases/{release_id}"), they["id"])
    assert "publish the flood modelling in full" in row and "They → Ministers" in row

    renamed = form | {"targets": "The environment minister, the chancellor"}
    assert (await editor_session.post(f"/staff/calls/{they['id']}/edit", data=renamed)).is_redirect
    after = await _call(editor_session, editor, release_id, they["id"])
    assert after["targets"] == ["The environment minister", "the chancellor"]
    assert after["resolved_targets"] == []
    row = _row(await editor_session.get(f"/staff/releases/{release_id}"), they["id"])
    assert "The environment minister, the chancellor" in row


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"action": ""}, "action", "Say what the call asks for."),
        ({"action": "x" * 2001}, "action", "String should have at most 2000 characters."),
        ({"strength": "loud"}, "strength", "Choose one of the strengths listed."),
        ({"targets": ", ".join(f"Minister {n}" for n in range(21))}, "targets", "List should"),
        ({"targets": "x" * 201}, "targets", "String should have at most 200 characters."),
    ],
)
async def test_a_refused_edit_is_shown_beside_its_field_and_leaves_the_call_unchanged(
    editor_session: httpx.AsyncClient, editor: dict, fields: dict, field: str, message: str
) -> None:
    release_id, calls = await _release(editor_session, editor)
    ministers = calls["Ministers"]
    page = await editor_session.get(f"/staff/releases/{release_id}")
    form = {
        "csrf_token": csrf_token_in(page),
        "targets": "Ministers, the council",
        "action": "halt the dam",
        "strength": "demand",
    } | fields
    answer = await editor_session.post(f"/staff/calls/{ministers['id']}/edit", data=form)
    assert answer.status_code == 422, answer.text
    field_id = f"call-{ministers['id']}-{field}"
    beside = field_error(answer, field_id)
    assert beside is not None and beside.startswith(message), answer.text
    assert f'<a href="#{field_id}">' in alert(answer)
    # The form that was refused is open, with what was typed in it.
    assert f'<details id="call-{ministers["id"]}-edit" open>' in answer.text
    if field != "targets":
        assert f'value="{form["targets"]}"' in answer.text
    assert await _call(editor_session, editor, release_id, ministers["id"]) == ministers
    assert ministers["action"] in _row(answer, ministers["id"])


async def test_a_refusal_after_the_change_was_made_leaves_nothing_of_it(
    editor_session: httpx.AsyncClient, editor: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A service may refuse after it has changed and flushed the call: the page shown
    with the refusal, and the database after the request, have the call as it was."""
    release_id, calls = await _release(editor_session, editor)
    ministers = calls["Ministers"]
    update_call = service.update_call

    async def update_then_refuse(*args: Any) -> Any:
        changed = await update_call(*args)
        assert changed.action == "halt the dam"  # changed, and flushed
        raise InvalidInput("refused once the change was made", field="action")

    monkeypatch.setattr(service, "update_call", update_then_refuse)
    page = await editor_session.get(f"/staff/releases/{release_id}")
    form = {
        "csrf_token": csrf_token_in(page),
        "targets": "The council",
        "action": "halt the dam",
        "strength": "demand",
    }
    answer = await editor_session.post(f"/staff/calls/{ministers['id']}/edit", data=form)
    assert answer.status_code == 422
    assert field_error(answer, f"call-{ministers['id']}-action") == (
        "Refused once the change was made."
    )
    row = _row(answer, ministers["id"])
    assert ministers["action"] in row and "halt the dam" not in row
    assert '<td class="addressees">Ministers</td>' in row
    assert await _call(editor_session, editor, release_id, ministers["id"]) == ministers


async def test_an_editor_merges_the_ticked_calls_and_sees_what_they_became(
    editor_session: httpx.AsyncClient, editor: dict
) -> None:
    release_id, calls = await _release(editor_session, editor)
    ministers, they = calls["Ministers"], calls["They"]
    page = await editor_session.get(f"/staff/releases/{release_id}")
    assert f'formaction="/staff/releases/{release_id}/merge"' in page.text
    for call in (ministers, they):
        assert re.search(
            rf'name="call_ids" value="{call["id"]}" form="ticked-calls"', _row(page, call["id"])
        )
    form = {"csrf_token": csrf_token_in(page), "call_ids": [str(they["id"]), str(ministers["id"])]}
    merged = await editor_session.post(f"/staff/releases/{release_id}/merge", data=form)
    assert merged.status_code == 303
    kept = ministers["id"]
    assert merged.headers["location"] == (
        f"/staff/releases/{release_id}?merged={kept}#call-row-{kept}"
    )

    page = await editor_session.get(merged.headers["location"].split("#")[0])
    number = re.search(rf'<a href="#call-{kept}">(\d+)</a>', _row(page, kept))
    assert number, _row(page, kept)
    notice = re.search(r'<p class="notice" role="status">(.*?)</p>', page.text, re.S)
    assert notice, page.text
    assert html.unescape(notice.group(1)).startswith(
        f"The ticked calls were merged into call {number.group(1)}: Ministers must "
    )
    assert f'id="call-row-{kept}"' in _table(page, "proposed")
    assert f'id="call-row-{they["id"]}"' in _table(page, "reviewed")
    merged_row = _row(page, they["id"])
    assert f'merged into <a href="#call-row-{kept}">{number.group(1)}</a>' in merged_row
    after = {c["id"]: c for c in await _calls(editor_session, editor, release_id)}
    assert after[they["id"]]["status"] == "merged"
    assert after[kept]["end"] == they["end"] and after[kept]["targets"] == ["Ministers"]
    marked = re.search(rf'<mark id="call-{kept}"[^>]*>(.*?)</mark>', page.text, re.S)
    assert marked and "publish the flood modelling" in marked.group(1)


async def test_merging_one_call_or_a_drafted_one_is_refused_beside_the_button(
    editor_session: httpx.AsyncClient, editor: dict
) -> None:
    release_id, calls = await _release(editor_session, editor)
    ministers, agency = calls["Ministers"], calls["the Environment Agency"]
    token = csrf_token_in(await editor_session.get(f"/staff/releases/{release_id}"))
    before = await _calls(editor_session, editor, release_id)

    one = {"csrf_token": token, "call_ids": [str(ministers["id"])]}
    answer = await editor_session.post(f"/staff/releases/{release_id}/merge", data=one)
    assert answer.status_code == 422
    error = re.search(r'<p class="error" id="merge-error">(.*?)</p>', answer.text)
    assert error and "Tick two or more calls to merge" in error.group(1)
    assert alert(answer).startswith('<a href="#merge">Calls: tick two or more')
    # What was ticked is ticked still.
    assert re.search(rf'value="{ministers["id"]}" form="ticked-calls"[^>]* checked', answer.text)
    assert await _calls(editor_session, editor, release_id) == before

    drafted = {"csrf_token": token, "kind": "petition", "call_ids": [str(agency["id"])]}
    assert (
        await editor_session.post(f"/staff/releases/{release_id}/drafts", data=drafted)
    ).is_redirect
    both = {"csrf_token": token, "call_ids": [str(ministers["id"]), str(agency["id"])]}
    answer = await editor_session.post(f"/staff/releases/{release_id}/merge", data=both)
    assert answer.status_code == 409
    assert "has been drafted into a campaign" in answer.text
    after = await _call(editor_session, editor, release_id, ministers["id"])
    assert after == next(c for c in before if c["id"] == ministers["id"])


async def test_calls_of_another_release_are_not_merged_from_this_one(
    editor_session: httpx.AsyncClient, editor: dict
) -> None:
    release_id, calls = await _release(editor_session, editor)
    other_id = await _submit(editor_session, editor, "Other news.\n\nStates must act now.\n")
    token = csrf_token_in(await editor_session.get(f"/staff/releases/{release_id}"))
    form = {
        "csrf_token": token,
        "call_ids": [str(calls["Ministers"]["id"]), str(calls["They"]["id"])],
    }
    answer = await editor_session.post(f"/staff/releases/{other_id}/merge", data=form)
    assert answer.status_code == 422
    assert "every call must come from this release" in answer.text
    assert {c["status"] for c in await _calls(editor_session, editor, release_id)} == {"proposed"}


async def test_a_viewer_sees_every_call_and_no_form(
    client: httpx.AsyncClient, make_user: MakeUser, log_in: LogIn, editor: dict
) -> None:
    release_id, calls = await _release(client, editor)
    accepted = await client.post(f"{CALLS}/{calls['They']['id']}/accept", headers=editor)
    assert accepted.status_code == 200
    await make_user(email="viewer@example.org", role=Role.VIEWER)
    await log_in(email="viewer@example.org")
    page = await client.get(f"/staff/releases/{release_id}")
    assert page.status_code == 200
    for call in calls.values():
        row = _row(page, call["id"])
        assert "<form" not in row and "<input" not in row
    assert "They → Ministers" in _row(page, calls["They"]["id"])
    assert f'id="call-row-{calls["They"]["id"]}"' in _table(page, "accepted")
    # The only form is logging out.
    assert re.findall(r'<form[^>]*action="([^"]+)"', page.text) == ["/staff/logout"]
    assert "<details" not in page.text and 'name="call_ids"' not in page.text

    token = csrf_token_in(page)
    ministers = calls["Ministers"]["id"]
    for path, form in [
        (f"/staff/calls/{ministers}/accept", {}),
        (f"/staff/calls/{ministers}/edit", {"action": "nothing"}),
        (
            f"/staff/releases/{release_id}/merge",
            {"call_ids": [str(ministers), str(calls["They"]["id"])]},
        ),
    ]:
        refused = await client.post(path, data=form | {"csrf_token": token})
        assert refused.status_code == 403, path
    assert await _call(client, editor, release_id, ministers) == calls["Ministers"]


@pytest.mark.parametrize("token", [{}, {"csrf_token": "0" * 64}])
async def test_the_review_forms_need_the_pages_csrf_token(
    editor_session: httpx.AsyncClient, editor: dict, token: dict
) -> None:
    release_id, calls = await _release(editor_session, editor)
    ministers, they = calls["Ministers"]["id"], calls["They"]["id"]
    for path, form in [
        (f"/staff/calls/{ministers}/accept", {}),
        (f"/staff/calls/{ministers}/edit", {"action": "nothing"}),
        (f"/staff/releases/{release_id}/merge", {"call_ids": [str(ministers), str(they)]}),
        (f"/staff/releases/{release_id}/details", {"title": "Taken over", "language": "en"}),
    ]:
        refused = await editor_session.post(path, data=form | token)
        assert refused.status_code == 403, path
    assert {c["id"]: c for c in await _calls(editor_session, editor, release_id)} == {
        c["id"]: c for c in calls.values()
    }
