"""Pages of the directory read by key: forwards and back, through runs of officials of
the same name, every official on exactly one page."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.db import transaction
from campaign.targets.models import Official
from campaign.targets.queries import OfficialsPage, officials_page
from campaign.targets.schemas import OfficialSearch

Factory = async_sessionmaker[AsyncSession]
# Four names, the second held by five officials: a page boundary falls inside the run.
NAMES = ["Ada Quill", *["Ben Rook"] * 5, "Cai Moor", "Dee Fenn"]


async def _add(factory: Factory) -> list[int]:
    async with transaction(factory) as session:
        officials = [
            Official(
                external_id=f"q-{number}",
                name=name,
                title="Member",
                role="legislator",
                organisation="Assembly of Westland",
                email=f"m{number}@assembly.example",
                country="GB" if number != 3 else "FR",
                active=True,
            )
            # Added out of order, so the ids do not follow the names.
            for number, name in reversed(list(enumerate(NAMES)))
        ]
        session.add_all(officials)
        await session.flush()
        ordered = sorted(officials, key=lambda official: (official.name, official.id))
        return [official.id for official in ordered]


def _ids(page: OfficialsPage) -> list[int]:
    return [official.id for official in page.officials]


async def test_pages_forwards_and_back_hold_each_official_once(
    session_factory: Factory,
) -> None:
    in_order = await _add(session_factory)
    everyone = OfficialSearch()
    async with session_factory() as session:
        pages = [await officials_page(session, everyone, size=3)]
        while pages[-1].next_after is not None:
            pages.append(
                await officials_page(session, everyone, after=pages[-1].next_after, size=3)
            )
        assert [_ids(page) for page in pages] == [in_order[0:3], in_order[3:6], in_order[6:]]
        assert pages[0].previous_before is None
        assert pages[-1].previous_before == in_order[6]

        back = await officials_page(session, everyone, before=pages[-1].previous_before, size=3)
        assert _ids(back) == in_order[3:6]
        assert back.next_after == in_order[5]
        first = await officials_page(session, everyone, before=back.previous_before, size=3)
        assert _ids(first) == in_order[0:3]
        assert first.previous_before is None


async def test_a_search_pages_only_what_it_matches(session_factory: Factory) -> None:
    in_order = await _add(session_factory)
    async with session_factory() as session:
        page = await officials_page(session, OfficialSearch(name="rook", country="GB"), size=2)
        ben_rooks = in_order[1:6]
        found = _ids(page)
        while page.next_after is not None:
            page = await officials_page(
                session, OfficialSearch(name="rook", country="GB"), after=page.next_after, size=2
            )
            found += _ids(page)
        # Official 3 is a Ben Rook in France.
        assert len(found) == 4
        assert set(found) < set(ben_rooks)
        # A wildcard typed is a character searched for, not a pattern.
        assert _ids(await officials_page(session, OfficialSearch(name="_"))) == []


async def test_a_page_from_an_official_that_is_not_there_is_empty(
    session_factory: Factory,
) -> None:
    await _add(session_factory)
    async with session_factory() as session:
        for direction in ({"after": 10**12}, {"before": 10**12}):
            page = await officials_page(session, OfficialSearch(), **direction)
            assert page == OfficialsPage([], None, None)
