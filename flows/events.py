"""Loa's Prefect events (DESIGN §3): the notice is the resource; feed or channel are related."""

from __future__ import annotations

import asyncio

from prefect.events import Event, emit_event

PREFIX = "loa"


def _resource(kind: str, ident: str | int, name: str | None = None) -> dict[str, str]:
    res = {"prefect.resource.id": f"{PREFIX}.{kind}.{ident}"}
    if name:
        res["prefect.resource.name"] = name
    return res


def notice_resource(notice_id: int, title: str | None = None) -> dict[str, str]:
    return _resource("notice", notice_id, title)


def related(kind: str, ident: str, role: str) -> dict[str, str]:
    return _resource(kind, ident) | {"prefect.resource.role": role}


def emit(event: str, resource: dict[str, str], *, related_: list[dict] | None = None,
         payload: dict | None = None) -> None:
    """Emit from inside a flow or task (Prefect's events worker sends it)."""
    emit_event(event=event, resource=resource, related=related_ or [], payload=payload or {})


def emit_now(event: str, resource: dict[str, str], *, related_: list[dict] | None = None,
             payload: dict | None = None) -> None:
    """Emit from a short-lived process (the CLI) and wait until the server has it."""
    from prefect.events.clients import get_events_client

    async def send() -> None:
        async with get_events_client() as client:
            await client.emit(Event(event=event, resource=resource, related=related_ or [], payload=payload or {}))

    asyncio.run(send())
