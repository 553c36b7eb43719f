"""Staff paste a release, review its calls to action and draft campaigns from them;
a person publishes. The release texts here were written for these tests."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.conftest import signer

RELEASE = """\
Rivers Alliance: ministers must stop the Vale dam

LONDON – The government has approved a dam that would flood 40 square kilometres of farmland.

Rivers Alliance director Ana Ruiz said:
“Ministers must withdraw the permit for the Vale dam before construction starts.
They should also publish the flood modelling they relied on.”

Rivers Alliance calls on the Environment Agency to review every dam licence issued since 2020.

The dam may threaten three villages. The council should have consulted residents years ago.
"""

HTML_RELEASE = """\
<html><head><title>News</title><script>track()</script></head>
<body><nav><a href="/">Home</a> | <a href="/donate">Donate</a></nav>
<article><h1>Banks must stop financing new coal mines</h1>
<p>Rivers Alliance urges the Central Bank to end all lending for new coal mines.</p>
<p>The mine would be the largest in the region.</p></article>
<footer>Copyright Rivers Alliance</footer></body></html>
"""

FRENCH_RELEASE = """\
Barrage de la Vale : Rivières Vivantes appelle la préfète à suspendre le permis

LYON, le 3 mars 2026 – Le barrage autorisé par l'État noierait 40 kilomètres carrés de terres.

Rivières Vivantes demande à la préfète du Rhône de suspendre le permis de construire.

Le ministre de l'Écologie a demandé aux élus de soutenir le projet.
"""

RELEASES = "/api/v1/staff/releases"


async def submit(client: httpx.AsyncClient, editor: dict, **fields: object) -> httpx.Response:
    body = {"content": RELEASE, "organisation": "Rivers Alliance", "title": "Vale dam"} | fields
    return await client.post(RELEASES, json=body, headers=editor)


async def test_a_release_yields_its_calls_to_action(
    client: httpx.AsyncClient, editor: dict
) -> None:
    answer = await submit(client, editor)
    assert answer.status_code == 201
    body = answer.json()
    text = body["release"]["text"]
    calls = body["calls_to_action"]
    found = {(tuple(c["targets"]), c["strength"]) for c in calls}
    assert (("Ministers",), "must") in found
    assert (("They",), "should") in found
    they = next(c for c in calls if c["targets"] == ["They"])
    assert they["resolved_targets"] == ["Ministers"]
    assert (("the Environment Agency",), "call") in found
    for call in calls:
        assert text[call["start"] : call["end"]] == call["sentence"]
        assert call["status"] == "proposed"
    sentences = " ".join(c["sentence"] for c in calls)
    assert "may threaten" not in sentences
    assert "should have consulted" not in sentences


async def test_a_release_is_in_the_language_told_from_its_text_unless_given(
    client: httpx.AsyncClient, editor: dict
) -> None:
    english = await submit(client, editor)
    assert english.json()["release"]["language"] == "en"
    french = await submit(client, editor, content=FRENCH_RELEASE, organisation=None, title=None)
    assert french.status_code == 201
    release = french.json()["release"]
    assert release["language"] == "fr"
    calls = french.json()["calls_to_action"]
    assert [(c["targets"], c["strength"]) for c in calls if c["status"] == "proposed"] == [
        (["la préfète"], "call"),
        (["la préfète du Rhône"], "call"),
    ]
    # A third party's demand (the minister's) is not proposed.
    assert not any("ministre" in c["sentence"] for c in calls)
    other = FRENCH_RELEASE + "\nLa consultation publique se termine le 30 avril.\n"
    given = await submit(client, editor, content=other, language="fr-CA")
    assert given.json()["release"]["language"] == "fr-CA"


async def test_a_french_release_drafts_french_campaigns(
    client: httpx.AsyncClient, editor: dict
) -> None:
    submitted = (
        await submit(client, editor, content=FRENCH_RELEASE, organisation="Rivières Vivantes")
    ).json()
    call = submitted["calls_to_action"][1]
    drafted = await client.post(
        f"{RELEASES}/{submitted['release']['id']}/drafts",
        json={"call_ids": [call["id"]]},
        headers=editor,
    )
    assert drafted.status_code == 201
    assert drafted.json()["campaign"]["language"] == "fr"


async def test_the_same_release_twice_is_one_release(
    client: httpx.AsyncClient, editor: dict, viewer: dict
) -> None:
    first = await submit(client, editor)
    again = await submit(client, editor, content="\n\n" + RELEASE.replace("\n", "\r\n"))
    assert again.status_code == 200
    assert again.json()["created"] is False
    assert again.json()["release"]["id"] == first.json()["release"]["id"]
    listed = await client.get(RELEASES, headers=viewer)
    assert len(listed.json()) == 1


async def test_html_is_reduced_to_its_article(client: httpx.AsyncClient, editor: dict) -> None:
    answer = await client.post(
        RELEASES, json={"content": HTML_RELEASE, "format": "html"}, headers=editor
    )
    assert answer.status_code == 201
    text = answer.json()["release"]["text"]
    assert "track()" not in text and "Donate" not in text
    [call] = [c for c in answer.json()["calls_to_action"] if c["strength"] == "urge"]
    assert call["targets"] == ["the Central Bank"]


async def test_html_without_an_article_is_refused(client: httpx.AsyncClient, editor: dict) -> None:
    answer = await client.post(
        RELEASES, json={"content": "<html><body></body></html>", "format": "html"}, headers=editor
    )
    assert answer.status_code == 422
    assert answer.json()["field"] == "content"


async def test_staff_edit_reject_and_merge_calls(client: httpx.AsyncClient, editor: dict) -> None:
    calls = (await submit(client, editor)).json()["calls_to_action"]
    ministers = next(c for c in calls if c["targets"] == ["Ministers"])
    they = next(c for c in calls if c["targets"] == ["They"])
    agency = next(c for c in calls if c["targets"] == ["the Environment Agency"])

    edited = await client.patch(
        f"/api/v1/staff/calls/{they['id']}", json={"targets": ["Ministers"]}, headers=editor
    )
    assert edited.json()["targets"] == ["Ministers"] and edited.json()["edited"] is True

    merged = await client.post(
        "/api/v1/staff/calls/merge",
        json={"call_ids": [they["id"], ministers["id"]]},
        headers=editor,
    )
    assert merged.status_code == 200
    assert merged.json()["id"] == ministers["id"]
    assert merged.json()["start"] == ministers["start"] and merged.json()["end"] == they["end"]
    assert merged.json()["strength"] == "must"

    rejected = await client.post(f"/api/v1/staff/calls/{agency['id']}/reject", headers=editor)
    assert rejected.json()["status"] == "rejected"
    again = await client.patch(
        f"/api/v1/staff/calls/{agency['id']}", json={"action": "x"}, headers=editor
    )
    assert again.status_code == 409


async def test_a_call_becomes_a_draft_petition_that_a_person_publishes(
    client: httpx.AsyncClient, editor: dict
) -> None:
    submitted = (await submit(client, editor)).json()
    release_id = submitted["release"]["id"]
    agency = next(c for c in submitted["calls_to_action"] if c["strength"] == "call")
    drafted = await client.post(
        f"{RELEASES}/{release_id}/drafts", json={"call_ids": [agency["id"]]}, headers=editor
    )
    assert drafted.status_code == 201
    campaign = drafted.json()["campaign"]
    assert campaign["state"] == "draft"
    assert campaign["kind"] == "petition"
    assert campaign["release_id"] == release_id
    assert campaign["target"] == "the Environment Agency"
    assert campaign["title"].startswith("The Environment Agency: Review every dam licence")
    assert agency["sentence"] in campaign["body_markdown"]
    assert drafted.json()["calls_to_action"][0]["status"] == "accepted"

    slug = campaign["slug"]
    assert (await client.get(f"/api/v1/campaigns/{slug}")).status_code == 404  # not published
    await client.post(f"/api/v1/staff/campaigns/{slug}/publish", headers=editor)
    signed = await client.post(f"/api/v1/campaigns/{slug}/signatures", json=signer())
    assert signed.status_code == 202


async def test_a_letter_draft_addresses_the_official(
    client: httpx.AsyncClient, editor: dict
) -> None:
    submitted = (await submit(client, editor)).json()
    ministers = next(c for c in submitted["calls_to_action"] if c["targets"] == ["Ministers"])
    drafted = await client.post(
        f"{RELEASES}/{submitted['release']['id']}/drafts",
        json={"call_ids": [ministers["id"]], "kind": "letter"},
        headers=editor,
    )
    campaign = drafted.json()["campaign"]
    assert campaign["kind"] == "letter"
    letter = drafted.json()["letter"]
    assert letter["body_template"].startswith("Dear {{official_name}},")
    assert "withdraw the permit for the Vale dam" in letter["body_template"]
    assert "{{" not in campaign["body_markdown"]
    slug = campaign["slug"]
    # Staff may publish the draft as it is, or point it at other officials first.
    setup = {
        "targets": {"kind": "role", "role": "environment_minister"},
        "subject_template": "The Vale dam",
        "body_template": letter["body_template"],
    }
    saved = await client.put(f"/api/v1/staff/campaigns/{slug}/letter", json=setup, headers=editor)
    assert saved.status_code == 200, saved.text
    assert (await client.post(f"/api/v1/staff/campaigns/{slug}/publish", headers=editor)).is_success
    refused = await client.post(f"/api/v1/campaigns/{slug}/signatures", json=signer())
    assert refused.status_code == 409


async def test_one_draft_needs_calls_to_the_same_target(
    client: httpx.AsyncClient, editor: dict
) -> None:
    submitted = (await submit(client, editor)).json()
    calls = submitted["calls_to_action"]
    ministers = next(c for c in calls if c["targets"] == ["Ministers"])
    agency = next(c for c in calls if c["targets"] == ["the Environment Agency"])
    ids = [ministers["id"], agency["id"]]
    answer = await client.post(
        f"{RELEASES}/{submitted['release']['id']}/drafts", json={"call_ids": ids}, headers=editor
    )
    assert answer.status_code == 422
    assert answer.json()["field"] == "call_ids"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"content": ""}, "content"),
        ({"content": "x", "format": "pdf"}, "format"),
        ({"content": "x", "source_url": "javascript:alert(1)"}, "source_url"),
        ({"content": "x", "published_on": "yesterday"}, "published_on"),
        ({"content": "nul \x00"}, "content"),
    ],
)
async def test_bad_submissions_name_the_field(
    client: httpx.AsyncClient, editor: dict, body: dict, field: str
) -> None:
    answer = await client.post(RELEASES, json=body, headers=editor)
    assert answer.status_code == 422
    assert answer.json()["field"] == field


async def test_the_same_release_submitted_twice_at_once_is_stored_once(
    client: httpx.AsyncClient, editor: dict, viewer: dict
) -> None:
    first, second = await asyncio.gather(submit(client, editor), submit(client, editor))
    assert sorted([first.status_code, second.status_code]) == [200, 201]
    assert first.json()["release"]["id"] == second.json()["release"]["id"]
    assert len((await client.get(RELEASES, headers=viewer)).json()) == 1
    calls = await client.get(f"{RELEASES}/{first.json()['release']['id']}/calls", headers=viewer)
    assert len(calls.json()) == len(first.json()["calls_to_action"])


async def test_a_release_file_can_be_uploaded(client: httpx.AsyncClient, editor: dict) -> None:
    answer = await client.post(
        f"{RELEASES}/upload",
        files={"file": ("vale-dam.html", HTML_RELEASE.encode(), "text/html")},
        data={"organisation": "Rivers Alliance", "published_on": "2026-11-20"},
        headers=editor,
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["release"]["source_format"] == "html"
    assert answer.json()["release"]["published_on"] == "2026-11-20"
    assert any(c["strength"] == "urge" for c in answer.json()["calls_to_action"])


@pytest.mark.parametrize(
    ("name", "content", "data", "field"),
    [
        ("release.pdf", b"%PDF", {}, "file"),
        ("release.txt", b"\xff\xfe not utf-8", {}, "file"),
        ("release.txt", b"States must act.", {"published_on": "soon"}, "published_on"),
    ],
)
async def test_a_bad_upload_names_the_field(
    client: httpx.AsyncClient, editor: dict, name: str, content: bytes, data: dict, field: str
) -> None:
    answer = await client.post(
        f"{RELEASES}/upload", files={"file": (name, content)}, data=data, headers=editor
    )
    assert answer.status_code == 422
    assert answer.json()["field"] == field
