"""From a release to a sent letter, in a real browser: staff submit a release, draft a
letter campaign from two of its calls and publish it as drafted; an activist finds their
official, sends the letter, confirms it and opens their private page. No page they see
shows a placeholder. Debian's headless Chromium, driven by Playwright, against a real
`campaign serve` on the embedded SQLite default; screenshots go under
test-artefacts/screenshots/."""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fixtures.browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, needs_chromium
from tests.fixtures.emails import text_body
from tests.letters.conftest import OFFICIALS
from tests.test_walkthrough import CAMPAIGN, _environment, _start, _wait_for_emails, _wait_until_up

pytestmark = needs_chromium
playwright_api = pytest.importorskip("playwright.async_api")

RELEASE = """\
SOURCE: written for the drafting browser test

Coastal Watch: foreign ministers must break their silence on seabed mining

Coastal Watch today published its survey of the northern reef.

Foreign ministers should end their silence on seabed mining and their support for the \
licences issued last year.
They must also publish the survey data their governments hold.
"""
PLACEHOLDER_MARKS = ("{{", "}}")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, dict[str, str], Path]]:
    env = _environment(tmp_path)
    process, base = _start("serve", env)
    try:
        _wait_until_up(base, process)
        created = subprocess.run(
            [*CAMPAIGN, "staff", "create-token", "--name", "press office", "--role", "editor"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        token = created.stdout.strip().splitlines()[-1]
        yield base, {"Authorization": f"Bearer {token}"}, tmp_path / "outbox"
    finally:
        process.terminate()
        process.wait(timeout=15)


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    async with playwright_api.async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            await chromium.close()


def _publish_drafted_letter(base: str, staff: dict[str, str]) -> str:
    """What staff do, through the API: the directory, the release, one letter draft from
    its two calls, published as drafted. Returns the campaign's slug."""
    with httpx.Client(base_url=base, headers=staff, timeout=30) as http:
        for official in OFFICIALS:
            fields = {key: value for key, value in official.items() if value is not None}
            assert http.post("/api/v1/staff/officials", json=fields).status_code == 201
        submitted = http.post(
            "/api/v1/staff/releases", json={"content": RELEASE, "organisation": "Coastal Watch"}
        ).json()
        calls = submitted["calls_to_action"]
        # The two sentences of the release's body; "They" stands for the foreign ministers.
        asked = [c for c in calls if c["sentence"].startswith(("Foreign ministers", "They"))]
        assert [c["resolved_targets"] for c in asked] == [[], ["Foreign ministers"]], calls
        drafted = http.post(
            f"/api/v1/staff/releases/{submitted['release']['id']}/drafts",
            json={"call_ids": [c["id"] for c in asked], "kind": "letter"},
        )
        assert drafted.status_code == 201, drafted.text
        assert drafted.json()["letter"]["targets"] == {"kind": "role", "role": "foreign_minister"}
        slug = str(drafted.json()["campaign"]["slug"])
        assert http.post(f"/api/v1/staff/campaigns/{slug}/publish").status_code == 200
        return slug


async def _assert_no_placeholders(page: Any, name: str) -> None:
    """Nowhere on the page: not in its text, its markup, nor any field's value."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"drafted-{name}.png"), full_page=True)
    values = await page.eval_on_selector_all(
        "input, textarea, select", "fields => fields.map(field => field.value)"
    )
    for text in [await page.content(), await page.inner_text("body"), *values]:
        for mark in PLACEHOLDER_MARKS:
            assert mark not in text, f"{mark} on the {name} page: {text[:2000]}"


def _link(email: Any, path: str) -> str:
    for word in text_body(email).split():
        if f"{path}/" in word:
            return str(word.strip("<>"))
    raise AssertionError(f"no {path} link in the email")


async def test_a_drafted_letter_goes_from_release_to_official_without_a_placeholder_showing(
    browser: Any, server: tuple[str, dict[str, str], Path]
) -> None:
    expect = playwright_api.expect
    base, staff, outbox = server
    slug = _publish_drafted_letter(base, staff)
    page = await (await browser.new_context()).new_page()

    await page.goto(f"{base}/c/{slug}")
    heading = page.get_by_role("heading", level=1)
    await expect(heading).to_have_text(
        "Foreign ministers: End their silence on seabed mining and their support"
    )
    await expect(page.locator(".campaign-text")).to_contain_text("ask them to")
    await _assert_no_placeholders(page, "campaign")

    await page.get_by_label("Country").select_option("GB")
    await page.get_by_role("button", name="Find").click()
    await expect(page.locator("#officials")).to_contain_text("Jo Rivers")
    letter = page.get_by_label("Your letter", exact=True)
    shown = await letter.input_value()
    assert shown.startswith("Dear [official's name],\n\nI am writing to ask you to end your ")
    assert shown.endswith("Yours sincerely,\n[your name]")
    await _assert_no_placeholders(page, "letter-form")

    own_words = "The reef is where I learnt to dive.\n\nYours sincerely,"
    await letter.fill(shown.replace("Yours sincerely,", own_words))
    await page.get_by_label("Given name").fill("Ada")
    await page.get_by_label("Family name").fill("Lovelace")
    await page.get_by_label("Email address").fill("ada.lovelace@example.org")
    await page.get_by_role("radio", name="No").check()
    await page.get_by_role("button", name="Send my letter").click()
    await expect(page).to_have_url(f"{base}/c/{slug}/sent")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    await _assert_no_placeholders(page, "check-your-inbox")

    [confirmation] = _wait_for_emails(outbox, 1)
    await page.goto(_link(confirmation, "/letters/confirm"))
    await expect(page.get_by_role("heading", level=1)).to_contain_text("on its way")
    await _assert_no_placeholders(page, "letter-confirmed")

    emails = _wait_for_emails(outbox, 3)  # the confirmation, the letter, the copy
    [to_minister] = [e for e in emails if "foreign.secretary@gov.example" in str(e["To"])]
    sent = text_body(to_minister)
    assert sent.startswith("Dear Jo Rivers,") and "Ada Lovelace" in sent
    assert "The reef is where I learnt to dive." in sent
    [copy] = [e for e in emails if "on its way" in str(e["Subject"])]
    await page.goto(_link(copy, "/letters"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("Your letter")
    await expect(page.locator(".letter")).to_contain_text("Dear Jo Rivers,")
    await expect(page.locator(".letter")).to_contain_text("Ada Lovelace")
    await _assert_no_placeholders(page, "own-letter")
