"""Derive statsync's committed extract of Statsig's Console API spec.

The official spec (OpenAPI 3.0, ~2 MB, mostly prose and examples) lives outside the
repository. statsync needs only its machine-readable part: for each operation, the
request body schema and the response schemas. This script keeps exactly that,
converted to JSON Schema 2020-12 so plain `jsonschema` validates it:

* `nullable: true` becomes a `"null"` type (or a `oneOf`/`anyOf` branch);
* OpenAPI 3.0's boolean `exclusiveMinimum`/`exclusiveMaximum` become numbers;
* `#/components/schemas/X` references become `#/$defs/X`;
* `oneOf` becomes `anyOf`: the spec's generator writes unions whose branches
  overlap (`targetValue: []` fits both "array of strings" and "array of numbers";
  a known `criteriaName` fits both its enum and "any string"), which a strict
  oneOf would reject although the API documents them as valid;
* an envelope `allOf: [Envelope, {properties: {data: X}}]` keeps the envelope without
  its own `data`: the generator means "the envelope, with data of type X", and where X
  is not an array (`GET /segments/{id}/id_list` answers one IDListDto) the literal
  allOf would require data to be an array and an object at once;
* descriptions, examples, summaries and tags are dropped (no prose is committed).

Usage: python tools/extract_spec.py [SPEC] [OUT]
(defaults: ../shared/statsig-console-api/openapi.json → statsync/spec/console_api.json).
tests/contract/test_spec_extract.py fails when the committed extract is stale.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SPEC = ROOT.parent / "shared" / "statsig-console-api" / "openapi.json"
DEFAULT_OUT = ROOT / "statsync" / "spec" / "console_api.json"

PROSE = {"description", "example", "examples", "summary", "title", "externalDocs", "deprecated"}
METHODS = ("get", "post", "put", "patch", "delete")


def convert(node):
    """One OpenAPI 3.0 schema node → JSON Schema 2020-12, recursively."""
    if isinstance(node, list):
        return [convert(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key in PROSE or key == "nullable":
            continue
        if key == "$ref":
            out[key] = value.replace("#/components/schemas/", "#/$defs/")
        elif key == "oneOf":
            out["anyOf"] = convert(value)
        elif key == "properties":
            # property names are data, not keywords: never strip "description" here
            out[key] = {name: convert(schema) for name, schema in value.items()}
        else:
            out[key] = convert(value)
    for bound, flag in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        if out.get(flag) is True:
            out[flag] = out.pop(bound)
        elif out.get(flag) is False:
            del out[flag]
    if node.get("nullable") is True:
        out = _nullable(out)
    return out


def _nullable(schema: dict) -> dict:
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        schema = dict(schema, type=[*types, "null"])
        if "enum" in schema:
            schema["enum"] = [*schema["enum"], None]
        return schema
    for combinator in ("oneOf", "anyOf"):
        if combinator in schema:
            return dict(schema, **{combinator: [*schema[combinator], {"type": "null"}]})
    return {"anyOf": [schema, {"type": "null"}]}


def _json_schema(content: dict | None):
    if not content:
        return None
    media = content.get("application/json") or next(iter(content.values()), {})
    schema = media.get("schema")
    return convert(schema) if schema is not None else None


def extract(spec: dict) -> dict:
    operations = {}
    for path, item in sorted(spec["paths"].items()):
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            body = op.get("requestBody")
            operations[f"{method.upper()} {path}"] = {
                "request": _json_schema(body.get("content")) if body else None,
                "requestRequired": bool(body and body.get("required")),
                "responses": {
                    status: _json_schema(resp.get("content"))
                    for status, resp in sorted(op.get("responses", {}).items())
                },
            }
    defs = {name: convert(schema) for name, schema in sorted(spec["components"]["schemas"].items())}
    for operation in operations.values():
        for status, schema in operation["responses"].items():
            operation["responses"][status] = _specialised_envelope(schema, defs)
    return {
        "source": "Statsig Console API OpenAPI spec, version " + spec["info"]["version"],
        "$defs": defs,
        "operations": operations,
    }


def _specialised_envelope(schema, defs: dict):
    """allOf [Envelope, {data: X}] → allOf [Envelope without data, {data: X}]."""
    branches = schema.get("allOf") if isinstance(schema, dict) else None
    if not branches or not any("data" in branch.get("properties", {}) for branch in branches if "$ref" not in branch):
        return schema
    out = []
    for branch in branches:
        envelope = defs.get(branch.get("$ref", "").removeprefix("#/$defs/"))
        if envelope is not None and "data" in envelope.get("properties", {}):
            branch = {**envelope, "properties": {k: v for k, v in envelope["properties"].items() if k != "data"},
                      "required": [name for name in envelope.get("required", []) if name != "data"]}
        out.append(branch)
    return {**schema, "allOf": out}


def render(spec_path: Path) -> str:
    spec = json.loads(spec_path.read_text())
    return json.dumps(extract(spec), indent=1, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    spec_path = Path(argv[1]) if len(argv) > 1 else DEFAULT_SPEC
    out_path = Path(argv[2]) if len(argv) > 2 else DEFAULT_OUT
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(render(spec_path))
    print(f"wrote {out_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
