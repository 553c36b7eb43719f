"""Signing a petition and confirming the signature: the steps that touch people,
consents, signatures and the outbox together, in the caller's one transaction."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, case, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.campaigns.models import Campaign, CampaignKind, CampaignState, PostcodeMode
from campaign.campaigns.signable import SignableCampaign
from campaign.consents.service import record_consent
from campaign.db import insert_for, utcnow
from campaign.errors import InvalidInput, InvalidState, NotFound
from campaign.outbox.models import EmailKind
from campaign.outbox.service import enqueue_email
from campaign.people.service import mark_email_confirmed, upsert_person
from campaign.signatures.models import Signature, SignatureStatus
from campaign.signatures.postgres import insert_first_signature
from campaign.signatures.schemas import SignatureInput, SigningContext, Tracking
from campaign.tokens import hash_token, new_token

_SIGNATURES = cast(Table, Signature.__table__)


async def sign_petition(
    session: AsyncSession,
    campaign: SignableCampaign,
    data: SignatureInput,
    context: SigningContext,
    *,
    max_emails_per_signature: int,
) -> None:
    """Record a signature. Returns nothing on purpose: the caller must answer the same
    whether this was a first signature, a repeat, or one held as fraudulent."""
    if campaign.state != CampaignState.PUBLISHED:
        raise InvalidState("this petition is not open for signatures", field="slug")
    if campaign.kind != CampaignKind.PETITION:
        raise InvalidState("this campaign takes letters, not signatures", field="slug")
    postcode = _postcode_for(campaign, data.postcode)
    status = SignatureStatus.FRAUDULENT if context.over_rate_limit else SignatureStatus.PENDING
    token = new_token()
    row = _signature_row(campaign, data, context, postcode, status, token)
    person_id: int | None = None
    if session.get_bind().dialect.name == "postgresql":
        values = _first_signature_values(campaign, data, row, token)
        outcome = await insert_first_signature(session, values)
        if outcome.signature_id is not None:
            return
        if not outcome.campaign_open:
            raise InvalidState("this petition is not open for signatures", field="slug")
        person_id = outcome.person_id
    else:
        await _ensure_still_open(session, campaign.id)
    if person_id is None:
        person_id = await upsert_person(
            session,
            data.email,
            given_name=data.given_name,
            family_name=data.family_name,
            country=data.country,
            postcode=postcode,
        )
        if await _insert_signature(session, {**row, "person_id": person_id}) is not None:
            await _record_email_updates_choice(session, campaign, person_id, data, context)
            if status == SignatureStatus.PENDING:
                await _send_confirmation(session, campaign, data, token)
            return
    await _handle_repeat_signature(
        session, campaign, person_id, data, context, row, token, max_emails_per_signature
    )


def _first_signature_values(
    campaign: SignableCampaign, data: SignatureInput, row: dict[str, Any], token: str
) -> dict[str, Any]:
    """The parameters of the one-statement first signature: the signature's row, plus
    what the person, consent and email rows take beside it."""
    return {
        **row,
        "email_normalised": data.email.normalised,
        "now": row["created_at"],
        "consent_text_id": campaign.consent_text_id,
        "language": campaign.language,
        "email_kind": EmailKind.SIGNATURE_CONFIRMATION.value,
        "to_name": _display_name(data),
        "email_context": _confirmation_context(campaign, data, token),
        "send_email": row["status"] == SignatureStatus.PENDING,
    }


async def _ensure_still_open(session: AsyncSession, campaign_id: int) -> None:
    """The caller's view of the campaign may be seconds old; the database's is not.
    (No row lock: many signers share-locking the one campaign row would queue them on
    it. A signature racing the close by milliseconds counts as made before it.)"""
    state = await session.scalar(select(Campaign.state).where(Campaign.id == campaign_id))
    if state != CampaignState.PUBLISHED:
        raise InvalidState("this petition is not open for signatures", field="slug")


def _postcode_for(campaign: SignableCampaign, postcode: str | None) -> str | None:
    if campaign.postcode_mode == PostcodeMode.HIDDEN:
        return None
    if campaign.postcode_mode == PostcodeMode.REQUIRED and not postcode:
        raise InvalidInput("a postcode is required for this petition", field="postcode")
    return postcode


def _signature_row(
    campaign: SignableCampaign,
    data: SignatureInput,
    context: SigningContext,
    postcode: str | None,
    status: SignatureStatus,
    token: str,
) -> dict[str, Any]:
    """The signature's columns (all but person_id), as both insert paths write them."""
    tracking = data.tracking or Tracking()
    pending = status == SignatureStatus.PENDING
    return {
        "campaign_id": campaign.id,
        "status": status.value,
        "email": data.email.typed,
        "given_name": data.given_name,
        "family_name": data.family_name,
        "country": data.country,
        "postcode": postcode,
        "comment": data.comment or None,
        "email_updates": data.consent.email_updates,
        "channel": context.channel.value,
        "ip_address": context.ip_address,
        "referrer": tracking.referrer,
        "utm_source": tracking.source,
        "utm_medium": tracking.medium,
        "utm_campaign": tracking.campaign,
        "confirmation_token_hash": hash_token(token) if pending else None,
        "emails_sent": 1 if pending else 0,
        "created_at": utcnow(),
    }


async def _insert_signature(session: AsyncSession, row: dict[str, Any]) -> int | None:
    """Insert the signature unless this person already signed; the unique index
    settles concurrent attempts. Returns the new id, or None for a repeat."""
    table = _SIGNATURES
    result = await session.execute(
        insert_for(session, table)
        .values(**row)
        .on_conflict_do_nothing(index_elements=["campaign_id", "person_id"])
        .returning(table.c.id)
    )
    return result.scalar_one_or_none()


async def _handle_repeat_signature(
    session: AsyncSession,
    campaign: SignableCampaign,
    person_id: int,
    data: SignatureInput,
    context: SigningContext,
    row: dict[str, Any],
    token: str,
    max_emails: int,
) -> None:
    """This person has a signature here already. Answer by email, within the cap:
    a fresh link if it is pending, a notice if it is confirmed."""
    if context.over_rate_limit:
        return  # a flood of repeats must not become a flood of emails
    table = _SIGNATURES
    this_signature = (table.c.campaign_id == campaign.id) & (table.c.person_id == person_id)
    # Counting the email and checking the cap in one UPDATE holds the row lock for
    # both, so concurrent repeats of one address cannot go past the cap.
    status = await session.scalar(
        update(table)
        .where(
            this_signature,
            table.c.status.in_([SignatureStatus.PENDING, SignatureStatus.CONFIRMED]),
            table.c.emails_sent < max_emails,
        )
        .values(
            emails_sent=table.c.emails_sent + 1,
            # A new link replaces the old one, so only the newest email's link works.
            confirmation_token_hash=case(
                (table.c.status == SignatureStatus.PENDING, row["confirmation_token_hash"]),
                else_=table.c.confirmation_token_hash,
            ),
        )
        .returning(table.c.status)
    )
    if status == SignatureStatus.PENDING:
        await _send_confirmation(session, campaign, data, token)
    elif status == SignatureStatus.CONFIRMED:
        await _send_already_signed(session, campaign, data)
    elif await _reopen_held_signature(session, this_signature, row, max_emails):
        # Held by the rate limit earlier (perhaps someone else typed this address):
        # a signature made within the limit gets its chance to be confirmed.
        await _record_email_updates_choice(session, campaign, person_id, data, context)
        await _send_confirmation(session, campaign, data, token)
    # Otherwise the signature was invalidated by staff or has had its emails: silence.


async def _reopen_held_signature(
    session: AsyncSession, this_signature: Any, row: dict[str, Any], max_emails: int
) -> bool:
    """Turn a signature held as fraudulent into a pending one with the new details."""
    table = _SIGNATURES
    kept = {"campaign_id", "created_at", "emails_sent"}
    reopened = await session.scalar(
        update(table)
        .where(
            this_signature,
            table.c.status == SignatureStatus.FRAUDULENT,
            # Held by the limit only: one staff marked fraudulent stays so (review.py).
            table.c.status_before_review.is_(None),
            table.c.emails_sent < max_emails,
        )
        .values(
            {name: value for name, value in row.items() if name not in kept}
            | {"emails_sent": table.c.emails_sent + 1}
        )
        .returning(table.c.id)
    )
    return reopened is not None


async def _record_email_updates_choice(
    session: AsyncSession,
    campaign: SignableCampaign,
    person_id: int,
    data: SignatureInput,
    context: SigningContext,
) -> None:
    await record_consent(
        session,
        person_id=person_id,
        consent_text_id=campaign.consent_text_id,
        language=campaign.language,
        granted=data.consent.email_updates,
        campaign_id=campaign.id,
        channel=context.channel.value,
    )


async def _send_confirmation(
    session: AsyncSession, campaign: SignableCampaign, data: SignatureInput, token: str
) -> None:
    await enqueue_email(
        session,
        EmailKind.SIGNATURE_CONFIRMATION,
        to_address=data.email.typed,
        to_name=_display_name(data),
        context=_confirmation_context(campaign, data, token),
        campaign_id=campaign.id,
    )


async def _send_already_signed(
    session: AsyncSession, campaign: SignableCampaign, data: SignatureInput
) -> None:
    await enqueue_email(
        session,
        EmailKind.ALREADY_SIGNED,
        to_address=data.email.typed,
        to_name=_display_name(data),
        context={
            "given_name": data.given_name,
            "campaign_title": campaign.title,
            "campaign_slug": campaign.slug,
        },
        campaign_id=campaign.id,
    )


def _confirmation_context(
    campaign: SignableCampaign, data: SignatureInput, token: str
) -> dict[str, str]:
    return {
        "given_name": data.given_name,
        "campaign_title": campaign.title,
        "campaign_slug": campaign.slug,
        "token": token,
    }


def _display_name(data: SignatureInput) -> str:
    return f"{data.given_name} {data.family_name}"


async def confirm_signature(session: AsyncSession, token: str) -> tuple[Signature, Campaign]:
    """Confirm the signature behind a link. Following the link again is harmless."""
    found = (
        await session.execute(
            select(Signature, Campaign)
            .join(Campaign, Campaign.id == Signature.campaign_id)
            .where(Signature.confirmation_token_hash == hash_token(token))
            .with_for_update(of=Signature)
        )
    ).one_or_none()
    if found is None:
        raise NotFound("this confirmation link is not valid", field="token")
    signature, campaign = found
    if signature.status == SignatureStatus.CONFIRMED:
        return signature, campaign
    if signature.status != SignatureStatus.PENDING:
        raise NotFound("this confirmation link is not valid", field="token")
    if campaign.state != CampaignState.PUBLISHED:
        raise InvalidState("this petition closed before the signature was confirmed", field="token")
    signature.status = SignatureStatus.CONFIRMED
    signature.confirmed_at = utcnow()
    await mark_email_confirmed(session, signature.person_id, signature.confirmed_at)
    await session.flush()
    return signature, campaign
