"""OSDI export benchmark: a petition's signatures paged through /osdi/v1 as Parsons
pages them, against PostgreSQL.

What it measures
    --signatures signatures (one person each) are written straight into one petition.
    `campaign serve` runs on PostgreSQL, and Parsons' own ActionNetwork connector,
    pointed at it, requests the pages one after another with its `_get_page` (what its
    `get_petition_signatures` loops over), 25 a page (its default, and the cap), until
    a page comes back empty. It prints records per second over the walk and the p50 and
    p95 of one page's request over the first and the last --edge pages. The bar: the
    last pages cost no more than twice the first.

How to run (from the repository root)
    CAMPAIGN_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/bench \\
        .venv/bin/python bench/osdi_export.py --reset

    --reset drops and recreates the `public` schema of that database first. The last
    line of standard output is one JSON object; progress goes to standard error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import asyncpg
import httpx
from sqlalchemy.engine import URL, make_url

ROOT = Path(__file__).resolve().parent.parent
PER_PAGE = 25


@dataclass(frozen=True)
class Options:
    signatures: int
    edge: int
    workers: int
    reset: bool


def parse_options(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--signatures", type=int, default=1_000_000)
    parser.add_argument("--edge", type=int, default=200, help="pages timed at each end (200)")
    parser.add_argument("--workers", type=int, default=2, help="server processes (2)")
    parser.add_argument("--reset", action="store_true", help="drop and recreate the schema")
    args = parser.parse_args(argv)
    return Options(args.signatures, args.edge, args.workers, args.reset)


def refuse(reason: str) -> NoReturn:
    print(f"osdi_export: {reason}", file=sys.stderr)
    raise SystemExit(2)


def progress(message: str) -> None:
    print(f"[osdi_export] {message}", file=sys.stderr, flush=True)


def database_url_from_env() -> URL:
    raw = os.environ.get("CAMPAIGN_DATABASE_URL")
    if not raw:
        refuse("set CAMPAIGN_DATABASE_URL to a PostgreSQL database kept for benchmarks")
    url = make_url(raw)
    if not url.drivername.startswith("postgresql"):
        refuse("this benchmark is of PostgreSQL")
    return url


def campaign_env(url: URL) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAMPAIGN_")}
    env.update(
        CAMPAIGN_ENVIRONMENT="development",
        CAMPAIGN_DATABASE_URL=url.render_as_string(hide_password=False),
        CAMPAIGN_RUN_WORKER_IN_PROCESS="false",
        NO_PROXY="127.0.0.1",
    )
    return env


def run_campaign(url: URL, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "campaign", *args],
        env=campaign_env(url),
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    return done.stdout


async def fill(url: URL, options: Options) -> int:
    """A published petition with `--signatures` confirmed signatures; returns its id."""
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        if options.reset:
            await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await connection.close()
    run_campaign(url, "db", "upgrade")
    connection = await asyncpg.connect(dsn)
    try:
        consent = await connection.fetchval(
            "INSERT INTO consent_texts (purpose, language, version, text, created_at) "
            "VALUES ('email_updates', 'en', 1, 'Send me updates.', now()) "
            "ON CONFLICT DO NOTHING RETURNING id"
        ) or await connection.fetchval("SELECT min(id) FROM consent_texts")
        petition = await connection.fetchval(
            """
            INSERT INTO campaigns (kind, slug, title, summary, body_markdown, target,
                language, state, postcode_mode, consent_text_id, created_at, updated_at,
                published_at, first_published_at)
            VALUES ('petition', 'export-' || floor(random() * 1e9)::bigint, 'Export',
                'Paged.', 'Paged.', 'Everyone', 'en', 'published', 'optional', $1,
                now(), now(), now(), now())
            RETURNING id
            """,
            consent,
        )
        first = await connection.fetchval("SELECT coalesce(max(id), 0) + 1 FROM people")
        step = 100_000
        for start in range(0, options.signatures, step):
            count = min(step, options.signatures - start)
            low, high = first + start, first + start + count - 1
            await connection.execute(
                "INSERT INTO people (id, email_normalised, email, given_name, family_name, "
                "country, custom_fields, created_at, modified_at) "
                "SELECT g, 'x' || g || '@bench.example', 'x' || g || '@bench.example', "
                "'Given', 'Family', 'GB', '{}', now(), now() "
                "FROM generate_series($1::bigint, $2::bigint) g",
                low,
                high,
            )
            await connection.execute(
                "INSERT INTO signatures (campaign_id, person_id, status, email, given_name, "
                "family_name, country, email_updates, channel, emails_sent, created_at, "
                "confirmed_at, modified_at) "
                "SELECT $3, g, 'confirmed', 'x' || g || '@bench.example', 'Given', 'Family', "
                "'GB', false, 'web', 1, now(), now(), now() "
                "FROM generate_series($1::bigint, $2::bigint) g",
                low,
                high,
                petition,
            )
            progress(f"{start + count:,} signatures written")
        await connection.execute("SELECT setval('people_id_seq', (SELECT max(id) FROM people))")
        await connection.execute("VACUUM ANALYZE people")
        await connection.execute("VACUUM ANALYZE signatures")
        return int(petition)
    finally:
        await connection.close()


def start_server(url: URL, options: Options) -> tuple[subprocess.Popen[str], str]:
    port = 18_000 + os.getpid() % 1000
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "campaign",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(options.workers),
        ],
        env=campaign_env(url),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return process, base
        except httpx.TransportError:
            time.sleep(0.3)
    process.terminate()
    refuse("the server did not come up")


def walk(base: str, token: str, petition_id: int) -> tuple[int, float, list[float]]:
    """Every page, in order, through Parsons' connector; (records, seconds, each page's
    seconds)."""
    from parsons.action_network import action_network

    action_network.API_URL = base + "/osdi/v1"
    an = action_network.ActionNetwork(api_token=token)
    timings: list[float] = []
    records = 0
    page = 1
    began = time.perf_counter()
    while True:
        start = time.perf_counter()
        answer: dict[str, Any] = an._get_page(f"petitions/{petition_id}/signatures", page, PER_PAGE)
        timings.append(time.perf_counter() - start)
        rows = answer["_embedded"]["osdi:signatures"]
        if not rows:
            break
        records += len(rows)
        if page % 5000 == 0:
            progress(f"page {page:,}: {records:,} records")
        page += 1
    return records, time.perf_counter() - began, timings


def quantile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q * 100) - 1] if len(values) > 1 else values[0]


def main() -> None:
    options = parse_options()
    url = database_url_from_env()
    progress(f"writing {options.signatures:,} signatures")
    petition_id = asyncio.run(fill(url, options))
    token = run_campaign(url, "staff", "create-token", "--name", "export", "--role", "viewer")
    token = token.strip().splitlines()[-1]
    process, base = start_server(url, options)
    try:
        records, seconds, timings = walk(base, token, petition_id)
    finally:
        process.terminate()
        process.wait(timeout=30)
    pages = timings[:-1]  # the last request is the empty page past the end
    first, last = pages[: options.edge], pages[-options.edge :]
    result = {
        "records": records,
        "pages": len(pages),
        "seconds": round(seconds, 1),
        "records_per_s": round(records / seconds, 1),
        "first_pages_p50_ms": round(statistics.median(first) * 1000, 2),
        "first_pages_p95_ms": round(quantile(first, 0.95) * 1000, 2),
        "last_pages_p50_ms": round(statistics.median(last) * 1000, 2),
        "last_pages_p95_ms": round(quantile(last, 0.95) * 1000, 2),
    }
    result["last_over_first_p95"] = round(
        result["last_pages_p95_ms"] / result["first_pages_p95_ms"], 2
    )
    verdict = (
        "PASS" if result["last_over_first_p95"] <= 2 and records == options.signatures else "MISS"
    )
    print(f"{verdict}: last pages' p95 is {result['last_over_first_p95']}x the first's")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
