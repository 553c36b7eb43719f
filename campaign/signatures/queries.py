"""What staff see of a campaign's supporters: its signatures (or, for a letter campaign,
its letters), searched and paged newest first.

Paging is by keyset, never OFFSET: a page is the rows just older (`before`) or just
newer (`after`) than an id the previous page showed, read from an index in order, so
the 40,000th page costs what the first does. Nothing here counts the matches: a
campaign's totals come from its counts (campaign/metrics), not from COUNT(*) over
millions of rows per page view.

Signatures are read from (campaign_id, id); an exact address through the people's
unique index, then (campaign_id, person_id). The other filters are checked on the rows
as that index hands them over, so their page costs as many rows as it takes to find a
page of matches. Letters are read from (campaign_id, created_at), ordered by
(created_at, id)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, StringConstraints
from sqlalchemy import ColumnElement, Select, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.letters.models import Letter, LetterStatus
from campaign.letters.queries import deliveries_of
from campaign.metrics.rollup import signature_source
from campaign.people.addresses import InvalidEmail, parse_email
from campaign.people.models import Person
from campaign.signatures.models import Signature, SignatureStatus, SignatureSubmission
from campaign.staff.models import StaffUser
from campaign.tags.models import Tag, Tagging
from campaign.tags.service import normalise_tag_name
from campaign.types import CountryCode

PAGE_SIZE = 50

# Ends an email search that is the start of an address, not a whole one.
PREFIX_MARK = "*"


def _blank_is_none(value: object) -> object:
    if isinstance(value, str):
        return value.strip() or None
    return value


# A search field left empty is no filter.
_EMPTY_IS_NONE = BeforeValidator(_blank_is_none)
_Address = Annotated[Annotated[str, StringConstraints(max_length=320)] | None, _EMPTY_IS_NONE]
_Words = Annotated[Annotated[str, StringConstraints(max_length=200)] | None, _EMPTY_IS_NONE]


class SupporterSearch(BaseModel):
    """What staff search any supporter by; every field may be left empty."""

    model_config = ConfigDict(extra="ignore")

    email: _Address = None
    name: _Words = None
    country: Annotated[CountryCode | None, _EMPTY_IS_NONE] = None
    # People with this tag (any case or spacing).
    tag: _Words = None


class SignatureSearch(SupporterSearch):
    status: Annotated[SignatureStatus | None, _EMPTY_IS_NONE] = None
    # As the metrics name sources: the UTM source, else the referring host, else direct.
    source: _Words = None


class LetterSearch(SupporterSearch):
    status: Annotated[LetterStatus | None, _EMPTY_IS_NONE] = None


@dataclass(frozen=True)
class Keyset:
    """Where a page starts: just older than `before`, just newer than `after`, or (with
    neither) the newest rows."""

    before: int | None = None
    after: int | None = None


Line = TypeVar("Line")


@dataclass(frozen=True)
class SupporterPage(Generic[Line]):
    lines: list[Line]
    # The keysets of the neighbouring pages, None where there is none.
    newer: Keyset | None
    older: Keyset | None


@dataclass(frozen=True)
class SignatureLine:
    id: int
    given_name: str
    family_name: str
    email: str
    status: str
    country: str
    source: str  # as the metrics count it: UTM source, else referring host, else direct
    utm_medium: str | None
    utm_campaign: str | None
    referrer: str | None
    comment: str | None
    created_at: datetime
    confirmed_at: datetime | None
    status_before_review: str | None
    review_reason: str | None


@dataclass(frozen=True)
class SignatureDetail:
    line: SignatureLine
    channel: str
    postcode: str | None
    email_updates: bool
    reviewed_at: datetime | None
    reviewer_name: str | None
    person_id: int
    # Yes to giving their name to their representative (campaign/reports).
    name_may_be_given: bool = False


@dataclass(frozen=True)
class LetterLine:
    id: int
    given_name: str
    family_name: str
    email: str
    status: str
    country: str
    personalised: bool
    created_at: datetime
    confirmed_at: datetime | None
    officials: list[str]


def _signature_columns(session: AsyncSession) -> tuple[Any, ...]:
    return (
        Signature.id,
        Signature.given_name,
        Signature.family_name,
        Signature.email,
        Signature.status,
        Signature.country,
        signature_source(session),
        Signature.utm_medium,
        Signature.utm_campaign,
        Signature.referrer,
        Signature.comment,
        Signature.created_at,
        Signature.confirmed_at,
        Signature.status_before_review,
        Signature.review_reason,
    )


async def signature_page(
    session: AsyncSession,
    campaign_id: int,
    search: SignatureSearch,
    keyset: Keyset,
    *,
    size: int = PAGE_SIZE,
) -> SupporterPage[SignatureLine]:
    campaign = Signature.campaign_id == campaign_id
    where = [campaign, *_person_filters(Signature, search)]
    if search.status is not None:
        where.append(Signature.status == search.status)
    if search.source is not None:
        where.append(signature_source(session) == search.source)
    query = select(*_signature_columns(session)).where(*where)
    order = (Signature.id,)
    rows, newer, older = await _keyset_page(session, query, campaign, order, keyset, size)
    return SupporterPage([SignatureLine(*row) for row in rows], newer, older)


async def signature_detail(
    session: AsyncSession, campaign_id: int, signature_id: int
) -> SignatureDetail | None:
    """One signature as its review page shows it, with the name of who marked it."""
    row = (
        await session.execute(
            select(
                *_signature_columns(session),
                Signature.channel,
                Signature.postcode,
                Signature.email_updates,
                Signature.reviewed_at,
                StaffUser.name,
                Signature.person_id,
                Signature.name_may_be_given,
            )
            .outerjoin(StaffUser, StaffUser.id == Signature.reviewed_by)
            .where(Signature.id == signature_id, Signature.campaign_id == campaign_id)
        )
    ).one_or_none()
    if row is None:
        return None
    *line, channel, postcode, email_updates, reviewed_at, reviewer, person_id, named = row
    return SignatureDetail(
        SignatureLine(*line),
        channel,
        postcode,
        email_updates,
        reviewed_at,
        reviewer,
        person_id,
        named,
    )


async def letter_page(
    session: AsyncSession,
    campaign_id: int,
    search: LetterSearch,
    keyset: Keyset,
    *,
    size: int = PAGE_SIZE,
) -> SupporterPage[LetterLine]:
    campaign = Letter.campaign_id == campaign_id
    where = [campaign, *_person_filters(Letter, search)]
    if search.status is not None:
        where.append(Letter.status == search.status)
    query = select(
        Letter.id,
        Letter.given_name,
        Letter.family_name,
        Letter.email,
        Letter.status,
        Letter.country,
        Letter.personalised,
        Letter.created_at,
        Letter.confirmed_at,
    ).where(*where)
    # Letters are indexed by (campaign_id, created_at): the cursor's time is looked up.
    order = (Letter.created_at, Letter.id)
    rows, newer, older = await _keyset_page(session, query, campaign, order, keyset, size)
    deliveries = await deliveries_of(session, [row.id for row in rows])
    lines = [
        LetterLine(
            **row._asdict(),
            officials=[delivery.official_name for delivery in deliveries.get(row.id, [])],
        )
        for row in rows
    ]
    return SupporterPage(lines, newer, older)


def _person_filters(model: Any, search: SupporterSearch) -> list[ColumnElement[bool]]:
    """Filters on who the supporter is: their address and name, and their country."""
    where: list[ColumnElement[bool]] = []
    if search.email is not None:
        where.append(_email_matches(model, search.email))
    if search.name is not None:
        full_name = model.given_name + " " + model.family_name
        where.append(full_name.icontains(search.name, autoescape=True))
    if search.country is not None:
        where.append(model.country == search.country)
    if search.tag is not None:
        tagged = (
            select(Tagging.person_id)
            .join(Tag, Tag.id == Tagging.tag_id)
            .where(Tag.name_normalised == normalise_tag_name(search.tag))
        )
        where.append(model.person_id.in_(tagged))
    return where


def _email_matches(model: Any, typed: str) -> ColumnElement[bool]:
    """A whole address finds the supporter however they spelt it (the person's
    normalised address, through its unique index); the start of one, or anything
    ending in *, finds the addresses that begin so, in any case."""
    if not typed.endswith(PREFIX_MARK):
        try:
            address = parse_email(typed)
        except InvalidEmail:
            pass
        else:
            person = select(Person.id).where(Person.email_normalised == address.normalised)
            return model.person_id == person.scalar_subquery()
    prefix = typed.removesuffix(PREFIX_MARK).lower()
    return func.lower(model.email).startswith(prefix, autoescape=True)


async def _keyset_page(
    session: AsyncSession,
    query: Select[*tuple[Any, ...]],
    campaign: ColumnElement[bool],
    order: Sequence[Any],
    keyset: Keyset,
    size: int,
) -> tuple[list[Any], Keyset | None, Keyset | None]:
    """One page of `query` (the rows of `campaign` that match the search), newest first
    by the `order` columns (the last of them the row's id, which keysets name), and the
    keysets of the pages either side of it."""
    newer_side = keyset.after is not None
    cursor_id = keyset.after if newer_side else keyset.before
    if cursor_id is not None:
        boundary = await _boundary(session, campaign, order, cursor_id, newer=newer_side)
        if boundary is None:
            return [], None, None  # no such row in this campaign: no page around it
        query = query.where(boundary)
    ordered = [column.asc() if newer_side else column.desc() for column in order]
    # A row more than a page tells whether there is a further page in that direction.
    rows = list(await session.execute(query.order_by(*ordered).limit(size + 1)))
    further = len(rows) > size
    rows = rows[:size]
    if not rows:
        return [], None, None
    if newer_side:
        rows.reverse()
    newest, oldest = rows[0].id, rows[-1].id
    if newer_side:
        # Came from an older page, so there is one; newer ones only if rows were left.
        return rows, Keyset(after=newest) if further else None, Keyset(before=oldest)
    newer = Keyset(after=newest) if cursor_id is not None else None
    return rows, newer, Keyset(before=oldest) if further else None


async def _boundary(
    session: AsyncSession,
    campaign: ColumnElement[bool],
    order: Sequence[Any],
    cursor_id: int,
    *,
    newer: bool,
) -> ColumnElement[bool] | None:
    """Rows newer (or older) than the row `cursor_id`, in the `order` of the page."""
    row_id = order[-1]
    if len(order) == 1:
        return row_id > cursor_id if newer else row_id < cursor_id
    # The cursor's other ordering values, from its row (which may no longer match the
    # search: a status changed since the last page was read).
    found = (
        await session.execute(select(*order[:-1]).where(campaign, row_id == cursor_id))
    ).one_or_none()
    if found is None:
        return None
    position, cursor = tuple_(*order), tuple_(*found, cursor_id)
    return position > cursor if newer else position < cursor


async def waiting_submissions(session: AsyncSession) -> tuple[int, datetime | None]:
    """Signing requests the worker has not resolved yet, and when the oldest was made:
    a worker that is down or behind shows here before its emails reach the outbox."""
    count = await session.scalar(select(func.count()).select_from(SignatureSubmission))
    oldest = await session.scalar(
        select(SignatureSubmission.created_at).order_by(SignatureSubmission.id).limit(1)
    )
    return int(count or 0), oldest
