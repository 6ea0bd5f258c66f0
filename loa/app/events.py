"""Emitting from a short-lived process (the CLI, the desk) with one POST to the Prefect server's events API.

No events client and no Prefect import: `loa approve` returns as soon as the
server has the event, and the deployment trigger fires on it at once.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from typing import Any

from loa import clock
from loa.config import Config
from loa.errors import LoaError

log = logging.getLogger(__name__)


class PrefectApiError(LoaError):
    """The Prefect server did not take a request: unreachable, an error status, or not its JSON."""


def find_prefect_api(cfg: Config) -> str | None:
    """The Prefect server to report to: PREFECT_API_URL, else the one `loa run` started, else none."""
    if os.environ.get("PREFECT_API_URL"):
        return os.environ["PREFECT_API_URL"]
    path = cfg.layout.run_file
    if not path.exists():
        return None
    api = json.loads(path.read_text()).get("prefect_api_url")
    import requests  # here, not at the top: an offline command never pays for it (~0.1 s)

    try:
        if api and requests.get(f"{api}/health", timeout=2).status_code == 200:
            os.environ["PREFECT_API_URL"] = api  # set before Prefect reads its settings
            return api
    except requests.RequestException:
        pass
    return None


def prefect_request(method: str, url: str, **kwargs) -> Any:
    """One call to the Prefect REST API, retrying the 503s it sends for errors a client may retry
    (e.g. its SQLite database busy): its JSON (None for an empty answer). Anything else that goes wrong
    is a PrefectApiError, so callers need not know the HTTP library."""
    import requests

    try:
        for attempt in range(5):
            response = requests.request(method, url, timeout=10, **kwargs)
            if response.status_code != 503:
                break
            time.sleep(0.2 * (attempt + 1))
        response.raise_for_status()
        return response.json() if response.content else None
    except requests.RequestException as exc:  # JSONDecodeError included
        raise PrefectApiError(str(exc)) from exc  # requests names the URL


def post_event(
    api_url: str,
    event: str,
    resource: dict[str, str],
    *,
    related: list[dict] | None = None,
    payload: dict | None = None,
) -> None:
    body = [
        {
            "id": str(uuid.uuid4()),
            "occurred": clock.now().isoformat(),
            "event": event,
            "resource": resource,
            "related": related or [],
            "payload": payload or {},
        }
    ]
    prefect_request("POST", f"{api_url.rstrip('/')}/events", json=body)
    log.debug("posted %s for %s to %s", event, resource.get("prefect.resource.id"), api_url)
