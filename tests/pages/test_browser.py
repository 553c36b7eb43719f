"""The public pages in a real browser: Debian's headless Chromium, driven by Playwright,
against a real `campaign serve` on the embedded SQLite default. Each test saves a
screenshot of every page it visits under test-artefacts/screenshots/."""

from __future__ import annotations

import io
import sqlite3
import subprocess
import threading
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from campaign.config import DEVELOPMENT_SECRET
from campaign.letters.templating import in_words
from campaign.outbox.unsubscribe import unsubscribe_token
from tests.fixtures.accessibility import assert_accessible_async, assert_fits_phone_async
from tests.fixtures.browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, needs_chromium

# The server helpers of the README walk-through test: the same `campaign serve`, started
# the same way, so these pages are tested exactly as a user would run them.
from tests.fixtures.emails import text_body
from tests.letters.conftest import BODY_TEMPLATE, OFFICIALS, POSTCODES, setup_fields
from tests.test_walkthrough import (
    CAMPAIGN,
    _environment,
    _start,
    _wait_for_emails,
    _wait_until_up,
)

pytestmark = needs_chromium
playwright_api = pytest.importorskip("playwright.async_api")

PETITION = "save-the-river-meadows"
LETTER = "stop-the-vale-dam"
FRENCH_PETITION = "sauvons-les-pres-de-la-loire"


class Server:
    def __init__(self, base: str, folder: Path, staff: dict[str, str]) -> None:
        self.base = base
        self.outbox = folder / "outbox"
        self.database = folder / "campaign.db"
        self.staff = staff

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, headers=self.staff, timeout=10)

    def page_views(self) -> int:
        with sqlite3.connect(self.database) as db:
            return int(db.execute("SELECT count(*) FROM page_views").fetchone()[0])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("pages-server")
    env = _environment(folder)
    process, base = _start("serve", env)
    try:
        _wait_until_up(base, process)
        created = subprocess.run(
            [*CAMPAIGN, "staff", "create-token", "--name", "pages", "--role", "editor"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        token = created.stdout.strip().splitlines()[-1]
        running = Server(base, folder, {"Authorization": f"Bearer {token}"})
        _publish_petition(running)
        _publish_letter_campaign(running)
        _publish_french_petition(running)
        yield running
    finally:
        process.terminate()
        process.wait(timeout=15)


def _publish_petition(server: Server) -> None:
    with server.http() as http:
        created = http.post(
            "/api/v1/staff/campaigns",
            json={
                "slug": PETITION,
                "title": "Save the river meadows",
                "summary": "The county council must drop the meadows route.",
                "body_markdown": "The meadows flood every winter and hold **rare orchids**.",
                "target": "The county council",
                "signature_goal": 100,
                "postcode_mode": "optional",
            },
        )
        assert created.status_code == 201, created.text
        assert http.post(f"/api/v1/staff/campaigns/{PETITION}/publish").status_code == 200


def _publish_french_petition(server: Server) -> None:
    with server.http() as http:
        created = http.post(
            "/api/v1/staff/campaigns",
            json={
                "slug": FRENCH_PETITION,
                "language": "fr",
                "title": "Sauvons les prés de la Loire",
                "summary": "Le conseil départemental doit renoncer à la rocade.",
                "body_markdown": "Les prés inondables abritent des **orchidées rares**.",
                "target": "Le conseil départemental",
                "postcode_mode": "optional",
            },
        )
        assert created.status_code == 201, created.text
        assert http.post(f"/api/v1/staff/campaigns/{FRENCH_PETITION}/publish").status_code == 200


def _publish_letter_campaign(server: Server) -> None:
    """A small directory (two MPs and a minister, a postcode table) and a letter to MPs."""
    with server.http() as http:
        for official in OFFICIALS:
            fields = {key: value for key, value in official.items() if value is not None}
            assert http.post("/api/v1/staff/officials", json=fields).status_code == 201
        table = "postcode,division_id\n" + "".join(f"{p},{d}\n" for p, d in POSTCODES)
        imported = http.post(
            "/api/v1/staff/postcodes/import",
            data={"country": "GB"},
            files={"file": ("postcodes.csv", io.BytesIO(table.encode()), "text/csv")},
        )
        assert imported.status_code == 200, imported.text
        created = http.post(
            "/api/v1/staff/campaigns",
            json={
                "slug": LETTER,
                "kind": "letter",
                "title": "Stop the Vale dam",
                "summary": "Ask your MP to oppose the Vale dam.",
                "body_markdown": "The dam would flood **farmland** and homes.",
                "target": "Members of Parliament",
            },
        )
        assert created.status_code == 201, created.text
        saved = http.put(f"/api/v1/staff/campaigns/{LETTER}/letter", json=setup_fields())
        assert saved.status_code == 200, saved.text
        assert http.post(f"/api/v1/staff/campaigns/{LETTER}/publish").status_code == 200


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


class Visit:
    """A browser page that records every request it makes, every stylesheet, script or
    icon that failed to load, and every console error (a CSP refusal shows there)."""

    def __init__(self, page: Any, *, scripts: bool = True) -> None:
        self.page = page
        # axe-core runs as a script in the page, which a visit without JavaScript forbids.
        self.scripts = scripts
        self.requests: list[str] = []
        self.failed_resources: list[str] = []
        self.console_errors: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("response", self._note_failed_resource)
        page.on("console", self._note_console_error)

    def _note_failed_resource(self, response: Any) -> None:
        # A page answering 422 or 403 is the form doing its job; a missing asset is not.
        if response.status >= 400 and response.request.resource_type != "document":
            self.failed_resources.append(f"{response.status} {response.url}")

    def _note_console_error(self, message: Any) -> None:
        # Chromium also logs every 4xx answer here; those are judged by status above.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.console_errors.append(message.text)

    async def screenshot(self, name: str, *, ours: bool = True) -> None:
        """Every page a test visits is kept as a picture, and each of our pages is
        checked: axe-core finds no serious or critical violation, and it fits a 390 px
        screen. (`ours=False`: another site's page that frames ours.)"""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
        if ours and self.scripts:
            await assert_accessible_async(self.page)
            await assert_fits_phone_async(self.page)

    def assert_only_local_requests(self) -> None:
        outside = [
            url
            for url in self.requests
            if not url.startswith(("http://127.0.0.1:", "data:", "about:"))
        ]
        assert outside == [], f"requests outside 127.0.0.1: {outside}"
        assert self.failed_resources == [], self.failed_resources
        assert self.console_errors == [], self.console_errors


async def _visit(browser: Any, **context: Any) -> Visit:
    browser_context = await browser.new_context(**context)
    return Visit(await browser_context.new_page(), scripts=context.get("java_script_enabled", True))


def _confirmation_link(email: Any, path: str) -> str:
    for word in text_body(email).split():
        if f"{path}/" in word:
            return word.strip("<>")
    raise AssertionError(f"no {path} link in the email")


async def test_a_supporter_signs_confirms_and_is_counted(browser: Any, server: Server) -> None:
    expect = playwright_api.expect
    visit = await _visit(browser)
    page = visit.page
    already = len(list(server.outbox.glob("*.eml")))
    views = server.page_views()
    await page.goto(f"{server.base}/c/{PETITION}?utm_source=newsletter")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Save the river meadows")
    count_before = int(await page.locator("[data-count]").inner_text())
    await page.wait_for_load_state("networkidle")
    assert server.page_views() == views + 1  # the script's beacon, once
    await visit.screenshot("petition")

    await page.get_by_label("Given name").fill("Mary")
    await page.get_by_label("Family name").fill("Anning")
    await page.get_by_label("Email address").fill("mary.anning@example.org")
    await page.get_by_label("Country").select_option("GB")
    await page.get_by_label("Postcode").fill("DT7 3QA")
    await page.get_by_label("Comment (optional)").fill("I walk the meadows every spring.")
    await page.get_by_role("radio", name="Yes").check()
    await page.get_by_role("button", name="Sign").click()

    await expect(page).to_have_url(f"{server.base}/c/{PETITION}/sent")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    await visit.screenshot("check-your-inbox")

    emails = _wait_for_emails(server.outbox, already + 1)
    link = _confirmation_link(emails[-1], "/confirm")
    assert link.startswith(server.base)
    await page.goto(link)
    await expect(page.get_by_role("heading", level=1)).to_contain_text("signature is confirmed")
    await visit.screenshot("signature-confirmed")

    await page.goto(f"{server.base}/c/{PETITION}")
    await expect(page.locator("[data-count]")).to_have_text(str(count_before + 1))
    visit.assert_only_local_requests()


async def test_a_french_supporter_signs_in_french_and_confirms_from_a_french_email(
    browser: Any, server: Server
) -> None:
    """The page, its form, the confirmation email and the confirmed page all speak the
    campaign's language: the labels the test fills are the French ones."""
    expect = playwright_api.expect
    visit = await _visit(browser, locale="fr-FR")
    page = visit.page
    already = len(list(server.outbox.glob("*.eml")))
    await page.goto(f"{server.base}/c/{FRENCH_PETITION}")
    assert await page.locator("html").get_attribute("lang") == "fr"
    await expect(page.get_by_role("heading", level=1)).to_have_text("Sauvons les prés de la Loire")
    count_before = int(await page.locator("[data-count]").inner_text())
    await visit.screenshot("petition-fr")

    await page.get_by_label("Prénom").fill("Jeanne")
    await page.get_by_label("Nom de famille").fill("Baret")
    await page.get_by_label("Adresse e-mail").fill("jeanne.baret@example.org")
    await page.get_by_label("Pays").select_option("FR")
    await page.get_by_role("radio", name="Oui").check()
    await page.get_by_role("button", name="Signer").click()

    await expect(page).to_have_url(f"{server.base}/c/{FRENCH_PETITION}/sent")
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Consultez votre boîte de réception"
    )
    await visit.screenshot("check-your-inbox-fr")

    email = _wait_for_emails(server.outbox, already + 1)[-1]
    # French typography: a no-break space before the colon.
    subject = "Merci de confirmer votre signature\u00a0: Sauvons les prés de la Loire"
    assert email["Subject"] == subject
    assert "Jeanne" in text_body(email)
    html = email.get_body(preferencelist=("html",))
    assert html is not None and '<html lang="fr"' in str(html.get_content())
    await page.goto(_confirmation_link(email, "/confirm"))
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Merci\u00a0: votre signature est confirmée"
    )
    assert await page.locator("html").get_attribute("lang") == "fr"
    await visit.screenshot("signature-confirmed-fr")

    await page.goto(f"{server.base}/c/{FRENCH_PETITION}")
    await expect(page.locator("[data-count]")).to_have_text(str(count_before + 1))
    visit.assert_only_local_requests()


async def test_errors_show_next_to_their_fields_without_javascript(
    browser: Any, server: Server
) -> None:
    expect = playwright_api.expect
    visit = await _visit(browser, java_script_enabled=False)
    page = visit.page
    await page.goto(f"{server.base}/c/{PETITION}")
    await page.get_by_label("Family name").fill("Anning")
    await page.get_by_label("Email address").fill("not an address")
    await page.get_by_label("Country").select_option("FR")
    await page.get_by_role("button", name="Sign").click()

    summary = page.locator("#error-summary")
    await expect(summary).to_be_visible()
    await expect(summary).to_be_focused()  # autofocus: no script needed
    await expect(summary.get_by_role("link", name="Enter your given name.")).to_be_visible()
    given = page.get_by_label("Given name")
    await expect(given).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#given_name-error")).to_have_text("Error: Enter your given name.")
    await expect(page.locator("#email_updates-error")).to_have_text("Error: Choose yes or no.")
    await expect(page.get_by_label("Family name")).to_have_value("Anning")
    await expect(page.get_by_label("Email address")).to_have_value("not an address")
    await expect(page.get_by_label("Country")).to_have_value("FR")
    await visit.screenshot("petition-errors")

    await summary.get_by_role("link", name="Enter your given name.").click()
    await expect(given).to_be_focused()
    visit.assert_only_local_requests()


async def test_an_activist_writes_to_their_mp_from_the_letter_page(
    browser: Any, server: Server
) -> None:
    expect = playwright_api.expect
    visit = await _visit(browser)
    page = visit.page
    already = len(list(server.outbox.glob("*.eml")))
    await page.goto(f"{server.base}/c/{LETTER}")
    await page.get_by_label("Country").select_option("GB")
    await page.get_by_label("Postcode").fill("sw1a 1aa")
    await page.evaluate("window.stillTheSamePage = true")
    await page.get_by_role("button", name="Find").click()

    officials = page.locator("#officials")
    await expect(officials).to_contain_text("Alex Morgan")
    await expect(officials).not_to_contain_text("Sam Patel")
    # Found by the script without a reload, focus moved to the answer, address updated.
    assert await page.evaluate("window.stillTheSamePage === true")
    await expect(page.locator("#officials-heading")).to_be_focused()
    assert "?country=GB&postcode=sw1a+1aa#officials" in page.url
    # The template with its placeholders in words; they are filled in all the same.
    shown = in_words(BODY_TEMPLATE)
    assert "{{" not in shown
    await expect(page.get_by_label("Your letter", exact=True)).to_have_value(shown)
    await visit.screenshot("letter")

    letter = page.get_by_label("Your letter", exact=True)
    await letter.fill(shown + "\n\nThe river is where my children learnt to swim.")
    await page.get_by_label("Given name").fill("Ada")
    await page.get_by_label("Family name").fill("Lovelace")
    await page.get_by_label("Email address").fill("ada.lovelace@example.org")
    await page.get_by_label("Town or city (optional)").fill("Riverside")
    await page.get_by_role("radio", name="No").check()
    await page.get_by_role("button", name="Send my letter").click()
    await expect(page).to_have_url(f"{server.base}/c/{LETTER}/sent")
    await visit.screenshot("letter-check-your-inbox")

    emails = _wait_for_emails(server.outbox, already + 1)
    await page.goto(_confirmation_link(emails[-1], "/letters/confirm"))
    await expect(page.get_by_role("heading", level=1)).to_contain_text("on its way")
    await visit.screenshot("letter-confirmed")

    sent = _wait_for_emails(server.outbox, already + 3)  # to the MP, and a copy to Ada
    [to_mp] = [e for e in sent if "alex.morgan@parliament.example" in str(e["To"])]
    assert "Dear Alex Morgan," in text_body(to_mp)
    assert "where my children learnt to swim" in text_body(to_mp)

    # Ada's copy links to her letter's own page, behind its private link.
    own = [
        word.strip("<>")
        for email in sent
        if "ada.lovelace@example.org" in str(email["To"])
        for word in text_body(email).split()
        if f"{server.base}/letters/" in word and "/letters/confirm/" not in word
    ]
    await page.goto(own[-1])
    await expect(page.locator("main")).to_contain_text("where my children learnt to swim")
    await visit.screenshot("own-letter")
    visit.assert_only_local_requests()


class _OrganisationSite(BaseHTTPRequestHandler):
    """Another origin's page that embeds the petition form, as an organisation would."""

    embed_url = ""

    def do_GET(self) -> None:
        page = (
            "<!doctype html><html lang='en'><head><title>Our site</title></head><body>"
            "<h1>Our campaign</h1>"
            f"<iframe src='{self.embed_url}' title='Sign the petition' width='600' "
            "height='1100'></iframe></body></html>"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def organisation_site(server: Server) -> Iterator[str]:
    handler = type("Site", (_OrganisationSite,), {"embed_url": f"{server.base}/embed/{PETITION}"})
    site = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=site.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{site.server_address[1]}/"
    finally:
        site.shutdown()
        site.server_close()


async def test_the_embed_works_inside_another_sites_frame(
    browser: Any, server: Server, organisation_site: str
) -> None:
    expect = playwright_api.expect
    visit = await _visit(browser)
    page = visit.page
    await page.goto(organisation_site)
    frame = page.frame_locator("iframe")
    await expect(frame.get_by_role("heading", level=1)).to_have_text("Save the river meadows")
    await visit.screenshot("embed-in-another-site", ours=False)

    await frame.get_by_label("Given name").fill("Grace")
    await frame.get_by_label("Family name").fill("Hopper")
    await frame.get_by_label("Email address").fill("grace@example.org")
    await frame.get_by_label("Country").select_option("US")
    await frame.get_by_role("radio", name="No").check()
    await frame.get_by_role("button", name="Sign").click()
    await expect(frame.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    await visit.screenshot("embed-check-your-inbox", ours=False)

    # The framed pages themselves, checked as pages of ours.
    alone = await _visit(browser)
    await alone.page.goto(f"{server.base}/embed/{PETITION}")
    await alone.screenshot("embed-alone")

    # The ordinary petition page refuses to be framed: only /embed/ may be.
    refused = await _visit(browser)
    await refused.page.set_content(
        f"<iframe src='{server.base}/c/{PETITION}' title='framed'></iframe>"
    )
    await refused.page.wait_for_timeout(500)
    framed = refused.page.frames[-1]
    assert "Save the river meadows" not in await framed.content()
    visit.assert_only_local_requests()


async def test_the_other_public_pages_pass_the_same_checks(browser: Any, server: Server) -> None:
    """The pages a supporter reaches from an email or a mistyped link: unsubscribing and
    its answer, a confirmation link that no longer works, and a campaign that is not
    there."""
    expect = playwright_api.expect
    visit = await _visit(browser)
    page = visit.page

    token = unsubscribe_token("someone@example.org", DEVELOPMENT_SECRET)
    await page.goto(f"{server.base}/unsubscribe/{token}")
    await visit.screenshot("unsubscribe")
    await page.get_by_role("button").first.click()
    await expect(page.get_by_role("heading", level=1)).to_be_visible()
    await visit.screenshot("unsubscribed")

    await page.goto(f"{server.base}/confirm/no-such-token-at-all")
    await expect(page.get_by_role("heading", level=1)).to_be_visible()
    await visit.screenshot("confirmation-failed")

    missing = await page.goto(f"{server.base}/c/no-such-campaign")
    assert missing is not None and missing.status == 404
    await expect(page.get_by_role("heading", level=1)).to_be_visible()
    await visit.screenshot("page-not-found")
    visit.assert_only_local_requests()
