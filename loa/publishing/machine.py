"""The life of a notice version as one table: states, actions, who may act. Pure: no I/O.

The use cases (loa/publishing/actions.py, dispatch.py) ask `check()` before they change anything;
the store applies the transition in one transaction; the desk shows a button only where `allowed()`
says so; docs/state-machine.md is tested against `TABLE`. The one embargo rule (`is_due`) lives here
too, so the store, the dispatch, the website, the radio and the bulletin all agree on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from loa import clock
from loa.errors import InvalidTransition
from loa.model import LIVE_STATES, NoticeState, Priority

S = NoticeState

#: who may act, each including the ones before it: the desk's three account roles, then `operator`,
#: someone with a shell on the server (the `loa` CLI) or Loa itself (flows; audit actor "loa")
ROLES = ("editor", "approver", "admin", "operator")
SYSTEM_ACTOR = "loa"


@dataclass(frozen=True)
class Rule:
    action: str
    sources: frozenset[NoticeState]  # the states the version must be in
    targets: tuple[NoticeState, ...]  # what it becomes (empty: its state does not change)
    role: str  # the least role that may do it
    what: str  # one line for the docs and refusals

    def __post_init__(self):
        assert self.role in ROLES, self.role


#: Withdrawal and expiry end a public life; superseding happens when a newer version is *published*
#: (at its approval when it is due then, else when its embargoed dispatch starts), never at approval
#: of an embargoed version: until then the older version stays live on every channel.
TABLE: tuple[Rule, ...] = (
    Rule(
        "edit",
        frozenset({S.DRAFTED}),
        (),
        "editor",
        "change a draft: a channel's text, priority, target areas, read-aloud audio, recordings",
    ),
    Rule("schedule", frozenset({S.DRAFTED}), (), "approver", "set a draft's publish time (embargo) and expiry"),
    Rule(
        "approve",
        frozenset({S.DRAFTED}),
        (S.APPROVED,),
        "approver",
        "approve a draft (optionally with publish time and expiry); it is dispatched when due",
    ),
    Rule(
        "reject",
        frozenset({S.DRAFTED}),
        (S.REJECTED,),
        "approver",
        "reject a draft with a reason; nothing is published",
    ),
    Rule(
        "withdraw",
        frozenset({S.APPROVED, S.PUBLISHED, S.PARTIALLY_PUBLISHED, S.EXPIRED}),
        (S.WITHDRAWN,),
        "approver",
        "take an approved or public version off every channel (a scheduled run is cancelled)",
    ),
    Rule(
        "dispatch",
        frozenset({S.APPROVED, S.PUBLISHED, S.PARTIALLY_PUBLISHED}),
        (S.PUBLISHED, S.PARTIALLY_PUBLISHED),
        "operator",
        "deliver a due approved version to every channel; delivered targets are not sent again",
    ),
    Rule(
        "redeliver",
        frozenset({S.PUBLISHED, S.PARTIALLY_PUBLISHED, S.WITHDRAWN}),
        (),
        "operator",
        "send again what a broker outage left undelivered (publications and withdrawals)",
    ),
    Rule(
        "expire",
        frozenset({S.APPROVED, S.PUBLISHED, S.PARTIALLY_PUBLISHED}),
        (S.EXPIRED,),
        "operator",
        "a version past its expiry leaves the current lists, boards and playlists",
    ),
)
RULES: dict[str, Rule] = {r.action: r for r in TABLE}
ACTIONS = tuple(RULES)

#: versions that have a public page (the website keeps withdrawn and expired ones, marked)
PUBLIC_STATES = LIVE_STATES | {S.WITHDRAWN, S.EXPIRED}


def may(role: str, action: str) -> bool:
    """True when `role` includes the role the action needs."""
    return role in ROLES and ROLES.index(role) >= ROLES.index(RULES[action].role)


def allowed(state: NoticeState, role: str, action: str) -> bool:
    return may(role, action) and state in RULES[action].sources


def check(notice_id: int, version: int, state: NoticeState, role: str, action: str) -> Rule:
    """The rule for this action, or InvalidTransition saying who may do it and from which states."""
    if action not in RULES:
        raise InvalidTransition(f"{action!r} is not an action; the actions are {', '.join(ACTIONS)}")
    rule = RULES[action]
    if not may(role, action):
        raise InvalidTransition(
            f"cannot {action} notice {notice_id} v{version}: it needs the {rule.role} role (you act as {role})"
        )
    if state not in rule.sources:
        raise InvalidTransition(
            f"cannot {action} notice {notice_id} v{version}: it is {state.value}, and only "
            f"{', '.join(sorted(s.value for s in rule.sources))} versions can be {_past(action)}"
        )
    return rule


def _past(action: str) -> str:
    return {
        "edit": "edited",
        "schedule": "scheduled",
        "approve": "approved",
        "reject": "rejected",
        "withdraw": "withdrawn",
        "dispatch": "dispatched",
        "redeliver": "redelivered",
        "expire": "expired",
    }[action]


def is_due(priority: Priority, publish_at: datetime | None, now: datetime | None = None) -> bool:
    """The embargo rule: an approved version may reach the public once its publish time has come;
    an emergency is never held back."""
    if priority == Priority.EMERGENCY or publish_at is None:
        return True
    return publish_at <= (now or clock.now())


def is_expired(expires_at: datetime | None, now: datetime | None = None) -> bool:
    return expires_at is not None and expires_at <= (now or clock.now())
