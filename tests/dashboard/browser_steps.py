"""Steps the staff pages' browser tests share: a staff user and a token made with the
`campaign` command, supporters who sign and confirm through the public API, logging in
once, and the checks every page visited passes (axe, and no sideways scroll at 390 px),
with a screenshot of it."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx

from tests.dashboard.test_browser import _campaign
from tests.fixtures.accessibility import assert_accessible, assert_fits_phone
from tests.fixtures.browser import SCREENSHOTS
from tests.fixtures.emails import confirmation_path, read_emails
from tests.test_walkthrough import _wait_for_emails


def staff_and_token(
    env: dict[str, str], email: str, password: str, role: str = "editor"
) -> dict[str, str]:
    """Makes a staff user who logs in with `password`, and answers an API token's headers."""
    _campaign(
        env,
        *("staff", "create-user", "--email", email, "--name", email.split("@")[0].title()),
        *("--role", role),
        password=password,
    )
    token = _campaign(env, "staff", "create-token", "--name", "setup", "--role", "editor")
    return {"Authorization": f"Bearer {token}"}


def publish(http: httpx.Client, staff: dict[str, str], campaign: dict[str, Any]) -> None:
    created = http.post("/api/v1/staff/campaigns", json=campaign, headers=staff)
    assert created.status_code == 201, created.text
    published = http.post(f"/api/v1/staff/campaigns/{campaign['slug']}/publish", headers=staff)
    assert published.is_success, published.text


def sign_and_confirm(
    http: httpx.Client, outbox: Path, slug: str, signers: Iterable[dict[str, Any]]
) -> None:
    """Each signer signs (with what the dict gives: names, email, country, postcode,
    consent), then every confirmation link the worker wrote is followed."""
    before = len(read_emails(outbox))
    signers = list(signers)
    for signer in signers:
        signed = http.post(f"/api/v1/campaigns/{slug}/signatures", json=signer)
        assert signed.status_code == 202, signed.text
    for email in _wait_for_emails(outbox, before + len(signers))[before:]:
        assert http.get(confirmation_path(email)).status_code == 200


def signer(
    given: str, email: str, *, country: str = "GB", news: bool = True, **more: Any
) -> dict[str, Any]:
    return {
        "given_name": given,
        "family_name": "Tester",
        "email": email,
        "country": country,
        "consent": {"email_updates": news},
        **more,
    }


def log_in(page: Any, base: str, target: str, email: str, password: str) -> None:
    """Opens `target` (a path), which asks for the login, and logs in: the session
    cookie then serves every page the test opens in this browser context."""
    page.goto(f"{base}{target}")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}{target}")


def checked(page: Any, name: str) -> None:
    """The page as it stands: screenshot, axe, and the 390 px check."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    assert_accessible(page)
    assert_fits_phone(page)


# The cells of `selector` whose text is broken inside a word: a word wider than the
# room the cell gives its text.
_BROKEN_WORDS = """(selector) => {
  const measure = document.createElement("span");
  measure.style.cssText = "position:absolute;visibility:hidden;white-space:nowrap";
  document.body.append(measure);
  const broken = [];
  for (const cell of document.querySelectorAll(selector)) {
    const style = getComputedStyle(cell);
    measure.style.font = style.font;
    const room = cell.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    for (const word of cell.innerText.split(/\\s+/)) {
      measure.textContent = word;
      if (measure.getBoundingClientRect().width > room + 0.5) broken.push(word);
    }
  }
  measure.remove();
  return broken;
}"""


def assert_words_whole(page: Any, selector: str) -> None:
    """No word in the cells of `selector` is broken across lines, at the page's width."""
    broken = page.evaluate(_BROKEN_WORDS, selector)
    assert not broken, f"{page.url}: words broken in {selector}: {broken}"
