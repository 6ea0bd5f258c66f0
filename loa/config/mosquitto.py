"""mosquitto/: the template of the embedded broker's configuration and its shipped ACL (loa.app.broker)."""

from __future__ import annotations

import logging
import string
from pathlib import Path

from loa.errors import ConfigError

log = logging.getLogger(__name__)

#: what loa.app.broker.prepare fills into mosquitto.conf
PLACEHOLDERS = ("passwd_file", "acl_file", "data_dir", "log_file", "port", "bind_host", "run_user")


def check_mosquitto(folder: Path) -> None:
    """The template names only known placeholders and the ACL file exists (a bad one would stop `loa run`
    with a traceback when the broker is set up)."""
    conf, acl = folder / "mosquitto.conf", folder / "acl"
    for file in (conf, acl):
        if not file.is_file():
            raise ConfigError(
                str(file), "(file)", "not found; copy it from the packaged defaults (loa/defaults/config/)"
            )
    template = string.Template(conf.read_text(encoding="utf-8"))
    if not template.is_valid():
        raise ConfigError(str(conf), "(file)", "has a stray $; write a literal dollar as $$")
    unknown = [name for name in template.get_identifiers() if name not in PLACEHOLDERS]
    if unknown:
        raise ConfigError(
            str(conf),
            f"${{{unknown[0]}}}",
            "is not a placeholder Loa fills in; use " + ", ".join(f"${{{p}}}" for p in PLACEHOLDERS),
        )
