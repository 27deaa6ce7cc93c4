"""JSON Schemas (2020-12) for statsync's YAML documents and `statsync.yaml`.

Each kind's schema is built from its declaration and the Console API spec's
create/update DTOs, so field names, types, enums, patterns and ranges are
Statsig's own. `tools/gen_schemas.py` writes them to `schemas/` for editors
(`# yaml-language-server: $schema=...`); a test keeps those files current.
"""
from __future__ import annotations

import copy
import re
from functools import lru_cache
from typing import Any

from statsync import spec
from statsync.kinds import Kind, all_kinds

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

STATSYNC_BLOCK = {
    "type": "object",
    "title": "statsync settings for this object (never sent to Statsig)",
    "additionalProperties": False,
    "properties": {
        "protect": {"type": "boolean", "description": "Never delete or replace this object, even with pruning on."},
        "forceArchive": {"type": "boolean",
                         "description": "Archive a gate or dynamic config even if it was checked recently (sends "
                                        "forceArchive: true with the archive; Statsig otherwise may refuse it)."},
        "ignore": {
            "type": "array",
            "items": {"type": "string", "minLength": 1},
            "description": "Field paths the console owns, e.g. rules.*.passPercentage; "
                           "live differences there are counted in the plan, never applied.",
        },
    },
}


def _inline(node: Any) -> Any:
    """Replace `$ref`s into the spec's $defs with copies, so each schema stands alone."""
    if isinstance(node, dict):
        if "$ref" in node:
            name = node["$ref"].removeprefix("#/$defs/")
            return _inline(copy.deepcopy(spec.component(name)))
        return {key: _inline(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(item) for item in node]
    return node


def _close(node: Any) -> Any:
    """Unknown fields are errors: a typo must never be silently ignored.

    Objects that list their properties get `additionalProperties: false`; free-form
    JSON values (`additionalProperties: {}`) stay open.
    """
    if isinstance(node, dict):
        node = {key: _close(value) for key, value in node.items()}
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        return node
    if isinstance(node, list):
        return [_close(item) for item in node]
    return node


def _omit(schema: dict, dotted: str) -> None:
    """Remove a property given as `field.sub` (list items implied)."""
    head, _, rest = dotted.partition(".")
    props = schema.get("properties", {})
    if not rest:
        props.pop(head, None)
        if head in schema.get("required", []):
            schema["required"] = [name for name in schema["required"] if name != head]
        return
    child = props.get(head)
    if child is None:
        return
    for variant in _object_variants(child):
        _omit(variant, rest)


def item_properties(node: dict) -> set[str]:
    """Every property a list's items may have, across a union's branches (a parameter
    store's parameters, one branch per ref_type and param_type)."""
    return {name for variant in _object_variants(node) for name in variant["properties"]}


def _object_variants(node: dict):
    if node.get("type") == "array" or "items" in node:
        node = node.get("items", {})
    if "properties" in node:
        yield node
    for combinator in ("oneOf", "anyOf"):
        for branch in node.get(combinator, []):
            yield from _object_variants(branch)


def _sub_resource_schema(kind: Kind, name: str) -> dict[str, Any] | None:
    """What GET answers at the sub-resource's endpoint; every part optional in YAML."""
    if name not in kind.sub_resources:
        return None
    return {key: value for key, value in spec.component(kind.sub_resources[name].dto).items() if key != "required"}


def field_schemas(kind: Kind) -> dict[str, Any]:
    """The spec's schema for each of the kind's YAML fields (update DTO, else create, else
    the response: a lifecycle status is set through its own endpoints)."""
    sources = [spec.component(name)["properties"]
               for name in (kind.partial_update_dto, kind.create_dto, kind.response_dto)]
    out = {}
    for name in kind.fields:
        source = kind.own_fields.get(name) or _sub_resource_schema(kind, name) or next(
            (props[name] for props in sources if name in props), None)
        if source is None:
            raise KeyError(f"{kind.name}.{name} is in none of {kind.partial_update_dto}, {kind.create_dto}, "
                           f"{kind.response_dto}")
        out[name] = _inline(copy.deepcopy(source))
        for dotted, extra in kind.beyond_spec.items():
            head, *rest = dotted.split(".")
            if head == name:
                node = out[name]
                for part in rest:
                    node = node["properties"][part]
                node.setdefault("properties", {}).update(copy.deepcopy(extra))
        if name in kind.enums:
            out[name] = {"type": "string", "enum": list(kind.enums[name])}
    return out


# What a name used as a URL path segment may be: not `.` or `..` (a client or proxy
# resolves them to another endpoint), no slash or backslash, no control characters.
PATH_SEGMENT = r"^(?!\.\.?$)[^/\\\x00-\x1f\x7f]*$"


def _id_schema(kind: Kind, create: dict[str, Any]) -> dict[str, Any]:
    if kind.singleton:
        return {"const": kind.name}
    if kind.id_parts:  # `<name>::<type>`, each part as the create DTO allows it
        return {"type": "string", "pattern": "^" + "::".join(_part_pattern(create[part]) for part in kind.id_parts)
                + "$"}
    if not kind.id_from_name:
        schema = _inline(copy.deepcopy(create[kind.identity]))
        if kind.identity == "name":  # the name is the object's path segment (/tags/{name})
            schema["pattern"] = PATH_SEGMENT
        return schema
    # The id Statsig derives from a name: lower case, underscores for spaces.
    schema = _inline(copy.deepcopy(create["name"]))
    schema.pop("description", None)
    return {**schema, "pattern": "^[a-z0-9_-]*$"}


def _required(kind: Kind) -> list[str]:
    """What the create DTO requires that nothing else supplies (a metric source's sql): a
    document without it could never be created. A singleton is never created."""
    if kind.singleton:
        return []
    named = kind.name_defaults_to_id or kind.id_from_name or kind.identity == "name"
    return [name for name in spec.component(kind.create_dto).get("required", [])
            if name in kind.fields and name not in kind.defaults and name not in kind.id_parts
            and name not in kind.id_defaults
            and not (name == "name" and named)]


def _part_pattern(schema: dict[str, Any]) -> str:
    """A regular expression for one part of a composed id, from its field's schema."""
    if "enum" in schema:
        return "(" + "|".join(re.escape(value) for value in schema["enum"]) + ")"
    pattern = schema.get("pattern", "")
    if pattern.startswith("^[") and pattern.endswith("]*$"):  # one character class: bound its length
        return f"{pattern[1:-2]}{{{schema.get('minLength', 1)},{schema.get('maxLength', '')}}}"
    return ".+"


def _id_description(kind: Kind) -> str:
    if kind.secret_address:
        return (f"The {kind.title.lower()}'s {kind.identity}: how statsync finds it (Statsig addresses it by its "
                f"secret, which is never written here).")
    if kind.id_parts:
        return (f"The Statsig id: `{'::'.join(f'<{part}>' for part in kind.id_parts)}` as created (it stays when "
                f"the {kind.id_parts[0]} changes later); what other objects reference.")
    if kind.singleton:
        return f"Always `{kind.name}`: a project has one {kind.title.lower()}."
    if kind.identity == "id":
        return "The Statsig id: immutable; what SDKs and other objects reference."
    return f"The {kind.title.lower()}'s name, which Statsig uses as its id."


@lru_cache(maxsize=None)
def kind_schema(kind_name: str) -> dict[str, Any]:
    kind = all_kinds()[kind_name]
    create = spec.component(kind.create_dto)["properties"]
    properties: dict[str, Any] = {
        "kind": {"const": kind.name, "description": "Which Statsig object this document describes."},
        "id": {**_id_schema(kind, create), "description": _id_description(kind)},
    }
    for name, schema in field_schemas(kind).items():
        properties[name] = {**schema, "description": kind.fields[name]}
    for name, keyed in kind.keyed_lists.items():
        for item in _object_variants(properties.get(name, {})) if keyed.renamed_from else ():
            item["properties"][keyed.renamed_from] = {
                "type": "string", "minLength": 1,
                "description": f"The {keyed.key} this item had live, for the apply that renames it: statsync "
                               f"sends the live item's ids with the new {keyed.key}, so it keeps its identity "
                               f"(a rule keeps its salt and its users stay in their buckets). Not sent to Statsig."}
    if (kind.identity == "name" or kind.id_from_name) and "name" not in properties:
        # a file copied from the console or the Terraform provider may say it: harmless when it is the id
        properties["name"] = {"type": "string", "description": f"The {kind.title[0].lower() + kind.title[1:]}'s id is its name: "
                                                               f"optional, and when given it must equal `id`."}
    properties["statsync"] = STATSYNC_BLOCK
    schema = {"type": "object", "properties": properties, "required": ["kind", "id", *_required(kind)]}
    for dotted in kind.hidden:
        _omit(schema, dotted)
    return {
        "$schema": SCHEMA_DIALECT,
        "title": f"statsync {kind.title}",
        "description": f"A Statsig {kind.title.lower()} managed by statsync. Field names are the "
                       f"Console API's ({kind.create_dto} / {kind.partial_update_dto}).",
        **_close(schema),
    }


def config_schema() -> dict[str, Any]:
    """Schema of `statsync.yaml`, the project settings file."""
    target = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "api_url": {"type": "string", "description": "Console API base URL, e.g. https://statsigapi.net"},
            "api_key_env": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$",
                            "description": "Environment variable holding this target's Console API key "
                                           "(default STATSIG_CONSOLE_API_KEY)."},
            "project_id": {"type": "string", "minLength": 1,
                           "description": "The Statsig project this target must be (the `id` GET /console/v1/project "
                                          "answers): a key for another project is refused before anything is read "
                                          "or written."},
        },
        "required": ["api_url"],
    }
    return {
        "$schema": SCHEMA_DIALECT,
        "title": "statsync project settings (statsync.yaml)",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "paths": {"type": "array", "items": {"type": "string"}, "minItems": 1,
                      "description": "Files or directories holding objects, relative to this file "
                                     "(default: this file's directory)."},
            "targets": {
                "type": "object",
                "description": "Named Statsig projects to plan and apply against (`--target NAME`). "
                               "`local`, the embedded emulator, is built in.",
                "propertyNames": {"pattern": "^[A-Za-z0-9_.-]+$", "not": {"const": "local"}},
                "additionalProperties": target,
            },
            "ignore": {"type": "array", "items": {"type": "string", "minLength": 1},
                       "description": "Field paths the console owns for every object, e.g. "
                                      "rules.*.passPercentage, or for one kind: gate:rules.*.passPercentage. "
                                      "Live differences there are counted in the plan, never applied."},
            "rate_limit": {
                "description": "Pacing for real targets (default: Statsig's documented limits). "
                               "false turns pacing off.",
                "oneOf": [
                    {"const": False},
                    {"type": "object", "additionalProperties": False, "properties": {
                        "requests_per_10s": {"type": "integer", "minimum": 1},
                        "mutations_per_15m": {"type": "integer", "minimum": 1}}},
                ],
            },
            "apply": {"type": "object", "additionalProperties": False, "properties": {
                "parallelism": {"type": "integer", "minimum": 1, "maximum": 32,
                                "description": "Independent steps applied at once (default 4)."}}},
            "prune": {
                "type": "object",
                "additionalProperties": False,
                "description": "Delete live objects that are not in the repository (off unless enabled).",
                "properties": {
                    "enabled": {"type": "boolean"},
                    "kinds": {"type": "array", "items": {"type": "string"},
                              "description": "Only these kinds (default: every kind)."},
                    "id_prefix": {"type": "string", "description": "Only ids starting with this."},
                    "tag": {"type": "string", "description": "Only objects carrying this tag."},
                    "protect": {"type": "array", "items": {"type": "string"},
                                "description": "kind.id patterns never deleted, e.g. gate.legacy_*"},
                },
            },
            "drift": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "unmanaged": {"enum": ["report", "ignore"],
                                  "description": "Live objects of managed kinds that no file describes (created "
                                                 "in the console): report them as drift (default), or ignore them."},
                },
            },
            "safety": {
                "type": "object",
                "additionalProperties": False,
                "description": "Plans beyond these are refused unless --force (or --allow-deletes N).",
                "properties": {
                    "max_deletes": {"type": "integer", "minimum": 0},
                    "max_changed_percent": {"type": "number", "minimum": 0, "maximum": 100},
                    "min_managed": {"type": "integer", "minimum": 0,
                                    "description": "The percentage rule applies from this many managed objects."},
                    "max_first_creates": {"type": "integer", "minimum": 0,
                                          "description": "Where none of the repository's objects exists live yet "
                                                         "(a first apply, or the wrong project), creating more than "
                                                         "this many asks for --allow-creates N (default 20)."},
                },
            },
        },
    }


def all_schemas() -> dict[str, dict[str, Any]]:
    """File name → schema, as written to `schemas/`."""
    from statsync.testing import test_schema

    out = {f"{name}.json": kind_schema(name) for name in all_kinds()}
    out["test.json"] = test_schema()
    out["statsync.json"] = config_schema()
    return out
