"""One place that turns the environment into a loaded config and an open store, once per process."""

from __future__ import annotations

import logging
from functools import lru_cache

from loa.config import Config, Env, load_config, start
from loa.store import Store

log = logging.getLogger(__name__)


@lru_cache(maxsize=4)
def _config(env_json: str) -> Config:
    return start(load_config(Env.model_validate_json(env_json)))


@lru_cache(maxsize=4)
def _open(env_json: str) -> tuple[Config, Store]:
    cfg = _config(env_json)
    return cfg, Store.open(cfg.database_url)


def config() -> Config:
    """The config for the current environment, loaded, validated and started once per process."""
    return _config(Env().model_dump_json())


def runtime() -> tuple[Config, Store]:
    """The config and store for the current environment (LOA_* variables)."""
    return _open(Env().model_dump_json())
