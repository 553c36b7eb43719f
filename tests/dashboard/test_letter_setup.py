"""A letter campaign's setup on the dashboard: who it writes to (a fixed list picked by
searching the directory, or a rule), the template with a preview for a real official,
the limits with errors beside their fields, and whether it is ready to publish, all
saved as the JSON API saves a setup. Viewers read it; their posts and forged ones are
refused."""

from __future__ import annotations

import html
import re
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.db import transaction
from campaign.letters.models import LetterDelivery
from campaign.staff.models import Role
from campaign.targets.models import Official
from tests.conftest import petition_fields
from tests.dashboard.conftest import LogIn, MakeUser, csrf_token_in
from tests.letters.conftest import (
    BODY_TEMPLATE,
    COMMONS,
    REQUIRED,
    officials,  # noqa: F401  (the fixture)
    writer,
)

SLUG = "save-the-river"
PAGE = f"/staff/campaigns/{SLUG}/letter"
SETUP_API = f"/api/v1/staff/campaigns/{SLUG}/letter"
SCRIPTED_NAME = "<script>alert('x')</script> Jones"

Client = httpx.AsyncClient


@pytest.fixture
def new_letter_campaign(
    client: Client, editor: dict[str, str]
) -> Callable[..., Awaitable[dict[str, Any]]]:
    """A draft letter campaign with no setup yet, made through the API."""

    async def create(slug: str = SLUG, **fields: Any) -> dict[str, Any]:
        body = petition_fields(slug=slug, kind="letter", target="Members of Parliament")
        created = await client.post(
            "/api/v1/staff/campaigns", json={**body, **fields}, headers=editor
        )
        assert created.status_code == 201, created.text
        return dict(created.json())

    return create


async def _post(client: Client, path: str, **fields: str) -> httpx.Response:
    token = csrf_token_in(await client.get(PAGE))
    return await client.post(PAGE + path, data={"csrf_token": token, **fields})


async def _api_setup(client: Client, headers: dict[str, str]) -> dict[str, Any]:
    answer = await client.get(SETUP_API, headers=headers)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _text_of(page: str, element_id: str) -> str:
    """The text of the element with this id: tags dropped, entities read, space collapsed."""
    match = re.search(rf'<(\w+)[^>]*\bid="{element_id}"[^>]*>(.*?)</\1>', page, re.S)
    assert match, f"no #{element_id} on the page"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", match.group(2))).split())


def _error_beside(page: str, field: str) -> str:
    assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', page, re.S) or re.search(
        rf'aria-invalid="true"[^>]*id="{field}"', page, re.S
    ), f"{field} is not marked invalid"
    match = re.search(
        rf'id="{field}-error"><span class="visually-hidden">Error: </span>(.*?)</span>', page, re.S
    )
    assert match, f"no error beside {field}"
    return html.unescape(match.group(1))


async def _setup_with_division(client: Client, editor: dict[str, str], **changes: Any) -> None:
    fields = {
        "targets": {"kind": "division", "organisation": COMMONS},
        "subject_template": "Please oppose the Vale dam",
        "body_template": BODY_TEMPLATE,
        "min_length": 50,
        "max_length": 2000,
        "required_phrases": [REQUIRED],
        **changes,
    }
    saved = await client.put(SETUP_API, json=fields, headers=editor)
    assert saved.status_code == 200, saved.text


# -- Who it writes to -------------------------------------------------------------------


async def test_before_any_save_the_page_proposes_a_setup_and_says_it_is_not_ready(
    editor_session: Client,
    editor: dict[str, str],
    officials: dict[str, int],  # noqa: F811
    new_letter_campaign: Callable[..., Awaitable[dict[str, Any]]],
) -> None:
    await new_letter_campaign(summary="The Vale dam would flood the valley's farms.")
    page = await editor_session.get(PAGE)
    assert page.status_code == 200, page.text
    assert page.headers["cache-control"] == "no-store"
    assert "Nothing is saved yet" in page.text
    assert _text_of(page.text, "readiness-answer") == (
        "Not yet. Set up the letter (targets and template) before publishing."
    )
    # The template proposed from the campaign, placeholders listed with their meaning.
    assert "The Vale dam would flood the valley&#39;s farms." in page.text
    placeholders = _text_of(page.text, "placeholders")
    for name in ("official_name", "official_title", "activist_name", "activist_locality"):
        assert "{{" + name + "}}" in placeholders
    assert "the official's name, as the directory has it" in placeholders
    assert (await editor_session.get(SETUP_API, headers=editor)).status_code == 404
    # Publishing says the same, from the same check.
    refused = await editor_session.post(
        f"/staff/campaigns/{SLUG}/publish", data={"csrf_token": csrf_token_in(page)}
    )
    assert refused.status_code == 409
    assert "set up the letter (targets and template) before publishing" in refused.text

    # Saving one part saves the setup, the rest as proposed...
    saved = await _post(
        editor_session,
        "/template",
        subject_template="Please oppose the Vale dam",
        body_template=BODY_TEMPLATE.replace("\n", "\r\n"),
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == f"{PAGE}?saved=template#template"
    setup = await _api_setup(editor_session, editor)
    assert setup["body_template"] == BODY_TEMPLATE  # the browser's CRLF as LF
    # ... with a rule that finds no one: the campaign says "Members of Parliament" and
    # the directory's members are of the House of Commons.
    assert setup["targets"] == {"kind": "role", "role": "member_of_parliament"}
    page = await editor_session.get(saved.headers["location"])
    assert "Saved: the letter." in page.text
    assert _text_of(page.text, "readiness-answer") == (
        "Yes. The letter is set up and reaches 0 officials in the directory today."
    )
    assert _text_of(page.text, "readiness-warning").startswith(
        "But while its targets find no one in the directory, every activist who tries to "
        "write is told no one was found."
    )

    # The members of a body, chosen from the directory's bodies.
    assert '<option value="House of Commons">House of Commons (GB 2)</option>' in page.text
    chosen = await _post(editor_session, "/targets", kind="division", organisation=COMMONS)
    assert chosen.status_code == 303
    page = await editor_session.get(PAGE)
    assert _text_of(page.text, "readiness-answer") == (
        "Yes. The letter is set up and reaches 2 officials in the directory today."
    )
    assert _text_of(page.text, "reach").startswith(
        "Each activist writes to the member of House of Commons for their own division"
    )
    assert _text_of(page.text, "reach-count") == "2"
    assert 'id="readiness-warning"' not in page.text
    published = await editor_session.post(
        f"/staff/campaigns/{SLUG}/publish", data={"csrf_token": csrf_token_in(page)}
    )
    assert published.status_code == 303


async def test_a_role_in_the_activists_country_and_a_body_are_chosen_from_the_directory(
    editor_session: Client,
    editor: dict[str, str],
    officials: dict[str, int],  # noqa: F811
    new_letter_campaign: Callable[..., Awaitable[dict[str, Any]]],
) -> None:
    await new_letter_campaign()
    await _setup_with_division(editor_session, editor)
    page = await editor_session.get(PAGE)
    assert '<option value="foreign_minister">foreign_minister (FR 1, GB 1)</option>' in page.text
    assert '<option value="legislator">legislator (GB 2)</option>' in page.text
    # A body without divisions is no choice for a division rule.
    assert '<option value="Foreign Office">' not in page.text

    chosen = await _post(
        editor_session, "/targets", kind="role", role="foreign_minister", organisation=COMMONS
    )
    assert chosen.status_code == 303
    setup = await _api_setup(editor_session, editor)
    assert setup["targets"] == {"kind": "role", "role": "foreign_minister"}
    assert setup["body_template"] == BODY_TEMPLATE  # the other parts stay as they were
    page = await editor_session.get(PAGE)
    assert _text_of(page.text, "reach") == (
        "Each activist writes to whoever holds the role foreign_minister in their own "
        "country: 2 officials in the directory today (FR 1, GB 1)."
    )
    assert re.search(r'id="kind-role" name="kind" value="role" checked', page.text)

    # A rule with nothing chosen, or no kind at all, is refused beside its field.
    for fields, field, message in [
        ({"kind": "role"}, "role", "Choose the role whose holders it writes to."),
        ({"kind": "division"}, "organisation", "Choose the body whose members it writes to."),
        ({}, "kind", "Choose who the letter goes to."),
        ({"kind": "fixed"}, "kind", "Find the officials in the directory below and add them"),
    ]:
        refused = await _post(editor_session, "/targets", **fields)
        assert refused.status_code == 422, fields
        assert _error_beside(refused.text, field).startswith(message)
    assert (await _api_setup(editor_session, editor))["targets"]["role"] == "foreign_minister"


async def test_a_fixed_list_is_picked_from_the_directory_official_by_official(
    editor_session: Client,
    editor: dict[str, str],
    officials: dict[str, int],  # noqa: F811
    new_letter_campaign: Callable[..., Awaitable[dict[str, Any]]],
) -> None:
    await new_letter_campaign()
    await _setup_with_division(editor_session, editor)
    # Without a script: the search is a GET of the page...
    found = await editor_session.get(PAGE, params={"q": "morgan"})
    assert found.status_code == 200
    row = re.search(r'<tr data-official="(\d+)">.*?</tr>', found.text, re.S)
    assert row and int(row.group(1)) == officials["Alex Morgan"]
    assert 'Add<span class="visually-hidden"> Alex Morgan</span>' in row.group(0)
    assert "makes it go to a fixed list instead" in found.text

    # ...and Add a post that comes back to the same search.
    added = await _post(
        editor_session, "/officials", official_id=str(officials["Alex Morgan"]), q="morgan"
    )
    assert added.status_code == 303
    assert added.headers["location"] == f"{PAGE}?saved=officials&q=morgan#fixed-list"
    added = await _post(editor_session, "/officials", official_id=str(officials["Jo Rivers"]))
    assert added.status_code == 303
    again = await _post(editor_session, "/officials", official_id=str(officials["Jo Rivers"]))
    assert again.status_code == 303  # already listed: nothing changes
    setup = await _api_setup(editor_session, editor)
    assert setup["targets"] == {
        "kind": "fixed",
        "official_ids": [officials["Alex Morgan"], officials["Jo Rivers"]],
    }
    page = await editor_session.get(PAGE, params={"q": "morgan"})
    listed = _text_of(page.text, "listed-officials")
    assert "Alex Morgan" in listed and "Jo Rivers" in listed and "Sam Patel" not in listed
    assert _text_of(page.text, "reach-count") == "2"
    assert "On the list" in _text_of(page.text, "found-officials")
    assert re.search(r'id="kind" name="kind" value="fixed" checked', page.text)

    removed = await _post(editor_session, f"/officials/{officials['Alex Morgan']}/remove")
    assert removed.status_code == 303
    assert (await _api_setup(editor_session, editor))["targets"]["official_ids"] == [
        officials["Jo Rivers"]
    ]
    # The last one stays until there is another or a rule instead.
    last = await _post(editor_session, f"/officials/{officials['Jo Rivers']}/remove")
    assert last.status_code == 422
    assert "A fixed list needs one official at least" in _text_of(last.text, "official_id-error")
    gone = await _post(editor_session, f"/officials/{officials['Alex Morgan']}/remove")
    assert gone.status_code == 404
    for bad in ("", "abc", str(2**63), "99999"):
        refused = await _post(editor_session, "/officials", official_id=bad)
        assert refused.status_code in (404, 422), bad
        assert _text_of(refused.text, "official_id-error")
    too_big = await _post(editor_session, f"/officials/{2**63}/remove")
    assert too_big.status_code == 422
    assert (await _api_setup(editor_session, editor))["targets"]["official_ids"] == [
        officials["Jo Rivers"]
    ]


async def test_an_official_who_leaves_the_directory_stays_listed_but_is_not_counted(
    editor_session: Client,
    editor: dict[str, str],
    officials: dict[str, int],  # noqa: F811
    new_letter_campaign: Callable[..., Awaitable[dict[str, Any]]],
) -> None:
    await new_letter_campaign()
    await _setup_with_division(
        editor_session, editor, targets={"kind": "fixed", "official_ids": [officials["Jo Rivers"]]}
    )
    left = await editor_session.patch(
        f"/api/v1/staff/officials/{officials['Jo Rivers']}", json={"active": False}, headers=editor
    )
    assert left.status_code == 200, left.text
    page = await editor_session.get(PAGE)
    assert "(no longer active: gets no letters)" in _text_of(page.text, "listed-officials")
    assert _text_of(page.text, "reach-count") == "0"
    assert "reaches 0 officials" in _text_of(page.text, "readiness-answer")
    assert 'id="readiness-warning"' in page.text
    # Saving another part keeps them; a search no longer finds them.
    saved = await _post(
        editor_session, "/template", subject_template="New subject", body_template=BODY_TEMPLATE
    )
    assert saved.status_code == 303
    assert (await _api_setup(editor_session, editor))["subject_template"] == "New subject"
    found = await editor_session.get(f"{PAGE}/officials", params={"q": "Jo Rivers"})
    assert "No active official in the directory matches" in found.text


async def test_the_search_is_for_staff_only_and_shows_no_addresses(
    editor_session: Client,
    client: Client,
    editor: dict[str, str],
    officials: dict[str, int],  # noqa: F811
    new_letter_campaign: Callable[..., Awaitable[dict[str, Any]]],
) -> None:
    await new_letter_campaign()
    await _setup_with_division(editor_session, editor)
    # By a role as written: Camille Martin's title is in French, her role is not.
    found = await editor_session.get(f"{PAGE}/officials", params={"q": "Foreign minister"})
    assert found.status_code == 200
    assert found.headers["content-type"].startswith("text/html")
    assert found.headers["cache-control"] == "no-store"
    assert "<html" not in found.text  # the results alone
    names = re.findall(r"<tr data-official=\"\d+\">\s*<td>([^<]+)</td>", found.text)
    assert names == ["Camille Martin", "Jo Rivers"]
    by_body = await editor_session.get(f"{PAGE}/officials", params={"q": "commons"})
    assert re.findall(r"<tr data-official=\"\d+\">\s*<td>([^<]+)</td>", by_body.text) == [
        "Alex Morgan",
        "Sam Patel",
    ]
    for answer in (found, by_body):
        assert "@" not in answer.text and "example" not in answer.text
    assert "@" not in (await editor_session.get(PAGE, params={"q": "a"})).text.replace(
        "editor@example.org", ""
    )
    empty = await editor_session.get(f"{PAGE}/officials", params={"q": ""})
    assert empty.status_code == 200 and "<tr" not in empty.text
    long = await editor_session.get(f"{PAGE}/officials", params={"q": "x" * 201})
    assert long.status_code == 422

    # Only for a staff session: not anonymous, not with the JSON API's token.
    editor_session.cookies.clear()
    for headers in ({}, editor):
        refused = await client.get(f"{PAGE}/officials", params={"q": "morgan"}, headers=headers)
        assert refused.status_code == 303
        assert refused.headers["location"].startswith("/staff/login")
        assert "Morgan" not in refused.text

    # The public side, once published, names the officials and never their addresses.
    published = await client.post(f"/api/v1/staff/campaigns/{SLUG}/publish", headers=editor)
    assert published.status_code == 200, published.text
    public = await client.get(f"/c/{SLUG}", params={"country": "GB", "postcode": "SW1A 1AA"})
    assert "Alex Morgan" in public.text
    assert "@parliament.example" not in public.text


# -- The template and its preview ------------------------------------------------------------


async def _add_scripted_official(factory: async_sessionmaker[AsyncSession]) -> int:
    async with transaction(factory) as session:
        official = Official(
            external_id="test:scripted",
            name=SCRIPTED_NAME,
            title="Member for <b>Nowhere</b> & Elsewhere",
            role="legislator",
            organisation="Scripted Assembly",
            email="scripted@assembly.example",
            country="GB",
            source="written for these tests",
        )
        session.add(official)
        await session.flush()
        return official.id


async def test_the_preview_is_the_letter_as_an_official_receives_it(
    editor_session: Client,
    editor: dict[str, str],
    officials: dict[str, int],  # noqa: F811
    session_factory: async_sessionmaker[AsyncSession],
    new_letter_campaign: Callable[..., Awaitable[dict[str, Any]]],
) -> None:
    scripted = await _add_scripted_official(session_factory)
    await new_letter_campaign()
    await _setup_with_division(
        editor_session,
        editor,
        targets={"kind": "fixed", "official_ids": [officials["Alex Morgan"], scripted]},
        subject_template="To {{official_name}}: please oppose the dam",
    )
    page = await editor_session.get(PAGE, params={"preview": scripted})
    assert page.status_code == 200
    assert "<script>alert" not in page.text and "<b>Nowhere" not in page.text
    title = "Member for <b>Nowhere</b> & Elsewhere"
    assert _text_of(page.text, "preview-to") == f"{SCRIPTED_NAME}, {title}"
    assert _text_of(page.text, "preview-subject") == f"To {SCRIPTED_NAME}: please oppose the dam"
    body = _text_of(page.text, "preview-body")
    assert body.startswith(f"Dear {SCRIPTED_NAME}, As your constituent in Sampleton,")
    assert body.endswith("Yours sincerely, Jordan Sample")
    assert "{{" not in body
    sample = _text_of(page.text, "preview-sample")
    assert "{{activist_name}} as “Jordan Sample” and {{activist_locality}} as “Sampleton”" in sample
    # Any official the letter goes to may be chosen; one it does not go to may not.
    choices = re.findall(r'<option value="(\d+)"', page.text.split('id="preview"', 1)[1])
    assert {int(c) for c in choices[:2]} == {officials["Alex Morgan"], scripted}
    other = await editor_session.get(PAGE, params={"preview": officials["Sam Patel"]})
    assert other.status_code == 200
    assert "This official is not one the letter goes to." in other.text
    assert (await editor_session.get(PAGE, params={"preview": "x"})).status_code == 422

    # Exactly what a delivery to Alex Morgan stores, for an activist with the sample's name.
    first = await editor_session.get(PAGE, params={"preview": officials["Alex Morgan"]})
    preview = re.search(r'id="preview-body">(.*?)</div>', first.text, re.S)
    assert preview
    published = await editor_session.post(f"/api/v1/staff/campaigns/{SLUG}/publish", headers=editor)
    assert published.status_code == 200, published.text
    wrote = await editor_session.post(
        f"/api/v1/campaigns/{SLUG}/letters",
        json=writer(given_name="Jordan", family_name="Sample", locality="Sampleton"),
    )
    assert wrote.status_code == 202, wrote.text
    async with session_factory() as session:
        delivery = await session.scalar(
            select(LetterDelivery).where(LetterDelivery.official_id == officials["Alex Morgan"])
        )
    assert delivery is not None
    assert html.unescape(preview.group(1)) == delivery.body
    assert _text_of(first.text, "preview-subject") == delivery.subject


async def test_template_errors_are_beside_their_fields_and_change_nothing(
    editor_session: Client,
    editor: dict[str, str],
    officials: dict[str, int],  # noqa: F811
    new_letter_campaign: Callable[..., Awaitable[dict[str, Any]]],
) -> None:
    await new_letter_campaign()
    await _setup_with_division(editor_session, editor)
    cases = [
        (
            {"subject_template": "Hello {{official_nam}}", "body_template": BODY_TEMPLATE},
            "subject_template",
            "Unknown placeholder {{official_nam}}: the placeholders are {{official_name}},",
        ),
        (
            {"subject_template": "Fine", "body_template": "Dear {{mp}}, " + REQUIRED},
            "body_template",
            "Unknown placeholder {{mp}}",
        ),
        (
            {"subject_template": "", "body_template": BODY_TEMPLATE},
            "subject_template",
            "This can't be empty.",
        ),
        (
            {"subject_template": "x" * 301, "body_template": BODY_TEMPLATE},
            "subject_template",
            "This must be at most 300 characters.",
        ),
        (
            {"subject_template": "Fine", "body_template": "Dear {{official_name}}, no passage."},
            "body_template",
            f"This passage is not in the body template: {REQUIRED!r}; keep it in the body, or "
            "take it out of the required passages first.",
        ),
    ]
    for fields, field, message in cases:
        refused = await _post(editor_session, "/template", **fields)
        assert refused.status_code == 422, (fields, refused.text)
        assert _error_beside(refused.text, field).startswith(message), field
        # What was typed stays in the form.
        if fields["subject_template"]:
            assert f'value="{html.escape(fields["subject_template"])}"' in refused.text
    setup = await _api_setup(editor_session, editor)
    assert setup["subject_template"] == "Please oppose the Vale dam"
    assert setup["body_template"] == BODY_TEMPLATE


# -- Limits ------------------------------------------------------------------------------------


def _limits(**overrides: str) -> dict[str, str]:
    fields = {
        "min_length": "50",
        "max_length": "2000",
        "required_phrases": REQUIRED,
        "per_official_hourly_limit": "",
        "per_official_daily_limit": "",
    }
    fields.update(overrides)
    return {name: value for name, value in fields.items() if value is not None}


async def test_limits_are_saved_and_refused_beside_their_fields(
    editor_session: Client,
    editor: dict[str, str],
    officials: dict[str, int],  # noqa: F811
    new_letter_campaign: Callable[..., Awaitable[dict[str, Any]]],
) -> None:
    await new_letter_campaign()
    await _setup_with_division(editor_session, editor)
    page = await editor_session.get(PAGE)
    assert 'id="min_length" name="min_length" type="number"\n         value="50"' in page.text

    refused = await _post(
        editor_session,
        "/limits",
        **_limits(
            min_length="many",
            max_length="0",
            per_official_hourly_limit="-1",
            per_official_daily_limit="1000001",
        ),
    )
    assert refused.status_code == 422
    assert _error_beside(refused.text, "min_length") == "Enter a whole number, such as 50."
    assert _error_beside(refused.text, "max_length") == "This must be 1 or more."
    assert _error_beside(refused.text, "per_official_hourly_limit") == ("This must be 1 or more.")
    assert _error_beside(refused.text, "per_official_daily_limit") == (
        "This must be 1000000 or less."
    )
    assert 'value="many"' in refused.text  # as typed

    shorter = await _post(editor_session, "/limits", **_limits(min_length="500", max_length="100"))
    assert shorter.status_code == 422
    assert _error_beside(shorter.text, "max_length") == (
        "This must be at least the minimum length."
    )
    elsewhere = await _post(
        editor_session, "/limits", **_limits(required_phrases=f"{REQUIRED}\r\nnot in the letter")
    )
    assert elsewhere.status_code == 422
    assert _error_beside(elsewhere.text, "required_phrases") == (
        "This passage is not in the body template: 'not in the letter'."
    )
    before = await _api_setup(editor_session, editor)
    assert before["max_length"] == 2000 and before["over_limit"] == "queue"

    saved = await _post(
        editor_session,
        "/limits",
        **_limits(
            min_length="80",
            max_length="1500",
            required_phrases=f"\r\n{REQUIRED}\r\n\r\noppose the Vale dam\r\n",
            per_official_hourly_limit="5",
            per_official_daily_limit="40",
            subject_locked="on",
            daily_digest="on",
        ),
    )
    assert saved.status_code == 303
    setup = await _api_setup(editor_session, editor)
    assert {key: setup[key] for key in before if key not in ("updated_at",)} == {
        **{key: before[key] for key in before if key != "updated_at"},
        "min_length": 80,
        "max_length": 1500,
        "required_phrases": [REQUIRED, "oppose the Vale dam"],
        "per_official_hourly_limit": 5,
        "per_official_daily_limit": 40,
        "subject_editable": False,
        "over_limit": "digest",
    }
    page = await editor_session.get(PAGE)
    assert re.search(r'id="subject_locked" name="subject_locked" value="on" checked', page.text)
    assert re.search(r'id="daily_digest" name="daily_digest" value="on" checked', page.text)

    # A refused form shows what was sent: a box unticked stays unticked.
    untick = await _post(editor_session, "/limits", **_limits(min_length="-5"))
    assert untick.status_code == 422
    assert _error_beside(untick.text, "min_length") == "This must be 0 or more."
    assert re.search(r'id="subject_locked" name="subject_locked" value="on"\s*>', untick.text)
    assert (await _api_setup(editor_session, editor))["subject_editable"] is False

    # Unticked and emptied: the subject free again, no limits, letters queued.
    cleared = await _post(editor_session, "/limits", **_limits())
    assert cleared.status_code == 303
    setup = await _api_setup(editor_session, editor)
    assert setup["subject_editable"] is True and setup["over_limit"] == "queue"
    assert setup["per_official_hourly_limit"] is None
    assert setup["per_official_daily_limit"] is None


# -- Who may change it -----------------------------------------------------------------------


async def test_a_viewer_reads_the_setup_and_may_change_nothing(
    client: Client,
    editor: dict[str, str],
    make_user: MakeUser,
    log_in: LogIn,
    officials: dict[str, int],  # noqa: F811
    new_letter_campaign: Callable[..., Awaitable[dict[str, Any]]],
) -> None:
    await new_letter_campaign()
    await _setup_with_division(
        client, editor, targets={"kind": "fixed", "official_ids": [officials["Jo Rivers"]]}
    )
    await make_user("viewer@example.org", Role.VIEWER)
    assert (await log_in("viewer@example.org")).status_code == 303
    page = await client.get(PAGE, params={"q": "morgan"})
    assert page.status_code == 200
    assert "Please oppose the Vale dam" in page.text
    assert "Jo Rivers" in _text_of(page.text, "listed-officials")
    assert "Alex Morgan" in _text_of(page.text, "found-officials")
    # Every post form on the page is the logout button's.
    assert page.text.count('method="post"') == 1
    assert "Remove" not in page.text and ">Add<" not in page.text
    assert page.text.count('class="setup-part" disabled') == 3
    results = await client.get(f"{PAGE}/officials", params={"q": "morgan"})
    assert "Alex Morgan" in results.text and 'method="post"' not in results.text

    token = csrf_token_in(page)
    for path, fields in [
        ("/targets", {"kind": "role", "role": "foreign_minister"}),
        ("/officials", {"official_id": str(officials["Alex Morgan"])}),
        (f"/officials/{officials['Jo Rivers']}/remove", {}),
        ("/template", {"subject_template": "Changed", "body_template": BODY_TEMPLATE}),
        ("/limits", _limits(min_length="60")),
    ]:
        refused = await client.post(PAGE + path, data={"csrf_token": token, **fields})
        assert refused.status_code == 403, path
    setup = await _api_setup(client, editor)
    assert setup["targets"] == {"kind": "fixed", "official_ids": [officials["Jo Rivers"]]}
    assert setup["subject_template"] == "Please oppose the Vale dam"
    assert setup["min_length"] == 50


async def test_a_post_without_the_sessions_csrf_token_is_refused(
    editor_session: Client,
    editor: dict[str, str],
    officials: dict[str, int],  # noqa: F811
    new_letter_campaign: Callable[..., Awaitable[dict[str, Any]]],
) -> None:
    await new_letter_campaign()
    await _setup_with_division(editor_session, editor)
    for token in (None, "0" * 64):
        for path, fields in [
            ("/targets", {"kind": "role", "role": "foreign_minister"}),
            ("/officials", {"official_id": str(officials["Alex Morgan"])}),
            ("/template", {"subject_template": "Changed", "body_template": BODY_TEMPLATE}),
            ("/limits", _limits(min_length="60")),
        ]:
            data = fields if token is None else {"csrf_token": token, **fields}
            refused = await editor_session.post(PAGE + path, data=data)
            assert refused.status_code == 403, (path, token)
    setup = await _api_setup(editor_session, editor)
    assert setup["targets"] == {"kind": "division", "organisation": COMMONS}
    assert setup["subject_template"] == "Please oppose the Vale dam"
    assert setup["min_length"] == 50


async def test_a_petition_has_no_letter_setup(
    editor_session: Client,
    publish_petition: Callable[..., Awaitable[dict[str, Any]]],
) -> None:
    await publish_petition(slug="just-a-petition")
    answer = await editor_session.get("/staff/campaigns/just-a-petition/letter")
    assert answer.status_code == 409
    assert answer.json()["detail"] == "only letter campaigns have a letter"
    missing = await editor_session.get("/staff/campaigns/no-such-campaign/letter")
    assert missing.status_code == 404
