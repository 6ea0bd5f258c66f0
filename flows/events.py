"""Emitting Loa's events from inside flows and tasks (Prefect's events worker sends them)."""

from __future__ import annotations

from prefect.events import emit_event


def emit(
    event: str, resource: dict[str, str], *, related: list[dict] | None = None, payload: dict | None = None
) -> None:
    emit_event(event=event, resource=resource, related=related or [], payload=payload or {})
