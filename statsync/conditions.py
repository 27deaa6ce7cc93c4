"""Which operators each rule condition type takes (DIGEST §8.2).

The spec leaves `operator` a free string. Statsig's documented operators are a
short list; rules made in the console may carry any operator the server SDKs
evaluate, so each family below is the SDK superset that makes sense for the
type's value. An operator outside its family (a version comparison on a
country, any operator on `passes_gate`) is a rule Statsig would never match as
the author meant, so validation names it before anything is sent.
"""
from __future__ import annotations

from typing import Any, Iterable, Iterator

# value families → operators
_SET = ("any", "none", "any_case_sensitive", "none_case_sensitive", "in_segment_list", "not_in_segment_list")
_TEXT = (*_SET, "str_starts_with_any", "str_ends_with_any", "str_contains_any", "str_contains_none", "str_matches",
         "eq", "neq")
_VERSION = ("any", "none", "version_gt", "version_gte", "version_lt", "version_lte", "version_eq", "version_neq")
_NUMBER = ("gt", "gte", "lt", "lte", "eq", "neq")
_TIME = ("before", "after", "on", "gt", "gte", "lt", "lte")
_ARRAY = ("array_contains_any", "array_contains_none", "array_contains_all", "not_array_contains_all")
_NULL = ("is_null", "is_not_null")

# Types that name an object (or everyone) take no operator at all.
NO_OPERATOR = ("public", "passes_gate", "fails_gate", "passes_segment", "fails_segment")
# Types Statsig's own docs write without an operator, and what it means: legacy-docs
# `docs/console-api/rules.mdx` shows {"type": "environment_tier", "targetValue":
# "production"}; the SDK stores tier conditions with "any" (SDK `eval_proj_dcs.json`).
# Both sides of a plan read a missing one as this, so either answer converges.
IMPLIED_OPERATOR = {"environment_tier": "any"}


def operator_of(condition: dict) -> Any:
    return condition.get("operator") or IMPLIED_OPERATOR.get(condition.get("type"))

OPERATORS: dict[str, tuple[str, ...]] = {
    "user_id": (*_TEXT, *_NULL),
    "email": _TEXT,
    "country": _TEXT,
    "ip_address": _TEXT,
    "os_name": _TEXT,
    "browser_name": _TEXT,
    "device_model": _TEXT,
    "locale": _TEXT,
    "url": _TEXT,
    "environment_tier": _SET,
    "target_app": _SET,
    "app_version": _VERSION,
    "browser_version": _VERSION,
    "os_version": _VERSION,
    "time": (*_TIME, "any", "none"),
    "unit_id": (*_TEXT, *_NULL, *_NUMBER),
    # a custom field holds whatever the app sends: text, numbers, versions, dates, arrays
    "custom_field": tuple(dict.fromkeys((*_TEXT, *_VERSION, *_NUMBER, *_TIME, *_ARRAY, *_NULL))),
    "javascript": _TEXT,
}


def operator_problems(rules: Iterable[tuple[tuple, dict]]) -> Iterator[tuple[tuple, str]]:
    """(path, message) for each condition whose operator does not fit its type; `rules`:
    (path, rule) pairs (references.rules)."""
    for at, rule in rules:
        for cond_index, condition in enumerate(rule.get("conditions") or []):
            kind, operator = condition.get("type"), operator_of(condition)
            path = (*at, "conditions", cond_index, "operator")
            if kind in NO_OPERATOR:
                if operator:
                    yield path, f"{kind} conditions take no operator (found {operator!r})"
            elif kind in OPERATORS and operator is None:
                yield path[:-1], f"{kind} conditions need an operator: {_choices(kind)}"
            elif kind in OPERATORS and operator not in OPERATORS[kind]:
                yield path, f"{operator!r} does not fit {kind} conditions; use one of {_choices(kind)}"


def _choices(kind: str) -> str:
    return ", ".join(OPERATORS[kind])
