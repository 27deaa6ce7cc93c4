"""Documents → desired objects, or every problem found with its file:line:col.

Three layers: the document shape (a known `kind`, an `id`), the kind's JSON
Schema (Statsig's own field types, enums, patterns and ranges), then checks a
schema cannot express (unique rule and group names, group sizes summing to 100,
references that resolve, no reference cycles).
"""
from __future__ import annotations

import graphlib
from collections import Counter
from functools import cached_property, lru_cache
from pathlib import Path
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, Iterable

import json5
from jsonschema import ValidationError

from statsync import spec
from statsync.conditions import operator_problems
from statsync.idlists import OutsideRepository, holds_ids, read_file, repository_root
from statsync.errors import InvalidConfig, Mark, Problem, display_path
from statsync.kinds import Kind, all_kinds
from statsync.lifecycle import contradiction
from statsync.loader import Document
from statsync.references import Ref, entry_names, in_force, references, rules, separate_part
from statsync.schemas import PATH_SEGMENT, kind_schema

ObjectKey = tuple[str, str]  # (kind name, id)


@dataclass
class DesiredObject:
    """One object as the repository describes it."""

    kind: Kind
    id: str
    body: dict[str, Any]  # Statsig fields only (no kind, id or statsync block)
    document: Document
    settings: dict[str, Any] = field(default_factory=dict)  # the `statsync:` block

    @property
    def key(self) -> ObjectKey:
        return (self.kind.name, self.id)

    def mark(self, path: Iterable[str | int] = (), key: bool = False) -> Mark:
        return self.document.mark(tuple(path), key)

    @cached_property
    def refs(self) -> tuple[Ref, ...]:
        """What the object names. Worked out once: a plan asks five times (which kinds to
        read, which names are new, the reference check, the order, who still refers)."""
        return tuple(references(self.kind, self.body))


@lru_cache(maxsize=None)
def _validator(kind_name: str):
    return spec.DecimalValidator(kind_schema(kind_name))


def _describe(error: ValidationError) -> tuple[tuple, str, bool]:
    """A jsonschema error → (path, one readable sentence, whether it is about the key)."""
    path, message = _sentence(error)
    return path, message, error.validator == "additionalProperties"


def _sentence(error: ValidationError) -> tuple[tuple, str]:
    path = tuple(error.absolute_path)
    if error.validator == "additionalProperties":
        allowed = error.schema.get("properties", {})
        unknown = sorted(key for key in error.instance if key not in allowed)
        if unknown:
            hint = _closest(unknown[0], allowed)
            return (*path, unknown[0]), f"unknown field{hint}"
    if error.validator == "required":
        return path, error.message.replace("is a required property", "is required")
    if error.validator == "enum":
        choices = [choice for choice in error.validator_value if choice is not None]
        if len(choices) > 8:
            hint = _closest(str(error.instance), [str(choice) for choice in choices])
            return path, f"{error.instance!r} is not an allowed value{hint}"
        return path, f"{error.instance!r} is not one of " + ", ".join(repr(choice) for choice in choices)
    if error.validator in ("oneOf", "anyOf"):
        kinds = sorted({_type_name(branch) for branch in error.validator_value})
        return path, f"{error.instance!r} has the wrong type (expected {' or '.join(kinds)}{_bool_hint(error.instance)})"
    if error.validator == "const" and path == ("kind",):
        return path, f"kind must be {error.validator_value!r}"
    if error.validator == "const":  # the environment list's id
        return path, f"must be {error.validator_value!r}"
    if error.validator == "pattern" and error.validator_value == PATH_SEGMENT:
        return path, f"{error.instance!r} cannot be a name: Statsig addresses it in a URL path, which cannot " \
                     f"carry . or .., a slash, a backslash or a control character"
    if error.validator == "pattern":
        return path, f"{error.instance!r} does not match {error.validator_value}"
    if error.validator == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        hint = _bool_hint(error.instance) if "boolean" not in str(expected) else ""
        return path, f"{error.instance!r} is not of type {expected}{hint}"
    return path, error.message


def _bool_hint(instance: Any) -> str:
    values = instance if isinstance(instance, list) else [instance]
    if any(isinstance(value, bool) for value in values):
        return "; YAML reads unquoted yes/no/on/off as booleans: quote them"
    return ""


def _type_name(schema: dict) -> str:
    kind = schema.get("type", "value")
    if kind == "array":
        return f"list of {schema.get('items', {}).get('type', 'values')}s"
    return kind


def _closest(name: str, allowed: Iterable[str]) -> str:
    import difflib

    match = difflib.get_close_matches(name, list(allowed), n=1)
    return f" (did you mean {match[0]!r}?)" if match else ""


@lru_cache(maxsize=None)
def _fast_validator(kind_name: str) -> Callable[[Any], Any] | None:
    """The kind's schema compiled to Python (fastjsonschema): it only says "valid" or not.
    Most documents are valid, and for them this is the whole check; for the rest jsonschema
    runs and says exactly what and where. Never stricter in effect (a doubt falls back to
    jsonschema) and never laxer: a test holds it to jsonschema over generated documents."""
    import fastjsonschema

    schema = _outlined({key: value for key, value in kind_schema(kind_name).items() if key != "$schema"})
    try:
        return fastjsonschema.compile(schema, use_default=False)
    except fastjsonschema.JsonSchemaDefinitionException:  # pragma: no cover - a schema it cannot take
        return None


_SCHEMA_VALUES = ("enum", "const", "default", "examples")  # values, not schemas: never rewritten


def _outlined(schema: dict[str, Any]) -> dict[str, Any]:
    """The same schema with each list's object items moved to `definitions` and referred to.
    fastjsonschema compiles a definition to a function of its own; inlined, a rule's
    condition is checked inside one function with hundreds of locals, and each union branch
    that does not fit (a targetValue that is not a list) formats its message from
    `locals()` — 40 % of a gate's check."""
    definitions: dict[str, Any] = {}

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(item) for item in node]
        if not isinstance(node, dict):
            return node
        out = {key: value if key in _SCHEMA_VALUES else walk(value) for key, value in node.items()}
        items = out.get("items")
        if isinstance(items, dict) and "properties" in items:
            definitions[name := f"items{len(definitions)}"] = items
            out["items"] = {"$ref": f"#/definitions/{name}"}
        return out

    top = walk(schema)
    return {**top, "definitions": {**top.get("definitions", {}), **definitions}} if definitions else top


# Compiling a kind's schema costs 2–30 ms; jsonschema checks a document in about 0.7 ms.
# Below this many documents of a kind, compiling would not pay for itself.
FAST_FROM = 40


def _schema_problems(document: Document, kind_name: str, many: bool = False) -> list[Problem]:
    fast = _fast_validator(kind_name) if many else None
    if fast is not None:
        import fastjsonschema

        try:
            fast(document.data)
            return []
        except (fastjsonschema.JsonSchemaException, ArithmeticError, TypeError):
            pass  # jsonschema says exactly what and where (or that it was a false alarm: multipleOf)
    problems = []
    seen_paths = set()
    for error in sorted(_validator(kind_name).iter_errors(document.data), key=lambda e: list(map(str, e.absolute_path))):
        path, message, about_key = _describe(error)
        # one message per field is enough; each field a mapping lacks is a message of its own
        seen = (path, message) if error.validator == "required" else path
        if seen in seen_paths:
            continue
        seen_paths.add(seen)
        problems.append(Problem(document.mark(path, key=about_key), message, display_path(path)))
    return problems


def _shape_problems(document: Document) -> list[Problem]:
    data = document.data
    if not isinstance(data, dict):
        return [Problem(document.mark(), "each YAML document must be a mapping with `kind` and `id`")]
    kinds = all_kinds()
    kind = data.get("kind")
    if kind is None:
        return [Problem(document.mark(), "missing `kind` (one of: " + ", ".join(kinds) + ")")]
    if kind not in kinds:
        hint = _closest(str(kind), kinds)
        return [Problem(document.mark(("kind",)), f"unknown kind {kind!r}{hint}; statsync manages: "
                        + ", ".join(kinds), "kind")]
    if "id" not in data:
        return [Problem(document.mark(), f"{kind} has no `id`", "id")]
    return []


def _semantic_problems(obj: DesiredObject) -> list[Problem]:
    problems = []
    if (obj.kind.identity == "name" or obj.kind.id_from_name) and "name" in obj.body \
            and "name" not in obj.kind.fields and obj.body["name"] != obj.id:
        title = obj.kind.title[0].lower() + obj.kind.title[1:]  # "unit ID type"
        problems.append(Problem(obj.mark(("name",)), f"a {title}'s id is its name: "
                                f"{obj.body['name']!r} is not the id {obj.id!r} (write the name as `id`, or leave "
                                f"`name` out)", "name"))
    if obj.id in obj.kind.builtins:
        return [Problem(obj.mark(("id",)), f"{obj.id!r} is built into every Statsig project; it needs no file "
                                           f"and statsync does not manage it", "id")]
    for list_name, keyed in obj.kind.keyed_lists.items():
        seen: dict[Any, int] = {}
        for index, item in enumerate(obj.body.get(list_name) or []):
            key = item.get(keyed.key)
            if key in seen:
                problems.append(Problem(
                    obj.mark((list_name, index, keyed.key)),
                    f"duplicate {keyed.key} {key!r} (also {list_name}[{seen[key]}]); "
                    f"{list_name} are matched to live ones by {keyed.key}",
                    display_path((list_name, index, keyed.key))))
            seen[key] = index
        problems += _rename_problems(obj, list_name, keyed)
    problems += _lifecycle_problems(obj)
    problems += _override_group_problems(obj)
    problems += _twin_problems(obj)
    problems += [Problem(obj.mark(path), message, display_path(path))
                 for path, message in operator_problems(rules(obj.kind, obj.body))]
    for list_name in obj.kind.sums_to_100:
        items = obj.body.get(list_name)
        if items:
            total = sum(Decimal(str(item.get("size", 0))) for item in items)
            if total != 100:
                problems.append(Problem(obj.mark((list_name,)), f"sizes add up to {total}, not 100", list_name))
    return problems


def _rename_problems(obj: DesiredObject, list_name: str, keyed) -> list[Problem]:
    """A previousName names the one live item this item was: not itself, not an item the
    file still lists, not the same old item twice."""
    items = [item for item in obj.body.get(list_name) or [] if isinstance(item, dict)]
    if not keyed.renamed_from or not any(keyed.renamed_from in item for item in items):
        return []
    keys = {item.get(keyed.key) for item in items}
    claimed: dict[Any, Any] = {}
    problems = []
    for index, item in enumerate(obj.body.get(list_name) or []):
        old = item.get(keyed.renamed_from) if isinstance(item, dict) else None
        if old is None:
            continue
        path = (list_name, index, keyed.renamed_from)
        if old == item.get(keyed.key):
            message = f"{keyed.renamed_from} {old!r} is this item's own {keyed.key}; remove it"
        elif old in keys:
            message = f"{keyed.renamed_from} {old!r} is the {keyed.key} of another item in {list_name}"
        elif old in claimed:
            message = f"{keyed.renamed_from} {old!r} is also claimed by {claimed[old]!r}; one item was {old!r}"
        else:
            claimed[old] = item.get(keyed.key)
            continue
        problems.append(Problem(obj.mark(path), message, display_path(path)))
    return problems


def _override_group_problems(obj: DesiredObject) -> list[Problem]:
    """Overrides (and fields like controlGroupID) name a group of the same file."""
    problems = []
    for name in obj.kind.group_refs:
        names = [group.get("name") for group in obj.body.get("groups") or obj.kind.defaults.get("groups") or []]
        if obj.body.get(name) not in (None, "", *names):  # empty: no control group
            problems.append(Problem(obj.mark((name,)), f"{obj.body[name]!r} is not one of the groups "
                                    f"({', '.join(map(repr, names))})", name))
    for name, sub in obj.kind.sub_resources.items():
        value = obj.body.get(name)
        if sub.group_field is None or not isinstance(value, dict):
            continue
        groups = obj.body.get("groups") or obj.kind.defaults.get("groups") or []
        names = [group.get("name") for group in groups]
        for key, items in value.items():
            for index, item in enumerate(items if isinstance(items, list) else []):
                if isinstance(item, dict) and item.get(sub.group_field) not in names:
                    path = (name, key, index, sub.group_field)
                    problems.append(Problem(obj.mark(path), f"{item.get(sub.group_field)!r} is not one of the groups "
                                            f"({', '.join(map(repr, names))})", display_path(path)))
    return problems


def _twin_problems(obj: DesiredObject) -> list[Problem]:
    """A value is written as JSON or as JSON5 text, not both; JSON5 text must parse."""
    places = [((), obj.body, obj.kind.json5_twins)]
    for name, keyed in obj.kind.keyed_lists.items():
        items = obj.body.get(name)
        places += [((name, index), item, keyed.twins) for index, item in enumerate(items)
                   if isinstance(item, dict)] if keyed.twins and isinstance(items, list) else []
    problems = []
    for path, holder, twins in places:
        for plain, twin in twins.items():
            if plain in holder and twin in holder:
                where = (*path, twin)
                problems.append(Problem(obj.mark(where), f"write {plain} or {twin}, not both", display_path(where)))
            elif isinstance(holder.get(twin), str):
                where = (*path, twin)
                try:
                    parsed = json5.loads(holder[twin])
                except ValueError as exc:
                    problems.append(Problem(obj.mark(where), f"not valid JSON5: {exc}", display_path(where)))
                    continue
                if not isinstance(parsed, dict):
                    problems.append(Problem(obj.mark(where), "must be a JSON5 object ({…})", display_path(where)))
    return problems


def _lifecycle_problems(obj: DesiredObject) -> list[Problem]:
    lifecycle, body = obj.kind.lifecycle, obj.body
    if lifecycle is None or lifecycle.field not in body:
        return []
    status, problems = body[lifecycle.field], []
    where = obj.mark((lifecycle.field,))
    contradicted = contradiction(obj.kind, body)
    if contradicted:
        problems.append(Problem(where, contradicted, lifecycle.field))
    if status == "decision_made":
        group = body.get("launchedGroupID")
        names = [g.get("name") for g in body.get("groups") or []]
        if not group:
            problems.append(Problem(where, "decision_made needs launchedGroupID: the group to ship", lifecycle.field))
        elif names and group not in names:
            problems.append(Problem(obj.mark(("launchedGroupID",)), f"{group!r} is not one of the groups "
                                    f"({', '.join(map(repr, names))})", "launchedGroupID"))
    return problems


def _resolve_id_list(kind: Kind, body: dict[str, Any], document: Document) -> list[Problem]:
    """Ids belong to objects that hold a list (id_list segments); a file of ids is read
    here, relative to the YAML file, so the rest of statsync only sees `ids`."""
    id_list = kind.id_list
    given = [name for name in (id_list.field, id_list.file_field) if name in body]
    if not given:
        return []
    if not holds_ids(kind, body):
        name, value = id_list.when
        return [Problem(document.mark((given[0],), key=True), f"only a {kind.name} with {name}: {value} holds ids",
                        given[0])]
    if len(given) == 2:
        return [Problem(document.mark((id_list.file_field,), key=True),
                        f"give {id_list.field} or {id_list.file_field}, not both", id_list.file_field)]
    if id_list.file_field in body:
        given = body.pop(id_list.file_field)
        try:
            file = Path(document.file)
            body[id_list.field] = read_file(file.parent / given, repository_root(file))
        except (OSError, UnicodeDecodeError, OutsideRepository) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            return [Problem(document.mark((id_list.file_field,)), f"cannot read {given!r} (relative to this file): "
                            f"{reason}", id_list.file_field)]
    return []


def sorted_problems(problems: list[Problem]) -> list[Problem]:
    """File order, then line and column, as an editor would list them."""
    return sorted(problems, key=lambda p: (p.mark.file, p.mark.line, p.mark.column) if p.mark else ("", 0, 0))


def desired_objects(documents: Iterable[Document]) -> list[DesiredObject]:
    """Validate documents one by one; raises InvalidConfig listing every problem."""
    problems: list[Problem] = []
    objects: dict[ObjectKey, DesiredObject] = {}
    documents = list(documents)
    counts = Counter(d.data.get("kind") for d in documents if isinstance(d.data, dict))
    for document in documents:
        if isinstance(document.data, dict) and document.data.get("kind") == "test":
            continue  # a targeting test (statsync.testing): never a Statsig object
        shape = _shape_problems(document)
        if shape:
            problems.extend(shape)
            continue
        data = document.data
        if not document.schema_checked:
            schema_problems = _schema_problems(document, data["kind"], counts[data["kind"]] >= FAST_FROM)
            if schema_problems:
                problems.extend(schema_problems)
                continue
            document.schema_checked = True
        kind = all_kinds()[data["kind"]]
        body = {key: value for key, value in data.items() if key not in ("kind", "id", "statsync")}
        if kind.id_list is not None:
            id_problems = _resolve_id_list(kind, body, document)
            if id_problems:
                problems.extend(id_problems)
                continue
        obj = DesiredObject(kind, data["id"], body, document, data.get("statsync") or {})
        if obj.key in objects:
            first = objects[obj.key].mark(("id",))
            problems.append(Problem(obj.mark(("id",)), f"{kind.name} {obj.id!r} is already defined at {first}", "id"))
            continue
        problems.extend(_semantic_problems(obj))
        objects[obj.key] = obj
    if problems:
        raise InvalidConfig(sorted_problems(problems))
    return list(objects.values())


def check_references(objects: list[DesiredObject], live_ids: dict[str, set[str]] | None = None) -> None:
    """Every reference must name an object in the repository or, given live ids, a live one.

    Also rejects cycles (gate A passes_gate B passes_gate A): Statsig cannot
    create them in one pass and they are logically broken anyway.
    """
    problems = []
    known = {(obj.kind.name, obj.id) for obj in objects}
    known |= {(obj.kind.name, name) for obj in objects if obj.kind.singleton
              for name in entry_names(obj.kind, obj.body)}
    graph: dict[ObjectKey, set[ObjectKey]] = {}
    where: dict[tuple[ObjectKey, ObjectKey], tuple[DesiredObject, tuple]] = {}  # marked only for a cycle
    # A singleton the repository does not hold (every project has an environment list)
    # can only be checked against the live project.
    unknowable = {name for name, kind in all_kinds().items() if kind.singleton and live_ids is None
                  and not any(obj.kind is kind for obj in objects)}
    managed = {obj.kind.name for obj in objects}
    for obj in objects:
        for ref in obj.refs:
            if ref.target_kind in unknowable or not in_force(ref, managed):
                continue
            target = (ref.target_kind, ref.target_id)
            in_live = live_ids is not None and ref.target_id in live_ids.get(ref.target_kind, set())
            if target not in known and not in_live:
                scope = "the repository or the live project" if live_ids is not None else "the repository"
                target_kind = all_kinds()[ref.target_kind]
                message = (f"{ref.target_id!r} is not in the {target_kind.title.lower()} (in {scope})"
                           if target_kind.singleton else
                           f"{ref.target_kind} {ref.target_id!r} does not exist in {scope}")
                problems.append(Problem(obj.mark(ref.path), message, display_path(ref.path)))
            if target in known and not separate_part(obj.kind, ref.path) and not ref.loose:  # sent after both: no cycle
                graph.setdefault(obj.key, set()).add(target)
                where.setdefault((obj.key, target), (obj, ref.path))
    by_key = {obj.key: obj for obj in objects}
    problems += [problem for obj in objects for check in obj.kind.checks for problem in check(obj, by_key)]
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as exc:
        cycle = exc.args[1]
        names = " → ".join(f"{kind} {object_id}" for kind, object_id in reversed(cycle))
        referrer = where.get((cycle[1], cycle[0]))
        problems.append(Problem(referrer[0].mark(referrer[1]) if referrer else None, f"reference cycle: {names}"))
    if problems:
        raise InvalidConfig(sorted_problems(problems))
