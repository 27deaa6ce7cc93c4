"""Lifecycle moves: from an object's live status to the one its YAML asks for.

Statuses change through their own endpoints (launch, start, make_decision,
archive…), so they become plan steps of their own, ordered around the object's
field update: leaving a read-only state (unarchive, reset) comes first, entering
one (start, archive) after. What Statsig forbids is refused at plan time, with
the reason.
"""
from __future__ import annotations

from collections import deque
from typing import Any

from statsync.kinds import Kind, Lifecycle, Transition


class Refused(Exception):
    """This change cannot be planned; the message says why."""


def path(lifecycle: Lifecycle, current: str, wanted: str) -> list[Transition]:
    """The shortest sequence of transitions from `current` to `wanted`."""
    if current == wanted:
        return []
    if (current, wanted) in lifecycle.forbidden:
        raise Refused(f"cannot go from {current} to {wanted}: {lifecycle.forbidden[(current, wanted)]}")
    queue: deque[tuple[str, list[Transition]]] = deque([(current, [])])
    seen = {current}
    while queue:
        status, steps = queue.popleft()
        for transition in lifecycle.transitions:
            if transition.final_only and transition.to != wanted:
                continue
            if status in transition.from_ and transition.to not in seen:
                route = [*steps, transition]
                if transition.to == wanted:
                    return route
                seen.add(transition.to)
                queue.append((transition.to, route))
    raise Refused(f"Statsig has no way from {current} to {wanted}")


def initial_status(kind: Kind, body: dict[str, Any]) -> str:
    """The status a newly created object will have."""
    lifecycle = kind.lifecycle
    if lifecycle.disabled and body.get("isEnabled") is False:
        return lifecycle.disabled
    if body.get(lifecycle.field) in lifecycle.created_in:
        return body[lifecycle.field]
    return lifecycle.initial


def status_owned(kind: Kind, body: dict[str, Any], live: dict[str, Any] | None) -> set[str]:
    """Fields the status decides rather than the file, so they are never compared or sent
    as field changes: where the YAML asks for a status, every field a status sets (the move
    there sets it; a field the YAML also writes was checked to agree); where it does not,
    those fields in a status beyond the isEnabled switch (a launched gate's isEnabled false
    is the launch, and PATCHing it back to the default would un-launch the gate)."""
    lifecycle = kind.lifecycle
    if lifecycle is None or not lifecycle.status_fields:
        return set()
    owned = {name for fields in lifecycle.status_fields.values() for name in fields}
    if body.get(lifecycle.field) is not None:
        return owned
    current = (live or {}).get(lifecycle.field)
    return owned if current is not None and current not in (lifecycle.initial, lifecycle.disabled) else set()


def answered_status(kind: Kind, live: dict[str, Any]) -> Any:
    """The live status, or, when an answer leaves it out, the one status whose fields the
    object has (a dynamic config without `status`: its isEnabled says Enabled or Disabled;
    no spec example of a config carries `status`, EVIDENCE.md). None when ambiguous."""
    lifecycle = kind.lifecycle
    if lifecycle is None or lifecycle.field in live:
        return live.get(lifecycle.field) if lifecycle else None
    if lifecycle.status_of is not None:
        return lifecycle.status_of(live)
    fitting = [status for status, fields in lifecycle.status_fields.items()
               if fields and all(name in live and live[name] == value for name, value in fields.items())]
    return fitting[0] if len(fitting) == 1 else None


def implied_fields(kind: Kind, body: dict[str, Any]) -> dict[str, Any]:
    """The field values the status the YAML asks for sets ({} when it asks for none)."""
    lifecycle = kind.lifecycle
    status = body.get(lifecycle.field) if lifecycle else None
    return dict(lifecycle.status_fields.get(status, {})) if status is not None else {}


def contradiction(kind: Kind, body: dict[str, Any]) -> str | None:
    """A field the YAML writes that the status it asks for gives another value."""
    lifecycle = kind.lifecycle
    status = body.get(lifecycle.field) if lifecycle else None
    for name, value in (lifecycle.status_fields.get(status, {}) if status is not None else {}).items():
        if name in body and body[name] != value:
            return f"{status!r} contradicts {name}: {str(body[name]).lower()}"
    return None


def request_body(transition: Transition, kind: Kind, desired: dict[str, Any], live: dict[str, Any] | None) -> Any:
    if transition.body is None:
        return None
    if transition.body == "{}":
        return {}
    reason = desired.get("decisionReason") or ""
    if transition.action == "abandon":
        return {"decisionReason": reason}
    return {"id": group_id(desired.get("launchedGroupID"), live, kind), "decisionReason": reason}


def group_id(wanted: Any, live: dict[str, Any] | None, kind: Kind) -> str:
    """launchedGroupID is written as a group (a variant) name or id; Statsig wants the live id."""
    field = kind.lifecycle.groups_field
    groups = (live or {}).get(field) or []
    for group in groups:
        if wanted in (group.get("name"), group.get("id")):
            return group["id"]
    title = kind.title.lower()
    if not groups:
        raise Refused(f"a decision needs the {title} running with its {field}: apply the start first, "
                      "then plan the decision")
    names = ", ".join(repr(g.get("name")) for g in groups)
    raise Refused(f"launchedGroupID {wanted!r} names none of the live {title}'s {field} ({names})")
