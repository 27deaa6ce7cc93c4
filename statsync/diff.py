"""Canonical live vs canonical desired → field-level changes users can read.

Equal canonical forms short-circuit (most objects in a large project are
unchanged); otherwise deepdiff finds what differs and we turn its findings into
our own `Change(path, before, after)`. Users never see deepdiff's repr.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from deepdiff import DeepDiff
from deepdiff.helper import NotPresent

from statsync.kinds import Kind


class _Absent:
    """A field that is not set on one side."""

    def __repr__(self) -> str:
        return "(absent)"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Absent)

    def __hash__(self) -> int:
        return 0


ABSENT = _Absent()


@dataclass(frozen=True)
class Change:
    path: str  # rules[Rollout].passPercentage
    before: Any  # ABSENT when the field is new
    after: Any  # ABSENT when the field goes away
    note: str = ""  # e.g. "order" for a reordered rule list

    @property
    def field(self) -> str:
        """The top-level field this change is in."""
        return self.path.split("[", 1)[0].split(".", 1)[0]


def diff(kind: Kind, live: dict[str, Any], desired: dict[str, Any]) -> list[Change]:
    """Changes that turn `live` into `desired`, for the fields `desired` manages."""
    changes: list[Change] = []
    for name, wanted in desired.items():
        current = live.get(name, ABSENT)
        if current == wanted:
            continue
        keyed = kind.keyed_lists.get(name)
        if keyed and isinstance(current, list) and isinstance(wanted, list):
            changes.extend(_keyed_changes(name, _by_key(current, keyed.key), _by_key(wanted, keyed.key)))
        else:
            changes.extend(_value_changes(name, current, wanted))
    return changes


def _by_key(items: list[dict], key: str) -> dict[Any, dict]:
    return {item.get(key): item for item in items}


def _keyed_changes(name: str, current: dict, wanted: dict) -> list[Change]:
    changes = []
    for key, item in wanted.items():
        label = f"{name}[{key}]"
        if key not in current:
            changes.append(Change(label, ABSENT, item))
        elif current[key] != item:
            changes.extend(_value_changes(label, current[key], item))
    for key, item in current.items():
        if key not in wanted:
            changes.append(Change(f"{name}[{key}]", item, ABSENT))
    common_current = [key for key in current if key in wanted]
    common_wanted = [key for key in wanted if key in current]
    if common_current != common_wanted:
        changes.append(Change(name, list(current), list(wanted), note="order"))
    return changes


def _value_changes(label: str, current: Any, wanted: Any) -> list[Change]:
    if not (isinstance(current, dict) and isinstance(wanted, dict)):
        return [Change(label, current, wanted)]
    found = DeepDiff(current, wanted, view="tree", ignore_numeric_type_changes=True, verbose_level=2)
    changes: dict[str, Change] = {}
    for level in (lvl for levels in found.values() for lvl in levels):
        parts = level.path(output_format="list")
        # Lists are shown whole: their items are sorted or keyed, so an index
        # would not point at anything in the user's file.
        cut = next((i for i, part in enumerate(parts) if isinstance(part, int)), len(parts))
        parts = parts[:cut]
        before, after = _at(current, parts), _at(wanted, parts)
        path = label + "".join(f".{part}" for part in parts)
        changes.setdefault(path, Change(path, before, after))
    return [changes[path] for path in sorted(changes)]  # deepdiff's own order is not stable


def _at(value: Any, parts: list) -> Any:
    for part in parts:
        if not isinstance(value, dict) or part not in value:
            return ABSENT
        value = value[part]
    return ABSENT if isinstance(value, NotPresent) else value
