"""Parsons, the data teams' sync tool, pointed at `campaign serve`: its ActionNetwork
connector's own methods read and write our data through /osdi/v1, unchanged."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
from parsons.action_network import action_network

from campaign.campaigns.models import CampaignKind
from campaign.campaigns.schemas import CampaignCreate
from campaign.campaigns.service import create_campaign
from campaign.config import Settings
from campaign.db import create_engine, create_session_factory, transaction
from campaign.donations.models import Donation, DonationSetup
from campaign.letters.models import Letter, LetterDelivery
from campaign.people.models import Person
from campaign.targets.models import Official
from tests.test_walkthrough import CAMPAIGN, _environment, _start, _wait_until_up

pytestmark = pytest.mark.own_server

PETITION = {
    "slug": "protect-the-wetlands",
    "title": "Protect the wetlands",
    "summary": "The council must stop draining the marsh.",
    "body_markdown": "The marsh holds a third of the county's birds.",
    "target": "The county council",
}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder: Path = tmp_path_factory.mktemp("osdi")
    env = _environment(folder)
    process, base = _start("serve", env)
    try:
        _wait_until_up(base, process)
        tokens = {
            role: subprocess.run(
                [*CAMPAIGN, "staff", "create-token", "--name", role, "--role", role],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            .stdout.strip()
            .splitlines()[-1]
            for role in ("viewer", "editor")
        }
        staff = {"Authorization": f"Bearer {tokens['editor']}"}
        with httpx.Client(base_url=base, timeout=10) as http:
            assert (
                http.post("/api/v1/staff/campaigns", json=PETITION, headers=staff).status_code
                == 201
            )
            published = http.post(
                f"/api/v1/staff/campaigns/{PETITION['slug']}/publish", headers=staff
            )
            assert published.status_code == 200
            petition_id = published.json()["id"]
        yield {
            "base": base,
            "tokens": tokens,
            "petition_id": petition_id,
            "database_url": env["CAMPAIGN_DATABASE_URL"],
        }
    finally:
        process.terminate()
        process.wait(timeout=15)


def connector(served: dict[str, Any], role: str = "editor") -> action_network.ActionNetwork:
    """The connector as a data team makes it, with the module's API_URL pointed at us."""
    original = action_network.API_URL
    action_network.API_URL = served["base"] + "/osdi/v1"
    try:
        return action_network.ActionNetwork(api_token=served["tokens"][role])
    finally:
        action_network.API_URL = original


def _an_id(resource: dict[str, Any]) -> str:
    [found] = [
        i.split(":", 1)[1] for i in resource["identifiers"] if i.startswith("action_network:")
    ]
    return found


def test_people_are_upserted_by_email_and_listed(served: dict[str, Any]) -> None:
    an = connector(served)
    first = an.upsert_person(
        email_address="ada@example.org",
        given_name="Ada",
        family_name="Lovelace",
        tags=["volunteer"],
    )
    again = an.upsert_person(email_address="ADA@example.org", family_name="King")
    assert _an_id(first) == _an_id(again)
    assert again["family_name"] == "King" and again["given_name"] == "Ada"

    person = an.get_person(_an_id(first))
    assert person["email_addresses"][0]["address"] == "ada@example.org"
    people = an.get_people()
    assert "ada@example.org" in [row["email_addresses"][0]["address"] for row in people]


def test_tags_and_taggings(served: dict[str, Any]) -> None:
    an = connector(served)
    person = an.upsert_person(email_address="grace@example.org", given_name="Grace")
    tag = an.add_tag("Donor 2026")
    tag_id = _an_id(tag)
    href = f"{served['base']}/osdi/v1/people/{_an_id(person)}"
    an.create_tagging(tag_id, {"_links": {"osdi:person": {"href": href}}})
    assert "Donor 2026" in [row["name"] for row in an.get_tags()]
    taggings = an.get_taggings(tag_id)
    assert [row["_links"]["osdi:person"]["href"] for row in taggings] == [href]


def test_petitions_are_created_updated_and_read(served: dict[str, Any]) -> None:
    an = connector(served)
    made = an.create_petition(
        title="Save the library",
        description="Keep it open.",
        petition_text="Keep it.",
        target="The mayor",
    )
    petition_id = _an_id(made)
    changed = an.update_petition(
        petition_id,
        title="Save our library",
        description="Keep it open.",
        petition_text="Keep it.",
        target="The mayor",
    )
    assert changed["title"] == "Save our library"
    titles = [row["title"] for row in an.get_petitions()]
    assert "Save our library" in titles and PETITION["title"] in titles


def test_signatures_are_recorded_and_walked_past_one_page(served: dict[str, Any]) -> None:
    an = connector(served)
    petition_id = served["petition_id"]
    for n in range(30):
        recorded = an.api.post_request(
            f"petitions/{petition_id}/signatures",
            json={
                "person": {
                    "given_name": "Signer",
                    "family_name": f"Number {n}",
                    "email_addresses": [{"address": f"signer{n}@example.org"}],
                    "postal_addresses": [{"country": "GB", "postal_code": "N1 9GU"}],
                },
                "comments": "Save it",
                "add_tags": ["wetlands"],
            },
        )
        assert recorded["status"] == "pending"
    signatures = an.get_petition_signatures(petition_id)
    assert len(signatures) == 30
    assert len({row["identifiers"][0] for row in signatures}) == 30
    person_href = signatures[0]["_links"]["osdi:person"]["href"]
    person_signatures = an.get_person_signatures(person_href.rsplit("/", 1)[1])
    assert [row["identifiers"] for row in person_signatures] == [signatures[0]["identifiers"]]


def test_parsons_create_signature_sends_no_body_and_is_refused(served: dict[str, Any]) -> None:
    an = connector(served)
    with pytest.raises(requests.HTTPError, match="400"):
        an.create_signature(served["petition_id"], {"person": {"email_addresses": []}})
    # What it sent: the payload as query parameters, no body.
    answer = httpx.post(
        f"{served['base']}/osdi/v1/petitions/{served['petition_id']}/signatures",
        params={"person": "x"},
        headers={"OSDI-API-Token": served["tokens"]["editor"]},
    )
    assert answer.status_code == 400
    assert answer.json()["field"] == "person"


def test_a_viewer_reads_but_cannot_write(served: dict[str, Any]) -> None:
    an = connector(served, "viewer")
    assert an.get_petitions() is not None
    with pytest.raises(requests.HTTPError, match="403"):
        an.add_tag("forbidden")


async def _letters_and_donations(database_url: str, petition_id: int) -> dict[str, int]:
    """A letter campaign with one confirmed letter to one official, and a monthly
    donation on the petition, written into the served database as the flows leave them."""
    settings = Settings(environment="test", database_url=database_url)
    engine = create_engine(settings)
    try:
        async with transaction(create_session_factory(engine)) as session:
            letters = await create_campaign(
                session,
                CampaignCreate(
                    slug="save-the-river",
                    kind=CampaignKind.LETTER,
                    title="Save the river",
                    summary="Write to your MP.",
                    body_markdown="The river needs you.",
                    target="Members of Parliament",
                ),
            )
            official = Official(
                external_id="test:river-mp",
                name="Robin Reed",
                title="MP for Riverside",
                role="legislator",
                organisation="House of Commons",
                email="robin@parliament.example",
                country="GB",
                division_id="ocd-division/country:gb/constituency:riverside",
            )
            person = Person(
                email_normalised="writer@example.org",
                email="writer@example.org",
                given_name="Wren",
                family_name="Writer",
                country="GB",
            )
            session.add_all([official, person])
            await session.flush()
            letter = Letter(
                campaign_id=letters.id,
                person_id=person.id,
                status="confirmed",
                email=person.email,
                given_name="Wren",
                family_name="Writer",
                country="GB",
                subject="Save the river",
                body="Dear Robin Reed, please save the river.",
                similarity=0.9,
                personalised=True,
                email_updates=False,
            )
            session.add(letter)
            await session.flush()
            session.add(
                LetterDelivery(
                    letter_id=letter.id,
                    campaign_id=letters.id,
                    official_id=official.id,
                    state="scheduled",
                    subject=letter.subject,
                    body=letter.body,
                )
            )
            session.add(
                DonationSetup(
                    campaign_id=petition_id,
                    currency="eur",
                    minimum_amount=100,
                    maximum_amount=10_000,
                )
            )
            session.add(
                Donation(
                    campaign_id=petition_id,
                    person_id=person.id,
                    frequency="monthly",
                    amount=700,
                    currency="eur",
                    status="paid",
                    request_key="parsons",
                )
            )
            await session.flush()
            return {"advocacy_campaign": letters.id, "person": person.id}
    finally:
        await engine.dispose()


def test_advocacy_campaigns_outreaches_and_donations(served: dict[str, Any]) -> None:
    ids = asyncio.run(_letters_and_donations(served["database_url"], served["petition_id"]))
    an = connector(served)
    [campaign] = an.get_advocacy_campaigns()
    assert campaign["title"] == "Save the river"
    [outreach] = an.get_advocacy_campaign_outreaches(ids["advocacy_campaign"])
    assert outreach["targets"][0]["ocdid"] == "ocd-division/country:gb/constituency:riverside"
    assert [o["identifiers"] for o in an.get_person_outreaches(ids["person"])] == [
        outreach["identifiers"]
    ]
    [page] = an.get_fundraising_pages()
    [donation] = an.get_fundraising_page_donations(_an_id(page))
    assert (donation["amount"], donation["currency"]) == ("7.00", "EUR")
    assert donation["action_network:recurrence"] == {"recurring": True, "period": "Monthly"}
    assert [d["identifiers"] for d in an.get_donations()] == [donation["identifiers"]]
    assert [d["identifiers"] for d in an.get_person_donations(ids["person"])] == [
        donation["identifiers"]
    ]
