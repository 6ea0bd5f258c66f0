"""Emitting from a short-lived process (the CLI, the desk) with one POST to the Prefect server's events API.

No events client and no Prefect import: `loa approve` returns as soon as the
server has the event, and the deployment trigger fires on it at once.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import requests


def post_event(api_url: str, event: str, resource: dict[str, str], *, related: list[dict] | None = None,
               payload: dict | None = None) -> None:
    body = [{"id": str(uuid.uuid4()), "occurred": datetime.now(timezone.utc).isoformat(), "event": event,
             "resource": resource, "related": related or [], "payload": payload or {}}]
    response = requests.post(f"{api_url.rstrip('/')}/events", json=body, timeout=10)
    response.raise_for_status()
