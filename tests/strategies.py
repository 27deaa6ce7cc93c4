"""Hypothesis strategies from JSON Schema, for the keywords Statsig's spec uses.

(hypothesis-jsonschema would do this, but its last release does not run with
current Hypothesis; the spec's request schemas use only a small set of keywords.)
"""
from __future__ import annotations

import re
from decimal import Decimal

from hypothesis import strategies as st

JSON_LEAVES = st.none() | st.booleans() | st.integers(-1000, 1000) | st.text(max_size=8)
ANY_JSON = st.recursive(JSON_LEAVES, lambda inner: st.lists(inner, max_size=3)
                        | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=8)


def from_schema(schema: dict) -> st.SearchStrategy:
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    for combinator in ("oneOf", "anyOf"):
        if combinator in schema:
            return st.one_of([from_schema(branch) for branch in schema[combinator]])
    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of([from_schema({**schema, "type": one}) for one in kind])
    return {
        "string": _string, "number": _number, "integer": _integer, "boolean": lambda s: st.booleans(),
        "null": lambda s: st.none(), "array": _array, "object": _object,
    }.get(kind, lambda s: ANY_JSON)(schema)


def _string(schema: dict) -> st.SearchStrategy:
    low, high = schema.get("minLength", 0), min(schema.get("maxLength", 30), 30)
    pattern = schema.get("pattern")
    if pattern is None:
        return st.text(min_size=low, max_size=high)
    # "^[set]*$" with length bounds → "^[set]{low,high}$", so bounds hold by construction
    bounded = re.sub(r"\]\*\$$", f"]{{{low},{high}}}$", pattern)
    strategy = st.from_regex(bounded, fullmatch=True)
    return strategy if bounded != pattern else strategy.filter(lambda s: low <= len(s) <= high)


def _bounds(schema: dict, step) -> tuple:
    low, high = schema.get("minimum"), schema.get("maximum")
    if "exclusiveMinimum" in schema:
        low = schema["exclusiveMinimum"] + step
    if "exclusiveMaximum" in schema:
        high = schema["exclusiveMaximum"] - step
    return low, high


def _number(schema: dict) -> st.SearchStrategy:
    step = schema.get("multipleOf")
    low, high = _bounds(schema, step or 0.01)
    if step:
        places = -Decimal(str(step)).as_tuple().exponent
        return st.decimals(min_value=low if low is not None else -1000, max_value=high if high is not None else 1000,
                           places=places, allow_nan=False, allow_infinity=False).map(float)
    return st.floats(min_value=low, max_value=high, allow_nan=False, allow_infinity=False) | st.integers(
        min_value=int(low) if low is not None else None, max_value=int(high) if high is not None else None)


def _integer(schema: dict) -> st.SearchStrategy:
    low, high = _bounds(schema, 1)
    return st.integers(min_value=low, max_value=high)


def _array(schema: dict) -> st.SearchStrategy:
    return st.lists(from_schema(schema.get("items", {})), max_size=3)


def _object(schema: dict) -> st.SearchStrategy:
    properties = schema.get("properties", {})
    required = set(schema.get("required", []))
    fixed = st.fixed_dictionaries({name: from_schema(properties[name]) for name in required if name in properties},
                                  optional={name: from_schema(sub) for name, sub in properties.items()
                                            if name not in required})
    if not properties and schema.get("additionalProperties", True) is not False:
        return st.dictionaries(st.text(max_size=6), ANY_JSON, max_size=3)
    return fixed


# Operators Statsig documents per condition type (DIGEST §8.2); the spec leaves them free strings.
DOCUMENTED_OPERATORS = {
    **dict.fromkeys(("user_id", "country", "ip_address", "os_name", "browser_name", "environment_tier"),
                    ("any", "none")),
    "email": ("any", "none", "str_contains_any", "str_contains_none"),
    **dict.fromkeys(("app_version", "browser_version", "os_version"),
                    ("any", "none", "version_lt", "version_gt", "version_lte", "version_gte")),
    "custom_field": ("any", "none", "str_contains_any", "lt", "gt", "version_gt", "before", "after", "on"),
    "unit_id": ("any", "none", "str_contains_any", "str_contains_none", "is_null", "is_not_null"),
    "time": ("after", "before"),
}
