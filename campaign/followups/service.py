"""Asking activists, some days after their letter reached each official, whether the
official replied; and recording the answers they give by the email's signed links."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import ColumnElement, and_, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.campaigns.models import Campaign
from campaign.config import Settings
from campaign.db import insert_for, transaction
from campaign.errors import NotFound
from campaign.followups.models import Answer, FollowupOutcome, FollowupQuestion, LetterFollowup
from campaign.i18n import gettext_noop as _
from campaign.inbox.models import EmailEvent
from campaign.letters.models import Letter, LetterDelivery, LetterDigest, LetterStatus
from campaign.letters.queries import DeliveryEmail, with_delivery_email
from campaign.outbox.models import EmailKind, OutboxStatus, ProviderStatus, Suppression
from campaign.outbox.service import enqueue_email
from campaign.people.addresses import normalise_email
from campaign.targets.models import Official

_SALT = "letter-followup"
_INVALID = _("this link is not valid: it may have been copied only in part")

# What the provider may have said of an email that we count as having reached the
# official: nothing further ("queued" stays until an event comes), processed, delivered.
# Deferred, bounced and dropped have not (yet) reached anyone.
_REACHED = (ProviderStatus.QUEUED, ProviderStatus.SENT, ProviderStatus.DELIVERED)


# -- Links ----------------------------------------------------------------------------------


def answer_token(delivery_id: int, answer: Answer, secret: str) -> str:
    """A link's token: the letter's delivery to one official and one answer, signed, so
    the link works without login and nothing per link is stored."""
    return URLSafeSerializer(secret, salt=_SALT).dumps([delivery_id, answer.value])


def answer_url(delivery_id: int, answer: Answer, public_url: str, secret: str) -> str:
    return f"{public_url}/letters/followup/{answer_token(delivery_id, answer, secret)}"


def answer_links(delivery_id: int, public_url: str, secret: str) -> dict[str, str]:
    """The three links one official's question in the email carries."""
    return {
        f"{answer.value}_url": answer_url(delivery_id, answer, public_url, secret)
        for answer in Answer
    }


@dataclass(frozen=True)
class AnswerLink:
    delivery_id: int
    answer: Answer


def link_of(token: str, secret: str) -> AnswerLink:
    try:
        payload = URLSafeSerializer(secret, salt=_SALT).loads(token)
    except BadSignature as error:
        raise NotFound(_INVALID, field="token") from error
    match payload:
        case [int(delivery_id), str(answer)] if 0 < delivery_id < 2**63 and answer in set(Answer):
            return AnswerLink(delivery_id, Answer(answer))
    raise NotFound(_INVALID, field="token")


# -- Answering ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    """What an answer page shows: the official asked about, the answer the link gives,
    and the answer recorded so far (None if none)."""

    official_name: str
    official_title: str
    campaign_title: str
    answer: Answer
    recorded: Answer | None
    # The campaign's language: the answer page speaks it.
    campaign_language: str = "en"


async def question_of(session: AsyncSession, token: str, secret: str) -> Question:
    """The question a link answers. A link whose letter was never asked about (a forged
    or a made-up one that somehow verifies) is not found, as a bad signature is."""
    link = link_of(token, secret)
    row = (
        await session.execute(
            select(
                FollowupQuestion.answer,
                Official.name,
                Official.title,
                Campaign.title,
                Campaign.language,
            )
            .join(Official, Official.id == FollowupQuestion.official_id)
            .join(Campaign, Campaign.id == FollowupQuestion.campaign_id)
            .where(FollowupQuestion.delivery_id == link.delivery_id)
        )
    ).one_or_none()
    if row is None:
        raise NotFound(_INVALID, field="token")
    recorded, name, title, campaign_title, language = row
    return Question(
        name, title, campaign_title, link.answer, Answer(recorded) if recorded else None, language
    )


async def record_answer(
    session: AsyncSession, token: str, secret: str, *, now: datetime
) -> Question:
    """Record the link's answer; a later answer replaces an earlier one ("not yet", then
    "yes"). The same answer again changes nothing, so a reply is dated by the first
    "yes"."""
    link = link_of(token, secret)
    question = await session.get(FollowupQuestion, link.delivery_id, with_for_update=True)
    if question is None:
        raise NotFound(_INVALID, field="token")
    if question.answer != link.answer:
        question.answer = link.answer
        question.answered_at = now
        await session.flush()
    return await question_of(session, token, secret)


async def answers_of_letter(session: AsyncSession, letter_id: int) -> dict[int, Answer]:
    """A letter's answers so far, by official id: what its activist's own page shows."""
    rows = await session.execute(
        select(FollowupQuestion.official_id, FollowupQuestion.answer).where(
            FollowupQuestion.letter_id == letter_id, FollowupQuestion.answer.is_not(None)
        )
    )
    return {official_id: Answer(answer) for official_id, answer in rows if answer}


# -- Sending the follow-ups -----------------------------------------------------------------


def _delivered_at(email: DeliveryEmail) -> ColumnElement[datetime | None]:
    """When a delivery reached its official: the provider's first delivered event for its
    email (its own, or its digest's), else the time we handed it over."""
    email_id = func.coalesce(LetterDelivery.outbox_message_id, LetterDigest.outbox_message_id)
    delivered_event = (
        select(func.min(EmailEvent.occurred_at))
        .where(EmailEvent.outbox_message_id == email_id, EmailEvent.event == "delivered")
        .correlate_except(EmailEvent)
        .scalar_subquery()
    )
    return func.coalesce(delivered_event, email.sent_at)


def reached_official(email: DeliveryEmail) -> ColumnElement[bool]:
    return and_(email.status == OutboxStatus.SENT, email.provider_status.in_(_REACHED))


async def send_due_followups(
    session: AsyncSession,
    *,
    now: datetime,
    after: timedelta,
    limit: int,
) -> int:
    """Write the follow-up of up to `limit` letters that are due: a letter is due once
    one of its deliveries reached its official `after` ago or more, and it has had no
    follow-up. The email asks about each official reached by then. Returns how many
    letters it took (sent or suppressed), so the caller runs it again while it returns
    `limit`: a backlog goes in bounded transactions. Safe with several workers: the
    follow-up row, whose key is the letter's, is written before the email, and a letter
    another worker has written meanwhile is skipped.

    Only letters not yet followed up are read (`Letter.followed_up_at`, and the partial
    index over the letters without it), so a pass costs the letters still waiting,
    however many were followed up before."""
    cutoff = now - after
    query, email = with_delivery_email(
        select(Letter.id).join(LetterDelivery, LetterDelivery.letter_id == Letter.id)
    )
    delivered_at = _delivered_at(email)
    due = await session.scalars(
        query.where(
            Letter.status == LetterStatus.CONFIRMED,
            Letter.followed_up_at.is_(None),
            reached_official(email),
            delivered_at <= cutoff,
        )
        .group_by(Letter.id)
        .order_by(Letter.id)
        .limit(limit)
    )
    letter_ids = list(due)
    if not letter_ids:
        return 0
    asked = await _deliveries_to_ask_about(session, letter_ids, cutoff)
    letters = {
        letter.id: letter
        for letter in await session.scalars(select(Letter).where(Letter.id.in_(letter_ids)))
    }
    suppressed = await _suppressed(session, [letter.email for letter in letters.values()])
    campaigns: dict[int, tuple[str, str]] = {
        campaign_id: (title, language)
        for campaign_id, title, language in await session.execute(
            select(Campaign.id, Campaign.title, Campaign.language).where(
                Campaign.id.in_({letter.campaign_id for letter in letters.values()})
            )
        )
    }
    outcomes = {
        letter_id: FollowupOutcome.SUPPRESSED
        if normalise_email(letters[letter_id].email) in suppressed
        else FollowupOutcome.SENT
        for letter_id in letter_ids
    }
    claimed = await _claim(session, [letters[i] for i in letter_ids], outcomes, now)
    to_ask = [i for i in letter_ids if i in claimed and outcomes[i] == FollowupOutcome.SENT]
    if to_ask:
        await session.execute(
            insert(FollowupQuestion),
            [
                {
                    "delivery_id": item.delivery_id,
                    "letter_id": letter_id,
                    "campaign_id": letters[letter_id].campaign_id,
                    "official_id": item.official_id,
                    "delivered_at": item.delivered_at,
                }
                for letter_id in to_ask
                for item in asked[letter_id]
            ],
        )
        emails = [
            {
                "letter_id": letter_id,
                "outbox_message_id": await _ask(
                    session,
                    letters[letter_id],
                    *campaigns[letters[letter_id].campaign_id],
                    asked[letter_id],
                ),
            }
            for letter_id in to_ask
        ]
        await session.execute(update(LetterFollowup), emails)
    return len(letter_ids)


@dataclass(frozen=True)
class _Asked:
    delivery_id: int
    official_id: int
    official_name: str
    official_title: str
    delivered_at: datetime


async def _deliveries_to_ask_about(
    session: AsyncSession, letter_ids: list[int], cutoff: datetime
) -> dict[int, list[_Asked]]:
    query, email = with_delivery_email(
        select(
            LetterDelivery.letter_id,
            LetterDelivery.id,
            Official.id,
            Official.name,
            Official.title,
        ).join(Official, Official.id == LetterDelivery.official_id)
    )
    delivered_at = _delivered_at(email)
    rows = await session.execute(
        query.add_columns(delivered_at)
        .where(
            LetterDelivery.letter_id.in_(letter_ids),
            reached_official(email),
            delivered_at <= cutoff,
        )
        .order_by(LetterDelivery.letter_id, LetterDelivery.id)
    )
    asked: dict[int, list[_Asked]] = defaultdict(list)
    for letter_id, delivery_id, official_id, name, title, at in rows:
        asked[letter_id].append(_Asked(delivery_id, official_id, name, title, at))
    return asked


async def _suppressed(session: AsyncSession, addresses: list[str]) -> set[str]:
    """The addresses, normalised, that bounced hard, complained or unsubscribed. (One
    erased and come back is suppressed by its keyed hash only; the worker holds its
    follow-up as it holds any other email but a transactional one.)"""
    found = await session.scalars(
        select(Suppression.email_normalised).where(
            Suppression.email_normalised.in_({normalise_email(a) for a in addresses})
        )
    )
    return {address for address in found if address is not None}


async def _claim(
    session: AsyncSession,
    letters: list[Letter],
    outcomes: dict[int, FollowupOutcome],
    now: datetime,
) -> set[int]:
    """Write the letters' follow-up rows, in letter id order, and mark the letters
    followed up; returns the ids written. A letter that has one already (another
    worker's, committed or about to be: PostgreSQL makes this insert wait for it) is
    left out: that worker marks it."""
    claimed = await session.scalars(
        insert_for(session, LetterFollowup.__table__)
        .values(
            [
                {
                    "letter_id": letter.id,
                    "campaign_id": letter.campaign_id,
                    "outcome": outcomes[letter.id].value,
                    "created_at": now,
                }
                for letter in letters
            ]
        )
        .on_conflict_do_nothing(index_elements=["letter_id"])
        .returning(LetterFollowup.letter_id)
    )
    written = set(claimed)
    if written:
        # The letter itself is unchanged for those who sync it (OSDI): modified_at stays.
        await session.execute(
            update(Letter)
            .where(Letter.id.in_(sorted(written)))
            .values(followed_up_at=now, modified_at=Letter.modified_at),
            execution_options={"synchronize_session": False},
        )
    return written


async def _ask(
    session: AsyncSession,
    letter: Letter,
    campaign_title: str,
    language: str,
    asked: list[_Asked],
) -> int:
    """Queue the follow-up email; returns its outbox id."""
    # The links are made when the email is written (emails/render.py), from the delivery
    # ids: no link that answers for the activist is kept in the outbox.
    context: dict[str, Any] = {
        "given_name": letter.given_name,
        "campaign_title": campaign_title,
        "asked_about": [
            {
                "delivery_id": item.delivery_id,
                "name": item.official_name,
                "title": item.official_title,
                # A date, written for the language when the email is.
                "delivered_on": item.delivered_at.date().isoformat(),
            }
            for item in asked
        ],
        "language": language,
    }
    return await enqueue_email(
        session,
        EmailKind.LETTER_FOLLOWUP,
        to_address=letter.email,
        to_name=f"{letter.given_name} {letter.family_name}",
        context=context,
        campaign_id=letter.campaign_id,
    )


async def follow_up_due_letters(
    session_factory: async_sessionmaker[AsyncSession], settings: Settings, *, now: datetime
) -> int:
    """Every due letter's follow-up, a batch per transaction until none is left (the
    worker's housekeeping calls this). Returns how many letters it took."""
    after = timedelta(days=settings.letter_followup_days)
    size = settings.letter_followup_batch_size
    taken = 0
    while True:
        async with transaction(session_factory) as session:
            batch = await send_due_followups(session, now=now, after=after, limit=size)
        taken += batch
        if batch < size:
            return taken
