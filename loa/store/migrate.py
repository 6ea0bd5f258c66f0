"""Schema migrations with Alembic, run by the store when it opens (idempotent).

A store that is already current opens without importing Alembic (it costs ~0.4 s,
which every `loa` command would pay): the heads are read from the revision files
with a regex and compared with the alembic_version table. Several heads are fine
(independent branches, e.g. one per channel); `upgrade` applies them all.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
_REV = re.compile(r"^revision\s*=\s*['\"]([^'\"]+)['\"]", re.M)
_DOWN = re.compile(r"^down_revision\s*=\s*(.+)$", re.M)


def heads() -> frozenset[str]:
    """Revisions no other revision builds on, read from the scripts without Alembic."""
    revisions, parents = set(), set()
    for script in (MIGRATIONS / "versions").glob("*.py"):
        text_ = script.read_text(encoding="utf-8")
        rev, down = _REV.search(text_), _DOWN.search(text_)
        if rev:
            revisions.add(rev.group(1))
        if down:
            parents.update(re.findall(r"['\"]([^'\"]+)['\"]", down.group(1)))
    return frozenset(revisions - parents)


def alembic_config(connection):
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def current(engine: Engine) -> frozenset[str]:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return frozenset()
        return frozenset(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())


def upgrade(engine: Engine) -> None:
    if current(engine) == heads():
        return
    from alembic import command

    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "heads")


def script_heads() -> frozenset[str]:
    from alembic.script import ScriptDirectory

    return frozenset(ScriptDirectory(str(MIGRATIONS)).get_heads())


def autogenerate(engine: Engine, message: str) -> None:
    """Developer helper: write a new revision from the difference between schema.py and the database."""
    from alembic import command

    with engine.begin() as conn:
        command.revision(alembic_config(conn), message=message, autogenerate=True)
