"""The committed spec extract and schemas are what the generators make today."""
import importlib.util
import json

import pytest

from statsync.schemas import all_schemas
from tests.conftest import OFFICIAL_SPEC, REPO


def _load_tool(name):
    spec = importlib.util.spec_from_file_location(name, REPO / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not OFFICIAL_SPEC.exists(), reason="the official spec is not beside this checkout")
def test_the_committed_extract_matches_the_official_spec():
    extract = _load_tool("extract_spec")
    committed = (REPO / "statsync" / "spec" / "console_api.json").read_text()
    assert extract.render(OFFICIAL_SPEC) == committed, "run: python tools/extract_spec.py"


def test_schemas_directory_is_current():
    gen = _load_tool("gen_schemas")
    for name, schema in all_schemas().items():
        on_disk = (REPO / "schemas" / name).read_text()
        assert gen.render(schema) == on_disk, f"schemas/{name} is stale; run: python tools/gen_schemas.py"


def test_extract_conversion_handles_openapi_30_quirks():
    extract = _load_tool("extract_spec")
    assert extract.convert({"type": "string", "nullable": True}) == {"type": ["string", "null"]}
    assert extract.convert({"oneOf": [{"type": "string"}], "nullable": True}) == {
        "anyOf": [{"type": "string"}, {"type": "null"}]}
    assert extract.convert({"type": "integer", "minimum": 1, "exclusiveMinimum": True}) == {
        "type": "integer", "exclusiveMinimum": 1}
    assert extract.convert({"$ref": "#/components/schemas/X", "description": "prose"}) == {"$ref": "#/$defs/X"}
    # a property called "description" is data, not prose
    assert extract.convert({"properties": {"description": {"type": "string"}}}) == {
        "properties": {"description": {"type": "string"}}}


def test_schemas_work_with_plain_jsonschema_as_editors_use_them():
    from jsonschema import Draft202012Validator

    from statsync.loader import load_paths
    from tests.conftest import EXAMPLES

    for document in load_paths([EXAMPLES]):
        schema = json.loads((REPO / "schemas" / f"{document.data['kind']}.json").read_text())
        Draft202012Validator.check_schema(schema)
        errors = [e for e in Draft202012Validator(schema).iter_errors(document.data) if e.validator != "multipleOf"]
        assert errors == [], document.file
