"""Outbox recording benchmark: what the worker's bookkeeping around one hand-over costs
on PostgreSQL, in milliseconds per 1,000 messages.

What it measures
    --rounds times: 1,000 signature confirmations are queued and claimed, then timed,
    each in its own committed transaction as the worker runs them: `mark_sending` (the
    record made before the hand-over), and `mark_sent` with one provider id for the batch
    (a SendGrid request) or one per message (the file backend). It prints the median and
    the slowest round of each. The claim itself is not timed (it was there before).

How to run (from the repository root)
    CAMPAIGN_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/bench \\
        .venv/bin/python bench/outbox_recording.py

    The schema is brought to the newest migration; the outbox table is emptied before
    each round. The last line of standard output is one JSON object with the results.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.config import Settings
from campaign.db import create_engine, create_session_factory, transaction
from campaign.migrate import upgrade_database
from campaign.outbox.models import EmailKind, OutboxMessage, OutboxStatus
from campaign.outbox.service import claim_due_messages, mark_sending, mark_sent, new_attempt_id

BATCH = 1000
LEASE = timedelta(minutes=5)


def progress(message: str) -> None:
    print(f"[outbox_recording] {message}", file=sys.stderr, flush=True)


async def queue_and_claim(factory: async_sessionmaker[AsyncSession]) -> list[OutboxMessage]:
    rows = [
        {
            "kind": EmailKind.SIGNATURE_CONFIRMATION.value,
            "to_address": f"signer{n}@example.org",
            "to_name": f"Signer {n}",
            "context": {
                "given_name": f"Signer{n}",
                "campaign_title": "Protect the meadows",
                "campaign_slug": "meadows",
                "token": f"token-{n:012d}",
            },
            "status": OutboxStatus.PENDING.value,
            "attempts": 0,
        }
        for n in range(BATCH)
    ]
    async with transaction(factory) as session:
        await session.execute(text("DELETE FROM outbox_messages"))
        await session.execute(insert(OutboxMessage), rows)
    async with transaction(factory) as session:
        return await claim_due_messages(session, BATCH, LEASE)


async def timed(
    factory: async_sessionmaker[AsyncSession], work: Callable[[AsyncSession], Awaitable[Any]]
) -> float:
    start = time.perf_counter()
    async with transaction(factory) as session:
        await work(session)
    return (time.perf_counter() - start) * 1000


async def one_round(
    factory: async_sessionmaker[AsyncSession], per_message: bool
) -> dict[str, float]:
    messages = await queue_and_claim(factory)
    attempt_id = new_attempt_id()
    sending = await timed(factory, lambda s: mark_sending(s, messages, attempt_id, LEASE))
    if per_message:
        provider_ids = {m.id: f"file:{m.id:08d}.eml" for m in messages}
    else:
        provider_ids = dict.fromkeys((m.id for m in messages), "x-message-id")
    sent = await timed(factory, lambda s: mark_sent(s, provider_ids))
    return {"sending": sending, "sent": sent}


async def measure(rounds: int) -> dict[str, Any]:
    settings = Settings(database_url=os.environ["CAMPAIGN_DATABASE_URL"])
    engine = create_engine(settings)
    factory = create_session_factory(engine)
    results: dict[str, list[float]] = {
        "mark_sending": [],
        "mark_sent_one_provider_id": [],
        "mark_sent_per_message_ids": [],
    }
    try:
        for n in range(rounds):
            one = await one_round(factory, per_message=False)
            results["mark_sending"].append(one["sending"])
            results["mark_sent_one_provider_id"].append(one["sent"])
            per = await one_round(factory, per_message=True)
            results["mark_sending"].append(per["sending"])
            results["mark_sent_per_message_ids"].append(per["sent"])
            progress(f"round {n + 1}: {one} / {per}")
        async with transaction(factory) as session:
            await session.execute(text("DELETE FROM outbox_messages"))
    finally:
        await engine.dispose()
    return {
        f"{name}_ms_per_1000": {
            "median": round(statistics.median(values), 2),
            "max": round(max(values), 2),
        }
        for name, values in results.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20, help="rounds of 1,000 (20)")
    args = parser.parse_args()
    url = os.environ.get("CAMPAIGN_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        print(
            "outbox_recording: set CAMPAIGN_DATABASE_URL to a PostgreSQL database", file=sys.stderr
        )
        raise SystemExit(2)
    # No email leaves: any secret will do, but the development placeholder is refused.
    os.environ.setdefault("CAMPAIGN_SECRET_KEY", "bench-" + os.urandom(16).hex())
    upgrade_database(url)
    print(json.dumps(asyncio.run(measure(args.rounds))))


if __name__ == "__main__":
    main()
