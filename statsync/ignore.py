"""Ignore rules: field paths the Statsig console owns, never applied by statsync.

A pattern is dotted: `description`, `rules.*.passPercentage`,
`rules.Rollout.conditions`, `groups.*.parameterValues.color`. `*` (and other
fnmatch wildcards) match one step; after a rule or group list, a step is the
item's name. `gate:rules.*.passPercentage` limits a pattern to one kind.

Ignoring works by overlay: before diffing, the desired object takes the live
value at every ignored path, so the plan neither shows nor sends a change there;
the differences this hides are counted, not silently dropped.
"""
from __future__ import annotations

import copy
from fnmatch import fnmatchcase
from typing import Any

from statsync.kinds import Kind


def patterns_for(kind: Kind, patterns: list[str]) -> list[list[str]]:
    """The patterns that apply to this kind, split into steps."""
    out = []
    for pattern in patterns:
        scope, _, rest = pattern.rpartition(":")
        if scope and scope != kind.name:
            continue
        out.append(rest.split("."))
    return out


def overlay(kind: Kind, desired: dict[str, Any], live: dict[str, Any], patterns: list[str]) -> dict[str, Any]:
    """`desired` with live values at every ignored path (a copy)."""
    result = copy.deepcopy(desired)
    for steps in patterns_for(kind, patterns):
        _overlay_mapping(kind, result, live, steps, top=True)
    return result


def _overlay_mapping(kind: Kind, desired: dict, live: dict, steps: list[str], top: bool = False) -> None:
    head, rest = steps[0], steps[1:]
    for key in sorted(set(desired) | set(live)):
        if not fnmatchcase(str(key), head):
            continue
        if not rest:
            if key in live:
                desired[key] = copy.deepcopy(live[key])
            else:
                desired.pop(key, None)
            continue
        if key not in desired or key not in live:
            continue
        keyed = kind.keyed_lists.get(key) if top else None
        _overlay_value(kind, desired, live, key, rest, keyed.key if keyed else None)


def _overlay_value(kind: Kind, holder: dict | list, live_holder: dict | list, key: Any, steps: list[str],
                   item_key: str | None) -> None:
    desired, live = holder[key], live_holder[key]
    if isinstance(desired, dict) and isinstance(live, dict):
        _overlay_mapping(kind, desired, live, steps)
    elif isinstance(desired, list) and isinstance(live, list):
        _overlay_list(kind, desired, live, steps, item_key)


def _overlay_list(kind: Kind, desired: list, live: list, steps: list[str], item_key: str | None) -> None:
    head, rest = steps[0], steps[1:]
    if item_key is not None:  # rules and groups: match items by name
        live_items = {item.get(item_key): item for item in live if isinstance(item, dict)}
        pairs = [(index, live_items.get(item.get(item_key))) for index, item in enumerate(desired)
                 if isinstance(item, dict) and fnmatchcase(str(item.get(item_key)), head)]
    else:
        pairs = [(index, live[index]) for index in range(min(len(desired), len(live)))
                 if fnmatchcase(str(index), head)]
    for index, live_item in pairs:
        if live_item is None:
            continue
        if not rest:
            desired[index] = copy.deepcopy(live_item)
        elif isinstance(desired[index], dict) and isinstance(live_item, dict):
            _overlay_mapping(kind, desired[index], live_item, rest)
