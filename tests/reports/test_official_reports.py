"""Reports to officials through the staff API and the real worker: a small directory,
signers in two divisions who confirm or not, give a postcode that matches or not, and
agree to be named or not; each official with signers gets exactly one email with their
division's numbers and only the names they may have."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from itertools import pairwise
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.db import transaction
from campaign.outbox.models import OutboxMessage, Priority
from campaign.reports.models import OfficialReportDelivery
from campaign.signatures.models import Signature
from campaign.targets.service import divisions_of_postcode, normalise_postcode
from tests.conftest import signer
from tests.fixtures.emails import confirmation_path, text_body

Publish = Callable[..., Awaitable[dict[str, Any]]]
Deliver = Callable[[], Awaitable[list[Any]]]
SLUG = "stop-the-arms-trade"
REPORTS = f"/api/v1/staff/campaigns/{SLUG}/official-reports"

EASTMOOR = "ocd-division/country:gb/district:eastmoor"
KETTLE = "ocd-division/country:gb/district:kettle"
UPPER_FOLD = "ocd-division/country:gb/district:upper_fold"

OFFICIALS_CSV = (
    "id,name,title,role,organisation,email,country,division_id\n"
    f"r-1,Orla Penhallow,Member for Eastmoor,legislator,Assembly,orla@house.example,GB,{EASTMOOR}\n"
    f"r-2,Rue Tallis,Member for Kettle,legislator,Assembly,rue@assembly.example,GB,{KETTLE}\n"
    f"r-3,Kit Marsh,Councillor for Kettle,councillor,Kettle Council,kit@town.example,GB,{KETTLE}\n"
    f"r-4,Sol Vane,Member for Upper Fold,legislator,Assembly,sol@assembly.example,GB,{UPPER_FOLD}\n"
    "r-5,Tobias Wren,Foreign Minister,foreign_minister,Cabinet,tobias@gov.example,GB,\n"
)  # fmt: skip
POSTCODES_CSV = f"postcode,division_id\nSW1A 1AA,{EASTMOOR}\nN1 9GU,{KETTLE}\nN1 9GV,{UPPER_FOLD}\n"
DIVISION_OF = {"SW1A1AA": EASTMOOR, "N19GU": KETTLE, "N19GV": UPPER_FOLD}
OFFICIALS_OF = {
    EASTMOOR: ["orla@house.example"],
    KETTLE: ["rue@assembly.example", "kit@town.example"],
    UPPER_FOLD: ["sol@assembly.example"],
}


@dataclass(frozen=True)
class Signer:
    family_name: str
    postcode: str | None
    confirms: bool
    named: bool
    country: str = "GB"
    weeks_ago: int = 0

    @property
    def email(self) -> str:
        return f"{self.family_name.lower()}@example.org"

    @property
    def name(self) -> str:
        return f"Ann {self.family_name}"

    def division(self) -> str | None:
        if self.country != "GB" or self.postcode is None:
            return None
        return DIVISION_OF.get(re.sub(r"[^0-9A-Z]", "", self.postcode.upper()))


SIGNERS = [
    Signer("Abbott", "sw1a 1aa", confirms=True, named=True),
    Signer("Barker", "SW1A1AA", confirms=True, named=False, weeks_ago=2),
    Signer("Carver", "SW1A 1AA", confirms=False, named=True),
    Signer("Dalton", "n1 9gu", confirms=True, named=True),
    Signer("Ellery", "N1-9GU", confirms=True, named=True, weeks_ago=1),
    Signer("Fenwick", "N19GU", confirms=True, named=False, weeks_ago=3),
    Signer("Garland", "n1 9gu", confirms=False, named=False),
    Signer("Hollis", "E1 6AN", confirms=True, named=True),
    Signer("Ingram", None, confirms=True, named=True),
    Signer("Jessop", "N1 9GU", confirms=True, named=True, country="FR"),
]


def expected_signers(division: str) -> list[Signer]:
    return [s for s in SIGNERS if s.confirms and s.division() == division]


async def import_directory(client: httpx.AsyncClient, editor: dict[str, str]) -> None:
    officials = await client.post(
        "/api/v1/staff/officials/import",
        files={"file": ("officials.csv", OFFICIALS_CSV.encode())},
        headers=editor,
    )
    assert officials.status_code == 200, officials.text
    postcodes = await client.post(
        "/api/v1/staff/postcodes/import",
        files={"file": ("postcodes.csv", POSTCODES_CSV.encode())},
        data={"country": "GB"},
        headers=editor,
    )
    assert postcodes.status_code == 200, postcodes.text


async def sign_and_confirm(
    client: httpx.AsyncClient,
    deliver_emails: Deliver,
    factory: async_sessionmaker[AsyncSession],
    signers: list[Signer],
) -> None:
    for s in signers:
        fields = signer(
            given_name="Ann",
            family_name=s.family_name,
            email=s.email,
            country=s.country,
            postcode=s.postcode,
            consent={"email_updates": False, "name_may_be_given": s.named},
        )
        answer = await client.post(f"/api/v1/campaigns/{SLUG}/signatures", json=fields)
        assert answer.status_code == 202, answer.text
    emails = await deliver_emails()
    for s in signers:
        if s.confirms:
            [confirmation] = [e for e in emails if e["To"].addresses[0].addr_spec == s.email]
            assert (await client.get(confirmation_path(confirmation))).status_code == 200
    async with transaction(factory) as session:
        for s in signers:
            if s.weeks_ago:
                confirmed = await session.scalar(
                    select(Signature.confirmed_at).where(Signature.email == s.email)
                )
                assert confirmed is not None
                await session.execute(
                    update(Signature)
                    .where(Signature.email == s.email)
                    .values(confirmed_at=confirmed - timedelta(weeks=s.weeks_ago))
                )


def reports_to(emails: list[EmailMessage], address: str) -> list[EmailMessage]:
    return [
        e
        for e in emails
        if e["To"].addresses[0].addr_spec == address and "signed" in str(e["Subject"])
    ]


def html_body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


# A week's first day as an English email writes it ("Nov 23, 2026").
WEEK = r"[A-Z][a-z]{2} \d{1,2}, \d{4}"


def weekly_numbers(text: str) -> list[int]:
    return [
        int(count.replace(",", ""))
        for count in re.findall(rf"^{WEEK}\s+([\d,]+)", text, re.MULTILINE)
    ]


async def test_each_official_gets_one_report_of_their_own_confirmed_matched_signers(
    client: httpx.AsyncClient,
    editor: dict[str, str],
    viewer: dict[str, str],
    publish_petition: Publish,
    deliver_emails: Deliver,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await import_directory(client, editor)
    await publish_petition(postcode_mode="optional", ask_signers_to_be_named=True)
    await sign_and_confirm(client, deliver_emails, session_factory, SIGNERS)

    preview = await client.get(f"{REPORTS}/preview", headers=viewer)
    assert preview.status_code == 200, preview.text
    outlook = preview.json()
    assert outlook["confirmed"] == sum(1 for s in SIGNERS if s.confirms)
    matched = [s for s in SIGNERS if s.confirms and s.division()]
    assert outlook["matched"] == len(matched)
    by_email = {o["email"]: o for o in outlook["officials"]}
    assert set(by_email) == {
        address for division, addresses in OFFICIALS_OF.items() for address in addresses
        if expected_signers(division)
    }  # fmt: skip
    assert "sol@assembly.example" not in by_email  # no signer in Upper Fold
    for official in outlook["officials"]:
        expected = expected_signers(official["division_id"])
        assert official["signers"] == len(expected)
        assert official["named"] == sum(1 for s in expected if s.named)
        assert sum(week["signers"] for week in official["weeks"]) == official["signers"]

    # A viewer reads but cannot prepare or send.
    assert (await client.post(REPORTS, headers=viewer)).status_code == 403
    prepared = await client.post(REPORTS, headers=editor)
    assert prepared.status_code == 201, prepared.text
    run = prepared.json()
    assert run["status"] == "prepared" and run["deliveries"] == []
    # Preparing again (a second click) finds the same run.
    assert (await client.post(REPORTS, headers=editor)).json()["id"] == run["id"]
    assert (await client.post(f"{REPORTS}/{run['id']}/send", headers=viewer)).status_code == 403

    sent = await client.post(f"{REPORTS}/{run['id']}/send", headers=editor)
    assert sent.status_code == 202, sent.text
    again = await client.post(f"{REPORTS}/{run['id']}/send", headers=editor)
    assert again.status_code == 202, again.text
    assert again.json() == sent.json()
    body = sent.json()
    assert body["status"] == "sent"
    assert body["officials"] == len(by_email) and body["signers"] == len(matched)
    assert sorted(d["name"] for d in body["deliveries"]) == sorted(
        o["name"] for o in outlook["officials"]
    )

    async with transaction(session_factory) as session:
        lanes = set(
            await session.scalars(
                select(OutboxMessage.priority).where(OutboxMessage.kind == "official_report")
            )
        )
        rows = await session.scalar(select(func.count()).select_from(OfficialReportDelivery))
    assert lanes == {int(Priority.BULK)}
    assert rows == len(by_email)

    emails = await deliver_emails()
    for division, addresses in OFFICIALS_OF.items():
        expected = expected_signers(division)
        for address in addresses:
            received = reports_to(emails, address)
            if not expected:
                assert received == []
                continue
            [report] = received
            text, html = text_body(report), html_body(report)
            assert f"{len(expected)} of your constituents signed" in str(report["Subject"])
            assert re.search(rf"^Total\s+{len(expected)}$", text, re.MULTILINE)
            assert sum(weekly_numbers(text)) == len(expected)
            html_weeks = re.findall(rf"<td[^>]*>{WEEK}</td>\s*<td[^>]*>([\d,]+)</td>", html)
            assert sum(int(n.replace(",", "")) for n in html_weeks) == len(expected)
            assert len(html_weeks) == len(weekly_numbers(text))
            assert len([n for n in weekly_numbers(text) if n]) == len(
                {s.weeks_ago for s in expected}
            )
            assert "confirmed their email address" in text and "confirmed their email" in html
            assert "postcode matched to your division" in text
            assert "width:" in html.replace(" ", "") and "<img" not in html
            assert "<script" not in html
            for s in SIGNERS:
                shown = s in expected and s.named
                assert (s.name in text) == shown, (address, s)
                assert (s.name in html) == shown, (address, s)
                assert s.email not in text and s.email not in html
                if s.postcode:
                    for part in (text, html):
                        assert s.postcode not in part
                        assert s.postcode.upper().replace(" ", "") not in part.replace(" ", "")

    # A later run is allowed, and the history shows both.
    second = await client.post(REPORTS, headers=editor)
    assert second.status_code == 201 and second.json()["id"] != run["id"]
    history = (await client.get(REPORTS, headers=viewer)).json()["items"]
    assert [item["status"] for item in history] == ["prepared", "sent"]
    read = await client.get(f"{REPORTS}/{run['id']}", headers=viewer)
    assert read.status_code == 200 and read.json()["status"] == "sent"


async def test_nobody_is_named_unless_the_petition_asked(
    client: httpx.AsyncClient,
    editor: dict[str, str],
    publish_petition: Publish,
    deliver_emails: Deliver,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await import_directory(client, editor)
    await publish_petition(postcode_mode="required")
    dalton = Signer("Dalton", "N1 9GU", confirms=True, named=True)
    await sign_and_confirm(client, deliver_emails, session_factory, [dalton])
    async with transaction(session_factory) as session:
        assert await session.scalar(select(Signature.name_may_be_given)) is False

    run = (await client.post(REPORTS, headers=editor)).json()
    sent = await client.post(f"{REPORTS}/{run['id']}/send", headers=editor)
    assert [d["named"] for d in sent.json()["deliveries"]] == [0, 0]
    [report] = reports_to(await deliver_emails(), "rue@assembly.example")
    assert dalton.name not in text_body(report)
    assert "were not asked whether they may be named" in text_body(report)


async def test_without_postcodes_or_matches_there_is_nothing_to_send(
    client: httpx.AsyncClient,
    editor: dict[str, str],
    viewer: dict[str, str],
    publish_petition: Publish,
    deliver_emails: Deliver,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await import_directory(client, editor)
    await publish_petition(postcode_mode="hidden")
    for answer in (
        await client.get(f"{REPORTS}/preview", headers=viewer),
        await client.post(REPORTS, headers=editor),
    ):
        assert answer.status_code == 409
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["field"] == "postcode_mode"
        assert "does not ask signers for a postcode" in answer.json()["detail"]

    await publish_petition(slug="second-petition", postcode_mode="optional")
    others = "/api/v1/staff/campaigns/second-petition/official-reports"
    nowhere = Signer("Hollis", "E1 6AN", confirms=True, named=True)
    fields = signer(email=nowhere.email, postcode=nowhere.postcode)
    signed = await client.post("/api/v1/campaigns/second-petition/signatures", json=fields)
    assert signed.status_code == 202
    [confirmation] = await deliver_emails()
    assert (await client.get(confirmation_path(confirmation))).status_code == 200
    for answer in (
        await client.get(f"{others}/preview", headers=viewer),
        await client.post(others, headers=editor),
    ):
        assert answer.status_code == 409
        assert answer.json()["field"] == "signatures"
        assert "nobody to send a report to" in answer.json()["detail"]
    assert (await client.get(others, headers=viewer)).json() == {"items": []}


# One postcode, N1 9GU (Kettle), as people type it: each a form the letter lookups
# (campaign.targets.service) read as it, so reports must too.
ODD_FORMS = [
    "n1  9gu",
    "N1/9GU",
    "n1_9gu",
    "(N1 9GU)",
    "n1,9gu",
    "N1\u00a09GU",
    "N1\u20139GU",
    "n1\t9gu",
    "N1 9GU.",
]


async def test_a_postcode_typed_any_way_the_directory_reads_it_is_matched(
    client: httpx.AsyncClient,
    editor: dict[str, str],
    viewer: dict[str, str],
    publish_petition: Publish,
    deliver_emails: Deliver,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await import_directory(client, editor)
    await publish_petition(postcode_mode="required")
    async with session_factory() as session:
        for form in ODD_FORMS:
            assert normalise_postcode(form) == "N19GU", form
            assert await divisions_of_postcode(session, "GB", form) == [KETTLE], form
    signers = [
        Signer(f"Odd{n}", form, confirms=True, named=False) for n, form in enumerate(ODD_FORMS)
    ]
    await sign_and_confirm(client, deliver_emails, session_factory, signers)
    async with session_factory() as session:
        stored = set(await session.scalars(select(Signature.postcode_normalised)))
    assert stored == {"N19GU"}

    preview = (await client.get(f"{REPORTS}/preview", headers=viewer)).json()
    assert preview["confirmed"] == preview["matched"] == len(ODD_FORMS)
    assert {o["email"]: o["signers"] for o in preview["officials"]} == {
        "rue@assembly.example": len(ODD_FORMS),
        "kit@town.example": len(ODD_FORMS),
    }


async def test_the_api_needs_a_token_and_knows_its_runs(
    client: httpx.AsyncClient, viewer: dict[str, str], publish_petition: Publish
) -> None:
    await publish_petition()
    for method, path in (
        ("GET", f"{REPORTS}/preview"),
        ("GET", REPORTS),
        ("POST", REPORTS),
        ("GET", f"{REPORTS}/1"),
        ("POST", f"{REPORTS}/1/send"),
    ):
        answer = await client.request(method, path)
        assert answer.status_code == 401, (method, path)
    missing = await client.get(f"{REPORTS}/999", headers=viewer)
    assert missing.status_code == 404 and missing.json()["field"] == "report_id"
    bad = await client.get(f"{REPORTS}/0", headers=viewer)
    assert bad.status_code == 422 and bad.json()["field"] == "report_id"


async def test_two_sends_of_one_run_at_once_email_each_official_once(
    client: httpx.AsyncClient,
    editor: dict[str, str],
    publish_petition: Publish,
    deliver_emails: Deliver,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await import_directory(client, editor)
    await publish_petition(postcode_mode="required", ask_signers_to_be_named=True)
    signers = [s for s in SIGNERS if s.postcode and s.confirms][:5]
    await sign_and_confirm(client, deliver_emails, session_factory, signers)
    run = (await client.post(REPORTS, headers=editor)).json()

    answers = await asyncio.gather(
        *(client.post(f"{REPORTS}/{run['id']}/send", headers=editor) for _ in range(3))
    )
    assert [a.status_code for a in answers] == [202, 202, 202]
    emails = await deliver_emails()
    for division, addresses in OFFICIALS_OF.items():
        for address in addresses:
            told = any(s.confirms and s.division() == division for s in signers)
            assert len(reports_to(emails, address)) == (1 if told else 0), address


@pytest.mark.parametrize("settings", [600], indirect=True)
async def test_a_runs_emails_leave_one_official_at_a_time(
    client: httpx.AsyncClient,
    editor: dict[str, str],
    publish_petition: Publish,
    deliver_emails: Deliver,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await import_directory(client, editor)
    await publish_petition(postcode_mode="required")
    await sign_and_confirm(client, deliver_emails, session_factory, SIGNERS[:4])
    run = (await client.post(REPORTS, headers=editor)).json()
    assert (await client.post(f"{REPORTS}/{run['id']}/send", headers=editor)).is_success

    async with transaction(session_factory) as session:
        due = list(
            await session.scalars(
                select(OutboxMessage.available_at)
                .where(OutboxMessage.kind == "official_report")
                .order_by(OutboxMessage.available_at)
            )
        )
    assert len(due) == 3  # Eastmoor's one official, Kettle's two
    # Whole seconds: the first is due when the outbox wrote it, a moment after the run began.
    gaps = [round((later - earlier).total_seconds()) for earlier, later in pairwise(due)]
    assert gaps == [600, 600]
    # The first goes now; the others wait their turn.
    sent = [e for e in await deliver_emails() if "constituents signed" in str(e["Subject"])]
    assert len(sent) == 1
