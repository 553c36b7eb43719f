"""`campaign targets import` and `campaign targets postcodes`, run as the command runs
them, against the test database."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from campaign.cli import app
from campaign.config import Settings, get_settings
from campaign.targets.models import Official
from campaign.targets.service import divisions_of_postcode
from tests.targets.documents import (
    CSV_HEADER,
    EASTMOOR,
    OFFICIALS_CSV,
    OFFICIALS_CSV_SKIPPED,
    POSTCODES_CSV,
    popolo_document,
)

Factory = async_sessionmaker[AsyncSession]


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    # The command reads its settings once per process; each run here sets its own.
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def run_command(settings: Settings, *args: str) -> Result:
    # In a thread: the command runs its own event loop, as it does from a shell.
    env = {"CAMPAIGN_DATABASE_URL": settings.database_url}
    return await asyncio.to_thread(CliRunner().invoke, app, list(args), env=env)


async def external_ids(factory: Factory) -> set[str]:
    async with factory() as session:
        return set(await session.scalars(select(Official.external_id)))


async def test_the_import_command_prints_counts_and_the_reasons_for_skipped_rows(
    settings: Settings, session_factory: Factory, fresh_settings: None, tmp_path: Path
) -> None:
    file = tmp_path / "officials.csv"
    file.write_text(OFFICIALS_CSV, encoding="utf-8")

    result = await run_command(settings, "targets", "import", str(file))

    assert result.exit_code == 0, result.output
    assert "officials.csv: 8 rows: 2 created, 0 updated, 6 skipped" in result.stdout
    for reason in OFFICIALS_CSV_SKIPPED:
        assert f"  {reason}\n" in result.stdout
    assert await external_ids(session_factory) == {"mp-1", "fm-1"}

    again = await run_command(settings, "targets", "import", str(file))
    assert "2 rows" not in again.stdout
    assert "0 created, 2 updated, 6 skipped" in again.stdout


async def test_the_import_command_lists_the_first_twenty_reasons(
    settings: Settings, session_factory: Factory, fresh_settings: None, tmp_path: Path
) -> None:
    file = tmp_path / "officials.csv"
    bad = "".join(f"x-{n},Name,,mayor,Town,not-an-address,GB,,,\n" for n in range(25))
    file.write_text(CSV_HEADER + bad, encoding="utf-8")

    result = await run_command(settings, "targets", "import", str(file))

    assert result.exit_code == 0, result.output
    assert result.stdout.count(": email: not a valid address") == 20
    assert "line 21: email" in result.stdout
    assert "line 22: email" not in result.stdout
    assert "... and 5 more skipped" in result.stdout


async def test_the_import_command_reads_popolo_with_a_country(
    settings: Settings, session_factory: Factory, fresh_settings: None, tmp_path: Path
) -> None:
    file = tmp_path / "westland.json"
    file.write_text(json.dumps(popolo_document()), encoding="utf-8")

    refused = await run_command(settings, "targets", "import", str(file))
    assert refused.exit_code == 1
    assert "--country: membership 1:" in refused.stderr
    assert await external_ids(session_factory) == set()  # one transaction: nothing kept

    result = await run_command(settings, "targets", "import", str(file), "--country", "GB")
    assert result.exit_code == 0, result.output
    assert f"popolo:p-orla:assembly:{EASTMOOR}" in await external_ids(session_factory)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.csv", None, "cannot read"),
        ("officials.csv", b"\xff\xfe\x00", "is not UTF-8 text"),
        ("officials.txt", b"id,name\n", "the file must be .csv or .json"),
        ("officials.csv", b"name\n", "the header row lacks the columns"),
        ("officials.json", b"{", "the file is not valid JSON"),
    ],
)
async def test_a_file_that_cannot_be_read_exits_with_1(
    settings: Settings,
    session_factory: Factory,
    fresh_settings: None,
    tmp_path: Path,
    name: str,
    content: bytes | None,
    message: str,
) -> None:
    file = tmp_path / name
    if content is not None:
        file.write_bytes(content)
    result = await run_command(settings, "targets", "import", str(file))
    assert result.exit_code == 1
    assert message in result.stderr


async def test_the_postcodes_command_replaces_a_countrys_table(
    settings: Settings, session_factory: Factory, fresh_settings: None, tmp_path: Path
) -> None:
    file = tmp_path / "postcodes.csv"
    file.write_text(POSTCODES_CSV, encoding="utf-8")

    result = await run_command(settings, "targets", "postcodes", str(file), "--country", "GB")
    assert result.exit_code == 0, result.output
    assert "postcodes.csv: 6 rows: 3 added, 1 already there, 2 skipped" in result.stdout
    assert "  line 6: postcode: empty\n" in result.stdout

    smaller = tmp_path / "smaller.csv"
    smaller.write_text("postcode,division_id\nN1 9GU,ocd-division/country:gb/x:y\n")
    replaced = await run_command(
        settings, "targets", "postcodes", str(smaller), "--country", "GB", "--replace"
    )
    assert replaced.exit_code == 0, replaced.output
    async with session_factory() as session:
        assert await divisions_of_postcode(session, "GB", "sw1a 1aa") == []
        assert await divisions_of_postcode(session, "GB", "n1 9gu") == [
            "ocd-division/country:gb/x:y"
        ]

    bad_country = await run_command(settings, "targets", "postcodes", str(file), "--country", "XX")
    assert bad_country.exit_code == 1
    assert bad_country.stderr.startswith("--country: must be an ISO 3166-1")
