"""Desired objects + live objects → a Plan: the steps, their changes and requests.

A Plan is plain data. It is rendered (text now; JSON and Markdown share it),
executed by `executor`, and every request body it holds is exactly what will be
sent, so a reviewer reads the real thing.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from statsync.diff import ABSENT, Change, diff
from statsync.kinds import Kind, all_kinds
from statsync.normalize import canonical, with_defaults
from statsync.references import references
from statsync.validate import DesiredObject

LiveObjects = dict[str, dict[str, dict[str, Any]]]  # kind name → id → live object


@dataclass(frozen=True)
class ApiRequest:
    method: str
    path: str  # under /console/v1
    body: dict[str, Any] | None = None


@dataclass(frozen=True)
class LiveVersion:
    """What the live object looked like when planned (for conflict checks)."""

    version: Any
    last_modified_time: Any
    last_modifier_name: str | None

    @classmethod
    def of(cls, live: dict[str, Any]) -> "LiveVersion":
        return cls(live.get("version"), live.get("lastModifiedTime"), live.get("lastModifierName"))


@dataclass
class Step:
    action: str  # create | update
    kind: str
    id: str
    changes: list[Change]
    requests: list[ApiRequest]
    depends_on: list[str] = field(default_factory=list)  # addresses of other steps
    live: LiveVersion | None = None

    @property
    def address(self) -> str:
        return f"{self.kind}.{self.id}"


@dataclass
class Plan:
    target: str
    steps: list[Step]
    unchanged: int = 0
    unmanaged: list[str] = field(default_factory=list)  # live objects the repository does not describe

    @property
    def has_changes(self) -> bool:
        return bool(self.steps)

    def count(self, action: str) -> int:
        return sum(1 for step in self.steps if step.action == action)

    @property
    def request_count(self) -> int:
        return sum(len(step.requests) for step in self.steps)


def build_plan(desired: list[DesiredObject], live: LiveObjects, target: str) -> Plan:
    steps: list[Step] = []
    unchanged = 0
    for obj in _in_kind_order(desired):
        current = live.get(obj.kind.name, {}).get(obj.id)
        step = _create(obj) if current is None else _update(obj, current)
        if step is None:
            unchanged += 1
        else:
            steps.append(step)
    _link_dependencies(steps, {o.key: o for o in desired})
    managed = {obj.key for obj in desired}
    unmanaged = [f"{kind}.{object_id}" for kind, objects in live.items() for object_id in objects
                 if (kind, object_id) not in managed]
    return Plan(target=target, steps=steps, unchanged=unchanged, unmanaged=sorted(unmanaged))


def _in_kind_order(desired: list[DesiredObject]) -> list[DesiredObject]:
    order = {name: index for index, name in enumerate(all_kinds())}
    return sorted(desired, key=lambda obj: (order[obj.kind.name], obj.id))


def _create(obj: DesiredObject) -> Step:
    kind = obj.kind
    body = {"id": obj.id, **copy.deepcopy(obj.body)}
    if kind.name_defaults_to_id:
        body.setdefault("name", obj.id)
    changes = []
    for name, value in body.items():
        keyed = kind.keyed_lists.get(name)
        if keyed is not None and isinstance(value, list):
            # one line per rule or group reads better than one long list
            changes += [Change(f"{name}[{item.get(keyed.key)}]", ABSENT, item) for item in value]
        elif name != "id":
            changes.append(Change(name, ABSENT, value))
    return Step("create", kind.name, obj.id, changes, [ApiRequest("POST", kind.path(), body)])


def _update(obj: DesiredObject, live: dict[str, Any]) -> Step | None:
    kind = obj.kind
    desired_form = canonical(kind, obj.id, obj.body)
    live_form = canonical(kind, obj.id, live)
    live_form = {name: value for name, value in live_form.items() if name in desired_form}
    if live_form == desired_form:
        return None
    changes = diff(kind, live_form, desired_form)
    if not changes:
        return None
    body = update_body(kind, obj, live, {change.field for change in changes})
    return Step("update", kind.name, obj.id, changes, [ApiRequest("PATCH", kind.path(obj.id), body)],
                live=LiveVersion.of(live))


def update_body(kind: Kind, obj: DesiredObject, live: dict[str, Any], fields: set[str]) -> dict[str, Any]:
    """A PATCH body with the changed top-level fields (PATCH merges top-level fields
    and replaces nested lists wholesale, DIGEST §19.4)."""
    desired = with_defaults(kind, obj.id, copy.deepcopy(obj.body))
    body = {}
    for name in sorted(fields | set(kind.always_sent)):
        if name not in desired:
            continue
        value = desired[name]
        keyed = kind.keyed_lists.get(name)
        if keyed is not None and isinstance(value, list):
            value = _echo_server_ids(value, live.get(name) or [], keyed)
        body[name] = value
    return body


def _echo_server_ids(items: list[dict], live_items: list[dict], keyed) -> list[dict]:
    """Give each desired item the server ids of the live item with the same key, so
    Statsig keeps the rule's or group's identity and history."""
    by_key = {item.get(keyed.key): item for item in live_items}
    out = []
    for item in items:
        match = by_key.get(item.get(keyed.key))
        item = dict(item)
        if match is not None:
            for name in (*keyed.server_ids, *keyed.carried):
                if match.get(name) is not None:
                    item[name] = match[name]
        out.append(item)
    return out


def _link_dependencies(steps: list[Step], desired: dict) -> None:
    """A step waits for the steps of the objects it references (a gate before the
    gates whose conditions name it, before experiments it targets)."""
    addresses = {(step.kind, step.id): step.address for step in steps}
    for step in steps:
        obj = desired[(step.kind, step.id)]
        for ref in references(obj.kind, obj.body):
            target = addresses.get((ref.target_kind, ref.target_id))
            if target and target != step.address and target not in step.depends_on:
                step.depends_on.append(target)
