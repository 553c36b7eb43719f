"""Numbered pages, read by key, and the OData date filters Action Network accepts.

A listing is a set of rows (a petition's signatures, say) and an order: by id, or, when
filtered by a date, by that date and then id. Page N is read as "the next `per_page`
rows after where page N-1 ended", from a mark left when page N-1 was served
(models.PageMark). A page asked for out of order, with no mark, is found from the
nearest mark before it by skipping rows, which is what an OFFSET costs; sync tools walk
in order and never pay it. Rows added during a walk sort after it (ids only grow), so a
mark never points into the middle of what a client has yet to read."""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, delete, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.db import insert_for, utcnow
from campaign.errors import BadRequest
from campaign.osdi.models import PageMark

# Action Network's cap: a larger per_page is served as this, not refused.
MAX_PER_PAGE = 25
# Marks outlive any one sync by far; the worker forgets older ones.
MARK_LIFETIME = timedelta(days=2)
# How long a listing's total is reused before it is counted again: totals are a
# COUNT over the whole listing, which would otherwise be paid on every page.
TOTAL_CACHE_SECONDS = 30.0
_TOTALS_KEPT = 1000

FilterField = Literal["modified_date", "created_date"]
_CLAUSE = re.compile(
    r"^\s*(modified_date|created_date)\s+(gt|lt|eq)\s+'([0-9T:.+\-Z ]{10,35})'\s*$"
)


@dataclass(frozen=True)
class DateFilter:
    field: FilterField
    op: Literal["gt", "lt", "eq"]
    start: datetime
    # For `eq` on a date without a time: the whole day, [start, end).
    end: datetime | None = None


def parse_filter(text: str | None) -> list[DateFilter]:
    """`modified_date gt '2026-01-01'`, and clauses like it joined by `and`, on
    modified_date or created_date with gt, lt or eq; anything else is refused."""
    if text is None or not text.strip():
        return []
    clauses = re.split(r"\s+and\s+", text.strip(), flags=re.IGNORECASE)
    filters = [_parse_clause(clause) for clause in clauses]
    if len({f.field for f in filters}) > 1:
        raise BadRequest("filter on one date field at a time", field="filter")
    return filters


def _parse_clause(clause: str) -> DateFilter:
    match = _CLAUSE.match(clause)
    if match is None:
        raise BadRequest(
            "the filter must be like modified_date gt '2026-01-01' (modified_date or "
            "created_date; gt, lt or eq; clauses joined by 'and')",
            field="filter",
        )
    name, op, value = match.groups()
    field_name: FilterField = "modified_date" if name == "modified_date" else "created_date"
    operator: Literal["gt", "lt", "eq"] = op  # type: ignore[assignment]
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            end = start + timedelta(days=1) if operator == "eq" else None
            return DateFilter(field_name, operator, start, end)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"{value!r} is not a date", field="filter") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return DateFilter(field_name, operator, moment.astimezone(UTC))


def filter_key(filters: list[DateFilter]) -> str:
    return ";".join(f"{f.field} {f.op} {f.start.isoformat()} {f.end}" for f in filters)


@dataclass
class Listing:
    """What a page is cut from: a name (its path: part of the marks' key), the model,
    the conditions that make it this listing, and its two date columns."""

    name: str
    model: Any
    where: list[ColumnElement[bool]] = field(default_factory=list)
    modified: Any = None
    created: Any = None


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    page: int
    per_page: int
    total_records: int

    @property
    def total_pages(self) -> int:
        return max(1, -(-self.total_records // self.per_page))


_totals: dict[str, tuple[float, int]] = {}


async def read_page(
    session: AsyncSession,
    listing: Listing,
    filters: list[DateFilter],
    page: int,
    per_page: int,
) -> Page:
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    model = listing.model
    conditions = [*listing.where, *_filter_conditions(listing, filters)]
    sort = _sort_columns(listing, filters)
    key = hashlib.sha256(f"{listing.name}?{filter_key(filters)}".encode()).hexdigest()

    query = select(model).where(*conditions).order_by(*sort).limit(per_page)
    skip = 0
    if page > 1:
        mark = await _nearest_mark(session, key, per_page, page)
        if mark is None:
            skip = (page - 1) * per_page
        else:
            query = query.where(_after(sort, mark))
            skip = (page - mark.page) * per_page
    if skip:
        query = query.offset(skip)
    rows = list(await session.scalars(query))
    if len(rows) == per_page:
        await _remember_mark(session, key, per_page, page + 1, sort, rows[-1])
    total = await _total(session, key, model, conditions, fresh=page == 1)
    return Page(rows=rows, page=page, per_page=per_page, total_records=total)


def _filter_conditions(listing: Listing, filters: list[DateFilter]) -> list[ColumnElement[bool]]:
    conditions = []
    for item in filters:
        column = listing.modified if item.field == "modified_date" else listing.created
        if item.op == "gt":
            conditions.append(column > item.start)
        elif item.op == "lt":
            conditions.append(column < item.start)
        elif item.end is not None:
            conditions.append(and_(column >= item.start, column < item.end))
        else:
            conditions.append(column == item.start)
    return conditions


def _sort_columns(listing: Listing, filters: list[DateFilter]) -> list[Any]:
    if not filters:
        return [listing.model.id]
    column = listing.modified if filters[0].field == "modified_date" else listing.created
    return [column, listing.model.id]


def _after(sort: list[Any], mark: PageMark) -> ColumnElement[bool]:
    if len(sort) == 1:
        return sort[0] > mark.after_id
    return tuple_(*sort) > tuple_(mark.after_time, mark.after_id)


async def _nearest_mark(
    session: AsyncSession, key: str, per_page: int, page: int
) -> PageMark | None:
    mark: PageMark | None = await session.scalar(
        select(PageMark)
        .where(PageMark.listing == key, PageMark.per_page == per_page, PageMark.page <= page)
        .order_by(PageMark.page.desc())
        .limit(1)
    )
    return mark


async def _remember_mark(
    session: AsyncSession, key: str, per_page: int, page: int, sort: list[Any], last: Any
) -> None:
    after_time = getattr(last, sort[0].key) if len(sort) == 2 else None
    values = {"after_time": after_time, "after_id": last.id, "created_at": utcnow()}
    await session.execute(
        insert_for(session, PageMark.__table__)
        .values(listing=key, per_page=per_page, page=page, **values)
        .on_conflict_do_update(index_elements=["listing", "per_page", "page"], set_=values)
    )


async def _total(
    session: AsyncSession,
    key: str,
    model: Any,
    conditions: list[ColumnElement[bool]],
    *,
    fresh: bool,
) -> int:
    """The listing's size: counted for a first page, and reused for the pages after it
    for TOTAL_CACHE_SECONDS (a walk's total is the one it started with)."""
    cached = _totals.get(key)
    now = time.monotonic()
    if not fresh and cached is not None and now - cached[0] < TOTAL_CACHE_SECONDS:
        return cached[1]
    counted = await session.scalar(select(func.count()).select_from(model).where(*conditions))
    total = int(counted or 0)
    if len(_totals) >= _TOTALS_KEPT:
        _totals.clear()
    _totals[key] = (now, total)
    return total


async def forget_old_marks(session: AsyncSession) -> int:
    result = await session.execute(
        delete(PageMark).where(PageMark.created_at < utcnow() - MARK_LIFETIME)
    )
    return int(getattr(result, "rowcount", 0) or 0)
