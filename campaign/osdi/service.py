"""What the OSDI API does beyond reading: the person signup helper, the record signature
helper, and petitions made or changed by an organisation's tools."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.campaigns.models import Campaign, CampaignKind
from campaign.campaigns.schemas import CampaignCreate, CampaignUpdate
from campaign.campaigns.service import create_campaign, suggest_slug, update_campaign
from campaign.campaigns.signable import SignableCampaign
from campaign.consents.models import ConsentRecord, ConsentText
from campaign.consents.service import EMAIL_UPDATES, current_consent_text, record_consent
from campaign.db import utcnow
from campaign.errors import NotFound
from campaign.observability.metrics import SIGNATURES_ACCEPTED
from campaign.observability.request_ids import current_request_id
from campaign.osdi.schemas import PersonIn, PetitionIn, SignatureIn
from campaign.outbox.models import Suppression
from campaign.people.models import Person
from campaign.signatures.flows import SigningLimiter, email_domain, ensure_signable
from campaign.signatures.models import Signature, SignatureChannel, SignatureSubmission
from campaign.signatures.submissions import resolve_submission
from campaign.tags.service import tag_person_by_names
from campaign.tokens import new_token

# The channel consent changes made through the API are recorded under: the
# organisation's own tools said so, not a form of ours.
OSDI_CHANNEL = "osdi_api"


async def subscription_statuses(session: AsyncSession, people: Sequence[Person]) -> dict[int, bool]:
    """Whether each person gets email updates: their latest recorded choice says yes,
    and their address is not suppressed (an unsubscribe, a spam report, a bounce)."""
    if not people:
        return {}
    ids = [p.id for p in people]
    latest = (
        select(ConsentRecord.person_id, func.max(ConsentRecord.id).label("id"))
        .join(ConsentText, ConsentText.id == ConsentRecord.consent_text_id)
        .where(ConsentRecord.person_id.in_(ids), ConsentText.purpose == EMAIL_UPDATES)
        .group_by(ConsentRecord.person_id)
        .subquery()
    )
    granted = set(
        await session.scalars(
            select(ConsentRecord.person_id)
            .join(latest, latest.c.id == ConsentRecord.id)
            .where(ConsentRecord.granted.is_(True))
        )
    )
    suppressed = set(
        await session.scalars(
            select(Suppression.email_normalised).where(
                Suppression.email_normalised.in_([p.email_normalised for p in people])
            )
        )
    )
    return {p.id: p.id in granted and p.email_normalised not in suppressed for p in people}


async def signup_person(
    session: AsyncSession, data: PersonIn, add_tags: list[str]
) -> tuple[Person, bool]:
    """The person signup helper: find the person by email address or make them, apply
    the details given, the tags, and a subscription status if one is given. Returns the
    person and whether they were new.

    A consent changes only by a recorded choice, attributed to the API: "unsubscribed"
    is always recorded; "subscribed" is recorded unless the address is suppressed
    (the person unsubscribed or complained to us: an import cannot undo that)."""
    email = data.primary_email()
    person = await session.scalar(select(Person).where(Person.email_normalised == email.normalised))
    created = person is None
    postal = data.postal_addresses[0] if data.postal_addresses else None
    if person is None:
        person = Person(
            email_normalised=email.normalised,
            email=email.typed,
            given_name=data.given_name or "",
            family_name=data.family_name or "",
            country=(postal.country if postal and postal.country else ""),
            postcode=postal.postal_code if postal else None,
            custom_fields=dict(data.custom_fields),
        )
        session.add(person)
        await session.flush()
    else:
        _apply_details(person, data)
    wanted = data.email_status()
    if wanted is not None:
        current = (await subscription_statuses(session, [person]))[person.id]
        if wanted != current and not (wanted and await _suppressed(session, person)):
            text = await current_consent_text(session, "en")
            await record_consent(
                session,
                person_id=person.id,
                consent_text_id=text.id,
                language=text.language,
                granted=wanted,
                campaign_id=None,
                channel=OSDI_CHANNEL,
            )
            person.modified_at = utcnow()
    if add_tags and await tag_person_by_names(session, person.id, add_tags):
        person.modified_at = utcnow()
    await session.flush()
    return person, created


def _apply_details(person: Person, data: PersonIn) -> None:
    if data.given_name is not None:
        person.given_name = data.given_name
    if data.family_name is not None:
        person.family_name = data.family_name
    if data.postal_addresses:
        postal = data.postal_addresses[0]
        if postal.country:
            person.country = postal.country
        if postal.postal_code:
            person.postcode = postal.postal_code
    if data.custom_fields:
        person.custom_fields = {**(person.custom_fields or {}), **data.custom_fields}


async def _suppressed(session: AsyncSession, person: Person) -> bool:
    found = await session.scalar(
        select(Suppression.id)
        .where(Suppression.email_normalised == person.email_normalised)
        .limit(1)
    )
    return found is not None


async def record_signature(
    session: AsyncSession,
    campaign: Campaign,
    data: SignatureIn,
    limiter: SigningLimiter,
    *,
    max_emails: int,
) -> tuple[Signature, bool]:
    """The record signature helper, through the signing flow every signature takes:
    one signature per person, a confirmation email (unless the autoresponse is turned
    off, when the signature stays pending), the campaign's and email domain's limits (an
    API client's address is the organisation's server, so there is no network limit),
    the consent recorded. Returns the signature and whether it is new."""
    signable = SignableCampaign.of(campaign)
    ensure_signable(signable)
    signer = data.person.signer(field_prefix="person")
    email = signer.email
    before = await session.scalar(
        select(Signature.id)
        .join(Person, Person.id == Signature.person_id)
        .where(Signature.campaign_id == campaign.id, Person.email_normalised == email.normalised)
    )
    over_limit = await limiter.over_limit(
        ip_address=None, campaign_id=campaign.id, email_domain=email_domain(signer)
    )
    referrer = data.referrer_data
    now = utcnow()
    submission = SignatureSubmission(
        campaign_id=campaign.id,
        email=email.typed,
        email_normalised=email.normalised,
        given_name=signer.given_name,
        family_name=signer.family_name,
        country=signer.country,
        postcode=signer.postcode,
        comment=data.comments or None,
        email_updates=signer.consent.email_updates,
        # OSDI has no such question: nobody recorded through it is named to an official.
        name_may_be_given=False,
        channel=SignatureChannel.API.value,
        ip_address=None,
        user_agent=None,
        referrer=(referrer.website or referrer.url) if referrer else None,
        utm_source=referrer.source if referrer else None,
        utm_medium=None,
        utm_campaign=referrer.referrer if referrer else None,
        over_rate_limit=over_limit,
        honeypot_filled=False,
        attempts=0,
        available_at=now,
        created_at=now,
        request_id=current_request_id.get(),
    )
    SIGNATURES_ACCEPTED.labels("osdi").inc()
    await resolve_submission(
        session,
        signable,
        submission,
        new_token(),
        max_emails,
        send_emails=data.autoresponse_enabled(),
    )
    signature = await session.scalar(
        select(Signature)
        .join(Person, Person.id == Signature.person_id)
        .where(Signature.campaign_id == campaign.id, Person.email_normalised == email.normalised)
    )
    if signature is None:  # pragma: no cover - resolve_submission always leaves one
        raise NotFound("the signature could not be recorded", field="person")
    if data.add_tags:
        await tag_person_by_names(session, signature.person_id, data.add_tags)
    return signature, before is None


async def create_petition(session: AsyncSession, data: PetitionIn) -> Campaign:
    """A petition made by an organisation's tools starts as a draft: staff publish it
    from the dashboard, as they would one of their own."""
    title = data.title or "Untitled petition"
    campaign = await create_campaign(
        session,
        CampaignCreate(
            slug=await suggest_slug(session, title),
            kind=CampaignKind.PETITION,
            title=title,
            summary=data.description or title,
            body_markdown=data.petition_text or data.description or title,
            target=data.target_name() or "Decision makers",
        ),
    )
    return campaign


async def update_petition(session: AsyncSession, campaign: Campaign, data: PetitionIn) -> Campaign:
    changes = CampaignUpdate.model_validate(
        {
            key: value
            for key, value in (
                ("title", data.title),
                ("summary", data.description),
                ("body_markdown", data.petition_text),
                ("target", data.target_name()),
            )
            if value is not None
        }
    )
    return await update_campaign(session, campaign, changes)
