"""How responsive officials are, from the letter follow-ups' answers: per official of a
campaign and for the campaign as a whole. The one place these figures are counted; the
staff API and the dashboard both read them here."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.followups.models import Answer, FollowupQuestion
from campaign.followups.service import reached_official
from campaign.letters.models import LetterDelivery
from campaign.letters.queries import with_delivery_email
from campaign.targets.models import Official

_SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class Responsiveness:
    """Letters that reached officials, follow-ups answered about them, and replies.
    `answer_rate` is replies over answered follow-ups, None while none is answered;
    `median_days_to_reply` runs from delivery to the "yes", None while there is none."""

    delivered: int
    asked: int
    answered: int
    replied: int
    not_yet: int
    no_reply: int
    answer_rate: float | None
    median_days_to_reply: float | None


@dataclass(frozen=True)
class OfficialResponsiveness:
    official_id: int
    name: str
    title: str
    organisation: str
    figures: Responsiveness


@dataclass(frozen=True)
class CampaignResponsiveness:
    totals: Responsiveness
    officials: list[OfficialResponsiveness]


@dataclass
class _Tally:
    delivered: int = 0
    asked: int = 0
    answered: int = 0
    replied: int = 0
    not_yet: int = 0
    no_reply: int = 0

    def add(self, other: _Tally) -> None:
        for name in ("delivered", "asked", "answered", "replied", "not_yet", "no_reply"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def figures(self, days_to_reply: list[float]) -> Responsiveness:
        return Responsiveness(
            delivered=self.delivered,
            asked=self.asked,
            answered=self.answered,
            replied=self.replied,
            not_yet=self.not_yet,
            no_reply=self.no_reply,
            answer_rate=self.replied / self.answered if self.answered else None,
            median_days_to_reply=statistics.median(days_to_reply) if days_to_reply else None,
        )


def _days(delivered_at: datetime, answered_at: datetime) -> float:
    return (answered_at - delivered_at).total_seconds() / _SECONDS_PER_DAY


async def campaign_responsiveness(
    session: AsyncSession, campaign_id: int
) -> CampaignResponsiveness:
    """Every official of the campaign that a letter reached, by name."""
    tallies: dict[int, _Tally] = defaultdict(_Tally)

    query, email = with_delivery_email(
        select(LetterDelivery.official_id, func.count()).where(
            LetterDelivery.campaign_id == campaign_id
        )
    )
    for official_id, delivered in await session.execute(
        query.where(reached_official(email)).group_by(LetterDelivery.official_id)
    ):
        tallies[official_id].delivered = int(delivered)

    def answered(answer: Answer) -> ColumnElement[int]:
        return func.sum(case((FollowupQuestion.answer == answer.value, 1), else_=0))

    counts = await session.execute(
        select(
            FollowupQuestion.official_id,
            func.count(),
            func.count(FollowupQuestion.answer),
            answered(Answer.YES),
            answered(Answer.NOT_YET),
            answered(Answer.NO),
        )
        .where(FollowupQuestion.campaign_id == campaign_id)
        .group_by(FollowupQuestion.official_id)
    )
    for official_id, asked, answered_count, yes, not_yet, no in counts:
        tally = tallies[official_id]
        tally.asked = int(asked)
        tally.answered = int(answered_count)
        tally.replied, tally.not_yet, tally.no_reply = (
            int(yes or 0),
            int(not_yet or 0),
            int(no or 0),
        )

    days: dict[int, list[float]] = defaultdict(list)
    replies = await session.execute(
        select(
            FollowupQuestion.official_id,
            FollowupQuestion.delivered_at,
            FollowupQuestion.answered_at,
        ).where(
            FollowupQuestion.campaign_id == campaign_id,
            FollowupQuestion.answer == Answer.YES.value,
        )
    )
    for official_id, delivered_at, answered_at in replies:
        if answered_at is not None:
            days[official_id].append(_days(delivered_at, answered_at))

    officials = []
    if tallies:
        rows = await session.execute(
            select(Official.id, Official.name, Official.title, Official.organisation)
            .where(Official.id.in_(list(tallies)))
            .order_by(Official.name, Official.id)
        )
        for official_id, name, title, organisation in rows:
            officials.append(
                OfficialResponsiveness(
                    official_id,
                    name,
                    title,
                    organisation,
                    tallies[official_id].figures(days[official_id]),
                )
            )
    total = _Tally()
    for tally in tallies.values():
        total.add(tally)
    every_reply = [d for official_days in days.values() for d in official_days]
    return CampaignResponsiveness(totals=total.figures(every_reply), officials=officials)
