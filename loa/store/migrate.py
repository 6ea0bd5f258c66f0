"""Schema migrations with Alembic, run by the store when it opens (idempotent).

HEAD names the newest revision so a store that is already current opens without
importing Alembic (it costs ~0.4 s, which every `loa` command would pay);
tests/unit/test_store.py checks HEAD against the migration scripts.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).parent / "migrations"
HEAD = "0001"


def alembic_config(connection):
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def current(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine) -> None:
    if current(engine) == HEAD:
        return
    from alembic import command

    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")


def script_head() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def autogenerate(engine: Engine, message: str) -> None:
    """Developer helper: write a new revision from the difference between schema.py and the database."""
    from alembic import command

    with engine.begin() as conn:
        command.revision(alembic_config(conn), message=message, autogenerate=True)
