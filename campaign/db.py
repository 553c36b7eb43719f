"""Database plumbing: the declarative base, column types that behave the same on
PostgreSQL and SQLite, and the async engine and session factory."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
from sqlalchemy import BigInteger, DateTime, Integer, MetaData, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from campaign.config import Settings

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")
# Foreign keys to such columns use the same type.
BigIntFK = BigIntPK


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python, on both databases
    (SQLite stores no offset and would hand back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use datetime.now(UTC)")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


def personal() -> dict[str, Any]:
    """The `info` of a column that holds personal data: what a person's export shows and
    their erasure empties (campaign/privacy), and what tests/privacy checks is marked."""
    return {"personal": True}


def is_personal(column: Any) -> bool:
    return bool(column.info.get("personal"))


_Row = TypeVar("_Row", bound="Base")


def insert_for(session: AsyncSession, table: Any) -> Any:
    """An INSERT that supports ON CONFLICT on the session's database."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


async def save_one_per_campaign(
    session: AsyncSession, model: type[_Row], campaign_id: int, values: dict[str, Any]
) -> _Row:
    """Create or replace a campaign's one row of `model` (keyed by campaign_id), in one
    statement so two saves at once can't both try to create it; returns it reloaded."""
    await session.execute(
        insert_for(session, model.__table__)
        .values(campaign_id=campaign_id, **values)
        .on_conflict_do_update(index_elements=["campaign_id"], set_=values)
    )
    row = await session.get(model, campaign_id, populate_existing=True)
    assert row is not None
    return row


# A connection that has waited in the pool this long is tried before it is handed out.
# Under load connections wait milliseconds; under light load a round trip costs nothing.
IDLE_SECONDS_BEFORE_PING = 2.0
# How long opening a connection may take before the request is answered 503 instead.
# A refused connection (the database restarting) fails at once whatever this is; the
# timeout is for a database that does not answer at all. It is counted on the event
# loop's clock, and a process working through a surge of requests gets to a handshake's
# reply late: at 5 s, a burst of 2,000 signers on one process was answered with 503s
# while the database was fine. 30 s is the pool's own wait for a connection.
CONNECT_TIMEOUT_SECONDS = 30.0


def create_engine(settings: Settings, url: str | None = None) -> AsyncEngine:
    """The engine of the primary database, or of `url` (the read replica) with the same
    settings."""
    url = url or settings.database_url
    if url.startswith("sqlite"):
        return _create_sqlite_engine(url)
    connect_args: dict[str, Any] = {"timeout": CONNECT_TIMEOUT_SECONDS}
    if settings.database_pgbouncer:
        connect_args |= PGBOUNCER_CONNECT_ARGS
    engine = create_async_engine(
        url,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
        pool_recycle=1800,
        connect_args=connect_args,
    )
    _ping_idle_connections(engine)
    return engine


def _unique_statement_name() -> str:
    return f"__asyncpg_{uuid.uuid4()}__"


# Behind PgBouncer in transaction mode, each transaction may run on a different server
# connection, where a statement prepared by name in an earlier one does not exist, or
# one of the same name prepared by another client does. So neither asyncpg nor
# SQLAlchemy's dialect caches prepared statements, and the ones the dialect still
# prepares (to learn a statement's result columns) get a name no other client can have:
# SQLAlchemy's documented recipe for its asyncpg dialect.
PGBOUNCER_CONNECT_ARGS: dict[str, Any] = {
    "statement_cache_size": 0,
    "prepared_statement_cache_size": 0,
    "prepared_statement_name_func": _unique_statement_name,
}


def _ping_idle_connections(engine: AsyncEngine) -> None:
    """Not a pre-ping on every checkout, which costs a round trip per request under load,
    when connections are never idle. After a database restart in a quiet moment, the
    pool holds only dead connections that have all been idle: each is tried and replaced
    before a request gets it. (One that dies in use fails its request with a 503, and
    SQLAlchemy then replaces every connection older than it.)"""
    pool = engine.sync_engine.pool
    dialect = engine.sync_engine.dialect

    @event.listens_for(pool, "checkin")
    def _note_idle(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < IDLE_SECONDS_BEFORE_PING:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as error:
            # The pool's signal to discard this connection and hand out a new one.
            raise DisconnectionError("an idle connection did not answer") from error


def _create_sqlite_engine(url: str) -> AsyncEngine:
    _ensure_sqlite_folder(url)
    engine = create_async_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine.sync_engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (see _begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Any) -> None:
        # Take the write lock at BEGIN: a deferred transaction that reads and then
        # writes fails with "database is locked" instead of waiting for its turn.
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _ensure_sqlite_folder(url: str) -> None:
    path = url.split(":///", 1)[-1].split("?", 1)[0]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


@asynccontextmanager
async def transaction(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One unit of work outside a request (CLI, worker): commit on success, roll back on error."""
    async with factory() as session, session.begin():
        yield session


@asynccontextmanager
async def read_only(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session for reading only: on PostgreSQL its transaction is READ ONLY, so a write
    that slipped into a read path fails here as it would on a replica, instead of
    succeeding on the primary and failing the day a replica is configured. Rolled back
    at the end, as it has nothing to commit."""
    async with factory() as session:
        try:
            if session.get_bind().dialect.name == "postgresql":
                await session.execute(text("SET TRANSACTION READ ONLY"))
            yield session
        finally:
            await session.rollback()


# Sessions a process lends at most at any moment for reads side by side (see SpareSessions):
# a fifth of the pool, up to four, so that the pool's other connections stay free for
# requests however many staff read their figures at once.
MAX_SPARE_SESSIONS = 4


def spare_session_count(settings: Settings) -> int:
    """How many sessions a process may lend for reads side by side. None on SQLite:
    every transaction there takes the write lock at BEGIN (see _create_sqlite_engine),
    so two sessions of one process could only take turns."""
    if settings.is_sqlite:
        return 0
    return min(MAX_SPARE_SESSIONS, settings.database_pool_size // 5)


class SpareSessions:
    """A few sessions, beside a request's own, for independent reads that one request
    can make side by side, each on its own connection. They are lent without waiting:
    a caller given fewer than it asked for (or none, while others hold them) makes the
    rest of its reads on its own session, one after another. So nobody waits for a
    spare, and a process never holds more than `limit` connections beyond its
    requests' own, however many staff read their figures at once."""

    def __init__(self, factory: async_sessionmaker[AsyncSession], limit: int) -> None:
        self._factory = factory
        self._free = limit

    @asynccontextmanager
    async def borrow(self, wanted: int) -> AsyncIterator[list[AsyncSession]]:
        """Up to `wanted` new sessions (none if the others are lent), closed on exit.
        Each reads in its own transaction: what it sees is as of its own statements."""
        # One event loop per process: nothing runs between the test and the update.
        count = max(0, min(wanted, self._free))
        self._free -= count
        try:
            async with AsyncExitStack() as stack:
                yield [await stack.enter_async_context(self._factory()) for _ in range(count)]
        finally:
            self._free += count


async def read_side_by_side(
    session: AsyncSession,
    reads: Sequence[Callable[[AsyncSession], Awaitable[Any]]],
    spare: SpareSessions | None,
) -> list[Any]:
    """Each read's answer, in order. With spare sessions the reads are dealt out over
    `session` and the spares, one after another on each and side by side across them;
    without, all on `session`. If one fails, the others are cancelled and its error is
    raised as it was (not in a group), so its handlers see it as they would anyway."""
    if spare is None:
        return [await read(session) for read in reads]
    async with spare.borrow(len(reads) - 1) as spares:
        sessions = [session, *spares]
        lanes = [
            asyncio.ensure_future(_one_after_another(own, reads[index :: len(sessions)]))
            for index, own in enumerate(sessions)
        ]
        try:
            answers = await asyncio.gather(*lanes)
        except BaseException:
            for lane in lanes:
                lane.cancel()
            await asyncio.gather(*lanes, return_exceptions=True)
            raise
    # Lane i holds reads i, i + n, i + 2n ...: put them back in the order asked.
    ordered: list[Any] = [None] * len(reads)
    for index, lane_answers in enumerate(answers):
        ordered[index :: len(sessions)] = lane_answers
    return ordered


async def _one_after_another(
    session: AsyncSession, reads: Sequence[Callable[[AsyncSession], Awaitable[Any]]]
) -> list[Any]:
    return [await read(session) for read in reads]


# Connection faults the driver may raise as they are, before SQLAlchemy can wrap them: the
# server refusing or dropping connections, or saying it is starting, stopping or full.
CONNECTION_FAULTS: tuple[type[BaseException], ...] = (
    ConnectionError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    # "terminating connection due to administrator command": a restart, or a connection
    # killed by an operator; the next one will do.
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
)


def caused_by(error: BaseException, kinds: tuple[type[BaseException], ...]) -> bool:
    cause: BaseException | None = error
    for _ in range(10):  # a driver's error wrapped in SQLAlchemy's, wrapped in ours
        if cause is None:
            return False
        if isinstance(cause, kinds):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def database_unavailable(error: BaseException) -> bool:
    """The database cannot be reached or cannot take work now, so the same request may
    succeed in a moment: not a fault of the request, nor a bug of ours."""
    if isinstance(error, OperationalError | PoolTimeoutError):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    return caused_by(error, CONNECTION_FAULTS)


@asynccontextmanager
async def driver_connection(session: AsyncSession) -> AsyncIterator[Any]:
    """The session's own asyncpg connection, inside its transaction, for the few
    statements whose SQLAlchemy handling costs more than the database's work on them.

    SQLAlchemy cannot clean up after what it does not see: a connection the driver gave
    up on (a restart, a statement cancelled half way) would go back to the pool and fail
    whichever request got it next. So here it is invalidated: the pool discards it and
    opens a new one. An error the server reported about the statement leaves the
    connection as good as it was."""
    connection = await session.connection()
    driver = (await connection.get_raw_connection()).driver_connection
    try:
        yield driver
    except BaseException as error:
        if not isinstance(error, asyncpg.PostgresError) or database_unavailable(error):
            await connection.invalidate()
        raise
