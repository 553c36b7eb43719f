"""Letter campaigns: finding an activist's officials, writing, confirming. The setup is
in setup.py."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.campaigns.models import Campaign, CampaignKind, CampaignState
from campaign.consents.service import record_consent
from campaign.db import utcnow
from campaign.errors import InvalidInput, InvalidState, NotFound
from campaign.i18n import gettext_noop as _
from campaign.letters.delivery import dispatch_letter
from campaign.letters.models import (
    DeliveryState,
    Letter,
    LetterDelivery,
    LetterSetup,
    LetterStatus,
    TargetRuleKind,
)
from campaign.letters.schemas import LetterInput

# The setup's verbs live in setup.py; named here too for the callers that find them here.
from campaign.letters.setup import DraftedLetter as DraftedLetter
from campaign.letters.setup import ProposedTargets as ProposedTargets
from campaign.letters.setup import ensure_ready_to_publish as ensure_ready_to_publish
from campaign.letters.setup import get_setup as get_setup
from campaign.letters.setup import propose_targets as propose_targets
from campaign.letters.setup import save_setup as save_setup
from campaign.letters.setup import set_up_drafted_letter as set_up_drafted_letter
from campaign.letters.similarity import is_personalised, similarity
from campaign.letters.templating import addressed, unknown_placeholders, uses_placeholder
from campaign.outbox.models import EmailKind
from campaign.outbox.service import enqueue_email
from campaign.people.service import has_confirmed_email, mark_email_confirmed, upsert_person
from campaign.signatures.models import SignatureChannel
from campaign.targets.models import Official
from campaign.targets.service import (
    divisions_of_postcode,
    officials_by_id,
    officials_for_divisions,
    officials_with_role,
)
from campaign.tokens import hash_token, new_token

# -- Finding officials --------------------------------------------------------------------


async def find_officials(
    session: AsyncSession, setup: LetterSetup, *, country: str, postcode: str | None
) -> list[Official]:
    """The officials this campaign writes to, for an activist in `country` at `postcode`."""
    if setup.target_kind == TargetRuleKind.FIXED:
        return await officials_by_id(session, setup.target_official_ids)
    if setup.target_kind == TargetRuleKind.ROLE:
        assert setup.target_role is not None
        return await officials_with_role(session, country, setup.target_role)
    if not postcode:
        raise InvalidInput(_("a postcode is needed to find your representatives"), field="postcode")
    assert setup.target_organisation is not None
    divisions = await divisions_of_postcode(session, country, postcode)
    return await officials_for_divisions(session, country, setup.target_organisation, divisions)


# -- Writing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class WritingContext:
    ip_address: str | None
    over_rate_limit: bool
    organisation: str  # the sender's name, after the activist's, in From
    # Where the letter was written (the page, or else the API), recorded with the consent.
    channel: SignatureChannel = SignatureChannel.API
    # The campaign's language version written from (campaign.campaigns.versions): its
    # language, title and the consent wording its form showed, and its own suggested
    # subject, sent where activists may not change the subject. None: the campaign's own.
    language: str | None = None
    title: str | None = None
    consent_text_id: int | None = None
    fixed_subject: str | None = None


def ensure_takes_letters(campaign: Campaign) -> None:
    """Letters are written to, and officials looked up for, an open letter campaign: a
    petition has none to write (404), a closed campaign takes no more (409)."""
    if campaign.kind != CampaignKind.LETTER:
        raise NotFound(_("this campaign takes signatures, not letters"), field="slug")
    if campaign.state != CampaignState.PUBLISHED:
        raise InvalidState(_("this campaign is not taking letters"), field="slug")


async def write_letter(
    session: AsyncSession,
    campaign: Campaign,
    data: LetterInput,
    context: WritingContext,
) -> None:
    """Store a letter and queue what follows: a confirmation email, or (for an address
    confirmed before) the letters themselves. Returns nothing on purpose: the answer is
    the same whoever the address belongs to."""
    ensure_takes_letters(campaign)
    setup = await get_setup(session, campaign.id)
    subject, body = _letter_text(setup, data, context.fixed_subject)
    officials = await find_officials(session, setup, country=data.country, postcode=data.postcode)
    if not officials:
        raise InvalidInput(
            _("no one to write to was found for this address"),
            field="postcode" if setup.target_kind == TargetRuleKind.DIVISION else "country",
        )
    person_id = await upsert_person(
        session,
        data.email,
        given_name=data.given_name,
        family_name=data.family_name,
        country=data.country,
        postcode=data.postcode,
    )
    await record_consent(
        session,
        person_id=person_id,
        consent_text_id=context.consent_text_id or campaign.consent_text_id,
        language=context.language or campaign.language,
        granted=data.consent.email_updates,
        campaign_id=campaign.id,
        channel=context.channel.value,
    )
    score = similarity(body, setup.body_template)
    letter = Letter(
        campaign_id=campaign.id,
        person_id=person_id,
        status=LetterStatus.PENDING,
        email=data.email.typed,
        given_name=data.given_name,
        family_name=data.family_name,
        country=data.country,
        postcode=data.postcode,
        locality=data.locality,
        subject=subject,
        body=body,
        similarity=round(score, 4),
        personalised=is_personalised(score),
        email_updates=data.consent.email_updates,
        ip_address=context.ip_address,
        created_at=utcnow(),
    )
    session.add(letter)
    await session.flush()
    _address_to(session, letter, officials)
    await session.flush()

    if context.over_rate_limit:
        await _hold(session, letter)
    elif await has_confirmed_email(session, person_id):
        await _confirm_and_send(session, letter, campaign, setup, context.organisation)
    else:
        token = new_token()
        letter.confirmation_token_hash = hash_token(token)
        await enqueue_email(
            session,
            EmailKind.LETTER_CONFIRMATION,
            to_address=letter.email,
            to_name=f"{letter.given_name} {letter.family_name}",
            context={
                "given_name": letter.given_name,
                "campaign_title": context.title or campaign.title,
                "officials": [f"{o.name}, {o.title}" for o in officials],
                "token": token,
                # The version written from: the email is written in its language.
                "language": context.language or campaign.language,
            },
            campaign_id=campaign.id,
        )
    await session.flush()


def _letter_text(
    setup: LetterSetup, data: LetterInput, fixed_subject: str | None = None
) -> tuple[str, str]:
    """The subject and body as the activist left them, checked against the campaign's
    limits. Placeholders stay in; they are filled per official."""
    if data.subject is not None and not setup.subject_editable:
        raise InvalidInput(_("this campaign's subject can't be changed"), field="subject")
    subject = data.subject or fixed_subject or setup.subject_template
    body = data.body if data.body is not None else setup.body_template
    length = len(body.strip())
    if not setup.min_length <= length <= setup.max_length:
        raise InvalidInput(
            f"the letter must be {setup.min_length} to {setup.max_length} characters long; "
            f"it is {length}",
            field="body",
        )
    flattened = " ".join(body.split()).casefold()
    for phrase in setup.required_phrases:
        if " ".join(phrase.split()).casefold() not in flattened:
            raise InvalidInput(f"the letter must keep this passage: {phrase!r}", field="body")
    for field, text in (("subject", subject), ("body", body)):
        unknown = unknown_placeholders(text)
        if unknown:
            raise InvalidInput(f"unknown placeholder {{{{{unknown[0]}}}}}", field=field)
    if data.locality is None and (
        uses_placeholder(subject, "activist_locality")
        or uses_placeholder(body, "activist_locality")
    ):
        raise InvalidInput(
            _("this letter mentions where you live: give your town"), field="locality"
        )
    return subject, body


def _address_to(session: AsyncSession, letter: Letter, officials: Sequence[Official]) -> None:
    """One delivery per official, with the letter filled in for them: what is stored is
    exactly what is sent."""
    for official in officials:
        subject, body = addressed(
            letter.subject,
            letter.body,
            official_name=official.name,
            official_title=official.title,
            activist_name=f"{letter.given_name} {letter.family_name}",
            activist_locality=letter.locality or "",
        )
        session.add(
            LetterDelivery(
                letter_id=letter.id,
                campaign_id=letter.campaign_id,
                official_id=official.id,
                state=DeliveryState.AWAITING_CONFIRMATION,
                subject=subject,
                body=body,
            )
        )


async def _hold(session: AsyncSession, letter: Letter) -> None:
    letter.status = LetterStatus.HELD
    for delivery in await _deliveries(session, letter.id):
        delivery.state = DeliveryState.HELD


async def _deliveries(session: AsyncSession, letter_id: int) -> list[LetterDelivery]:
    result = await session.scalars(
        select(LetterDelivery).where(LetterDelivery.letter_id == letter_id)
    )
    return list(result)


async def _confirm_and_send(
    session: AsyncSession,
    letter: Letter,
    campaign: Campaign,
    setup: LetterSetup,
    organisation: str,
) -> None:
    now = utcnow()
    letter.confirmed_at = now
    await mark_email_confirmed(session, letter.person_id, now)
    if await _already_wrote(session, letter):
        # One letter per person per campaign reaches the officials; a second is kept.
        await _hold(session, letter)
        return
    letter.status = LetterStatus.CONFIRMED
    await session.flush()
    await dispatch_letter(session, letter, campaign, setup, organisation=organisation, now=now)


async def _already_wrote(session: AsyncSession, letter: Letter) -> bool:
    found = await session.scalar(
        select(
            exists().where(
                Letter.campaign_id == letter.campaign_id,
                Letter.person_id == letter.person_id,
                Letter.status == LetterStatus.CONFIRMED,
                Letter.id != letter.id,
            )
        )
    )
    return bool(found)


async def confirm_letter(
    session: AsyncSession, token: str, *, organisation: str
) -> tuple[Letter, Campaign]:
    """Confirm the letter behind a link and send it. Following the link again is harmless."""
    found = (
        await session.execute(
            select(Letter, Campaign)
            .join(Campaign, Campaign.id == Letter.campaign_id)
            .where(Letter.confirmation_token_hash == hash_token(token))
            .with_for_update(of=Letter)
        )
    ).one_or_none()
    if found is None:
        raise NotFound(_("this confirmation link is not valid"), field="token")
    letter, campaign = found
    if letter.status != LetterStatus.PENDING:
        return letter, campaign  # confirmed already: nothing is sent twice
    if campaign.state != CampaignState.PUBLISHED:
        raise InvalidState(_("this campaign closed before the letter was confirmed"), field="token")
    setup = await get_setup(session, campaign.id)
    await _confirm_and_send(session, letter, campaign, setup, organisation)
    await session.flush()
    return letter, campaign


# -- Reading ------------------------------------------------------------------------------


async def letter_by_view_token(session: AsyncSession, token: str) -> Letter:
    letter = await session.scalar(select(Letter).where(Letter.view_token_hash == hash_token(token)))
    if letter is None:
        raise NotFound(_("no letter at this link"), field="token")
    return letter


async def list_letters(
    session: AsyncSession, campaign_id: int, *, limit: int, offset: int
) -> list[Letter]:
    result = await session.scalars(
        select(Letter)
        .where(Letter.campaign_id == campaign_id)
        .order_by(Letter.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(result)
