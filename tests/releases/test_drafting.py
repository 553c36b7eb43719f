"""Drafts staff can publish as they are: headline titles and slugs, a release's headline
as its title, calls compared by who they stand for, and letter campaigns that come with
their letter set up, put to the official in the second person, and never a placeholder
shown to the public. The release here was written for these tests."""

from __future__ import annotations

from typing import Any

import httpx

from tests.letters.conftest import OFFICIALS

RELEASE = """\
SOURCE: written for the drafting tests

Press releases
Coastal Watch: foreign ministers must halt seabed mining on the northern reef

LONDON – Coastal Watch today published its survey of the northern reef, where three \
mining licences were issued last year.

Governments should end their silence on seabed mining and their support for the \
licences issued last year.
They must also release the detained divers and return their equipment to them.
Foreign ministers must act, and act now, to suspend the licences, bring about a \
moratorium on seabed mining, publish the survey data and allow independent access to the \
reef.
Coastal Watch calls on the Foreign Office to publish the licence terms.
The House of Commons must hold a vote on the licences before the summer.
"""
HEADLINE = "Coastal Watch: foreign ministers must halt seabed mining on the northern reef"

RELEASES = "/api/v1/staff/releases"
STAFF_CAMPAIGNS = "/api/v1/staff/campaigns"
# Words a headline or a slug cut short must not end on.
DANGLING = {"a", "an", "the", "to", "and", "or", "of", "for", "in", "on", "with", "about"}
PLACEHOLDER_MARKS = ("{{", "}}")


async def submit(client: httpx.AsyncClient, editor: dict, **fields: Any) -> dict[str, Any]:
    body = {"content": RELEASE, "organisation": "Coastal Watch", "published_on": "2026-11-20"}
    answer = await client.post(RELEASES, json=body | fields, headers=editor)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def call_to(release: dict[str, Any], target: str, *, contains: str = "") -> dict[str, Any]:
    return next(
        call
        for call in release["calls_to_action"]
        if call["targets"] == [target] and contains in call["action"]
    )


async def draft(
    client: httpx.AsyncClient,
    editor: dict,
    release: dict[str, Any],
    *calls: dict[str, Any],
    kind: str = "letter",
) -> httpx.Response:
    return await client.post(
        f"{RELEASES}/{release['release']['id']}/drafts",
        json={"call_ids": [call["id"] for call in calls], "kind": kind},
        headers=editor,
    )


async def add_directory(client: httpx.AsyncClient, editor: dict) -> dict[str, int]:
    """The test directory, through the staff API: name → id."""
    ids = {}
    for official in OFFICIALS:
        fields = {key: value for key, value in official.items() if value is not None}
        added = await client.post("/api/v1/staff/officials", json=fields, headers=editor)
        assert added.status_code == 201, added.text
        ids[official["name"]] = added.json()["id"]
    return ids


def assert_no_placeholders(text: str) -> None:
    for mark in PLACEHOLDER_MARKS:
        assert mark not in text, text


async def test_a_release_without_a_title_takes_its_headline(
    client: httpx.AsyncClient, editor: dict
) -> None:
    # After the "SOURCE:" line and the page's "Press releases" label.
    assert (await submit(client, editor))["release"]["title"] == HEADLINE
    given = await submit(client, editor, content=RELEASE + "\nMore.\n", title="Reef survey")
    assert given["release"]["title"] == "Reef survey"
    # A release that starts with its story has no headline to take.
    story = "LONDON – Governments must protect the northern reef from seabed mining.\n"
    assert (await submit(client, editor, content=story))["release"]["title"] is None


async def test_titles_are_headlines_cut_where_a_phrase_ends(
    client: httpx.AsyncClient, editor: dict
) -> None:
    release = await submit(client, editor)
    long_call = call_to(release, "Foreign ministers", contains="act now")
    assert len(long_call["action"]) > 120
    drafted = await draft(client, editor, release, long_call, kind="petition")
    assert drafted.status_code == 201, drafted.text
    title = drafted.json()["campaign"]["title"]
    assert title == "Foreign ministers: Act, and act now, to suspend the licences"
    assert len(title) <= 80
    slug = drafted.json()["campaign"]["slug"]
    assert slug == "foreign-ministers-act-and-act-now-to-suspend-the-licences"
    assert len(slug) <= 60 and slug.split("-")[-1] not in DANGLING

    # However the demand is worded, the cut falls between phrases, on a whole word.
    wordings = [
        "act without delay to bring about a moratorium on all seabed mining in the waters "
        "of the northern reef and to publish every licence issued since 2020",
        "suspend the licences, publish the survey data in full and allow independent "
        "access to the reef for scientists, divers and the fishing communities nearby",
    ]
    for n, wording in enumerate(wordings):
        other = await submit(client, editor, content=f"{RELEASE}\nUpdate {n}.\n")
        office = call_to(other, "the Foreign Office")
        edited = await client.patch(
            f"/api/v1/staff/calls/{office['id']}", json={"action": wording}, headers=editor
        )
        assert edited.status_code == 200, edited.text
        campaign = (await draft(client, editor, other, office)).json()["campaign"]
        title, slug = campaign["title"], campaign["slug"]
        assert len(title) <= 80, title
        assert title.split()[-1].lower() not in DANGLING, title
        demand = title.removeprefix("The Foreign Office: ")
        assert wording.lower().startswith(demand.lower()), title
        assert wording[len(demand)] in " ,", title  # never through a word
        assert len(slug) <= 60 and slug.split("-")[-1] not in DANGLING, slug


async def test_a_pronoun_target_is_what_it_stands_for(
    client: httpx.AsyncClient, editor: dict
) -> None:
    release = await submit(client, editor)
    governments = call_to(release, "Governments")
    they = call_to(release, "They")
    assert they["resolved_targets"] == ["Governments"]

    # One campaign from both: "They" is Governments, not someone else.
    drafted = await draft(client, editor, release, governments, they)
    assert drafted.status_code == 201, drafted.text
    assert drafted.json()["campaign"]["target"] == "Governments"
    assert drafted.json()["campaign"]["title"].startswith("Governments: End their silence")

    # Merged, the two are one call to Governments.
    again = await submit(client, editor, content=RELEASE + "\nAgain.\n")
    merged = await client.post(
        "/api/v1/staff/calls/merge",
        json={"call_ids": [call_to(again, "Governments")["id"], call_to(again, "They")["id"]]},
        headers=editor,
    )
    assert merged.status_code == 200, merged.text
    assert merged.json()["targets"] == ["Governments"]
    assert merged.json()["resolved_targets"] == []

    # Calls to others still make separate campaigns.
    refused = await draft(client, editor, again, call_to(again, "the Foreign Office"), they)
    assert refused.status_code == 422 and refused.json()["field"] == "call_ids"


async def test_a_letter_speaks_to_the_official_in_plain_text(
    client: httpx.AsyncClient, editor: dict
) -> None:
    release = await submit(client, editor)
    drafted = await draft(
        client, editor, release, call_to(release, "Governments"), call_to(release, "They")
    )
    letter = drafted.json()["letter"]
    body = letter["body_template"]
    assert body.startswith("Dear {{official_name}},\n")
    assert body.endswith("Yours sincerely,\n{{activist_name}}")
    # Their silence and support are the addressee's: "your". The equipment is the divers'.
    assert (
        "I am writing to ask you to end your silence on seabed mining and your support for "
        "the licences issued last year and to release the detained divers and return their "
        "equipment to them." in body
    )
    assert letter["subject_template"] == (
        "Please end your silence on seabed mining and your support for the licences"
    )
    # Plain text: the release's words are not pasted in as Markdown quotations...
    assert not any(line.startswith(">") for line in body.splitlines())
    assert "Coastal Watch has called for this in “" + HEADLINE + "” (20 November 2026)." in body
    # ...they stay quoted, as written, on the campaign's page.
    page = drafted.json()["campaign"]["body_markdown"]
    assert "> Governments should end their silence on seabed mining" in page
    assert page.startswith("Write to Governments and ask them to:")


async def test_a_drafted_letter_campaign_is_set_up_and_publishable_as_it_is(
    client: httpx.AsyncClient, editor: dict
) -> None:
    await add_directory(client, editor)
    release = await submit(client, editor)
    drafted = await draft(client, editor, release, call_to(release, "Foreign ministers"))
    assert drafted.status_code == 201, drafted.text
    slug = drafted.json()["campaign"]["slug"]
    assert drafted.json()["letter"]["targets"] == {"kind": "role", "role": "foreign_minister"}
    assert drafted.json()["officials_found"] == 2
    setup = (await client.get(f"{STAFF_CAMPAIGNS}/{slug}/letter", headers=editor)).json()
    assert setup["body_template"] == drafted.json()["letter"]["body_template"]
    assert 0 < setup["min_length"] <= len(setup["body_template"]) <= setup["max_length"]
    published = await client.post(f"{STAFF_CAMPAIGNS}/{slug}/publish", headers=editor)
    assert published.status_code == 200, published.text

    # The public sees the ask and the release's words, never a placeholder.
    page = await client.get(f"/c/{slug}")
    assert page.status_code == 200
    assert "ask them to:" in page.text and "act now, to suspend the licences" in page.text
    assert_no_placeholders(page.text)
    public = (await client.get(f"/api/v1/campaigns/{slug}")).json()
    assert "Foreign ministers must act" in public["summary"]
    assert_no_placeholders(public["summary"] + public["body_html"])
    # The letter form names the placeholders in words.
    form = await client.get(f"/c/{slug}", params={"country": "GB"})
    assert "Jo Rivers" in form.text
    assert "Dear [official&#39;s name]," in form.text and "[your name]" in form.text
    assert_no_placeholders(form.text)
    letter_box = form.text.split('class="letter-body"', 1)[1].split("</textarea>", 1)[0]
    assert "I am writing to ask you to act, and act now" in letter_box
    assert "&gt;" not in letter_box  # no Markdown quotation in a plain-text letter


async def test_letter_targets_are_proposed_from_the_directory(
    client: httpx.AsyncClient, editor: dict
) -> None:
    ids = await add_directory(client, editor)
    release = await submit(client, editor)
    cases = [
        # Whoever holds the role in the activist's country.
        ("Foreign ministers", {"kind": "role", "role": "foreign_minister"}, 2),
        # The body's members for the activist's seat.
        ("The House of Commons", {"kind": "division", "organisation": "House of Commons"}, 2),
        # The body's officials, who hold no seat.
        ("the Foreign Office", {"kind": "fixed", "official_ids": [ids["Jo Rivers"]]}, 1),
        # No one in the directory: a role named after them, for staff to fill or change.
        ("Governments", {"kind": "role", "role": "government"}, 0),
    ]
    for target, rule, found in cases:
        drafted = await draft(client, editor, release, call_to(release, target))
        assert drafted.status_code == 201, drafted.text
        assert drafted.json()["letter"]["targets"] == rule, target
        assert drafted.json()["officials_found"] == found, target
        slug = drafted.json()["campaign"]["slug"]
        assert (await client.post(f"{STAFF_CAMPAIGNS}/{slug}/publish", headers=editor)).is_success


async def test_a_refused_letter_draft_leaves_no_campaign_behind(
    client: httpx.AsyncClient, editor: dict
) -> None:
    content = "".join(f"Ministers must close mine number {n} on the reef.\n" for n in range(12))
    release = await submit(client, editor, content=content)
    calls = release["calls_to_action"]
    assert len(calls) == 12
    for n, call in enumerate(calls):
        long_action = f"close mine number {n} " + "and its access roads " * 90
        edited = await client.patch(
            f"/api/v1/staff/calls/{call['id']}", json={"action": long_action}, headers=editor
        )
        assert edited.status_code == 200, edited.text
    # The letter would be longer than a letter may be: refused after the campaign was
    # made, so the campaign and its setup go with it.
    refused = await draft(client, editor, release, *calls)
    assert refused.status_code == 422 and refused.json()["field"] == "call_ids"
    listed = (await client.get(STAFF_CAMPAIGNS, headers=editor)).json()
    assert listed["items"] == []
    again = await client.get(f"{RELEASES}/{release['release']['id']}/calls", headers=editor)
    assert {call["status"] for call in again.json()} == {"proposed"}
