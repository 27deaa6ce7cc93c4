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
    loose: bool = False  # see Reference.loose


def in_force(ref: Ref, managed: set[str]) -> bool:
    """Whether a reference is checked and its kind read, given the kinds the repository
    holds: always, unless it is loose and its target kind is not kept in git."""
    return not ref.loose or ref.target_kind in managed


def separate_part(kind: Kind, path: FieldPath) -> bool:
    """Whether a reference at `path` is in a sub-resource sent as a step of its own."""
    sub = kind.sub_resources.get(path[0]) if path else None
    return sub is not None and sub.separate


def entry_names(kind: Kind, body: dict[str, Any]) -> set[str]:
    """What references to a singleton name: its entries (the environment list's names)."""
    return {entry.get(keyed.key) for name, keyed in kind.keyed_lists.items()
            for entry in body.get(name) or [] if isinstance(entry, dict)}


def references(kind: Kind, body: dict[str, Any]) -> Iterator[Ref]:
    """Every reference in `body` (a desired body or a live object)."""
    for ref in kind.references:
        target = all_kinds()[ref.target]
        if ref.items is not None:
            yield from _item_references(ref, body)
            continue
        if ref.field is not None:
            value: Any = body
            for part in ref.field.split("."):  # a nested field (warehouseNative.metricSourceName)
                value = value.get(part) if isinstance(value, dict) else None
            where = tuple(ref.field.split("."))
            names = [(value, where)] if isinstance(value, str) else \
                [(item, (*where, index)) for index, item in enumerate(value)] if isinstance(value, list) else []
            for name, where in names:
                if isinstance(name, str) and name and name not in target.builtins and not target.is_implicit(name):
                    yield Ref(ref.target, name, where, ref.loose)
            continue
        for at, rule in rules(kind, body):
            if ref.rule_field is not None and isinstance(rule.get(ref.rule_field), list):
                for index, name in enumerate(rule[ref.rule_field]):
                    if isinstance(name, str) and name:
                        yield Ref(ref.target, name, (*at, ref.rule_field, index), ref.loose)
            for cond_index, condition in enumerate(rule.get("conditions") or []):
                if not isinstance(condition, dict) or condition.get("type") not in ref.condition_types:
                    continue
                path = (*at, "conditions", cond_index, ref.condition_field)
                value = condition.get(ref.condition_field)
                for name in value if isinstance(value, list) else [value]:
                    if isinstance(name, str) and name and name not in target.builtins:
                        yield Ref(ref.target, name, path, ref.loose)


def rules(kind: Kind, body: dict[str, Any]) -> Iterator[tuple[FieldPath, dict[str, Any]]]:
    """(path, rule) for every targeting rule: `rules`, and the lists `nested_rules` names
    (a release pipeline's `phases.rules`), whose conditions name objects as a gate's do."""
    for dotted in ("rules", *kind.nested_rules):
        yield from _rules_at(body, tuple(dotted.split(".")), ())


def _rules_at(value: Any, parts: tuple[str, ...], at: FieldPath) -> Iterator[tuple[FieldPath, dict[str, Any]]]:
    if isinstance(value, list):  # list items are implied between the dotted names (phases[i].rules)
        for index, item in enumerate(value):
            yield from _rules_at(item, parts, (*at, index))
        return
    if not isinstance(value, dict):
        return
    found = value.get(parts[0])
    if len(parts) > 1:
        yield from _rules_at(found, parts[1:], (*at, parts[0]))
        return
    for index, rule in enumerate(found if isinstance(found, list) else []):
        if isinstance(rule, dict):
            yield (*at, parts[0], index), rule


def _item_references(ref, body: dict[str, Any]) -> Iterator[Ref]:
    """Names in a list of items (`overrides.overrides[].id` where `type` is gate)."""
    path: tuple = ()
    value: Any = body
    for part in ref.items.split("."):
        value = value.get(part) if isinstance(value, dict) else None
        path += (part,)
    for index, item in enumerate(value if isinstance(value, list) else []):
        if not isinstance(item, dict) or (ref.when and item.get(ref.when[0]) != ref.when[1]):
            continue
        fields = ref.item_parts or (ref.item_field,)
        parts = [item.get(part) for part in fields]
        name = "::".join(parts) if all(isinstance(part, str) and part for part in parts) else None
        target = all_kinds()[ref.target]
        if name is not None and name not in target.builtins and not target.is_implicit(name):
            yield Ref(ref.target, name, (*path, index, fields[0]), ref.loose)
