"""A new release from the dashboard: pasted text or HTML, or an uploaded .txt, .md or
.html file, through the API's service; the title from the headline when none is given
(and asked for by the form's script before it is sent); a bad text or file refused
beside its field; the release's details corrected afterwards."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx
import pytest

from api.dashboard.forms import RELEASE_FIELD_LABELS
from api.uploads import MAX_UPLOAD_BYTES
from campaign.staff.models import Role
from tests.dashboard.conftest import LogIn, MakeUser, csrf_token_in
from tests.releases.test_releases_api import HTML_RELEASE, RELEASE, RELEASES

HEADLINE = "Rivers Alliance: ministers must stop the Vale dam"
HTML_HEADLINE = "Banks must stop financing new coal mines"
MARKDOWN_RELEASE = """\
# Coastal Watch: seabed mining must stop

Coastal Watch calls on the foreign ministers to halt every seabed mining licence.
"""
# What a browser posts for a file field left alone: a part with no file name, empty.
NO_FILE = {"file": ("", b"", "application/octet-stream")}


async def _token(client: httpx.AsyncClient) -> str:
    page = await client.get("/staff/releases/new")
    assert page.status_code == 200, page.text
    return csrf_token_in(page)


async def _submit(client: httpx.AsyncClient, files: Any = None, **fields: str) -> httpx.Response:
    form = {"csrf_token": await _token(client), "language": "en"} | fields
    return await client.post("/staff/releases", data=form, files=files or NO_FILE)


async def _release(client: httpx.AsyncClient, editor: dict, answer: httpx.Response) -> Any:
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    match = re.fullmatch(r"/staff/releases/(\d+)", location)
    assert match, location
    release = await client.get(f"{RELEASES}/{match.group(1)}", headers=editor)
    return release.json()


def field_error(page: httpx.Response, field_id: str) -> str | None:
    """The error shown beside a field, if any (its text, unescaped)."""
    match = re.search(
        rf'<span class="error" id="{field_id}-error"><span class="visually-hidden">Error: '
        r"</span>(.*?)</span>",
        page.text,
    )
    return html.unescape(match.group(1)) if match else None


def alert(page: httpx.Response) -> str:
    match = re.search(r'<p class="error" role="alert" id="error">(.*?)</p>', page.text, re.S)
    assert match, "no alert on the page"
    return html.unescape(match.group(1))


async def test_the_release_list_links_to_the_new_release_form(
    editor_session: httpx.AsyncClient,
) -> None:
    listed = await editor_session.get("/staff/releases")
    assert 'href="/staff/releases/new"' in listed.text
    page = await editor_session.get("/staff/releases/new")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert 'enctype="multipart/form-data"' in page.text
    for name in ("content", "format", "file", "title", "organisation", "published_on"):
        assert f'name="{name}"' in page.text
    # Left blank, the language is told from the text.
    assert re.search(r'<input id="language" name="language" type="text" value=""', page.text)
    assert not re.search(r'<input id="language"[^>]* required', page.text)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.text, re.S)
    assert scripts == [(' src="/static/release_new.js" defer', "")]
    assert (await editor_session.get("/static/release_new.js")).status_code == 200


async def test_a_release_pasted_with_no_language_is_in_the_one_its_text_is_in(
    editor_session: httpx.AsyncClient, editor: dict
) -> None:
    french = (
        "Barrage de la Vale : Rivières Vivantes appelle la préfète à suspendre le permis\n\n"
        "Rivières Vivantes demande à la préfète du Rhône de suspendre le permis de construire "
        "du barrage, qui noierait les terres de trois villages.\n"
    )
    answer = await _submit(editor_session, content=french, format="text", language="")
    release = await _release(editor_session, editor, answer)
    assert release["language"] == "fr"
    page = await editor_session.get(answer.headers["location"])
    assert 'id="release-language" name="language" type="text" value="fr"' in page.text


async def test_pasted_text_becomes_a_release_with_its_calls_and_its_headline_as_title(
    editor_session: httpx.AsyncClient, editor: dict
) -> None:
    answer = await _submit(
        editor_session,
        content=RELEASE.replace("\n", "\r\n"),  # as a browser posts a textarea
        format="text",
        title="",
        organisation="Rivers Alliance",
        published_on="2026-11-20",
    )
    release = await _release(editor_session, editor, answer)
    assert release["title"] == HEADLINE
    assert (release["organisation"], release["published_on"]) == ("Rivers Alliance", "2026-11-20")
    assert release["source_format"] == "text"

    page = await editor_session.get(answer.headers["location"])
    assert f"<h1>{html.escape(HEADLINE)}</h1>" in page.text
    # The title it got is in the details form, to be changed.
    assert (
        f'id="release-title" name="title" type="text" value="{html.escape(HEADLINE)}"' in page.text
    )
    calls = (await editor_session.get(f"{RELEASES}/{release['id']}/calls", headers=editor)).json()
    assert calls, "no calls were found"
    for call in calls:
        assert f'id="call-row-{call["id"]}"' in page.text


async def test_a_title_given_is_the_title(editor_session: httpx.AsyncClient, editor: dict) -> None:
    answer = await _submit(editor_session, content=RELEASE, title="The Vale dam")
    assert (await _release(editor_session, editor, answer))["title"] == "The Vale dam"


async def test_pasted_html_is_reduced_to_its_article(
    editor_session: httpx.AsyncClient, editor: dict
) -> None:
    answer = await _submit(editor_session, content=HTML_RELEASE, format="html")
    release = await _release(editor_session, editor, answer)
    assert release["source_format"] == "html"
    assert release["title"] == HTML_HEADLINE
    assert "Donate" not in release["text"] and "track()" not in release["text"]
    page = await editor_session.get(answer.headers["location"])
    assert "the Central Bank" in page.text


@pytest.mark.parametrize(
    ("name", "content", "source_format", "title"),
    [
        ("vale-dam.txt", RELEASE, "text", HEADLINE),
        ("seabed.md", MARKDOWN_RELEASE, "markdown", "Coastal Watch: seabed mining must stop"),
        ("coal.html", HTML_RELEASE, "html", HTML_HEADLINE),
    ],
)
async def test_an_uploaded_file_becomes_a_release(
    editor_session: httpx.AsyncClient,
    editor: dict,
    name: str,
    content: str,
    source_format: str,
    title: str,
) -> None:
    files = {"file": (name, content.encode(), "application/octet-stream")}
    answer = await _submit(editor_session, files, content="", organisation="Rivers Alliance")
    release = await _release(editor_session, editor, answer)
    assert (release["source_format"], release["title"]) == (source_format, title)
    calls = (await editor_session.get(f"{RELEASES}/{release['id']}/calls", headers=editor)).json()
    assert calls, "no calls were found"


async def test_the_same_text_again_goes_to_the_release_it_made(
    editor_session: httpx.AsyncClient, editor: dict
) -> None:
    first = await _release(editor_session, editor, await _submit(editor_session, content=RELEASE))
    again = await _submit(editor_session, content="\n" + RELEASE)
    assert again.status_code == 303
    assert again.headers["location"] == f"/staff/releases/{first['id']}?submitted=before"
    page = await editor_session.get(again.headers["location"])
    assert "had been submitted before" in page.text
    assert len((await editor_session.get(RELEASES, headers=editor)).json()) == 1


BIG = b"States must act.\n" * (MAX_UPLOAD_BYTES // 17 + 1)


@pytest.mark.parametrize(
    ("fields", "files", "field", "message"),
    [
        ({"content": ""}, None, "content", "Paste the release's text or its HTML"),
        ({"content": "   \r\n "}, None, "content", "Paste the release's text or its HTML"),
        (
            {"content": "<html><body></body></html>", "format": "html"},
            None,
            "content",
            "No article",
        ),
        ({"content": "nul \x00"}, None, "content", "Must not contain control characters."),
        ({"content": RELEASE, "format": "pdf"}, None, "format", "Choose plain text, Markdown"),
        ({"content": RELEASE, "language": "english"}, None, "language", "Enter a language tag"),
        ({"content": RELEASE, "published_on": "soon"}, None, "published_on", "Enter a date"),
        ({"content": RELEASE, "title": "x" * 201}, None, "title", "String should have at most"),
        ({}, {"file": ("release.pdf", b"%PDF-1.4")}, "file", "The file must be .txt, .md or"),
        ({}, {"file": ("release.txt", b"\xff\xfe not utf-8")}, "file", "The file must be UTF-8"),
        (
            {},
            {"file": ("release.txt", BIG)},
            "file",
            f"The file must be at most {MAX_UPLOAD_BYTES}",
        ),
        ({}, {"file": ("release.txt", b"")}, "file", "The file is empty."),
        ({}, {"file": ("release.md", b" \n\n ")}, "file", "The file is empty."),
        ({}, {"file": ("page.html", b"<html><body></body></html>")}, "file", "No article text"),
        (
            {"content": RELEASE},
            {"file": ("a.txt", b"States must act.")},
            "file",
            "Upload a file or",
        ),
        (
            {"published_on": "soon"},
            {"file": ("a.txt", b"States must act.")},
            "published_on",
            "Enter a date",
        ),
    ],
)
async def test_a_bad_text_or_file_is_refused_beside_its_field(
    editor_session: httpx.AsyncClient,
    editor: dict,
    fields: dict,
    files: Any,
    field: str,
    message: str,
) -> None:
    answer = await _submit(editor_session, files, organisation="Kept Typed", **fields)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    beside = field_error(answer, field)
    assert beside and beside.startswith(message), answer.text
    assert re.search(rf'id="{field}" name="{field}"[^>]*aria-invalid="true"', answer.text) or (
        re.search(rf'<textarea id="{field}"[^>]*aria-invalid="true"', answer.text)
    )
    # Above the form, the same error links to its field.
    assert alert(answer).startswith(f'<a href="#{field}">{RELEASE_FIELD_LABELS[field]}: ')
    assert 'value="Kept Typed"' in answer.text
    assert (await editor_session.get(RELEASES, headers=editor)).json() == []


async def test_a_viewer_is_shown_no_form_and_may_not_submit(
    client: httpx.AsyncClient, make_user: MakeUser, log_in: LogIn, editor: dict
) -> None:
    await make_user(email="viewer@example.org", role=Role.VIEWER)
    await log_in(email="viewer@example.org")
    listed = await client.get("/staff/releases")
    assert listed.status_code == 200 and "/staff/releases/new" not in listed.text
    assert (await client.get("/staff/releases/new")).status_code == 403
    token = csrf_token_in(listed)
    for path in ("/staff/releases", "/staff/releases/headline"):
        refused = await client.post(path, data={"csrf_token": token, "content": RELEASE})
        assert refused.status_code == 403, path
    assert (await client.get(RELEASES, headers=editor)).json() == []


@pytest.mark.parametrize("form", [{}, {"csrf_token": "0" * 64}])
async def test_a_new_release_needs_the_pages_csrf_token(
    editor_session: httpx.AsyncClient, editor: dict, form: dict
) -> None:
    for path in ("/staff/releases", "/staff/releases/headline"):
        answer = await editor_session.post(path, data=form | {"content": RELEASE}, files=NO_FILE)
        assert answer.status_code == 403, path
    assert (await editor_session.get(RELEASES, headers=editor)).json() == []


@pytest.mark.parametrize(
    ("fields", "files", "title"),
    [
        ({"content": RELEASE, "format": "text"}, NO_FILE, HEADLINE),
        ({"content": HTML_RELEASE, "format": "html"}, NO_FILE, HTML_HEADLINE),
        (
            {"content": "", "format": "text"},
            {"file": ("a.html", HTML_RELEASE.encode())},
            HTML_HEADLINE,
        ),
        (
            {"content": "# A heading of the release\n\nStates must act.\n"},
            NO_FILE,
            "A heading of the release",
        ),
        ({"content": "the first line ends as running text does.\n"}, NO_FILE, None),
    ],
)
async def test_the_form_asks_the_server_for_the_title_it_would_give(
    editor_session: httpx.AsyncClient, editor: dict, fields: dict, files: Any, title: str | None
) -> None:
    form = {"csrf_token": await _token(editor_session)} | fields
    answer = await editor_session.post("/staff/releases/headline", data=form, files=files)
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    assert answer.json() == {"title": title}
    # Asking stores nothing.
    assert (await editor_session.get(RELEASES, headers=editor)).json() == []


async def test_asking_for_the_title_of_a_bad_file_says_what_is_wrong_with_it(
    editor_session: httpx.AsyncClient,
) -> None:
    form = {"csrf_token": await _token(editor_session), "content": ""}
    files = {"file": ("release.pdf", b"%PDF")}
    answer = await editor_session.post("/staff/releases/headline", data=form, files=files)
    assert answer.status_code == 422
    assert answer.json()["title"] is None and answer.json()["field"] == "file"


async def _one_release(client: httpx.AsyncClient, editor: dict, **fields: str) -> Any:
    return await _release(client, editor, await _submit(client, content=RELEASE, **fields))


async def test_staff_correct_a_releases_details_on_its_page(
    editor_session: httpx.AsyncClient, editor: dict
) -> None:
    release = await _one_release(editor_session, editor, organisation="Rivers Aliance")
    path = f"/staff/releases/{release['id']}"
    page = await editor_session.get(path)
    assert f'action="{path}/details"' in page.text
    form = {
        "csrf_token": csrf_token_in(page),
        "title": "Stop the Vale dam",
        "organisation": "Rivers Alliance",
        "published_on": "2026-11-21",
        "language": "en-GB",
    }
    saved = await editor_session.post(f"{path}/details", data=form)
    assert saved.status_code == 303 and saved.headers["location"] == path
    after = (await editor_session.get(f"{RELEASES}/{release['id']}", headers=editor)).json()
    assert (after["title"], after["organisation"]) == ("Stop the Vale dam", "Rivers Alliance")
    assert (after["published_on"], after["language"]) == ("2026-11-21", "en-GB")
    assert after["text"] == release["text"]
    assert "<h1>Stop the Vale dam</h1>" in (await editor_session.get(path)).text

    # Emptied: the title is the headline again; the organisation and date are none.
    emptied = form | {"title": "", "organisation": "", "published_on": ""}
    assert (await editor_session.post(f"{path}/details", data=emptied)).status_code == 303
    after = (await editor_session.get(f"{RELEASES}/{release['id']}", headers=editor)).json()
    assert (after["title"], after["organisation"], after["published_on"]) == (HEADLINE, None, None)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"language": ""}, "language", "A release is in a language"),
        ({"language": "klingon"}, "language", "Enter a language tag"),
        ({"published_on": "2026-13-01"}, "published_on", "Enter a date"),
        ({"title": "two\nlines"}, "title", "Must be a single line."),
    ],
)
async def test_refused_details_are_shown_beside_their_field_and_nothing_changes(
    editor_session: httpx.AsyncClient, editor: dict, fields: dict, field: str, message: str
) -> None:
    release = await _one_release(editor_session, editor, title="As it was")
    path = f"/staff/releases/{release['id']}"
    form = {
        "csrf_token": csrf_token_in(await editor_session.get(path)),
        "title": "Changed",
        "organisation": "Changed too",
        "published_on": "2026-11-21",
        "language": "fr",
    } | fields
    answer = await editor_session.post(f"{path}/details", data=form)
    assert answer.status_code == 422, answer.text
    beside = field_error(answer, f"release-{field}")
    assert beside and beside.startswith(message), answer.text
    assert f'href="#release-{field}"' in answer.text
    assert re.search(r'<details id="release-details" open>', answer.text)
    after = (await editor_session.get(f"{RELEASES}/{release['id']}", headers=editor)).json()
    assert (after["title"], after["organisation"], after["language"]) == ("As it was", None, "en")


async def test_a_viewer_sees_the_details_and_no_form_to_change_them(
    client: httpx.AsyncClient, make_user: MakeUser, log_in: LogIn, editor: dict
) -> None:
    submitted = await client.post(
        RELEASES, json={"content": RELEASE, "organisation": "Rivers Alliance"}, headers=editor
    )
    release_id = submitted.json()["release"]["id"]
    await make_user(email="viewer@example.org", role=Role.VIEWER)
    await log_in(email="viewer@example.org")
    page = await client.get(f"/staff/releases/{release_id}")
    assert "Rivers Alliance" in page.text and "language en" in page.text
    assert "release-details-form" not in page.text
    form = {"csrf_token": csrf_token_in(page), "title": "Mine now", "language": "en"}
    refused = await client.post(f"/staff/releases/{release_id}/details", data=form)
    assert refused.status_code == 403
    assert (await client.get(f"{RELEASES}/{release_id}", headers=editor)).json()[
        "title"
    ] == HEADLINE
