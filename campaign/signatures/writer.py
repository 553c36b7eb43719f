"""Group commit of signature submissions: the submissions of many signing requests, written
together by one statement in one transaction, each request answered once it is committed.

Under load, a transaction per signature spends the database's time, and the server's, on
beginning and committing rather than on the rows: on a 2-core machine signing was held to
a tenth of what PostgreSQL allows. Here a request hands its row to the process's writer
and waits; the writer takes whatever rows are waiting (up to MAX_BATCH) and writes them at
once. Nothing is answered before its row is committed, so an accepted signature survives a
crash as before. A batch that fails for any reason but the database being away is written
again row by row, each in its own transaction, so each request gets the answer it would
have had alone: a row the database refuses fails only its own request. The first row of a
batch waits at most BATCH_WAIT_SECONDS for others, then for the rows' one statement.

Every submission goes through the same writer and waits the same way, whoever signs, so
the wait tells nothing about the address (see flows.py)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any, cast

import asyncpg
from sqlalchemy import CursorResult, Table, bindparam, exists, insert, literal_column, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.sqltypes import BigInteger, Boolean, DateTime, Integer, String, Text

from campaign.campaigns.models import Campaign, CampaignState
from campaign.db import database_unavailable
from campaign.signatures.models import SignatureSubmission

logger = logging.getLogger(__name__)

# Rows one statement writes at most. A batch this size is written in well under a
# millisecond of the database's time; larger ones only make the first rows wait longer.
MAX_BATCH = 64
# How long the first submission of a batch waits for others. Each transaction costs the
# database (and this process) about as much as several rows do; on a machine whose cores
# are all busy, fewer and fuller transactions leave more of them for everything else.
BATCH_WAIT_SECONDS = 0.002
# Batches one process writes at once. One would leave the process idle while a batch
# commits (a disk flush); with two, the next batch is being written meanwhile. Each holds
# one pooled connection for the time of one statement.
MAX_IN_FLIGHT = 2

_SUBMISSIONS = cast(Table, SignatureSubmission.__table__)
SUBMITTED_COLUMNS = [column.key for column in _SUBMISSIONS.columns if column.key != "id"]
_PUBLISHED: Any = literal_column(f"'{CampaignState.PUBLISHED.value}'")

# One submission, on its own, while the campaign is still published: the statement a
# request used to run itself, now the writer's fallback and its only form on SQLite.
INSERT_ONE_SUBMISSION = insert(_SUBMISSIONS).from_select(
    SUBMITTED_COLUMNS,
    select(*(bindparam(key, type_=_SUBMISSIONS.c[key].type) for key in SUBMITTED_COLUMNS)).where(
        exists().where(Campaign.id == bindparam("campaign_id"), Campaign.state == _PUBLISHED)
    ),
)


def _array_type(column_type: Any) -> str:
    """The PostgreSQL array type that carries one column's values for a whole batch."""
    if isinstance(column_type, DateTime) or isinstance(
        getattr(column_type, "impl", None), DateTime
    ):
        return "timestamptz[]"
    if isinstance(column_type, BigInteger):
        return "bigint[]"
    if isinstance(column_type, Integer):
        return "integer[]"
    if isinstance(column_type, Boolean):
        return "boolean[]"
    if isinstance(column_type, String | Text):
        return "text[]"
    raise TypeError(f"no array type for {column_type!r}")


def _insert_many_statement() -> str:
    """All of a batch's submissions in one statement: each column as one array (the
    driver's numbered parameters, in SUBMITTED_COLUMNS order), unnested into rows, kept
    where their campaign is still published. The same snapshot decides for every row of a
    campaign, so RETURNING names the campaigns that were open."""
    arrays = ", ".join(
        f"${number}::{_array_type(_SUBMISSIONS.c[key].type)}"
        for number, key in enumerate(SUBMITTED_COLUMNS, start=1)
    )
    columns = ", ".join(SUBMITTED_COLUMNS)
    # Only names and values from this module's model go into the text; the rows are bound.
    return (
        f"INSERT INTO {_SUBMISSIONS.name} ({columns}) "  # noqa: S608
        f"SELECT {columns} FROM unnest({arrays}) AS submitted ({columns}) "
        f"WHERE EXISTS (SELECT FROM {Campaign.__tablename__} AS c "
        f"WHERE c.id = submitted.campaign_id AND c.state = '{CampaignState.PUBLISHED.value}') "
        "RETURNING campaign_id"
    )


_INSERT_MANY = _insert_many_statement()


class SubmissionWriter:
    """One per process. `write` returns once the row is committed: True, or False if its
    campaign was no longer published (nothing written)."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        max_batch: int = MAX_BATCH,
        max_in_flight: int = MAX_IN_FLIGHT,
        batch_wait_seconds: float = BATCH_WAIT_SECONDS,
    ) -> None:
        self._engine = engine
        self._postgres = engine.dialect.name == "postgresql"
        self._max_batch = max_batch
        self._max_in_flight = max_in_flight
        self._batch_wait = batch_wait_seconds
        self._waiting: list[tuple[dict[str, Any], asyncio.Future[bool]]] = []
        self._in_flight: set[asyncio.Task[None]] = set()

    async def write(self, row: dict[str, Any]) -> bool:
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((row, future))
        if len(self._in_flight) < self._max_in_flight:
            self._start_batch()
        return await future

    async def close(self) -> None:
        """Finish what has been handed over (at shutdown, before the engine goes)."""
        while self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)

    def _start_batch(self) -> None:
        task = asyncio.create_task(self._write_batches())
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def _write_batches(self) -> None:
        if self._batch_wait > 0:
            await asyncio.sleep(self._batch_wait)
        # Rows that arrive while a batch is written wait for the next one: under load
        # each batch takes what gathered during the last, without waiting again, on the
        # connection the last one used (a checkout from the pool costs about what
        # writing the batch does).
        connection: AsyncConnection | None = None
        try:
            while self._waiting:
                batch = self._waiting[: self._max_batch]
                del self._waiting[: self._max_batch]
                try:
                    connection = await self._write(connection, batch)
                except BaseException as error:  # cancelled: nobody is left waiting
                    for _, future in batch:
                        _settle(future, error=error)
                    raise
        finally:
            if connection is not None:
                await connection.close()

    async def _write(
        self,
        connection: AsyncConnection | None,
        batch: list[tuple[dict[str, Any], asyncio.Future[bool]]],
    ) -> AsyncConnection | None:
        """Write one batch and answer its requests; returns the connection for the next
        batch (None once it is not to be used again)."""
        if not self._postgres:
            # SQLite takes one writer at a time anyway; a transaction per row keeps each
            # row's outcome its own.
            await self._write_one_by_one(batch)
            return None
        if connection is None:
            connection = await self._connect(batch)
            if connection is None:
                return None
        if await self._write_together(connection, batch):
            return connection
        await connection.close()
        return None

    async def _connect(
        self, batch: list[tuple[dict[str, Any], asyncio.Future[bool]]]
    ) -> AsyncConnection | None:
        """A pooled connection for the batches to come; None, with the batch answered
        with the error, if the database cannot be reached."""
        try:
            return await self._engine.connect()
        except Exception as error:
            for _, future in batch:
                _settle(future, error=error)
            return None

    async def _write_together(
        self,
        connection: AsyncConnection,
        batch: list[tuple[dict[str, Any], asyncio.Future[bool]]],
    ) -> bool:
        """Write the batch with one statement and answer each of its requests. False if
        the connection is not to be used again."""
        rows = [row for row, _ in batch]
        try:
            outcomes = await _insert_many(connection, rows)
        except Exception as error:
            if database_unavailable(error):
                # Alone, each would have met the same outage; trying each again would
                # only keep them waiting longer for the same answer.
                for _, future in batch:
                    _settle(future, error=error)
                return False
            logger.warning(
                "a batch of %d submissions failed together; writing them one by one: %s",
                len(rows),
                type(error).__name__,
            )
            await self._write_one_by_one(batch)
            return False
        for (_, future), written in zip(batch, outcomes, strict=True):
            _settle(future, result=written)
        return True

    async def _write_one_by_one(
        self, batch: list[tuple[dict[str, Any], asyncio.Future[bool]]]
    ) -> None:
        for row, future in batch:
            try:
                written = await self._insert_one(row)
            except Exception as error:
                _settle(future, error=error)
            else:
                _settle(future, result=written)

    async def _insert_one(self, row: dict[str, Any]) -> bool:
        async with self._engine.begin() as connection:
            result = await connection.execute(INSERT_ONE_SUBMISSION, row)
        return bool(cast(CursorResult[Any], result).rowcount)


async def _insert_many(connection: AsyncConnection, rows: Sequence[dict[str, Any]]) -> list[bool]:
    """The batch's statement, sent through the driver: SQLAlchemy's handling of it cost
    more than the database's work on it. One statement outside an explicit transaction
    is its own transaction, committed before its answer comes back: one round trip.

    A connection the driver gave up on is invalidated, so the pool replaces it rather
    than hand it to the next batch (as campaign.db.driver_connection does)."""
    columns = [[row[key] for row in rows] for key in SUBMITTED_COLUMNS]
    driver: Any = (await connection.get_raw_connection()).driver_connection
    try:
        records = await driver.fetch(_INSERT_MANY, *columns)
    except BaseException as error:
        if not isinstance(error, asyncpg.PostgresError) or database_unavailable(error):
            await connection.invalidate()
        raise
    open_campaigns = {record[0] for record in records}
    return [row["campaign_id"] in open_campaigns for row in rows]


def _settle(
    future: asyncio.Future[bool], *, result: bool = False, error: BaseException | None = None
) -> None:
    if future.done():  # its request was cancelled meanwhile
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
