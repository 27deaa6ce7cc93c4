"""Desired and live objects → one canonical form, so equal means "no change".

Both directions go through `canonical()`, driven by the kind declaration:
project onto the fields the YAML schema models (server-owned fields fall away),
fill Statsig's defaults for omitted fields, fold the empties Statsig folds, round
percentages to two decimals, sort what is unordered, and key rules and groups by
name so they are matched by identity, not position (DIGEST §19–20).

Keyed lists (rules, groups) stay ordered lists here, because order matters to
Statsig; `diff` matches their items by key.
"""
from __future__ import annotations

import json
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Callable

from statsync.conditions import operator_of
from statsync.kinds import Kind, all_kinds
from statsync.schemas import kind_schema


def canonical(kind: Kind, object_id: str, body: dict[str, Any]) -> dict[str, Any]:
    schema = kind_schema(kind.name)
    # an id list is compared as a set of its own (idlists), never field by field
    own = (kind.id_list.field, kind.id_list.file_field) if kind.id_list else ()
    fields = {name: value for name, value in body.items() if name in kind.fields and name not in own}
    for name, sub in kind.sub_resources.items():
        if sub.item_aliases and isinstance(fields.get(name), dict):
            fields[name] = {key: [_aliased(item, sub.item_aliases) for item in value] if isinstance(value, list)
                            else value for key, value in fields[name].items()}
    obj = project(fields, schema)
    with_defaults(kind, object_id, obj)
    for ref in kind.references:
        # naming an object Statsig owns (an implicit layer) is the same as naming none
        if ref.field and isinstance(obj.get(ref.field), str) and all_kinds()[ref.target].is_implicit(obj[ref.field]):
            obj[ref.field] = None
    for name in [key for key, value in obj.items() if value is None]:
        if name in kind.empty_is_none:
            obj[name] = ""
        elif kind.defaults.get(name) is not None:
            obj[name] = copied(kind.defaults[name])  # null asks for Statsig's default
        else:
            del obj[name]  # null is unset: Statsig leaves out what it cannot answer (isAnalysisOnly)
    for name, aliases in kind.aliases.items():
        if obj.get(name) in aliases:
            obj[name] = aliases[obj[name]]
    for name in kind.json_text_fields:
        if name in obj:
            obj[name] = _parsed(obj[name])
    if isinstance(obj.get("targetApps"), str):
        obj["targetApps"] = [obj["targetApps"]]
    for dotted in kind.decimal_fields:
        _each(obj, dotted, lambda holder, key: holder.__setitem__(key, decimal(holder[key])))
    if "rules" in obj:
        obj["rules"] = [_rule(rule) for rule in obj["rules"]]
    for dotted in kind.nested_rules:  # targeting rules kept elsewhere (a release pipeline's phases)
        _each(obj, dotted, lambda holder, key: holder.__setitem__(key, [_rule(rule) for rule in holder[key]]))
    for name, keyed in kind.keyed_lists.items():
        if isinstance(obj.get(name), list):
            # an item's previousName is statsync's (identity), not a value Statsig keeps
            filled = [{**copied(keyed.item_defaults),
                       **{key: value for key, value in item.items() if key != keyed.renamed_from}}
                      if isinstance(item, dict) else item for item in obj[name]]
            obj[name] = fold_items(kind, name, filled)
    names = _group_names(body)
    for name in kind.group_refs:
        if obj.get(name) in names:
            obj[name] = names[obj[name]]
    for name, sub in kind.sub_resources.items():
        if isinstance(obj.get(name), dict):
            obj[name] = sub_resource(schema["properties"][name], obj[name], sub.group_field,
                                     names if sub.group_field else {})
    for dotted in kind.set_fields:
        _each(obj, dotted, lambda holder, key: holder.__setitem__(key, _sorted(holder[key])))
    for name in kind.switch_maps:
        if isinstance(obj.get(name), dict):
            obj[name] = {key: value for key, value in obj[name].items() if value is not False}
    return obj


def _aliased(item: Any, aliases: dict[str, str]) -> Any:
    if not isinstance(item, dict):
        return item
    renamed = {written: item[answered] for answered, written in aliases.items()
               if answered in item and written not in item}
    return {**{key: value for key, value in item.items() if key not in aliases}, **renamed}


def _parsed(text: Any) -> Any:
    """JSON kept as text compares as what it means, whatever its spacing."""
    if not isinstance(text, str) or not text.strip():
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def chosen_twins(kind: Kind, written: dict[str, Any], form: dict[str, Any]) -> dict[str, Any]:
    """`form` with each JSON/JSON5 pair cut to the one the YAML (`written`) uses: the JSON5
    text when it writes that (compared exactly), else the JSON value. A live rule is cut
    as the YAML's rule of the same name is."""
    form = {key: value for key, value in form.items()
            if key not in [json5 if json5 not in written else plain for plain, json5 in kind.json5_twins.items()]}
    for name, keyed in kind.keyed_lists.items():
        if not keyed.twins or not isinstance(form.get(name), list):
            continue
        wanted = {item.get(keyed.key): item for item in written.get(name) or [] if isinstance(item, dict)}
        form[name] = [{key: value for key, value in item.items() if key not in [
            json5 if json5 not in wanted.get(item.get(keyed.key), {}) else plain
            for plain, json5 in keyed.twins.items()]} for item in form[name]]
    return form


def with_defaults(kind: Kind, object_id: str, obj: dict[str, Any]) -> dict[str, Any]:
    """Fill the values Statsig gives omitted fields (in place; returns obj)."""
    for name, default in kind.defaults.items():
        obj.setdefault(name, copied(default))
    if kind.name_defaults_to_id:
        obj.setdefault("name", object_id)
    for name in kind.id_defaults:
        obj.setdefault(name, object_id)
    if kind.id_parts and kind.id_parts[0] in kind.fields:  # a metric's name: the id's first part
        obj.setdefault(kind.id_parts[0], object_id.rsplit("::", len(kind.id_parts) - 1)[0])
    return obj


def decimal(value: Any) -> Any:
    """Statsig keeps percentages to two decimals: 10, 10.0 and 10.001 are all 10."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    rounded = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
    return int(rounded) if rounded == rounded.to_integral_value() else float(rounded)


def project(value: Any, schema: dict[str, Any]) -> Any:
    """Keep only what the schema models; free-form JSON stays untouched."""
    return _projector(schema)(value)


# schema node's id → (the node, its projector). A plan projects every object twice (desired
# and live) onto the same few schemas: each node's questions are asked once, not per value.
_PROJECTORS: dict[int, tuple[dict[str, Any], Callable[[Any], Any]]] = {}


def _projector(schema: dict[str, Any]) -> Callable[[Any], Any]:
    known = _PROJECTORS.get(id(schema))
    if known is None or known[0] is not schema:
        known = _PROJECTORS[id(schema)] = (schema, _compiled(schema))
    return known[1]


def _compiled(schema: dict[str, Any]) -> Callable[[Any], Any]:
    properties = schema.get("properties")
    items = schema["items"] if isinstance(schema.get("items"), dict) else None
    union = "oneOf" in schema or "anyOf" in schema
    if properties is None and items is None and not union:
        return copied  # a leaf (most nodes): nothing to project, one call fewer per value
    branches = [branch for combinator in ("oneOf", "anyOf") for branch in schema.get(combinator, [])]
    children: dict[str, Callable[[Any], Any]] = {}  # filled as properties are met (schemas may nest deep)

    def child(key: str) -> Callable[[Any], Any]:
        found = children.get(key)
        if found is None:
            found = children[key] = _projector(properties[key])
        return found

    known = children.get  # a property's projector once worked out, without a call of child()

    def run(value: Any) -> Any:
        if properties is not None and isinstance(value, dict):
            return {key: (known(key) or child(key))(item) for key, item in value.items() if key in properties}
        if items is not None and isinstance(value, list):
            each = _projector(items)
            return [each(item) for item in value]
        if not union or not isinstance(value, (dict, list)):  # most leaves: no union, or no branch to choose
            return copied(value)
        fitting = [branch for branch in branches if _fits(value, branch)]
        if len(fitting) > 1:  # a tagged union (a parameter by ref_type and param_type): the branch it is
            return project(value, max(fitting, key=lambda branch: _agreement(value, branch)))
        return project(value, fitting[0]) if fitting else copied(value)
    return run


_SCALARS = frozenset((str, int, float, bool))


def copied(value: Any) -> Any:
    """A copy of a JSON-shaped value: what copy.deepcopy gives for it at a fifth of the cost
    (no memo: neither decoded JSON nor the loader's documents share sub-values — an alias
    is built again)."""
    if type(value) in _SCALARS or value is None:  # most values
        return value
    if isinstance(value, dict):
        return {key: copied(item) for key, item in value.items()}
    if isinstance(value, list):
        return [copied(item) for item in value]
    return value


def _agreement(value: Any, branch: dict) -> tuple[bool, int]:
    """How well an object matches a union's branch: its tags (enum-valued properties) all
    agree, then how many of its keys the branch has. The first of equals wins."""
    props = branch.get("properties", {}) if isinstance(value, dict) else {}
    tags_agree = all(value[key] in prop["enum"] for key, prop in props.items() if key in value and "enum" in prop)
    return tags_agree, sum(key in props for key in value) if isinstance(value, dict) else 0


def _fits(value: Any, schema: dict) -> bool:
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    return (isinstance(value, dict) and "object" in kinds) or (isinstance(value, list) and "array" in kinds)


def sub_resource(schema: dict[str, Any], value: dict[str, Any], group_field: str | None = None,
                 names: dict[str, str] | None = None) -> dict[str, Any]:
    """An overrides object as Statsig keeps it: every list present (empty when unset),
    ids unordered, unset item fields dropped, groups named (`names`: live id → name)."""
    out = {}
    for prop, prop_schema in schema.get("properties", {}).items():
        item = value.get(prop)
        if item is None and "array" in str(prop_schema.get("type")):
            item = []
        if isinstance(item, list):
            entries = [_override_item(entry, group_field, names or {}) for entry in item]
            item = sorted(entries) if all(isinstance(entry, str) for entry in entries) else entries
        if item is not None:
            out[prop] = item
    return out


def _override_item(entry: Any, group_field: str | None, names: dict[str, str]) -> Any:
    if not isinstance(entry, dict):
        return entry
    out = {key: (sorted(value) if isinstance(value, list) else value) for key, value in entry.items()
           if value not in (None, "")}
    if group_field in out:
        out[group_field] = names.get(out[group_field], out[group_field])
    return out


def _group_names(body: dict[str, Any]) -> dict[str, str]:
    """Live group id → name, for fields naming groups (desired bodies have no ids)."""
    return {group["id"]: group.get("name") for group in body.get("groups") or [] if isinstance(group, dict)
            and group.get("id")}


def fold_items(kind: Kind, name: str, items: list) -> list:
    """Inside a rule or group, Statsig's empty values mean "not set": a group's
    `description: ""`, `disabled: false`, a rule's `environments: null`. Free-form
    values (a layer parameter's `defaultValue: false`) are values, not empties."""
    kept = {dotted.split(".", 1)[1] for dotted in kind.json_fields if dotted.startswith(name + ".")}
    keyed = kind.keyed_lists.get(name)
    kept |= {keyed.key, *keyed.values} if keyed else set()  # an item's key is its identity, even when ""
    return [{key: value for key, value in item.items() if key in kept or not _unset(value)}
            if isinstance(item, dict) else item for item in items]


def _unset(value: Any) -> bool:
    return value is None or value is False or value == ""


def _rule(rule: dict[str, Any]) -> dict[str, Any]:
    rule = dict(rule)
    if not rule.get("environments"):
        # null and absent both mean "every environment"; [] is kept distinct
        # until Statsig's treatment of it is verified (DIGEST §20.1).
        if rule.get("environments") is None:
            rule.pop("environments", None)
    conditions = [_condition(c) for c in rule.get("conditions") or []]
    rule["conditions"] = sorted(conditions, key=_sort_key) if len(conditions) > 1 else conditions
    return rule


def _condition(condition: dict[str, Any]) -> dict[str, Any]:
    out = {key: value for key, value in condition.items() if value not in (None, "")}
    if operator_of(out):
        out["operator"] = operator_of(out)  # environment_tier as the docs write it: "any"
    if "targetValue" in out:
        # Scalar and one-item list are the same to Statsig, numbers may come back
        # as strings, and alternatives are unordered (DIGEST §19.2).
        value = out["targetValue"]
        values = value if isinstance(value, list) else [value]
        out["targetValue"] = sorted({_text(item) for item in values})
    return out


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _sorted(value: Any) -> Any:
    if not isinstance(value, list):
        return value
    if all(isinstance(item, str) for item in value):  # names, the common case: no need to encode each
        return sorted(value)
    return sorted(value, key=_sort_key)


def _sort_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _each(obj: Any, dotted: str, apply: Callable[[dict, str], None]) -> None:
    """Call apply(holder, key) for every place `a.b.c` names (list items implied)."""
    if "." not in dotted and isinstance(obj, dict):  # a top-level field, the common case
        if obj.get(dotted) is not None:
            apply(obj, dotted)
        return
    head, _, rest = dotted.partition(".")
    if isinstance(obj, list):
        for item in obj:
            _each(item, dotted, apply)
        return
    if not isinstance(obj, dict) or head not in obj:
        return
    if rest:
        _each(obj[head], rest, apply)
    elif obj[head] is not None:
        apply(obj, head)
