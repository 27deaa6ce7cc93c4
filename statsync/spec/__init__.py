"""Statsig's Console API contract, as committed in `console_api.json`.

`console_api.json` is generated from the official OpenAPI spec by
`tools/extract_spec.py` (JSON Schema 2020-12, no prose). Both the client's request
bodies and the emulator's requests and responses are checked against it.
"""
from __future__ import annotations

import json
import re
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator, ValidationError, validators

from statsync.api.paths import API_PREFIX


def _multiple_of(validator, multiple_of, instance, schema):
    # jsonschema divides floats (10.1 / 0.01 = 1009.999…) and rejects valid
    # percentages; Statsig's `multipleOf: 0.01` is about decimal places.
    if not validator.is_type(instance, "number") or isinstance(instance, bool):
        return
    if Decimal(str(instance)) % Decimal(str(multiple_of)) != 0:
        yield ValidationError(f"{instance} is not a multiple of {multiple_of}")


DecimalValidator = validators.extend(Draft202012Validator, {"multipleOf": _multiple_of})


@lru_cache(maxsize=1)
def document() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("console_api.json").read_text()
    return json.loads(text)


def operation(method: str, template: str) -> dict[str, Any]:
    """The extract's entry for `METHOD /console/v1/...` (template path, `{id}` style: a
    parameter the spec names otherwise, `/metrics/metric_source/{name}`, is found too)."""
    key = f"{method.upper()} {API_PREFIX}{template}"
    found = document()["operations"].get(key) or _by_id_style().get(key)
    if found is None:
        raise KeyError(f"the Console API spec has no operation {key}")
    return found


def has_operation(method: str, template: str) -> bool:
    key = f"{method.upper()} {API_PREFIX}{template}"
    return key in document()["operations"] or key in _by_id_style()


@lru_cache(maxsize=1)
def _by_id_style() -> dict[str, Any]:
    """Operations keyed with every path parameter written `{id}`."""
    return {re.sub(r"\{[^}]+\}", "{id}", key): value for key, value in document()["operations"].items()}


def schema_validator(schema: dict[str, Any]) -> DecimalValidator:
    # Every extracted schema refers to the shared $defs; resolve them in place.
    return DecimalValidator({**schema, "$defs": document()["$defs"]})


@lru_cache(maxsize=None)
def request_validator(method: str, template: str) -> DecimalValidator | None:
    schema = operation(method, template)["request"]
    return schema_validator(schema) if schema is not None else None


@lru_cache(maxsize=None)
def response_validator(method: str, template: str, status: int) -> DecimalValidator | None:
    schema = operation(method, template)["responses"].get(str(status))
    return schema_validator(schema) if schema is not None else None


@lru_cache(maxsize=None)
def component(name: str) -> dict[str, Any]:
    return document()["$defs"][name]
