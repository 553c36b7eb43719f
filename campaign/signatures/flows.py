"""Signing a petition and confirming the signature.

A signing request only checks what does not depend on the address (the input, the
campaign's rules, the limits) and writes one submission row, the same for everyone,
through the process's group-committing writer (writer.py); the worker resolves it later
(submissions.py). So neither the answer nor the time it takes
tells a new address from one that has signed. Confirming touches the signature, the
person and their email, in the caller's one transaction."""

from __future__ import annotations

from typing import Any, Protocol, cast

from sqlalchemy import CursorResult, select
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.campaigns.models import Campaign, CampaignKind, CampaignState, PostcodeMode
from campaign.campaigns.signable import SignableCampaign
from campaign.campaigns.versions import version_language
from campaign.db import utcnow
from campaign.errors import InvalidInput, InvalidState, NotFound
from campaign.i18n import gettext_noop as _
from campaign.observability.metrics import SIGNATURES_ACCEPTED
from campaign.observability.request_ids import current_request_id
from campaign.people.service import mark_email_confirmed
from campaign.signatures.models import (
    USER_AGENT_LENGTH,
    Signature,
    SignatureStatus,
)
from campaign.signatures.schemas import SignatureInput, SigningContext, Tracking
from campaign.signatures.writer import INSERT_ONE_SUBMISSION, SubmissionWriter
from campaign.tokens import hash_token


class SigningLimiter(Protocol):
    """Counts an accepted signature against the signing limits; True if it is over one.
    It is asked once per accepted signature, with keys that never include the address."""

    async def over_limit(
        self, *, ip_address: str | None, campaign_id: int, email_domain: str
    ) -> bool: ...


async def submit_signature(
    session: AsyncSession,
    campaign: SignableCampaign,
    data: SignatureInput,
    context: SigningContext,
    limiter: SigningLimiter,
) -> None:
    """Accept a signature for the worker to resolve, in the caller's transaction (the
    signing pages, whose request has its own session). Returns nothing on purpose: the
    caller must answer the same whether this turns out to be a first signature, a repeat,
    or one held as fraudulent, and the work done here is the same for all of them."""
    submission = await accepted_submission(campaign, data, context, limiter)
    result = await session.execute(INSERT_ONE_SUBMISSION, submission)
    if not cast(CursorResult[Any], result).rowcount:
        raise _not_open()
    SIGNATURES_ACCEPTED.labels(context.channel.value).inc()


async def submit_signature_batched(
    writer: SubmissionWriter,
    campaign: SignableCampaign,
    data: SignatureInput,
    context: SigningContext,
    limiter: SigningLimiter,
) -> None:
    """submit_signature for the signing API, whose requests hold no session: the
    submission is written by the process's writer together with others that arrive at
    the same time (writer.py), and is committed when this returns, so the caller may say
    "received". The same rules, the same row, the same answer."""
    submission = await accepted_submission(campaign, data, context, limiter)
    if not await writer.write(submission):
        raise _not_open()
    # Counted once committed: the writer's answer means the row is in.
    SIGNATURES_ACCEPTED.labels(context.channel.value).inc()


async def accepted_submission(
    campaign: SignableCampaign,
    data: SignatureInput,
    context: SigningContext,
    limiter: SigningLimiter,
) -> dict[str, Any]:
    """The submission row for a signature the rules accept, with its limits counted.

    The limits are counted only once the input is valid and the campaign open, so a
    person who mistyped a few times is not taken for a flood."""
    ensure_signable(campaign)
    language = version_language(campaign.language, campaign.languages, data.language)
    postcode = _postcode_for(campaign, data.postcode)
    over_limit = await limiter.over_limit(
        ip_address=context.ip_address,
        campaign_id=campaign.id,
        email_domain=email_domain(data),
    )
    return _submission_row(campaign, data, context, postcode, over_limit) | {
        "language": language,
        # The wording the version's form shows, which the signer agreed to or not.
        "consent_text_id": campaign.consent_text_in(language),
    }


def _not_open() -> InvalidState:
    return InvalidState(_("this petition is not open for signatures"), field="slug")


def ensure_signable(campaign: SignableCampaign) -> None:
    if campaign.state != CampaignState.PUBLISHED:
        raise _not_open()
    if campaign.kind != CampaignKind.PETITION:
        raise InvalidState(_("this campaign takes letters, not signatures"), field="slug")


def email_domain(data: SignatureInput) -> str:
    """The part of the normalised address after the @: many people share it, so it can
    key a limit without keying the person."""
    return data.email.normalised.rpartition("@")[2]


def _postcode_for(campaign: SignableCampaign, postcode: str | None) -> str | None:
    if campaign.postcode_mode == PostcodeMode.HIDDEN:
        return None
    if campaign.postcode_mode == PostcodeMode.REQUIRED and not postcode:
        raise InvalidInput(_("a postcode is required for this petition"), field="postcode")
    return postcode


def _submission_row(
    campaign: SignableCampaign,
    data: SignatureInput,
    context: SigningContext,
    postcode: str | None,
    over_limit: bool,
) -> dict[str, Any]:
    """The row is written only if the campaign is still published, by the same statement
    (writer.py): the caller's view of the campaign may be seconds old; the database's is
    not. (No row lock: many signers share-locking the one campaign row would queue them
    on it. A signature racing the close by milliseconds counts as made before it.)"""
    tracking = data.tracking or Tracking()
    now = utcnow()
    return {
        "campaign_id": campaign.id,
        "email": data.email.typed,
        "email_normalised": data.email.normalised,
        "given_name": data.given_name,
        "family_name": data.family_name,
        "country": data.country,
        "postcode": postcode,
        "comment": data.comment or None,
        "email_updates": data.consent.email_updates,
        "name_may_be_given": campaign.ask_signers_to_be_named and data.consent.name_may_be_given,
        "channel": context.channel.value,
        "ip_address": context.ip_address,
        "user_agent": context.user_agent[:USER_AGENT_LENGTH] if context.user_agent else None,
        "referrer": tracking.referrer,
        "utm_source": tracking.source,
        "utm_medium": tracking.medium,
        "utm_campaign": tracking.campaign,
        "over_rate_limit": over_limit,
        "honeypot_filled": context.honeypot_filled,
        "attempts": 0,
        "available_at": now,
        "created_at": now,
        "request_id": current_request_id.get(),
    }


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
        raise NotFound(_("this confirmation link is not valid"), field="token")
    signature, campaign = found
    if signature.status == SignatureStatus.CONFIRMED:
        return signature, campaign
    if signature.status != SignatureStatus.PENDING:
        raise NotFound(_("this confirmation link is not valid"), field="token")
    if campaign.state != CampaignState.PUBLISHED:
        raise InvalidState(
            _("this petition closed before the signature was confirmed"), field="token"
        )
    signature.status = SignatureStatus.CONFIRMED
    signature.confirmed_at = utcnow()
    await mark_email_confirmed(session, signature.person_id, signature.confirmed_at)
    await session.flush()
    return signature, campaign
