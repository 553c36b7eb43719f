"""The statements that record a batch find its rows by primary key, whatever the
planner believes about how many messages are in flight.

The case that went wrong: statistics taken while nearly every message was sent, then a
burst of pending ones. PostgreSQL judged "status is pending or sending" the cheaper way
in and read every in-flight row (and its dead versions) once per batch of 1,000, which
cut a worker's throughput by more than half. Generic plans, which prepared statements
come to after a few runs, are where it showed; they are forced here."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from campaign.db import driver_connection, transaction, utcnow
from campaign.outbox.models import OutboxMessage, OutboxStatus, Priority
from campaign.outbox.service import claim_due_messages, mark_sending, mark_sent, new_attempt_id

SENT_BEFORE = 20_000
BURST = 1000
TABLE = OutboxMessage.__tablename__
# The claim indexes, each over one in-flight status: never the way to a batch by its ids.
IN_FLIGHT_INDEXES = {"ix_outbox_messages_due", "ix_outbox_messages_unsettled"}


def _rows(count: int, status: OutboxStatus) -> list[dict[str, Any]]:
    now = utcnow()
    return [
        {
            "kind": "signature_confirmation",
            "to_address": f"person{i}@example.org",
            "context": {"token": "x" * 40, "given_name": "Ada"},
            "status": status,
            "attempts": 1 if status == OutboxStatus.SENT else 0,
            "available_at": now,
            "sent_at": now if status == OutboxStatus.SENT else None,
        }
        for i in range(count)
    ]


@pytest.fixture
async def burst_after_quiet(
    session_factory: async_sessionmaker[AsyncSession], on_postgres: bool
) -> AsyncIterator[None]:
    if not on_postgres:
        pytest.skip("query plans are PostgreSQL's; SQLite has one way to find a row by id")
    engine: AsyncEngine = session_factory.kw["bind"]
    # The statistics are the test's to set. An autovacuum of the rows earlier tests
    # deleted, finishing after our ANALYZE, would record the table as nearly empty (it
    # once did, on a busy machine), and for a table of a few rows a sequential scan is
    # the right plan. So autovacuum stays off here and VACUUM settles the page count.
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text(f"ALTER TABLE {TABLE} SET (autovacuum_enabled = off)"))
        try:
            async with transaction(session_factory) as session:
                await session.execute(insert(OutboxMessage), _rows(SENT_BEFORE, OutboxStatus.SENT))
            await autocommit.execute(text(f"VACUUM (ANALYZE) {TABLE}"))
            async with transaction(session_factory) as session:
                await session.execute(insert(OutboxMessage), _rows(BURST, OutboxStatus.PENDING))
            yield
        finally:
            await autocommit.execute(text(f"ALTER TABLE {TABLE} RESET (autovacuum_enabled)"))


async def _recorded_statements(
    session_factory: async_sessionmaker[AsyncSession],
) -> list[tuple[str, tuple[Any, ...]]]:
    """Claim the burst, record it as sending and as sent, and return the two recording
    statements as the driver got them (rolled back, so the rows stay in flight)."""
    engine = session_factory.kw["bind"]
    seen: list[tuple[str, tuple[Any, ...]]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE OUTBOX_MESSAGES"):
            seen.append((statement, tuple(parameters)))

    async with session_factory() as session:
        claimed = await claim_due_messages(session, BURST, timedelta(minutes=5))
        assert len(claimed) == BURST
        event.listen(engine.sync_engine, "before_cursor_execute", capture)
        try:
            going = await mark_sending(session, claimed, new_attempt_id(), timedelta(minutes=5))
            await mark_sent(session, {message_id: "provider-1" for message_id in going})
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", capture)
        await session.rollback()
    return seen


async def _generic_plan(session: AsyncSession, statement: str, parameters: tuple[Any, ...]) -> Any:
    await session.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))
    # A sequential scan is the planner's fair choice for a table this small (it chose
    # one in some full runs, after other tests had left the table a few pages long), and
    # says nothing of the question here: which index does it take to find a batch by its
    # ids? With scans off it must pick among the indexes, where the in-flight ones once won.
    await session.execute(text("SET LOCAL enable_seqscan = off"))
    async with driver_connection(session) as driver:
        plan = await driver.fetchval(f"EXPLAIN (FORMAT JSON) {statement}", *parameters)
    return json.loads(plan) if isinstance(plan, str) else plan


def _index_names(node: Any) -> set[str]:
    names = {node["Index Name"]} if "Index Name" in node else set()
    for child in node.get("Plans", []):
        names |= _index_names(child)
    return names


async def test_recording_a_batch_reads_it_by_primary_key(
    session_factory: async_sessionmaker[AsyncSession], burst_after_quiet: None
) -> None:
    statements = await _recorded_statements(session_factory)
    assert len(statements) == 2  # sending, then sent
    async with session_factory() as session:
        for statement, parameters in statements:
            plan = await _generic_plan(session, statement, parameters)
            indexes = _index_names(plan[0]["Plan"])
            assert indexes == {"pk_outbox_messages"}, (statement[:60], plan)
        await session.rollback()


async def test_the_claim_reads_due_messages_in_order_without_sorting(
    session_factory: async_sessionmaker[AsyncSession], burst_after_quiet: None
) -> None:
    due = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.priority == int(Priority.FIRST),
            OutboxMessage.available_at <= utcnow(),
        )
        .order_by(OutboxMessage.available_at, OutboxMessage.id)
        .limit(BURST)
    )
    async with session_factory() as session:
        compiled = due.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
        plan = (await session.execute(text(f"EXPLAIN (FORMAT JSON) {compiled}"))).scalar_one()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    assert "Sort" not in json.dumps(plan), str(compiled)
    assert _index_names(plan[0]["Plan"]) == {"ix_outbox_messages_due"}
