"""Reading the directory for staff: officials matching a search, a page at a time in name
order, paged by key (the last name and id seen) so that a page deep in a directory of
hundreds of thousands costs what the first one does."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.targets.models import Official
from campaign.targets.schemas import OfficialSearch

PAGE_SIZE = 50
# The order pages follow; the id makes it total, so no official falls between two pages.
_order_key = tuple_(Official.name, Official.id)


@dataclass(frozen=True)
class OfficialsPage:
    officials: list[Official]
    # Where the next and the previous pages start from, when there are such pages.
    next_after: int | None
    previous_before: int | None


def search_conditions(search: OfficialSearch) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if search.name is not None:
        conditions.append(Official.name.icontains(search.name, autoescape=True))
    if search.organisation is not None:
        conditions.append(Official.organisation.icontains(search.organisation, autoescape=True))
    exact = (
        (Official.role, search.role),
        (Official.country, search.country),
        (Official.division_id, search.division_id),
        (Official.active, search.active),
    )
    conditions.extend(column == value for column, value in exact if value is not None)
    return conditions


async def officials_page(
    session: AsyncSession,
    search: OfficialSearch,
    *,
    after: int | None = None,
    before: int | None = None,
    size: int = PAGE_SIZE,
) -> OfficialsPage:
    """The officials matching `search` that come after the official `after` in name
    order (or, given `before`, the page that ends just before that one). A page starting
    from an official that no longer exists is empty."""
    query = select(Official).where(*search_conditions(search))
    if before is not None and after is None:
        return await _page_before(session, query, before, size)
    if after is not None:
        position = await _position_of(session, after)
        if position is None:
            return OfficialsPage([], None, None)
        query = query.where(_order_key > position)
    found = list(await session.scalars(query.order_by(*_order_key).limit(size + 1)))
    officials = found[:size]
    return OfficialsPage(
        officials,
        next_after=officials[-1].id if len(found) > size else None,
        # Coming from an earlier page there is one; from the start there is none.
        previous_before=officials[0].id if after is not None and officials else None,
    )


async def _page_before(
    session: AsyncSession, query: Select[Official], before: int, size: int
) -> OfficialsPage:
    position = await _position_of(session, before)
    if position is None:
        return OfficialsPage([], None, None)
    backwards = query.where(_order_key < position).order_by(
        Official.name.desc(), Official.id.desc()
    )
    found = list(await session.scalars(backwards.limit(size + 1)))
    officials = list(reversed(found[:size]))
    return OfficialsPage(
        officials,
        # The official the page was asked to end before is still there to go on to.
        next_after=officials[-1].id if officials else None,
        previous_before=officials[0].id if len(found) > size else None,
    )


async def _position_of(session: AsyncSession, official_id: int) -> tuple[str, int] | None:
    row = (
        await session.execute(select(Official.name, Official.id).where(Official.id == official_id))
    ).first()
    return (row.name, row.id) if row else None
