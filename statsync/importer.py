"""Import: write live objects as YAML files, then prove they plan to no changes.

Each object becomes `DIR/<kind plural>/<id>.yaml` with keys in a stable order
(kind, id, name, description, then the schema's order), without server-owned
fields or values equal to Statsig's defaults. Whatever statsync cannot represent
faithfully is reported by object and field, never silently dropped; `--lenient`
writes such objects anyway, with a comment saying what is missing.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import json5
import yaml

from statsync.kinds import Kind, all_kinds
from statsync.lifecycle import initial_status, status_owned
from statsync.loader import load_file
from statsync.normalize import canonical, fold_items, project
from statsync.plan import LiveObjects, PlanOptions, build_plan
from statsync.schemas import item_properties, kind_schema
from statsync.validate import desired_objects

FLOW_WIDTH = 100  # lists and small mappings shorter than this are written on one line
# Reading order for nested objects (the API answers in any order).
KEY_ORDER = ["name", "type", "operator", "field", "customID", "targetValue", "passPercentage", "size", "environments",
             "conditions", "returnValue", "parameterValues", "direction", "hypothesizedValue", "description",
             "disabled", "url", "title", "requiredReview"]


@dataclass
class Unrepresentable:
    address: str
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.address}: {self.field}: {self.reason}"


@dataclass
class ImportResult:
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)  # identical files left alone
    kept: list[Path] = field(default_factory=list)  # differing files not overwritten
    skipped: list[str] = field(default_factory=list)  # unrepresentable objects not written
    unrepresentable: list[Unrepresentable] = field(default_factory=list)
    not_round_tripping: list[str] = field(default_factory=list)  # objects whose re-plan is not empty


def default_kinds() -> set[str]:
    """What import reads and writes unless told: every kind but project-wide settings and what
    every project already holds and statsync never creates (keys) -- `--kind` asks for those."""
    return {kind.name for kind in all_kinds().values() if not kind.singleton and kind.creatable}


def select(live: LiveObjects, kinds: tuple[str, ...] = (), id_glob: str = "", tag: str = "") -> list[tuple[Kind, dict]]:
    registry = all_kinds()
    out = []
    for kind_name, objects in live.items():
        if kind_name not in (kinds or default_kinds()):
            continue
        for object_id, obj in sorted(objects.items()):  # keyed by each kind's identity
            if id_glob and not fnmatchcase(object_id, id_glob):
                continue
            if tag and tag not in (obj.get("tags") or []):
                continue
            out.append((registry[kind_name], obj))
    return out


def document(kind: Kind, live: dict) -> tuple[dict, list[Unrepresentable]]:
    """One live object as the YAML document statsync would keep for it."""
    object_id = live[kind.identity]
    problems = sorted(_unrepresentable(kind, live), key=lambda p: p.field)
    projected = canonical(kind, object_id, live)  # schema fields only, defaults filled, empties folded
    defaults = canonical(kind, object_id, {})
    raw = _project_raw(kind, live)
    doc: dict[str, Any] = {"kind": kind.name, "id": object_id}
    lifecycle = kind.lifecycle
    for name in _field_order(kind):
        if name not in projected:
            continue
        if lifecycle is not None and name in (lifecycle.field, *lifecycle.inputs):
            value = _lifecycle_value(kind, live, name)
            if value is not None:
                doc[name] = value
            continue
        if name in defaults and projected[name] == defaults[name]:
            continue  # Statsig's default: leave it out, the plan fills it back in
        if name in kind.sub_resources:
            if any(projected[name].values()):  # overrides, read with --deep: groups by name
                doc[name] = projected[name]
            continue
        if name in kind.empty_is_none and projected[name] == "":
            continue
        doc[name] = _readable(kind, name, raw.get(name, projected[name]))
    if kind.id_list and isinstance(live.get(kind.id_list.field), list):  # read with --deep
        doc[kind.id_list.file_field] = ids_file_name(object_id)
    _one_twin(kind.json5_twins, doc)
    for name, keyed in kind.keyed_lists.items():
        for item in doc.get(name) or [] if keyed.twins else []:
            if isinstance(item, dict):
                _one_twin(keyed.twins, item)
    if lifecycle is not None and lifecycle.field in doc:  # the status says these (a launch's isEnabled)
        for name in status_owned(kind, doc, live):
            doc.pop(name, None)
    for problem in problems:  # what cannot be represented is left out, and said so in a comment
        doc.pop(problem.field, None)
    return doc, problems


def _one_twin(twins: dict[str, str], holder: dict) -> None:
    """A file writes a value once: the JSON5 text where it says more than JSON can
    (comments, unquoted keys), else the JSON value."""
    for plain, twin in twins.items():
        text = holder.pop(twin, None)
        if not isinstance(text, str):
            continue
        try:
            json.loads(text)
        except ValueError:
            try:
                json5.loads(text)
            except ValueError:
                continue  # not JSON5 either: the JSON twin (as Statsig keeps it) stands
            holder.pop(plain, None)
            holder[twin] = text


def ids_file_name(object_id: str) -> str:
    """An id list's members go to a text file beside the object's YAML."""
    return f"{object_id}.ids.txt"


def _lifecycle_value(kind: Kind, live: dict, name: str) -> Any:
    """The status only when it is not where a new object starts; a decision's group by name."""
    status = live.get(kind.lifecycle.field)
    if name == kind.lifecycle.field:
        # where an object created without a status starts (a YAML that says none)
        unset = {key: value for key, value in live.items() if key != kind.lifecycle.field}
        return None if status == initial_status(kind, unset) else status
    if status not in ("decision_made", "abandoned") or not live.get(name):
        return None
    if name == "launchedGroupID":
        return next((g.get("name") for g in live.get("groups") or [] if g.get("id") == live[name]), live[name])
    return live[name]


def _field_order(kind: Kind) -> list[str]:
    first = [name for name in ("name", "description") if name in kind.fields]
    return first + [name for name in kind.fields if name not in first]


def _project_raw(kind: Kind, live: dict) -> dict:
    """Live values in the shape the user writes them (not canonical: order kept, ids dropped)."""
    schema = kind_schema(kind.name)["properties"]
    out = {}
    for name in kind.fields:
        if name not in live or live[name] is None:
            continue
        value = project(live[name], schema[name])  # server-owned sub-fields fall away
        if name in kind.keyed_lists and isinstance(value, list):
            value = fold_items(kind, name, [item for item in value if isinstance(item, dict)])
            if name == "rules":
                value = [_clean_rule(rule) for rule in value]
        out[name] = value
    return out


def _clean_rule(rule: dict) -> dict:
    rule = dict(rule)
    rule["conditions"] = [{k: v for k, v in c.items() if v is not None and v != ""} for c in rule.get("conditions", [])]
    return rule


def _ordered(value: Any, json_value: bool = False) -> Any:
    """Statsync's own objects in reading order; free-form JSON values left as they are."""
    if isinstance(value, list):
        return [_ordered(item, json_value) for item in value]
    if isinstance(value, dict) and not json_value:
        keys = sorted(value, key=lambda k: KEY_ORDER.index(k) if k in KEY_ORDER else len(KEY_ORDER))
        return {key: _ordered(value[key], key in ("returnValue", "parameterValues", "defaultValue")) for key in keys}
    return value


def _unrepresentable(kind: Kind, live: dict) -> list[Unrepresentable]:
    address = f"{kind.name}.{live[kind.identity]}"
    problems = []
    for name, allowed in kind.representable_states.items():
        value = live.get(name)
        if not any(value == a or (isinstance(a, str) and "*" in a and isinstance(value, str) and fnmatchcase(value, a))
                   for a in allowed):
            problems.append(Unrepresentable(address, name, f"{value!r} is not modelled by statsync yet"))
    known = set(kind.fields) | {f.split(".")[0] for f in kind.server_fields} | set(kind.representable_states)
    known.add(kind.identity)
    for name, value in live.items():
        if name not in known and value not in (None, "", [], {}, False):
            problems.append(Unrepresentable(address, name, "no such field in statsync's schema"))
    schema = kind_schema(kind.name)["properties"]
    identity = live[kind.identity]
    if not isinstance(identity, str) or not re.search(schema["id"].get("pattern", ""), identity):
        problems.append(Unrepresentable(address, "id", f"{identity!r} cannot be kept in a file: statsync could not "
                                                       f"address it in a URL path"))
    for name, keyed in kind.keyed_lists.items():
        keys = [item.get(keyed.key) for item in live.get(name) or [] if isinstance(item, dict)]
        for key in sorted({k for k in keys if keys.count(k) > 1}, key=str):
            problems.append(Unrepresentable(address, name, f"two {name} are named {key!r}; statsync matches {name} "
                                                           f"by {keyed.key}, so they must be unique"))
    for name in kind.keyed_lists:
        allowed = item_properties(schema.get(name, {}))
        server = {f.split(".", 1)[1] for f in kind.server_fields + kind.hidden if f.startswith(name + ".")}
        server |= set(kind.keyed_lists[name].server_ids) | set(kind.keyed_lists[name].carried)
        for item in live.get(name) or []:
            for key, value in item.items():
                if key not in allowed | server and value not in (None, "", [], {}, False):
                    problems.append(Unrepresentable(address, f"{name}[{item.get('name')}].{key}",
                                                    "no such field in statsync's schema"))
    return problems


def _readable(kind: Kind, name: str, value: Any) -> Any:
    """Mark what reads better on one line: conditions, short lists, small metric entries."""
    value = _ordered(value, json_value=name in kind.json_fields)
    if name == "rules":
        return [{**_flow_small(rule), "conditions": [Flow(_flow_small(c)) for c in rule.get("conditions", [])]}
                for rule in value]
    return _flow_small(value)


def _flow_small(value: Any) -> Any:
    if isinstance(value, list):
        items = [_flow_small(item) for item in value]
        if all(not isinstance(item, (dict, list)) for item in value) and len(repr(value)) < FLOW_WIDTH:
            return FlowList(items)
        return items
    if isinstance(value, dict):
        items = {key: _flow_small(item) for key, item in value.items()}
        if all(not isinstance(item, (dict, list)) for item in value.values()) and len(repr(value)) < FLOW_WIDTH // 2:
            return Flow(items)
        return items
    return value


class Flow(dict):
    """A mapping written in flow style: {type: public}."""


class FlowList(list):
    """A list written in flow style: [US, CA]."""


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow=False, indentless=False):
        # lists indented under their key, as people write them (and as the examples are)
        return super().increase_indent(flow, False)

    def choose_scalar_style(self):
        # "@example.com", not '@example.com': the quotes JSON and most people write
        style = super().choose_scalar_style()
        return '"' if style == "'" else style


_Dumper.add_representer(Flow, lambda d, data: d.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=True))
_Dumper.add_representer(FlowList, lambda d, data: d.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True))
_Dumper.add_representer(dict, lambda d, data: d.represent_mapping("tag:yaml.org,2002:map", data.items()))
# YAML folds NEL, LS and PS when reading plain or single-quoted text; only the
# double-quoted style escapes them, so such strings must use it to come back intact.
_Dumper.add_representer(str, lambda d, data: d.represent_scalar(
    "tag:yaml.org,2002:str", data, style='"' if any(c in data for c in "\x85\u2028\u2029") else None))


SCHEMA_COMMENT = "# yaml-language-server: $schema=../schemas/{kind}.json\n"  # `statsync schema --out DIR/schemas`


def dump(doc: dict, problems: list[Unrepresentable], header: bool = True) -> str:
    """The document as import writes it: a file header (the schema comment, what is not
    represented), then the YAML. Without `header`, the YAML alone (a document rewritten in
    a file that keeps its own header)."""
    top = SCHEMA_COMMENT.format(kind=doc["kind"]) if header else ""
    top += "".join(f"# statsync: not represented here: {p.field} ({p.reason})\n" for p in problems)
    return top + yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=FLOW_WIDTH,
                              default_flow_style=False)


def write_all(live: LiveObjects, out: Path, kinds: tuple[str, ...] = (), id_glob: str = "", tag: str = "",
              overwrite: bool = False, lenient: bool = False, target: str = "") -> ImportResult:
    from statsync.writeback import existing_places, pulled_document, rewrite

    result = ImportResult()
    chosen = select(live, kinds, id_glob, tag)
    # an object already kept in `out` is updated where it lives, and only if it differs
    where, differing = existing_places(out, live, target)
    in_place: dict[Path, dict[int, str]] = {}
    for kind, obj in chosen:
        doc, problems = document(kind, obj)
        result.unrepresentable += problems
        if problems and (not lenient or any(p.field == "id" for p in problems)):  # no file can hold a bad id
            result.skipped.append(f"{kind.name}.{obj[kind.identity]}")
            continue
        place = where.get((kind.name, str(obj[kind.identity])))
        if place is not None and not problems:
            doc, _, extra = pulled_document(kind, obj, place.data)
            if f"{kind.name}.{obj[kind.identity]}" not in differing:
                result.unchanged.append(place.file)
            elif not overwrite:
                result.kept.append(place.file)
            else:
                in_place.setdefault(place.file, {})[place.index] = dump(doc, [], header=False)
                for name, text in extra.items():
                    (place.file.parent / name).write_text(text)
                result.written.append(place.file)
            continue
        path = out / kind.plural / f"{file_stem(str(obj[kind.identity]))}.yaml"
        files = {path: dump(doc, problems)}
        if kind.id_list and kind.id_list.file_field in doc:  # an id list's members, beside it
            files[path.parent / doc[kind.id_list.file_field]] = "".join(f"{unit}\n" for unit in obj[kind.id_list.field])
        if all(file.exists() and file.read_text() == text for file, text in files.items()):
            result.unchanged.append(path)
            continue
        if path.exists() and not overwrite:
            result.kept.append(path)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        for file, text in files.items():
            file.write_text(text)
        result.written.append(path)
    for file, bodies in in_place.items():
        rewrite(file, bodies)
    result.written = list(dict.fromkeys(result.written))
    result.not_round_tripping = round_trip(live, list(dict.fromkeys([*result.written, *result.unchanged])), target)
    return result


def file_stem(identity: str) -> str:
    """A file name for a live id or name that stays in its directory and is not hidden: a
    name from the server is not trusted to be one (`../../x`, `.`, `a/b`). A changed name
    gets a digest of the original, so two ids never share a file. A composed id's `::` (a
    metric's `<name>::<type>`) reads as a dot: the type is one word, so nothing collides;
    other characters Windows forbids in file names are replaced like a slash."""
    readable = identity.replace("::", ".")
    stem = re.sub(r'[/\\\x00-\x1f\x7f<>:"|?*]', "_", readable).lstrip(".") or "_"
    if stem != readable:
        stem += "-" + hashlib.sha256(identity.encode()).hexdigest()[:8]
    return stem


def round_trip(live: LiveObjects, paths: list[Path], target: str) -> list[str]:
    """Objects whose files, planned against the same live state, are not in sync."""
    if not paths:
        return []
    documents = [doc for path in paths for doc in load_file(path)]
    objects = desired_objects(documents)
    plan = build_plan(objects, live, target, PlanOptions())
    return [step.address + ": " + ", ".join(c.path for c in step.changes) for step in plan.steps]

