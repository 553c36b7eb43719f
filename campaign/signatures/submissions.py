"""Resolving signature submissions, in the worker: each accepted signing request becomes a
first signature, a fresh link for a pending one, an "already signed" notice, a held
signature, or a held one reopened. The request could not tell these apart without
showing the difference in its timing, so the difference is made here, out of sight.

Each submission is resolved in a savepoint of the batch's transaction and deleted in
that same transaction, so it never outlives its effects (it holds what the person
typed). One that fails is rolled back alone and kept for another try after a pause,
counted in `attempts`; after MAX_ATTEMPTS tries it is dropped, and the log says so
with its id and nothing of its contents."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import Table, case, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.campaigns.models import Campaign, CampaignVersion
from campaign.campaigns.signable import SignableCampaign
from campaign.config import Settings
from campaign.consents.service import record_consent
from campaign.db import insert_for, transaction, utcnow
from campaign.outbox.models import EmailKind
from campaign.outbox.service import enqueue_email
from campaign.people.addresses import EmailAddress
from campaign.people.service import upsert_person
from campaign.signatures.models import Signature, SignatureStatus, SignatureSubmission
from campaign.signatures.postgres import (
    FirstSignature,
    FirstSignatureOutcomes,
    insert_first_signatures,
)
from campaign.targets.service import normalise_postcode
from campaign.tokens import hash_token, new_token

logger = logging.getLogger(__name__)

_SIGNATURES = cast(Table, Signature.__table__)

# Tries before a submission that keeps failing is dropped; the pause after the first
# failure, doubled after each (30 s, 1, 2, 4 minutes: a bug, not a blip, by the end).
MAX_ATTEMPTS = 5
FIRST_RETRY_PAUSE = timedelta(seconds=30)
# Batches one worker pass resolves at most before it turns to sending emails.
MAX_BATCHES_PER_PASS = 20


async def resolve_due_submissions(
    session_factory: async_sessionmaker[AsyncSession], settings: Settings
) -> int:
    """The worker's step: resolve due submissions, a batch per transaction, until none
    are left (or MAX_BATCHES_PER_PASS, so the emails they queued are not kept waiting).
    Returns how many submissions were taken."""
    taken = 0
    for _ in range(MAX_BATCHES_PER_PASS):
        async with transaction(session_factory) as session:
            batch = await resolve_submissions(
                session,
                settings.submission_batch_size,
                max_emails_per_signature=settings.max_emails_per_signature,
            )
        taken += batch
        if batch < settings.submission_batch_size:
            break
    return taken


async def resolve_submissions(
    session: AsyncSession, limit: int, *, max_emails_per_signature: int
) -> int:
    """Claim up to `limit` due submissions, oldest first, and resolve each in the caller's
    transaction. Returns how many were taken (resolved, put back or dropped)."""
    submissions = await _claim_due_submissions(session, limit)
    if not submissions:
        return 0
    campaigns = await _campaigns_of(session, submissions)
    titles = await _version_titles(session, submissions)
    signed = {s.id: _as_signed(campaigns[s.campaign_id], s, titles) for s in submissions}
    tokens = {submission.id: new_token() for submission in submissions}
    firsts = await _insert_first_signatures(session, signed, submissions, tokens)
    done = firsts.signed
    for submission in submissions:
        if submission.id in done:
            continue
        try:
            async with session.begin_nested():
                await resolve_submission(
                    session,
                    signed[submission.id],
                    submission,
                    tokens[submission.id],
                    max_emails_per_signature,
                    signer=firsts.signers.get(submission.id),
                )
        except Exception as error:
            if await _put_back_or_drop(session, submission, error):
                continue
        done.add(submission.id)
    await session.execute(delete(SignatureSubmission).where(SignatureSubmission.id.in_(done)))
    return len(submissions)


async def _insert_first_signatures(
    session: AsyncSession,
    campaigns: dict[int, SignableCampaign],
    submissions: Sequence[SignatureSubmission],
    tokens: dict[int, str],
) -> FirstSignatureOutcomes:
    """On PostgreSQL, the batch's first signatures in one statement (postgres.py), in a
    savepoint of their own. The rest, and all of them if the statement fails, are
    resolved one by one. `campaigns`: each submission's campaign as it signed it."""
    nothing = FirstSignatureOutcomes(set(), {})
    if session.get_bind().dialect.name != "postgresql":
        return nothing
    firsts: dict[tuple[int, str], FirstSignature] = {}
    for submission in submissions:
        key = (submission.campaign_id, submission.email_normalised)
        if key not in firsts:  # a later one from the same address is a repeat
            campaign = campaigns[submission.id]
            firsts[key] = _first_signature(campaign, submission, tokens[submission.id])
    try:
        async with session.begin_nested():
            return await insert_first_signatures(
                session,
                list(firsts.values()),
                now=utcnow(),
                email_kind=EmailKind.SIGNATURE_CONFIRMATION.value,
            )
    except Exception as error:
        logger.warning(
            "first signatures of %d submissions failed together; resolving them one by one: %s",
            len(firsts),
            type(error).__name__,
        )
        return nothing


async def _claim_due_submissions(session: AsyncSession, limit: int) -> list[SignatureSubmission]:
    # SKIP LOCKED: several workers take different submissions instead of queueing on the
    # same ones. Oldest first, so a person's repeats are resolved in the order they came.
    found = await session.scalars(
        select(SignatureSubmission)
        .where(SignatureSubmission.available_at <= utcnow())
        .order_by(SignatureSubmission.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(found)


async def _campaigns_of(
    session: AsyncSession, submissions: Sequence[SignatureSubmission]
) -> dict[int, SignableCampaign]:
    ids = {submission.campaign_id for submission in submissions}
    found = await session.scalars(select(Campaign).where(Campaign.id.in_(ids)))
    return {campaign.id: SignableCampaign.of(campaign) for campaign in found}


async def _version_titles(
    session: AsyncSession, submissions: Sequence[SignatureSubmission]
) -> dict[tuple[int, str], str]:
    """The title of each language version the submissions were made on, but the primary
    ones (whose title is the campaign's)."""
    ids = {submission.campaign_id for submission in submissions if submission.language}
    if not ids:
        return {}
    found = await session.execute(
        select(CampaignVersion.campaign_id, CampaignVersion.language, CampaignVersion.title).where(
            CampaignVersion.campaign_id.in_(ids)
        )
    )
    return {(campaign_id, language): title for campaign_id, language, title in found.all()}


def _as_signed(
    campaign: SignableCampaign,
    submission: SignatureSubmission,
    titles: dict[tuple[int, str], str],
) -> SignableCampaign:
    """The campaign as this submission's signer saw it: in its language version, under
    that version's title and consent wording. Everything the resolution writes in the
    campaign's name (the signature's language, its consent record, the emails' language
    and title) then follows the version. A submission that names neither (accepted
    before they were kept, or recorded through OSDI) was made on the primary version."""
    language = submission.language or campaign.language
    if language == campaign.language and submission.consent_text_id in (
        None,
        campaign.consent_text_id,
    ):
        return campaign
    return replace(
        campaign,
        language=language,
        title=titles.get((campaign.id, language), campaign.title),
        consent_text_id=submission.consent_text_id or campaign.consent_text_id,
        consent_texts=((language, submission.consent_text_id or campaign.consent_text_id),),
    )


async def _put_back_or_drop(
    session: AsyncSession, submission: SignatureSubmission, error: Exception
) -> bool:
    """After a failed resolution (already rolled back to the savepoint): True if the
    submission is kept for another try, False if it has had its tries and goes. The
    error's text may quote what the person typed, so only its type is logged."""
    attempts = submission.attempts + 1
    if attempts >= MAX_ATTEMPTS:
        logger.error(
            "dropping signature submission %d (campaign %d) after %d failed attempts: %s",
            submission.id,
            submission.campaign_id,
            attempts,
            type(error).__name__,
        )
        return False
    logger.warning(
        "signature submission %d (campaign %d) failed, attempt %d; will retry: %s",
        submission.id,
        submission.campaign_id,
        attempts,
        type(error).__name__,
    )
    await session.execute(
        update(SignatureSubmission)
        .where(SignatureSubmission.id == submission.id)
        .values(
            attempts=attempts,
            available_at=utcnow() + FIRST_RETRY_PAUSE * 2 ** (attempts - 1),
        )
    )
    return True


async def resolve_submission(
    session: AsyncSession,
    campaign: SignableCampaign,
    submission: SignatureSubmission,
    token: str,
    max_emails: int,
    *,
    signer: int | None = None,
    send_emails: bool = True,
) -> None:
    """Turn one submission into its signature and emails. Over a limit or caught by the
    honeypot, the signature is stored as fraudulent, never counted, and sent nothing.
    `signer`: the person, when the first-signature statement found them already signed.
    `send_emails` False (a signature an organisation records through its API without
    the autoresponse): nothing is sent, and a new signature stays pending."""
    status = _status_of(submission)
    row = _signature_row(campaign, submission, status, token)
    if signer is not None:
        if status == SignatureStatus.PENDING and send_emails:
            await _answer_repeat_signature(
                session, campaign, signer, submission, row, token, max_emails
            )
        return
    person_id = await upsert_person(
        session,
        EmailAddress(typed=submission.email, normalised=submission.email_normalised),
        given_name=submission.given_name,
        family_name=submission.family_name,
        country=submission.country,
        postcode=submission.postcode,
    )
    if await _insert_signature(session, {**row, "person_id": person_id}) is not None:
        await _record_email_updates_choice(session, campaign, person_id, submission)
        if status == SignatureStatus.PENDING and send_emails:
            await _send_confirmation(session, campaign, submission, token)
        return
    if status != SignatureStatus.PENDING or not send_emails:
        return  # a flood of repeats must not become a flood of emails
    await _answer_repeat_signature(session, campaign, person_id, submission, row, token, max_emails)


def _status_of(submission: SignatureSubmission) -> SignatureStatus:
    held = submission.over_rate_limit or submission.honeypot_filled
    return SignatureStatus.FRAUDULENT if held else SignatureStatus.PENDING


def _first_signature(
    campaign: SignableCampaign, submission: SignatureSubmission, token: str
) -> FirstSignature:
    """What the one-statement path writes for this submission if it is a first signature."""
    status = _status_of(submission)
    return FirstSignature(
        submission_id=submission.id,
        signature=_signature_row(campaign, submission, status, token),
        email_normalised=submission.email_normalised,
        consent_text_id=campaign.consent_text_id,
        language=campaign.language,
        send_email=status == SignatureStatus.PENDING,
        to_name=_display_name(submission),
        email_context=_confirmation_context(campaign, submission, token),
        request_id=submission.request_id,
    )


def _signature_row(
    campaign: SignableCampaign, submission: SignatureSubmission, status: SignatureStatus, token: str
) -> dict[str, Any]:
    """The signature's columns (all but person_id), as both insert paths write them. It
    was made when it was submitted, whenever the worker got to it."""
    pending = status == SignatureStatus.PENDING
    return {
        "campaign_id": submission.campaign_id,
        "status": status.value,
        "email": submission.email,
        "given_name": submission.given_name,
        "family_name": submission.family_name,
        "country": submission.country,
        "postcode": submission.postcode,
        "postcode_normalised": _normalised_postcode(submission.postcode),
        "comment": submission.comment,
        "email_updates": submission.email_updates,
        "name_may_be_given": submission.name_may_be_given,
        "channel": submission.channel,
        "language": campaign.language,
        "consent_text_id": campaign.consent_text_id,
        "ip_address": submission.ip_address,
        "user_agent": submission.user_agent,
        "referrer": submission.referrer,
        "utm_source": submission.utm_source,
        "utm_medium": submission.utm_medium,
        "utm_campaign": submission.utm_campaign,
        "confirmation_token_hash": hash_token(token) if pending else None,
        "emails_sent": 1 if pending else 0,
        "created_at": submission.created_at,
    }


def _normalised_postcode(postcode: str | None) -> str | None:
    """The postcode as the directory has it; None for none, or for one of nothing but
    spaces and punctuation, which no directory entry can match."""
    return (normalise_postcode(postcode) or None) if postcode else None


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


async def _answer_repeat_signature(
    session: AsyncSession,
    campaign: SignableCampaign,
    person_id: int,
    submission: SignatureSubmission,
    row: dict[str, Any],
    token: str,
    max_emails: int,
) -> None:
    """This person has a signature here already. Answer by email, within the cap:
    a fresh link if it is pending, a notice if it is confirmed."""
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
        await _send_confirmation(session, campaign, submission, token)
    elif status == SignatureStatus.CONFIRMED:
        await _send_already_signed(session, campaign, submission)
    elif await _reopen_held_signature(session, this_signature, row, max_emails):
        # Held earlier (perhaps someone else typed this address): a signature made
        # within the limits gets its chance to be confirmed.
        await _record_email_updates_choice(session, campaign, person_id, submission)
        await _send_confirmation(session, campaign, submission, token)
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
            # Held automatically only: one staff marked fraudulent stays so (review.py).
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
    submission: SignatureSubmission,
) -> None:
    await record_consent(
        session,
        person_id=person_id,
        consent_text_id=campaign.consent_text_id,
        language=campaign.language,
        granted=submission.email_updates,
        campaign_id=campaign.id,
        channel=submission.channel,
    )


async def _send_confirmation(
    session: AsyncSession, campaign: SignableCampaign, submission: SignatureSubmission, token: str
) -> None:
    await enqueue_email(
        session,
        EmailKind.SIGNATURE_CONFIRMATION,
        to_address=submission.email,
        to_name=_display_name(submission),
        context=_confirmation_context(campaign, submission, token),
        campaign_id=campaign.id,
        request_id=submission.request_id,
    )


async def _send_already_signed(
    session: AsyncSession, campaign: SignableCampaign, submission: SignatureSubmission
) -> None:
    await enqueue_email(
        session,
        EmailKind.ALREADY_SIGNED,
        to_address=submission.email,
        to_name=_display_name(submission),
        context={
            "given_name": submission.given_name,
            "campaign_title": campaign.title,
            "campaign_slug": campaign.slug,
            "language": campaign.language,
        },
        campaign_id=campaign.id,
        request_id=submission.request_id,
    )


def _confirmation_context(
    campaign: SignableCampaign, submission: SignatureSubmission, token: str
) -> dict[str, str]:
    return {
        "given_name": submission.given_name,
        "campaign_title": campaign.title,
        "campaign_slug": campaign.slug,
        "token": token,
        # The version signed: the email is written in its language.
        "language": campaign.language,
    }


def _display_name(submission: SignatureSubmission) -> str:
    return f"{submission.given_name} {submission.family_name}"
