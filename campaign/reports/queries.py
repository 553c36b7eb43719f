"""Which officials represent a petition's signers, and what each would be told: the
confirmed signers whose postcode the directory places in the official's division, per
week, and the names of those who agreed to be named. Counted in SQL; only the weeks are
folded in Python (a few per petition).

A signer is matched by the postcode they typed, normalised when they signed by the
function that normalises the directory's postcodes and the letter lookups'
(campaign.targets.service.normalise_postcode), in the country they gave, to every
division that postcode is in; each of those divisions' active officials is told of them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.campaigns.models import Campaign
from campaign.signatures.models import Signature, SignatureStatus
from campaign.targets.models import Official, PostcodeDivision


@dataclass(frozen=True)
class WeekCount:
    starts: date  # a Monday
    signers: int


@dataclass(frozen=True)
class OfficialTally:
    """What one official would be told."""

    official: Official
    signers: int
    weeks: list[WeekCount]
    # "Given Family" of the signers who agreed to be named, by family name.
    names: list[str] = field(default_factory=list)

    @property
    def named(self) -> int:
        return len(self.names)


@dataclass(frozen=True)
class ReportOutlook:
    """Who would be told what, and how the petition's signers came to be counted."""

    confirmed: int  # the petition's confirmed signers
    matched: int  # of them, those whose postcode is in some official's division
    tallies: list[OfficialTally]

    @property
    def officials(self) -> int:
        return len(self.tallies)

    def tally_of(self, official_id: int) -> OfficialTally | None:
        return next((t for t in self.tallies if t.official.id == official_id), None)

    def divisions(self) -> list[tuple[str, list[OfficialTally]]]:
        """The tallies by division, in division order: each division's officials are
        told of the same signers."""
        by_division: dict[str, list[OfficialTally]] = defaultdict(list)
        for tally in self.tallies:
            by_division[tally.official.division_id or ""].append(tally)
        return sorted(by_division.items())


def _matched(campaign_id: int) -> Select[Any]:
    """Confirmed signatures joined to the officials of their postcode's divisions."""
    return (
        select()
        .select_from(Signature)
        .join(
            PostcodeDivision,
            and_(
                PostcodeDivision.country == Signature.country,
                PostcodeDivision.postcode == Signature.postcode_normalised,
            ),
        )
        .join(
            Official,
            and_(
                Official.division_id == PostcodeDivision.division_id,
                Official.country == Signature.country,
                Official.active.is_(True),
            ),
        )
        .where(
            Signature.campaign_id == campaign_id,
            Signature.status == SignatureStatus.CONFIRMED,
            Signature.postcode_normalised.is_not(None),
        )
    )


def _confirmed_day(session: AsyncSession) -> Any:
    """The UTC day a signature was confirmed, as YYYY-MM-DD."""
    moment: Any = func.coalesce(Signature.confirmed_at, Signature.created_at)
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", moment), "YYYY-MM-DD")
    return func.strftime("%Y-%m-%d", moment)


async def report_outlook(session: AsyncSession, campaign: Campaign) -> ReportOutlook:
    day = _confirmed_day(session)
    per_day = await session.execute(
        _matched(campaign.id)
        .add_columns(Official.id, day, func.count(Signature.id))
        .group_by(Official.id, day)
    )
    days: dict[int, dict[date, int]] = defaultdict(dict)
    for official_id, day_text, count in per_day.all():
        days[int(official_id)][date.fromisoformat(str(day_text))] = int(count)
    names: dict[int, list[str]] = defaultdict(list)
    if campaign.ask_signers_to_be_named:
        named = await session.execute(
            _matched(campaign.id)
            .add_columns(Official.id, Signature.given_name, Signature.family_name)
            .where(Signature.name_may_be_given.is_(True))
            .order_by(Official.id, Signature.family_name, Signature.given_name, Signature.id)
        )
        for official_id, given, family in named.all():
            names[int(official_id)].append(f"{given} {family}".strip())
    officials: list[Official] = list(
        await session.scalars(
            select(Official).where(Official.id.in_(list(days))).order_by(Official.name, Official.id)
        )
        if days
        else []
    )
    tallies = [
        OfficialTally(
            official=official,
            signers=sum(days[official.id].values()),
            weeks=_weeks(days[official.id]),
            names=names.get(official.id, []),
        )
        for official in officials
    ]
    matched = await session.scalar(
        _matched(campaign.id).add_columns(func.count(func.distinct(Signature.id)))
    )
    confirmed = await session.scalar(
        select(func.count())
        .select_from(Signature)
        .where(Signature.campaign_id == campaign.id, Signature.status == SignatureStatus.CONFIRMED)
    )
    return ReportOutlook(confirmed=int(confirmed or 0), matched=int(matched or 0), tallies=tallies)


def _weeks(days: dict[date, int]) -> list[WeekCount]:
    """Counts per week (Monday to Sunday), from the first week with a signer to the last,
    the weeks between with none shown as none."""
    if not days:
        return []
    totals: dict[date, int] = defaultdict(int)
    for day, count in days.items():
        totals[day - timedelta(days=day.weekday())] += count
    week, last = min(totals), max(totals)
    weeks = []
    while week <= last:
        weeks.append(WeekCount(starts=week, signers=totals.get(week, 0)))
        week += timedelta(weeks=1)
    return weeks
