"""The schema comes only from migrations, and the migrations match the models."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, inspect

from campaign.migrate import alembic_config, check_database, upgrade_database
from campaign.models import Base


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
