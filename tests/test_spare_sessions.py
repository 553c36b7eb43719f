"""Reads side by side on spare sessions (campaign/db.py): each lane on its own
connection, answers in the order asked, never more spares out than the limit, and an
error raised as it was, with the other reads cancelled and their sessions given back."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.config import Settings
from campaign.db import SpareSessions, read_side_by_side, spare_session_count

Factory = async_sessionmaker[AsyncSession]
Read = Callable[[AsyncSession], Awaitable[Any]]


def test_spares_are_a_fifth_of_the_pool_up_to_four_and_none_on_sqlite(tmp_path: Path) -> None:
    def spares(url: str, pool: int) -> int:
        return spare_session_count(
            Settings(environment="test", database_url=url, database_pool_size=pool)
        )

    postgres = "postgresql+asyncpg://postgres@127.0.0.1:5432/any"
    assert [spares(postgres, pool) for pool in (1, 4, 5, 12, 20, 100)] == [0, 0, 1, 2, 4, 4]
    assert spares(f"sqlite+aiosqlite:///{tmp_path}/campaign.db", 100) == 0


def backend_of(index: int, started: asyncio.Barrier | None = None) -> Read:
    """A read that answers its index and the database connection it ran on; with a
    barrier, it waits there first, which only reads side by side can all get past."""

    async def read(session: AsyncSession) -> tuple[int, Any]:
        if started is not None:
            await asyncio.wait_for(started.wait(), timeout=30)
        return index, await session.scalar(text("SELECT pg_backend_pid()"))

    return read


async def test_reads_go_side_by_side_on_their_own_connections_in_the_order_asked(
    session_factory: Factory, on_postgres: bool
) -> None:
    if not on_postgres:
        pytest.skip("SQLite lends no spares (one writer at a time)")
    spare = SpareSessions(session_factory, 2)
    started = asyncio.Barrier(3)
    reads = [backend_of(0, started), backend_of(1, started), backend_of(2, started)]
    reads += [backend_of(index) for index in range(3, 7)]
    async with session_factory() as session:
        own = await session.scalar(text("SELECT pg_backend_pid()"))
        answers = await read_side_by_side(session, reads, spare)
    assert [index for index, _ in answers] == list(range(7))
    backends = [backend for _, backend in answers]
    assert len(set(backends)) == 3
    # Read i went to lane i mod 3, the caller's own session being lane 0.
    assert backends[0] == backends[3] == backends[6] == own
    assert backends[1] == backends[4] != own
    assert backends[2] == backends[5] != own


async def test_spares_are_lent_without_waiting_and_never_beyond_the_limit(
    session_factory: Factory, on_postgres: bool
) -> None:
    if not on_postgres:
        pytest.skip("SQLite lends no spares (one writer at a time)")
    spare = SpareSessions(session_factory, 3)
    async with spare.borrow(2) as first:
        async with spare.borrow(5) as second, spare.borrow(1) as third:
            assert (len(first), len(second), len(third)) == (2, 1, 0)
        async with session_factory() as session:
            answers = await read_side_by_side(session, [backend_of(i) for i in range(4)], spare)
        # One spare was free: two lanes, two reads on each.
        assert len({backend for _, backend in answers}) == 2
    async with spare.borrow(9) as all_of_them:
        assert len(all_of_them) == 3


async def test_without_spares_every_read_is_made_on_the_callers_session(
    session_factory: Factory,
) -> None:
    seen: list[AsyncSession] = []

    def noting(index: int) -> Read:
        async def read(session: AsyncSession) -> int:
            await session.scalar(text("SELECT 1"))
            seen.append(session)
            return index

        return read

    for spare in (None, SpareSessions(session_factory, 0)):
        seen.clear()
        async with session_factory() as session:
            assert await read_side_by_side(session, [noting(i) for i in range(3)], spare) == [
                0,
                1,
                2,
            ]
        assert seen == [session] * 3


async def test_a_failed_read_raises_its_own_error_and_cancels_the_others(
    session_factory: Factory, on_postgres: bool
) -> None:
    if not on_postgres:
        pytest.skip("SQLite lends no spares (one writer at a time)")
    spare = SpareSessions(session_factory, 2)
    never = asyncio.Event()
    cancelled: list[int] = []

    def waiting(index: int) -> Read:
        async def read(session: AsyncSession) -> None:
            # Cancelled wherever it is: at its statement, or waiting after it.
            try:
                await session.scalar(text("SELECT 1"))
                await never.wait()
            except asyncio.CancelledError:
                cancelled.append(index)
                raise

        return read

    async def failing(session: AsyncSession) -> None:
        await session.execute(text("SELECT * FROM no_such_table"))

    async with session_factory() as session:
        with pytest.raises(DBAPIError, match="no_such_table"):
            await read_side_by_side(session, [waiting(0), failing, waiting(2)], spare)
    assert sorted(cancelled) == [0, 2]
    async with spare.borrow(2) as given_back:
        assert len(given_back) == 2
