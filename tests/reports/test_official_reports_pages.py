"""Reports to officials in the dashboard and on the signing page: staff turn the question
on in the campaign's form, signers tick the box (or not), staff see who would get what
and one official's email, confirm, and read the run; viewers only read."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.db import transaction
from campaign.signatures.models import Signature
from campaign.staff.models import Role
from tests.dashboard.conftest import LogIn, MakeUser, csrf_token_in
from tests.fixtures.emails import confirmation_path, text_body
from tests.pages.forms import form_token, signing_form
from tests.reports.test_official_reports import (
    SIGNERS,
    SLUG,
    import_directory,
    reports_to,
    sign_and_confirm,
)

Publish = Callable[..., Awaitable[dict[str, Any]]]
Deliver = Callable[[], Awaitable[list[Any]]]
PAGES = f"/staff/campaigns/{SLUG}/official-reports"


async def test_staff_ask_signers_then_report_to_officials_in_the_browser_forms(
    editor_session: httpx.AsyncClient,
    editor: dict[str, str],
    publish_petition: Publish,
    deliver_emails: Deliver,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    client = editor_session
    await import_directory(client, editor)
    petition = await publish_petition(postcode_mode="optional")

    # Off by default: the signing form has no box.
    assert 'name="name_may_be_given"' not in (await client.get(f"/c/{SLUG}")).text
    edit = await client.get(f"/staff/campaigns/{SLUG}/edit")
    assert 'id="ask_signers_to_be_named"' in edit.text
    saved = await client.post(
        f"/staff/campaigns/{SLUG}/edit",
        data={
            "csrf_token": csrf_token_in(edit),
            **{name: petition[name] for name in ("title", "summary", "body_markdown", "target")},
            "language": "en",
            "postcode_mode": "optional",
            "ask_signers_to_be_named": "yes",
        },
    )
    assert saved.status_code == 303, saved.text
    staff_view = await client.get(f"/api/v1/staff/campaigns/{SLUG}", headers=editor)
    assert staff_view.json()["ask_signers_to_be_named"] is True
    public_view = await client.get(f"/api/v1/campaigns/{SLUG}")
    assert public_view.json()["ask_signers_to_be_named"] is True

    # The signing form asks; a ticked box is a yes, an unticked one a no.
    public_page = await client.get(f"/c/{SLUG}")
    assert 'name="name_may_be_given"' in public_page.text
    token = form_token(public_page.text)
    for email, ticked in (("yes@example.org", "yes"), ("no@example.org", None)):
        fields = signing_form(
            token, email=email, family_name=email.split("@")[0], name_may_be_given=ticked
        )
        assert (await client.post(f"/c/{SLUG}/sign", data=fields)).status_code == 303
    for email in await deliver_emails():
        assert (await client.get(confirmation_path(email))).status_code == 200
    async with transaction(session_factory) as session:
        answers = dict(
            (await session.execute(select(Signature.email, Signature.name_may_be_given))).all()
        )
    assert answers == {"yes@example.org": True, "no@example.org": False}
    async with transaction(session_factory) as session:
        ids = dict((await session.execute(select(Signature.email, Signature.id))).all())
    for email, shown in (("yes@example.org", "may be given"), ("no@example.org", "not to be")):
        detail = await client.get(f"/staff/campaigns/{SLUG}/supporters/{ids[email]}")
        assert f"<dd>{shown}" in detail.text
    await sign_and_confirm(client, deliver_emails, session_factory, SIGNERS)

    listing = await client.get(PAGES)
    assert listing.status_code == 200
    assert "Report to officials" in listing.text
    summary = re.sub(r"\s+", " ", listing.text)
    # Ada's two signatures from the form (N1 9GU) join Kettle's three from the list.
    assert "Of the petition's <strong>10</strong> confirmed signers, <strong>7</strong>" in summary
    assert "Rue Tallis" in listing.text and "Kit Marsh" in listing.text
    assert "Sol Vane" not in listing.text  # no signer in Upper Fold
    assert "The email Kit Marsh would get" in listing.text  # the first official by name
    chosen = await client.get(PAGES, params={"official": _official_id(listing.text, "Orla")})
    assert "The email Orla Penhallow would get" in chosen.text
    assert "2 of your constituents signed" in chosen.text
    assert "Ann Abbott" in chosen.text and "Ann Barker" not in chosen.text
    assert "No reports yet." in listing.text
    assert (await client.get("/static/reports.css")).status_code == 200

    prepared = await client.post(PAGES, data={"csrf_token": csrf_token_in(listing)})
    assert prepared.status_code == 303
    run_page = prepared.headers["location"]
    confirm = await client.get(run_page)
    assert "Send reports to officials?" in confirm.text
    assert "<strong>3</strong> officials get" in confirm.text
    token = csrf_token_in(confirm)
    first = await client.post(f"{run_page}/send", data={"csrf_token": token})
    second = await client.post(f"{run_page}/send", data={"csrf_token": token})  # a double click
    assert first.status_code == second.status_code == 303
    sent = await client.get(first.headers["location"])
    assert "each official gets one" in sent.text and 'id="deliveries"' in sent.text
    emails = await deliver_emails()
    [kettle] = reports_to(emails, "rue@assembly.example")
    assert "5 of your constituents signed" in str(kettle["Subject"])
    assert "Ada yes" in text_body(kettle) and "Ada no" not in text_body(kettle)
    assert len(reports_to(emails, "kit@town.example")) == 1
    assert reports_to(emails, "sol@assembly.example") == []
    history = await client.get(PAGES)
    assert 'id="history"' in history.text and "sent" in history.text


def _official_id(page: str, name: str) -> str:
    match = re.search(rf"\?official=(\d+)#email\">{name}", page)
    assert match, f"no link to {name}'s email"
    return match.group(1)


async def test_a_petition_without_postcodes_says_so_and_viewers_only_read(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    log_in: LogIn,
    editor: dict[str, str],
    publish_petition: Publish,
    deliver_emails: Deliver,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await import_directory(client, editor)
    await publish_petition(slug="no-postcodes", postcode_mode="hidden")
    await publish_petition(postcode_mode="optional")
    await sign_and_confirm(client, deliver_emails, session_factory, SIGNERS[:2])
    run = await client.post(f"/api/v1/staff/campaigns/{SLUG}/official-reports", headers=editor)
    run_id = run.json()["id"]

    assert (await client.get(PAGES)).status_code in (302, 303, 401)  # not logged in
    await make_user(email="viewer@example.org", role=Role.VIEWER)
    await log_in(email="viewer@example.org")
    plain = await client.get("/staff/campaigns/no-postcodes/official-reports")
    assert plain.status_code == 200
    assert "There is nothing to send: this petition does not ask signers for a postcode" in (
        plain.text
    )
    assert "Send reports" not in plain.text

    page = await client.get(PAGES)
    assert page.status_code == 200 and "Orla Penhallow" in page.text
    assert "Send reports…" not in page.text
    token = csrf_token_in(page)
    assert (await client.post(PAGES, data={"csrf_token": token})).status_code == 403
    run_page = await client.get(f"{PAGES}/{run_id}")
    assert run_page.status_code == 200 and "Send the reports" not in run_page.text
    refused = await client.post(f"{PAGES}/{run_id}/send", data={"csrf_token": token})
    assert refused.status_code == 403
    assert (await client.get(f"{PAGES}/999")).status_code == 404
