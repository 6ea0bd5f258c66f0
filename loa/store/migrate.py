"""Schema migrations with Alembic, run by the store when it opens (idempotent)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(connection) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: Engine) -> None:
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")


def autogenerate(engine: Engine, message: str) -> None:
    """Developer helper: write a new revision from the difference between schema.py and the database."""
    with engine.begin() as conn:
        command.revision(alembic_config(conn), message=message, autogenerate=True)
