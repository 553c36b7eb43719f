"""Alembic environment: async, URL from campaign's settings, batch mode on SQLite
so the same migrations run on both databases."""

from __future__ import annotations

import asyncio
from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection

from campaign.config import get_settings
from campaign.db import create_engine
from campaign.models import Base

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def _database_url() -> str:
    # Callers (tests, the CLI) may hand over a URL; otherwise the environment decides.
    return config.attributes.get("database_url") or get_settings().database_url


def run_migrations_offline() -> None:
    url = _database_url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_with_connection(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        _set_sqlite_foreign_keys(connection, on=False)
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=sqlite,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
        if sqlite:
            _ensure_sqlite_references_hold(connection)


def _set_sqlite_foreign_keys(connection: Connection, *, on: bool) -> None:
    """Batch mode rebuilds a SQLite table by copying it and dropping the original, and
    with enforcement on, dropping a table that rows still point to (its own rows, for
    a self-reference) fails. SQLite's own advice for rebuilding a table is to turn
    enforcement off first; the pragma is ignored inside a transaction, so this goes to
    the driver before anything begins one."""
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    finally:
        cursor.close()


def _ensure_sqlite_references_hold(connection: Connection) -> None:
    # What enforcement would have refused, refused before the commit instead.
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"the migration left rows pointing nowhere: {broken[:5]}")


async def run_migrations_online() -> None:
    settings = get_settings().model_copy(update={"database_url": _database_url()})
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run_with_connection)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_migrations_online())
