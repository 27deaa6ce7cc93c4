"""Which other objects an object names, read from its kind's `references`."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

from statsync.kinds import Kind, all_kinds

FieldPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Ref:
    target_kind: str
    target_id: str
    path: FieldPath  # where the reference is written, for error marks


def references(kind: Kind, body: dict[str, Any]) -> Iterator[Ref]:
    """Every reference in `body` (a desired body or a live object)."""
    for ref in kind.references:
        target = all_kinds()[ref.target]
        if ref.field is not None:
            value = body.get(ref.field)
            names = [(value, (ref.field,))] if isinstance(value, str) else \
                [(item, (ref.field, index)) for index, item in enumerate(value)] if isinstance(value, list) else []
            for name, where in names:
                if isinstance(name, str) and name and name not in ref.builtins and not target.is_implicit(name):
                    yield Ref(ref.target, name, where)
            continue
        for rule_index, rule in enumerate(body.get("rules") or []):
            if not isinstance(rule, dict):
                continue
            for cond_index, condition in enumerate(rule.get("conditions") or []):
                if not isinstance(condition, dict) or condition.get("type") not in ref.condition_types:
                    continue
                path = ("rules", rule_index, "conditions", cond_index, "targetValue")
                value = condition.get("targetValue")
                for target in value if isinstance(value, list) else [value]:
                    if isinstance(target, str) and target:
                        yield Ref(ref.target, target, path)
