"""Benchmark for the worker's resolution of signature submissions, on PostgreSQL.

What it measures
    How many signature submissions per second one worker process resolves into
    signatures (with their people, consent records and emails) through the real
    `resolve_due_submissions`, the step the outbox worker runs first in every pass.
    The submissions are written straight into the table beforehand, as signing requests
    would have left them during a surge: mostly new addresses, a --repeat-fraction of
    repeats of addresses already submitted (pending repeats: a fresh link within the
    cap), and a --held-fraction over the signing limits (stored as fraudulent). It then
    checks that every submission is gone and each address holds exactly one signature.

How to run (from the repository root)
    CAMPAIGN_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/bench \\
        .venv/bin/python bench/resolve_submissions.py --submissions 20000

    It drops and recreates the `public` schema of that database first. Progress goes to
    standard error; the last line of standard output is one JSON object with the results.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
from datetime import UTC, datetime
from typing import Any

import asyncpg
from sqlalchemy.engine import URL, make_url

from campaign.config import Settings
from campaign.db import create_engine, create_session_factory
from campaign.migrate import upgrade_database
from campaign.signatures.submissions import resolve_due_submissions


def progress(message: str) -> None:
    print(f"[resolve] {message}", file=sys.stderr, flush=True)


def database_url_from_env() -> URL:
    raw = os.environ.get("CAMPAIGN_DATABASE_URL")
    if not raw or not raw.startswith("postgresql"):
        sys.exit("set CAMPAIGN_DATABASE_URL to a PostgreSQL database (postgresql+asyncpg://...)")
    return make_url(raw)


def asyncpg_dsn(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


async def reset_schema(url: URL) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await connection.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public")
    finally:
        await connection.close()


async def seed_submissions(
    url: URL, count: int, repeat_fraction: float, held_fraction: float, seed: int
) -> dict[str, int]:
    """A published petition and `count` submissions for it, by SQL."""
    rng = random.Random(seed)
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        consent = await connection.fetchval(
            "INSERT INTO consent_texts (purpose, language, version, text, created_at) "
            "VALUES ('email_updates', 'en', 1, 'Bench consent.', now()) RETURNING id"
        )
        campaign = await connection.fetchval(
            "INSERT INTO campaigns (kind, slug, title, summary, body_markdown, target, "
            "language, state, postcode_mode, consent_text_id, created_at, updated_at) "
            "VALUES ('petition', 'bench', 'Bench petition', 'Summary', 'Body', 'Everyone', "
            "'en', 'published', 'optional', $1, now(), now()) RETURNING id",
            consent,
        )
        now = datetime.now(UTC)
        rows: list[tuple[Any, ...]] = []
        addresses = 0
        for n in range(count):
            if addresses and rng.random() < repeat_fraction:
                number = rng.randrange(addresses)
            else:
                number = addresses
                addresses += 1
            held = rng.random() < held_fraction
            email = f"signer{number}@example.org"
            rows.append(
                (campaign, email, email, "Bench", f"Signer {number}", "GB", None, None,
                 n % 2 == 0, "api", "203.0.113.7", "bench/1.0", held, False, 0, now, now)
            )  # fmt: skip
        await connection.copy_records_to_table(
            "signature_submissions",
            records=rows,
            columns=[
                "campaign_id", "email", "email_normalised", "given_name", "family_name",
                "country", "postcode", "comment", "email_updates", "channel", "ip_address",
                "user_agent", "over_rate_limit", "honeypot_filled", "attempts",
                "available_at", "created_at",
            ],
        )  # fmt: skip
        await connection.execute("VACUUM ANALYZE")
        return {"campaign_id": campaign, "addresses": addresses}
    finally:
        await connection.close()


async def resolve_all(raw_url: str, batch_size: int) -> tuple[float, int]:
    settings = Settings(
        environment="development", database_url=raw_url, submission_batch_size=batch_size
    )
    engine = create_engine(settings)
    factory = create_session_factory(engine)
    try:
        started = time.perf_counter()
        taken = 0
        while True:
            done = await resolve_due_submissions(factory, settings)
            taken += done
            if done == 0:
                break
            progress(f"{taken:,} resolved")
        return time.perf_counter() - started, taken
    finally:
        await engine.dispose()


async def check(url: URL, addresses: int) -> dict[str, int]:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        left = await connection.fetchval("SELECT count(*) FROM signature_submissions")
        signatures = await connection.fetchval("SELECT count(*) FROM signatures")
        emails = await connection.fetchval("SELECT count(*) FROM outbox_messages")
        held = await connection.fetchval(
            "SELECT count(*) FROM signatures WHERE status = 'fraudulent'"
        )
    finally:
        await connection.close()
    if left or signatures != addresses:
        sys.exit(f"wrong outcome: {left} submissions left, {signatures} of {addresses} signed")
    return {"signatures": signatures, "held": held, "emails": emails}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=Settings.model_fields[
        "submission_batch_size"].default)  # fmt: skip
    parser.add_argument("--repeat-fraction", type=float, default=0.1)
    parser.add_argument("--held-fraction", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    # A benchmark on a scratch database: the development placeholder secret is fine.
    os.environ.setdefault("CAMPAIGN_ENVIRONMENT", "development")
    url = database_url_from_env()
    raw_url = url.render_as_string(hide_password=False)

    progress(f"dropping and rebuilding the schema of {url.database!r}")
    asyncio.run(reset_schema(url))
    upgrade_database(raw_url)
    seeded = asyncio.run(
        seed_submissions(url, args.submissions, args.repeat_fraction, args.held_fraction, args.seed)
    )
    progress(f"{args.submissions:,} submissions for {seeded['addresses']:,} addresses")
    seconds, taken = asyncio.run(resolve_all(raw_url, args.batch_size))
    outcome = asyncio.run(check(url, seeded["addresses"]))
    rate = taken / seconds
    print(f"resolved {taken:,} submissions in {seconds:.2f} s: {rate:,.0f} submissions/s")
    print(f"  batch size {args.batch_size}; {outcome}")
    print(
        json.dumps(
            {
                "submissions": taken,
                "seconds": round(seconds, 3),
                "submissions_per_second": round(rate, 1),
                "batch_size": args.batch_size,
                **outcome,
            }
        )
    )


if __name__ == "__main__":
    main()
