"""Safeguards a plan weakens: a review requirement switched off, a production environment
that no longer needs a review, a key granted a scope that writes. Read from each kind's
`safeguards` (dotted field → the value that guards) and `grants` (set field → the values
that widen it); the plan shows each as a warning and counts them in its summary."""
from __future__ import annotations

import json
from typing import Any, Iterator

from statsync.kinds import Kind


PREFIX = "weakens a safeguard"


def called_out(warnings: list[str]) -> list[str]:
    """The warnings (of a plan's steps) that name a weakened safeguard."""
    return [warning for warning in warnings if warning.startswith(PREFIX)]


def weakened(kind: Kind, live_form: dict[str, Any], desired_form: dict[str, Any]) -> list[str]:
    """What moving `live_form` to `desired_form` switches off, one line each."""
    out = []
    for dotted, guarded in kind.safeguards.items():
        head, *rest = dotted.split(".")
        keyed = kind.keyed_lists.get(head)
        for label, before, after in _pairs(head, live_form.get(head), desired_form.get(head), rest,
                                           keyed.key if keyed else None):
            if head in kind.switch_maps and head in desired_form:  # a switch left out is off
                before, after = bool(before), bool(after)
            if before == guarded and after is not None and after != guarded:  # None: not managed
                out.append(f"{PREFIX}: {label} {_text(before)} → {_text(after)}")
    for name, powers in kind.grants.items():
        if not isinstance(desired_form.get(name), list):  # not managed, or not a list: nothing granted
            continue
        had = live_form.get(name) if isinstance(live_form.get(name), list) else []
        for granted in sorted(set(desired_form[name]) & set(powers) - set(had)):
            out.append(f"{PREFIX}: {name} gains {_text(granted)}")
    return out


def _pairs(label: str, live: Any, desired: Any, rest: list[str], key: str | None) -> Iterator[tuple]:
    if not rest:
        yield label, live, desired
        return
    if isinstance(live, list) and isinstance(desired, list):
        # list items by their key (an environment by name); an item removed is not a weakening
        wanted = {item.get(key): item for item in desired if isinstance(item, dict)} if key else {}
        for index, item in enumerate(live):
            if not isinstance(item, dict):
                continue
            name = item.get(key) if key else index
            match = wanted.get(name) if key else (desired[index] if index < len(desired) else None)
            if isinstance(match, dict):
                yield from _pairs(f"{label}[{name}]", item, match, rest, None)
        return
    if isinstance(live, dict) and isinstance(desired, dict):
        name = rest[0]
        yield from _pairs(f"{label}.{name}", live.get(name), desired.get(name), rest[1:], None)


def _text(value: Any) -> str:
    return "(absent)" if value is None else json.dumps(value)
