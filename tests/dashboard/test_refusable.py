"""A refused form undoes what its service had flushed, and only that: the request's
transaction still commits what came before, and the page can read from the session."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.dashboard.rendering import refusable
from campaign.consents.models import ConsentText
from campaign.errors import InvalidInput


def _text(version: int) -> ConsentText:
    return ConsentText(purpose="email_updates", language="en", version=version, text="Yes")


async def _versions(factory: async_sessionmaker[AsyncSession]) -> list[int]:
    async with factory() as session:
        found = await session.execute(select(ConsentText.version).order_by(ConsentText.version))
        return list(found.scalars())


async def test_a_refused_change_is_rolled_back_and_the_rest_commits(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session:
        kept = _text(1)
        session.add(kept)
        await session.flush()
        async with refusable(session) as refused:
            session.add(_text(2))
            await session.flush()  # the service got this far before it refused
            kept.text = "Changed, then refused"
            await session.flush()
            raise InvalidInput("no", field="text")
        assert refused.error is not None and refused.error.field == "text"
        assert refused.status_code == 422
        # The page reloads what it shows: the refused edit is gone from it too.
        assert (await session.get(ConsentText, kept.id)) is kept
        assert kept.text == "Yes"
        assert await session.scalar(select(func.count()).select_from(ConsentText)) == 1
        await session.commit()
    assert await _versions(session_factory) == [1]


async def test_an_accepted_change_is_committed_with_the_request(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session:
        async with refusable(session) as refused:
            session.add(_text(3))
        assert refused.error is None and refused.status_code == 200
        await session.commit()
    assert await _versions(session_factory) == [3]
