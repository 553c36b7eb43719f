"""The whole staff job in a real browser, as a newcomer would do it after `make demo`:
no terminal, no API call. Log in, paste a release, review its calls (accept two, reject
one, add one by selecting its sentence), draft a letter and a petition from them, import
a directory and pick officials from it, preview the letter for a real official, publish
both through their confirmation pages; then, as an activist and a supporter, send the
letter and sign the petition on the public pages and confirm from the emails; and back as
staff, see both counted, the letters' delivery, and download the CSVs. axe-core and the
390 px check run on every page on the way."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

from campaign.demo import DEMO_RELEASE
from tests.dashboard.test_browser import (
    _campaign,
    server,  # noqa: F401  (the fixture)
)
from tests.dashboard.test_release_browser import _select
from tests.fixtures.accessibility import assert_accessible, assert_fits_phone
from tests.fixtures.browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, needs_chromium
from tests.fixtures.emails import text_body
from tests.test_walkthrough import _wait_for_emails

pytestmark = needs_chromium

EMAIL = "robin@example.org"
PASSWORD = "a password for the whole staff job"
COLUMNS = ("id", "name", "title", "role", "organisation", "email", "country", "division_id")
DIRECTORY = [
    ("mb:priya-shah", "Priya Shah", "Leader of Meadowbank County Council", "council_leader",
     "Meadowbank County Council", "priya.shah@meadowbank.example", "GB", ""),
    ("mb:tom-hale", "Tom Hale", "Cabinet Member for Transport", "councillor",
     "Meadowbank County Council", "tom.hale@meadowbank.example", "GB", ""),
    ("mb:ann-eve", "Ann Eve", "Chief Executive, Environment Agency", "agency_head",
     "Environment Agency", "ann.eve@agency.example", "GB", ""),
]  # fmt: skip
ADDED_SENTENCE = (
    "The county council's cabinet will vote next month on a bypass route that would cross "
    "the river meadows on a raised embankment."
)


def test_from_a_release_to_two_published_campaigns_and_their_numbers(
    server: tuple[str, dict[str, str]],  # noqa: F811  (the fixture imported above)
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, env = server
    outbox = tmp_path / "outbox"
    user = ("--email", EMAIL, "--name", "Robin", "--role", "editor")
    _campaign(env, "staff", "create-user", *user, password=PASSWORD)
    directory = tmp_path / "meadowbank.csv"
    with directory.open("w", encoding="utf-8", newline="") as file:
        csv.writer(file).writerows([COLUMNS, *DIRECTORY])

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            context = browser.new_context(viewport={"width": 1100, "height": 1400})
            page = context.new_page()
            problems: list[str] = []
            page.on("pageerror", lambda error: problems.append(str(error)))

            def check(name: str) -> None:
                page.screenshot(path=str(SCREENSHOTS / f"job-{name}.png"), full_page=True)
                assert_accessible(page)
                assert_fits_phone(page)

            # Log in.
            page.goto(f"{base}/")
            check("front-page")
            page.get_by_role("link", name=re.compile("staff", re.IGNORECASE)).first.click()
            page.fill("#email", EMAIL)
            page.fill("#password", PASSWORD)
            check("login")
            page.click("button[type=submit]")
            expect(page).to_have_url(f"{base}/staff")
            check("home")

            # Paste the release.
            page.click("nav >> text=Releases")
            page.get_by_role("link", name="New release").click()
            # The headline is asked of the server by the page's script: wait for both.
            page.wait_for_load_state("load")
            page.fill("#content", DEMO_RELEASE.content)
            page.fill("#organisation", "Meadowbank Rivers Trust")
            expect(page.locator("#title")).not_to_have_value("", timeout=15_000)
            check("release-new")
            page.get_by_role("button", name="Save and find its calls").click()
            expect(page).to_have_url(re.compile(rf"{base}/staff/releases/\d+$"))
            release_page = page.url
            check("release")

            def row(section: str, text: str) -> Any:
                return page.locator(f"#{section}-calls tr[data-call]", has_text=text)

            # Review: accept two, reject one, add one by selecting its sentence.
            row("proposed", "upgrade the existing road").get_by_role(
                "button", name="Accept"
            ).click()
            expect(row("accepted", "upgrade the existing road")).to_have_count(1)
            row("proposed", "object").get_by_role("button", name="Accept").click()
            expect(row("accepted", "object")).to_have_count(1)
            row("proposed", "flood modelling").get_by_role("button", name="Reject").click()
            expect(row("reviewed", "flood modelling")).to_contain_text("rejected")
            _select(page, ADDED_SENTENCE)
            page.fill("#targets", "The county council's cabinet")
            page.click("#add-call-form button[type=submit]")
            added_id = page.url.rsplit("-", 1)[1]
            expect(page.locator(f"mark#call-{added_id}")).to_have_text(ADDED_SENTENCE)
            check("release-reviewed")

            # Draft a letter from the council's call.
            page.goto(release_page)
            row("accepted", "upgrade the existing road").locator("input[name=call_ids]").check()
            page.check("#kind-letter")
            page.get_by_role("button", name="Draft", exact=True).click()
            expect(page).to_have_url(re.compile(rf"{base}/staff/campaigns/[a-z0-9-]+$"))
            letter_page = page.url
            letter_slug = letter_page.rsplit("/", 1)[1]
            expect(page.locator("#state")).to_have_text("draft")
            check("letter-drafted")

            # Import the directory, then pick two councillors from it.
            page.goto(f"{base}/staff/officials/import")
            with page.expect_file_chooser() as chosen:
                page.click("#officials-file")
            chosen.value.set_files(str(directory))
            page.click("#officials-import button[type=submit]")
            expect(page.locator("#report-created")).to_have_text("3")
            check("directory-imported")

            page.goto(f"{letter_page}/letter")
            for words, name in (("priya", "Priya Shah"), ("tom h", "Tom Hale")):
                page.fill("#q", "")
                page.locator("#q").press_sequentially(words, delay=20)
                found = page.locator("#found-officials tbody tr", has_text=name)
                found.get_by_role("button", name=f"Add {name}").click()
                page.wait_for_url(re.compile(r"saved=officials"))
            expect(page.locator("#listed-officials tbody tr")).to_have_count(2)
            page.select_option("#preview", label="Priya Shah, Leader of Meadowbank County Council")
            page.get_by_role("button", name="Show").click()
            expect(page.locator("#preview-body")).to_contain_text("Priya Shah")
            expect(page.locator("#readiness-answer")).to_contain_text("Yes.")
            check("letter-setup")

            # Preview and publish the letter.
            page.goto(f"{letter_page}/preview")
            expect(page.locator(".preview-banner")).to_contain_text("not public")
            check("letter-preview")
            page.goto(letter_page)
            page.click("text=Publish…")
            expect(page.locator("#outlook")).to_contain_text(f"/c/{letter_slug}")
            check("letter-publish")
            page.click("text=Publish now")
            expect(page.locator("#state")).to_have_text("published")

            # A petition from the Environment Agency's call.
            page.goto(release_page)
            row("accepted", "object").locator("input[name=call_ids]").check()
            page.check("#kind-petition")
            page.get_by_role("button", name="Draft", exact=True).click()
            expect(page).to_have_url(re.compile(rf"{base}/staff/campaigns/[a-z0-9-]+$"))
            petition_page = page.url
            petition_slug = petition_page.rsplit("/", 1)[1]
            page.click("text=Publish…")
            page.click("text=Publish now")
            expect(page.locator("#state")).to_have_text("published")

            # An activist sends the letter, a supporter signs; both confirm by email.
            public = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
            public.goto(f"{base}/c/{letter_slug}")
            public.get_by_label("Country").select_option("GB")
            public.get_by_role("button", name="Find").click()
            expect(public.locator("#officials")).to_contain_text("Priya Shah")
            expect(public.locator("#officials")).to_contain_text("Tom Hale")
            public.get_by_label("Given name").fill("Ada")
            public.get_by_label("Family name").fill("Lovelace")
            public.get_by_label("Email address").fill("ada@example.org")
            public.get_by_role("radio", name="No").check()
            public.get_by_role("button", name="Send my letter").click()
            expect(public.get_by_role("heading", level=1)).to_have_text("Check your inbox")
            [letter_confirmation] = _wait_for_emails(outbox, 1)
            public.goto(_link(letter_confirmation, "/letters/confirm/"))
            expect(public.get_by_role("heading", level=1)).to_contain_text("on its way")

            public.goto(f"{base}/c/{petition_slug}")
            public.get_by_label("Given name").fill("Mary")
            public.get_by_label("Family name").fill("Anning")
            public.get_by_label("Email address").fill("mary@example.org")
            public.get_by_label("Country").select_option("GB")
            public.get_by_role("radio", name="No").check()
            public.get_by_role("button", name="Sign").click()
            expect(public.get_by_role("heading", level=1)).to_have_text("Check your inbox")
            emails = _wait_for_emails(outbox, 5)  # + two letters, Ada's copy, Mary's
            [signing] = [e for e in emails if "mary@example.org" in str(e["To"])]
            public.goto(_link(signing, "/confirm/"))
            expect(public.get_by_role("heading", level=1)).to_contain_text("confirmed")

            # Back as staff: the letter counted and sent, the signature counted.
            page.goto(letter_page)
            expect(page.locator("#letters-written")).to_have_text("1")
            expect(page.locator("#letters-confirmed")).to_have_text("1")
            _reload_until(page, "#deliveries-sent", "2")
            per_official = page.locator("#letters-per-official tbody tr")
            expect(per_official).to_have_count(2)
            expect(per_official.filter(has_text="Priya Shah")).to_contain_text("1")
            check("letter-numbers")
            letters_csv = _download(page, "#export-letters")
            assert [line["email"] for line in letters_csv] == ["ada@example.org"]

            page.goto(petition_page)
            _reload_until(page, "#confirmed-count", "1")
            check("petition-numbers")
            signatures_csv = _download(page, "#export-signatures")
            assert [line["email"] for line in signatures_csv] == ["mary@example.org"]

            page.goto(f"{petition_page}/supporters")
            expect(page.locator("table").first).to_contain_text("mary@example.org")
            check("petition-supporters")
            assert not problems, problems
        finally:
            browser.close()


def _link(email: Any, path: str) -> str:
    for word in text_body(email).split():
        if path in word:
            return str(word.strip("<>"))
    raise AssertionError(f"no {path} link in the email")


def _reload_until(page: Any, selector: str, text: str) -> None:
    """The public count is cached for a second and letters are sent by the server's
    worker a moment after confirming: reload until the page says so, for a while."""
    for _ in range(40):
        if page.locator(selector).inner_text().strip() == text:
            return
        page.wait_for_timeout(250)
        page.reload()
    assert page.locator(selector).inner_text().strip() == text


def _download(page: Any, button: str) -> list[dict[str, str]]:
    with page.expect_download() as downloading:
        page.click(button)
    with Path(downloading.value.path()).open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))
