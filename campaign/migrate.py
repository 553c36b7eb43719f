"""Running the Alembic migrations from code (CLI, server start, tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

import migrations

MIGRATIONS_DIR = Path(migrations.__file__).parent


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logging"] = False
    return config


def upgrade_database(database_url: str, revision: str = "head") -> None:
    """Bring the schema up to `revision`. Synchronous: call it outside an event loop."""
    command.upgrade(alembic_config(database_url), revision)


def check_database(database_url: str) -> None:
    """Fail if the models describe a schema the migrations do not create."""
    command.check(alembic_config(database_url))
