"""`campaign demo`: a press release of our own writing, read, with a petition drafted
from it and published; a staff token and a staff login to look around with; and what
the command prints about them. Never in production."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.campaigns import flows as campaign_flows
from campaign.campaigns.models import Campaign, CampaignKind, CampaignState
from campaign.config import Settings
from campaign.errors import InvalidState
from campaign.extraction.extractor import default_extractor
from campaign.releases.models import CallToActionRecord
from campaign.releases.schemas import DraftRequest, ReleaseSubmission
from campaign.releases.service import calls_of, draft_campaign, ingest_release
from campaign.staff.models import Role
from campaign.staff.passwords import hash_password
from campaign.staff.schemas import StaffUserCreate
from campaign.staff.service import create_token
from campaign.staff.users import change_role, create_user, get_user_by_email, reactivate_user

# One paragraph per line, as releases copied from a web page arrive.
DEMO_RELEASE = ReleaseSubmission(
    title="River meadows bypass: council must think again",
    organisation="Meadowbank Rivers Trust",
    language="en",
    content=(
        "Meadowbank: the county council must drop the meadows route for the new bypass\n"
        "\n"
        "MEADOWBANK – The county council's cabinet will vote next month on a bypass route "
        "that would cross the river meadows on a raised embankment. The council's own "
        "assessment says the embankment would reduce flood storage by a third.\n"
        "\n"
        "Jo Okafor, director of the Meadowbank Rivers Trust, said:\n"
        "“The county council must drop the meadows route and upgrade the existing road "
        "instead. Councillors should publish the full flood modelling before any vote.”\n"
        "\n"
        "The Meadowbank Rivers Trust calls on the Environment Agency to object to the "
        "planning application.\n"
        "\n"
        "Residents' groups have asked the council for a public meeting. The trust will hold "
        "an open walk on the meadows on Saturday.\n"
        "\n"
        "Sample release written for the campaign demo.\n"
    ),
)


# The demo's own staff account, for logging in to /staff. Made only by `campaign demo`,
# which refuses to run in production: a known address with a password printed to a
# terminal has no place on a live server.
DEMO_STAFF_EMAIL = "demo.staff@example.org"
DEMO_STAFF_NAME = "Demo staff"


class DemoInProduction(InvalidState):
    def __init__(self) -> None:
        super().__init__(
            "the demo publishes a sample petition and makes a staff login with a password "
            "printed in clear: it does not run with CAMPAIGN_ENVIRONMENT=production",
            field="CAMPAIGN_ENVIRONMENT",
        )


def refuse_in_production(settings: Settings) -> None:
    if settings.environment == "production":
        raise DemoInProduction()


@dataclass(frozen=True)
class DemoRun:
    calls: list[CallToActionRecord]
    chosen: int  # the call the petition was drafted from, counted from 1
    slug: str
    title: str
    token: str
    staff_email: str
    staff_password: str


async def prepare_demo(settings: Settings, session: AsyncSession) -> DemoRun:
    """Read the sample release, draft and publish a petition from its first call with a
    named target (again on a database the demo ran on before: the same petition), and
    make an admin token and the demo's staff login."""
    refuse_in_production(settings)
    release, _created = await ingest_release(session, DEMO_RELEASE, default_extractor())
    calls = list(await calls_of(session, release.id))
    chosen = demo_call(calls)
    if chosen.campaign_id is not None:  # the demo ran before on this database
        petition = await session.get_one(Campaign, chosen.campaign_id)
    else:
        draft = DraftRequest(call_ids=[chosen.id], kind=CampaignKind.PETITION)
        petition = (await draft_campaign(session, release, draft)).campaign
    if petition.state == CampaignState.DRAFT:
        await campaign_flows.publish(session, petition)
    _token, secret = await create_token(session, name="demo", role=Role.ADMIN)
    password = await demo_staff_login(settings, session)
    return DemoRun(
        calls=calls,
        chosen=calls.index(chosen) + 1,
        slug=petition.slug,
        title=petition.title,
        token=secret,
        staff_email=DEMO_STAFF_EMAIL,
        staff_password=password,
    )


def demo_call(calls: list[CallToActionRecord]) -> CallToActionRecord:
    """The first call with a named target: the one a person would most likely pick."""
    named = [call for call in calls if call.targets]
    if not named:
        raise InvalidState("the sample release yielded no call to action with a target")
    return named[0]


async def demo_staff_login(settings: Settings, session: AsyncSession) -> str:
    """The demo's admin login, with a new password each run (returned, to be printed):
    made the first time, its password replaced and the account unlocked after that."""
    refuse_in_production(settings)
    password = secrets.token_urlsafe(15)
    user = await get_user_by_email(session, DEMO_STAFF_EMAIL)
    if user is None:
        await create_user(
            session,
            StaffUserCreate(
                email=DEMO_STAFF_EMAIL,
                name=DEMO_STAFF_NAME,
                role=Role.ADMIN,
                password=SecretStr(password),
            ),
        )
        return password
    await reactivate_user(session, user)
    await change_role(session, user, Role.ADMIN)
    user.password_hash = await hash_password(password)
    user.failed_attempts = 0
    user.locked_until = None
    await session.flush()
    return password


def demo_message(run: DemoRun, *, base: str, outbox: Path) -> str:
    """What `campaign demo` prints before it serves: what it did, and where to go."""
    calls = "\n".join(
        f"  {number}. [{call.strength}] {', '.join(call.targets) or '(nobody named)'}: "
        f"{call.action}"
        for number, call in enumerate(run.calls, 1)
    )
    return f"""Sample release read: {DEMO_RELEASE.title}

Calls to action found:
{calls}

Petition drafted from call {run.chosen} and published: {run.title}

  Public page: {base}/c/{run.slug}   (all published campaigns: {base}/)
  Staff pages: {base}/staff
               log in as {run.staff_email} with the password {run.staff_password}
               (a demo login, made by the demo only; a new password each run)

  Read it:    curl {base}/api/v1/campaigns/{run.slug}
  Sign it:    curl -X POST {base}/api/v1/campaigns/{run.slug}/signatures \\
                -H 'Content-Type: application/json' \\
                -d '{{"given_name": "Ada", "family_name": "Lovelace", "email": "ada@example.org",
                     "country": "GB", "consent": {{"email_updates": false}}}}'
  Emails:     written as .eml files to {outbox}
              (open the newest one and follow its link to confirm)
  Staff API:  curl -H 'Authorization: Bearer {run.token}' {base}/api/v1/staff/releases
  API schema: {base}/openapi.json

Staff token (admin, shown once): {run.token}
"""
