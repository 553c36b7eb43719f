"""Target directory import benchmark: 100,000 officials from a CSV file, twice.

What it measures
    --rows synthetic officials (names, ids and addresses made up here) are written to a
    CSV in a temporary folder, then imported through `campaign.targets.imports` (the
    same reader and writer as `campaign targets import`) in one transaction, the way
    the command does it. The second import of the same file finds every official
    already there, so it is all updates. Each time is from reading the file to the
    commit. It checks the counts each import reports, and that the table holds each
    official of the run once.

How to run (from the repository root)
    .venv/bin/python bench/targets_import.py                      # a temporary SQLite file
    CAMPAIGN_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/bench \\
        .venv/bin/python bench/targets_import.py

    The schema is brought to the newest migration (`campaign db upgrade`). The
    officials of a run have ids of their own (`bench-<run>:<n>`) and are deleted at the
    end, so other rows of the database are left alone. The last line of standard
    output is one JSON object with the results; progress goes to standard error.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import ColumnElement, delete, func, select

from campaign.config import Settings
from campaign.db import create_engine, create_session_factory, transaction
from campaign.targets.imports import (
    OFFICIAL_CSV_COLUMNS,
    import_officials,
    read_officials_file,
)
from campaign.targets.models import Official

ROOT = Path(__file__).resolve().parent.parent

_GIVEN = ("Ardith", "Bexley", "Corvin", "Dalia", "Emrys", "Fenna", "Garrow", "Hollis")
_FAMILY = ("Quillfeather", "Marchbank", "Tenterden", "Oakhollow", "Pennifold", "Rushmere")
_ROLES = ("Legislator", "Senator", "Foreign Minister", "Mayor")


def progress(message: str) -> None:
    print(f"[targets_import] {message}", file=sys.stderr, flush=True)


def write_officials_csv(path: Path, rows: int, id_prefix: str) -> None:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(OFFICIAL_CSV_COLUMNS)
        for number in range(rows):
            given = _GIVEN[number % len(_GIVEN)]
            family = _FAMILY[number // len(_GIVEN) % len(_FAMILY)]
            writer.writerow(
                [
                    f"{id_prefix}{number}",
                    f"{given} {family} {number}",
                    f"Member of the Assembly for District {number}",
                    _ROLES[number % len(_ROLES)],
                    "Assembly of Examples",
                    f"{given.lower()}.{family.lower()}.{number}@assembly.example.org",
                    "GB",
                    f"ocd-division/country:gb/district:{number}",
                    "Party of Samples" if number % 3 else "",
                    "https://assembly.example.org/members",
                ]
            )


def prepare_schema(url: str) -> None:
    progress("campaign db upgrade")
    env = {**os.environ, "CAMPAIGN_DATABASE_URL": url}
    subprocess.run(
        [sys.executable, "-m", "campaign", "db", "upgrade"],
        env=env,
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )


def officials_of_run(id_prefix: str) -> ColumnElement[bool]:
    return Official.external_id.startswith(id_prefix, autoescape=True)


async def delete_officials(url: str, id_prefix: str) -> None:
    engine = create_engine(Settings(environment="development", database_url=url))
    try:
        async with transaction(create_session_factory(engine)) as session:
            await session.execute(delete(Official).where(officials_of_run(id_prefix)))
    finally:
        await engine.dispose()


async def import_file(url: str, path: Path, id_prefix: str) -> tuple[float, dict[str, int]]:
    engine = create_engine(Settings(environment="development", database_url=url))
    try:
        started = time.perf_counter()
        async with transaction(create_session_factory(engine)) as session:
            # As the command reads it: decoded, line breaks as stored.
            text = path.read_bytes().decode("utf-8")
            source = read_officials_file(path.name, text)
            report = await import_officials(session, source.rows)
        seconds = time.perf_counter() - started
        async with create_session_factory(engine)() as session:
            stored = await session.scalar(
                select(func.count()).select_from(Official).where(officials_of_run(id_prefix))
            )
    finally:
        await engine.dispose()
    counts = {
        "created": report.created,
        "updated": report.updated,
        "skipped": len(report.skipped),
        "stored": stored or 0,
    }
    return seconds, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="officials in the file")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="targets-import-") as folder:
        url = os.environ.get("CAMPAIGN_DATABASE_URL") or f"sqlite+aiosqlite:///{folder}/bench.db"
        prepare_schema(url)
        id_prefix = f"bench-{uuid.uuid4().hex[:8]}:"
        path = Path(folder) / "officials.csv"
        write_officials_csv(path, args.rows, id_prefix)
        progress(f"{args.rows} officials in {path.stat().st_size / 1e6:.1f} MB of CSV")
        try:
            first_s, first = asyncio.run(import_file(url, path, id_prefix))
            print(f"first import:  {first_s:6.2f} s, {args.rows / first_s:7.0f} rows/s, {first}")
            second_s, second = asyncio.run(import_file(url, path, id_prefix))
            print(f"second import: {second_s:6.2f} s, {args.rows / second_s:7.0f} rows/s, {second}")
        finally:
            asyncio.run(delete_officials(url, id_prefix))

    expected_first = {"created": args.rows, "updated": 0, "skipped": 0, "stored": args.rows}
    expected_second = {"created": 0, "updated": args.rows, "skipped": 0, "stored": args.rows}
    if first != expected_first or second != expected_second:
        print("MISMATCH: the counts are not what the file holds", file=sys.stderr)
        raise SystemExit(1)
    print(
        json.dumps(
            {
                "rows": args.rows,
                "first_import_s": round(first_s, 2),
                "second_import_s": round(second_s, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
