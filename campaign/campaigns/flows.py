"""Publishing and closing a campaign: the checks each needs across domains, the move
itself, and what each would do, for staff to read before they confirm it.

The JSON API and the dashboard both publish and close through `publish` and `close`,
and the confirmation pages read `publishing_outlook` and `closing_outlook`, which run
the same checks: a page never offers a move that the verb would refuse."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from campaign.campaigns import service
from campaign.campaigns.models import Campaign, CampaignKind, CampaignState
from campaign.campaigns.schemas import CampaignCreate, CampaignUpdate
from campaign.consents.schemas import ConsentTextCreate
from campaign.consents.service import add_consent_text
from campaign.errors import CampaignError
from campaign.letters import service as letters
from campaign.letters.models import LetterSetup, TargetRuleKind
from campaign.metrics.counts import current_signature_counts
from campaign.signatures.schemas import SignatureCounts
from campaign.targets.service import (
    officials_by_id,
    officials_of_organisation,
    officials_per_role,
)


async def publish(session: AsyncSession, campaign: Campaign) -> Campaign:
    """Make a draft public: its page, its signing (or letter writing) and its API."""
    await ensure_publishable(session, campaign)
    return await service.publish_campaign(session, campaign)


async def close(session: AsyncSession, campaign: Campaign) -> Campaign:
    """Stop signing (or writing). A campaign that was published stays readable; a draft
    closed unpublished never becomes public."""
    service.ensure_may_become(campaign, CampaignState.CLOSED)
    return await service.close_campaign(session, campaign)


async def ensure_publishable(session: AsyncSession, campaign: Campaign) -> None:
    service.ensure_may_become(campaign, CampaignState.PUBLISHED)
    await letters.ensure_ready_to_publish(session, campaign)


async def create(
    session: AsyncSession, data: CampaignCreate, *, new_consent: ConsentTextCreate | None = None
) -> Campaign:
    """The editor's new campaign: the API's create, showing new consent wording if staff
    wrote some."""
    if new_consent is not None:
        consent = await add_consent_text(session, new_consent)
        data = data.model_copy(update={"consent_text_id": consent.id})
    return await service.create_campaign(session, data)


async def save_changes(
    session: AsyncSession,
    campaign: Campaign,
    data: CampaignUpdate,
    *,
    new_consent: ConsentTextCreate | None = None,
) -> Campaign:
    """The editor's save: the change the API's PATCH makes, showing new consent wording
    (published first as the next version for its language) if staff wrote some."""
    if new_consent is not None:
        consent = await add_consent_text(session, new_consent)
        data = data.model_copy(update={"consent_text_id": consent.id})
    return await service.update_campaign(session, campaign, data)


@dataclass(frozen=True)
class LetterReach:
    """Who a letter campaign's letters go to, as its rule reads the directory today."""

    rule: str  # TargetRuleKind
    officials: int  # fixed: the list; division and role: all who may be written to
    organisation: str | None = None
    role: str | None = None


@dataclass(frozen=True)
class PublishingOutlook:
    """What publishing would do, or why it cannot be done (`refusal`)."""

    campaign: Campaign
    refusal: CampaignError | None
    letters: LetterReach | None  # for a letter campaign that has its letter set up


async def publishing_outlook(session: AsyncSession, campaign: Campaign) -> PublishingOutlook:
    refusal = None
    try:
        await ensure_publishable(session, campaign)
    except CampaignError as error:
        refusal = error
    reach = None
    if campaign.kind == CampaignKind.LETTER:
        setup = await session.get(LetterSetup, campaign.id)
        reach = await _letter_reach(session, setup) if setup is not None else None
    return PublishingOutlook(campaign=campaign, refusal=refusal, letters=reach)


@dataclass(frozen=True)
class ClosingOutlook:
    """What closing would do, or why it cannot be done (`refusal`)."""

    campaign: Campaign
    refusal: CampaignError | None
    # Closed after being public, its page stays readable; closed as a draft, it never
    # becomes public.
    was_public: bool
    # A petition's signatures: the confirmed stay counted, the pending can no longer be
    # confirmed. None for a letter campaign (its unconfirmed letters are never sent).
    signatures: SignatureCounts | None


async def closing_outlook(session: AsyncSession, campaign: Campaign) -> ClosingOutlook:
    refusal = None
    try:
        service.ensure_may_become(campaign, CampaignState.CLOSED)
    except CampaignError as error:
        refusal = error
    signatures = None
    if campaign.kind == CampaignKind.PETITION:
        signatures = await current_signature_counts(session, campaign.id)
    return ClosingOutlook(
        campaign=campaign,
        refusal=refusal,
        was_public=campaign.first_published_at is not None,
        signatures=signatures,
    )


async def _letter_reach(session: AsyncSession, setup: LetterSetup) -> LetterReach:
    if setup.target_kind == TargetRuleKind.FIXED:
        found = await officials_by_id(session, setup.target_official_ids)
        return LetterReach(rule=setup.target_kind, officials=len(found))
    if setup.target_kind == TargetRuleKind.DIVISION:
        assert setup.target_organisation is not None
        members = await officials_of_organisation(session, setup.target_organisation)
        return LetterReach(
            rule=setup.target_kind,
            officials=len(members),
            organisation=setup.target_organisation,
        )
    assert setup.target_role is not None
    holders = await officials_per_role(session, [setup.target_role])
    return LetterReach(
        rule=setup.target_kind, officials=holders.get(setup.target_role, 0), role=setup.target_role
    )
