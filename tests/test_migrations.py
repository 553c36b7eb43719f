"""The schema comes only from migrations, and the migrations match the models."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import IntegrityError

from campaign import db
from campaign.config import Settings
from campaign.migrate import alembic_config, check_database, upgrade_database
from campaign.models import Base
from tests.fixtures.database import is_postgres


def test_models_and_migrations_agree(database_url: str) -> None:
    check_database(database_url)  # raises if autogenerate would find a difference


def test_migrations_go_down_and_up_again(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/cycle.db"
    upgrade_database(url)
    command.downgrade(alembic_config(url), "base")
    tables = set(inspect(create_engine(f"sqlite:///{tmp_path}/cycle.db")).get_table_names())
    assert tables == {"alembic_version"}
    upgrade_database(url)
    tables = set(inspect(create_engine(f"sqlite:///{tmp_path}/cycle.db")).get_table_names())
    assert tables == set(Base.metadata.tables) | {"alembic_version"}


# The revision before calls could be `possible`, and the one that allows it.
BEFORE_POSSIBLE = "ebd4217b0984"
POSSIBLE_CALLS = "fac17cb7cb58"
_NOW = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture
def scratch_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A database of its own to go up and down in: a SQLite file, or on PostgreSQL a
    database made for the test beside the suite's one (which the others are using)."""
    if not is_postgres(database_url):
        yield f"sqlite+aiosqlite:///{tmp_path}/scratch.db"
        return
    server, _, name = database_url.rpartition("/")
    scratch = f"{name}_migrations"
    asyncio.run(_run_on(f"{server}/postgres", f"DROP DATABASE IF EXISTS {scratch}"))
    asyncio.run(_run_on(f"{server}/postgres", f"CREATE DATABASE {scratch}"))
    try:
        yield f"{server}/{scratch}"
    finally:
        asyncio.run(_run_on(f"{server}/postgres", f"DROP DATABASE {scratch}"))


async def _run_on(url: str, *statements: str, params: dict | None = None) -> list:
    engine = db.create_engine(Settings(database_url=url))
    rows: list = []
    try:
        # AUTOCOMMIT: PostgreSQL makes and drops databases outside a transaction.
        options = {"isolation_level": "AUTOCOMMIT"} if is_postgres(url) else {}
        async with engine.connect() as connection:
            connection = await connection.execution_options(**options)
            for statement in statements:
                result = await connection.execute(text(statement), params or {})
                if result.returns_rows:
                    rows = list(result.all())
            await connection.commit()
    finally:
        await engine.dispose()
    return rows


def _add_call(url: str, call_id: int, status: str, merged_into_id: int | None = None) -> None:
    asyncio.run(
        _run_on(
            url,
            'INSERT INTO calls_to_action (id, release_id, sentence, start, "end", targets,'
            " resolved_targets, action, strength, confidence, reason, status, merged_into_id,"
            " edited, created_at, updated_at) VALUES (:id, 1, 'States must act.', 0, 16, '[]',"
            " '[]', 'act', 'must', 0.9, 'modal', :status, :merged, false, :now, :now)",
            params={"id": call_id, "status": status, "merged": merged_into_id, "now": _NOW},
        )
    )


def _statuses(url: str) -> list[tuple[int, str, int | None]]:
    rows = asyncio.run(
        _run_on(url, "SELECT id, status, merged_into_id FROM calls_to_action ORDER BY id")
    )
    return [tuple(row) for row in rows]


def test_possible_calls_come_with_their_migration_and_go_with_it(scratch_url: str) -> None:
    upgrade_database(scratch_url, BEFORE_POSSIBLE)
    asyncio.run(
        _run_on(
            scratch_url,
            "INSERT INTO releases (id, content_hash, language, source_format, submitted, text,"
            " created_at) VALUES (1, 'hash', 'en', 'text', 'States must act.',"
            " 'States must act.', :now)",
            params={"now": _NOW},
        )
    )
    _add_call(scratch_url, 1, "proposed")
    # A merged call points at another row of the same table, which SQLite's copy of
    # the table must carry over.
    _add_call(scratch_url, 2, "merged", merged_into_id=1)
    with pytest.raises(IntegrityError):
        _add_call(scratch_url, 3, "possible")

    upgrade_database(scratch_url, POSSIBLE_CALLS)
    _add_call(scratch_url, 3, "possible")
    with pytest.raises(IntegrityError):
        _add_call(scratch_url, 4, "maybe")
    with pytest.raises(IntegrityError):  # references are still enforced
        _add_call(scratch_url, 4, "merged", merged_into_id=99)
    assert _statuses(scratch_url) == [
        (1, "proposed", None),
        (2, "merged", 1),
        (3, "possible", None),
    ]

    command.downgrade(alembic_config(scratch_url), BEFORE_POSSIBLE)
    assert _statuses(scratch_url) == [
        (1, "proposed", None),
        (2, "merged", 1),
        (3, "proposed", None),
    ]
    with pytest.raises(IntegrityError):
        _add_call(scratch_url, 4, "possible")
    upgrade_database(scratch_url)
    check_database(scratch_url)


# The revision before signatures kept their normalised postcode, and the one that adds it.
BEFORE_NORMALISED_POSTCODES = "3c5e7a9b1d20"
NORMALISED_POSTCODES = "abe91f4bab15"
TYPED_POSTCODES = {1: "n1  9gu", 2: "(N1/9GU)", 3: None, 4: "sw1a\u00a01aa", 5: "--"}


def test_signatures_there_are_get_their_normalised_postcode(scratch_url: str) -> None:
    upgrade_database(scratch_url, BEFORE_NORMALISED_POSTCODES)
    asyncio.run(
        _run_on(
            scratch_url,
            "INSERT INTO consent_texts (id, purpose, language, version, text, created_at)"
            " VALUES (1, 'email_updates', 'en', 1, 'News?', :now)",
            "INSERT INTO campaigns (id, kind, slug, title, summary, body_markdown, target,"
            " language, state, postcode_mode, consent_text_id, created_at, updated_at)"
            " VALUES (1, 'petition', 'p', 'P', 'S', 'B', 'T', 'en', 'published', 'optional', 1,"
            " :now, :now)",
            params={"now": _NOW},
        )
    )
    for n, postcode in TYPED_POSTCODES.items():
        asyncio.run(
            _run_on(
                scratch_url,
                "INSERT INTO people (id, email_normalised, email, given_name, family_name,"
                " country, custom_fields, created_at, modified_at) VALUES (:n, :email, :email,"
                " 'A', 'B', 'GB', '{}', :now, :now)",
                "INSERT INTO signatures (id, campaign_id, person_id, status, email, given_name,"
                " family_name, country, postcode, email_updates, channel, emails_sent,"
                " created_at, modified_at) VALUES (:n, 1, :n, 'confirmed', :email, 'A', 'B',"
                " 'GB', :postcode, false, 'web', 1, :now, :now)",
                params={"n": n, "email": f"p{n}@example.org", "postcode": postcode, "now": _NOW},
            )
        )

    upgrade_database(scratch_url, NORMALISED_POSTCODES)
    rows = asyncio.run(
        _run_on(scratch_url, "SELECT id, postcode_normalised FROM signatures ORDER BY id")
    )
    assert [tuple(row) for row in rows] == [
        (1, "N19GU"),
        (2, "N19GU"),
        (3, None),
        (4, "SW1A1AA"),
        (5, None),  # nothing a directory could hold
    ]
    command.downgrade(alembic_config(scratch_url), BEFORE_NORMALISED_POSTCODES)
    upgrade_database(scratch_url)
    check_database(scratch_url)
