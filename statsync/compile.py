"""Console objects → the DCS v2 payload Statsig's SDKs evaluate (download_config_specs).

Statsig compiles on its servers and does not publish how; every convention below is
inferred from Statsig's real payloads and cited by the spec in
`tests/fixtures/statsig/eval_proj_dcs.json` that shows it (SEMANTICS.md's compile
table). Evaluation is not ours: `statsync.evaluate` hands this payload to Statsig's
own evaluator (statsig-python-core). So this module is the one place a fidelity bug in
`statsync test` can live.

This slice compiles gates, segments and dynamic configs. Experiments, layers and
holdouts are not compiled yet: a test whose subject needs them is reported as such.

Salts are statsync's own (the Console API exposes none), so a partial rollout's outcome
for one user is not knowable; `statsync.testing` reports its exact probability instead,
evaluating variants of this payload whose partial rules (`partial`) are forced to 0 or 100 %.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any, Iterable

import json5

from statsync.conditions import operator_of

# Console condition type → (DCS type, DCS field). Evidence: eval_proj_dcs.json
# (test_environment_tier, test_segment_condition, test_null_operator, test_time_before).
USER_FIELDS = {"user_id": "userID", "email": "email", "app_version": "appVersion", "locale": "locale",
               "ip_address": "ip", "device_model": "device_model"}
UA_FIELDS = ("browser_name", "browser_version", "os_name", "os_version")
CLIENT_ONLY = ("url", "javascript")  # evaluated by client SDKs only
# operators that compare one value; the core answers false when handed a list
SCALAR_OPERATORS = ("gt", "gte", "lt", "lte", "version_gt", "version_gte", "version_lt", "version_lte",
                    "version_eq", "version_neq", "before", "after", "on", "str_matches", "eq", "neq")


# A disabled spec carries no rules: the evaluator goes through the rules of a spec whatever
# its `enabled` says (test_holdout_default_value_gate: enabled false, two rules, and
# Statsig's own test expects it to pass), and Statsig's payload lists disabled gates with
# none (test_disabled_gate, test_country_partial, test_array_any …: enabled false, rules []).
DISABLED_RULES: list = []


class Unsupported(Exception):
    """An object statsync cannot compile (yet), with the reason."""


def _digest(*parts: Any) -> str:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()


def rule_id(subject: str, rule_name: str) -> str:
    """A stable id for a Console rule: the evaluator reports it as the deciding rule."""
    return "r_" + _digest(subject, rule_name)[:20]


class Compiler:
    """One payload: specs by name, and the shared condition map they point into."""

    def __init__(self):
        self.conditions: dict[str, dict] = {}
        self.gates: dict[str, dict] = {}
        self.configs: dict[str, dict] = {}
        self.rule_names: dict[str, tuple[str, str]] = {}  # rule id → (spec name, Console rule name)
        self.partial: dict[str, float] = {}  # rule id → pass percentage strictly between 0 and 100
        self.unsupported: dict[str, str] = {}  # spec name → why it could not be compiled

    def payload(self, time_ms: int = 0) -> dict[str, Any]:
        return {"has_updates": True, "time": time_ms, "response_format": "dcs-v2",
                "feature_gates": self.gates, "dynamic_configs": self.configs, "layer_configs": {},
                "layers": {}, "experiment_to_layer": {}, "condition_map": self.conditions, "id_lists": {}}

    # --- conditions ------------------------------------------------------------
    def _condition(self, condition: dict) -> str:
        """The key of a Console condition in the condition map (added once)."""
        compiled = compile_condition(condition)
        compiled = {key: value for key, value in compiled.items() if value is not None}
        key = _digest(json.dumps(compiled, sort_keys=True))[:12]
        self.conditions.setdefault(key, compiled)
        return key

    def _rule(self, spec_name: str, subject: str, rule: dict, id_type: str, return_value: Any,
              extra: Iterable[dict] = ()) -> dict:
        rid = rule_id(subject, rule.get("name", ""))
        percentage = rule.get("passPercentage", 100)
        self.rule_names[rid] = (spec_name, rule.get("name", ""))
        if 0 < percentage < 100:
            self.partial[rid] = percentage
        conditions = [self._condition(c) for c in rule.get("conditions") or [{"type": "public"}]]
        if rule.get("environments"):  # a rule's environments: one more condition (SEMANTICS compile table)
            conditions.append(self._condition({"type": "environment_tier", "operator": "any",
                                               "targetValue": list(rule["environments"])}))
        conditions += [self._condition(c) for c in extra]
        return {"name": rid, "id": rid, "salt": rid, "passPercentage": percentage, "conditions": conditions,
                "returnValue": return_value, "idType": id_type}

    def _override_rules(self, subject: str, overrides: dict, id_type: str, passing: Any, failing: Any) -> list[dict]:
        """Overrides first: `pass:all:id_override` / `fail:all:id_override` (test_environment_tier)."""
        rules = []
        for name, ids, value in (("fail:all:id_override", overrides.get("failingUserIDs"), failing),
                                 ("pass:all:id_override", overrides.get("passingUserIDs"), passing)):
            if ids:
                key = self._condition({"type": "user_id", "operator": "any", "targetValue": list(ids)})
                rules.append({"name": name, "id": name, "salt": "", "passPercentage": 100 if value else 0,
                              "conditions": [key], "returnValue": True, "idType": "userID"})
        for name, by_type, value in (("fail:all:id_override", overrides.get("failingCustomIDs"), failing),
                                     ("pass:all:id_override", overrides.get("passingCustomIDs"), passing)):
            for unit_type, ids in (by_type or {}).items() if isinstance(by_type, dict) else ():
                key = self._condition({"type": "unit_id", "customID": unit_type, "operator": "any",
                                       "targetValue": list(ids)})
                rules.append({"name": name, "id": name, "salt": "", "passPercentage": 100 if value else 0,
                              "conditions": [key], "returnValue": True, "idType": unit_type})
        return rules

    # --- kinds -------------------------------------------------------------------
    def gate(self, object_id: str, body: dict) -> None:
        id_type = body.get("idType") or "userID"
        status = body.get("status")
        enabled = body.get("isEnabled", True) and status != "Disabled"
        rules = self._override_rules(object_id, body.get("overrides") or {}, id_type, True, False)
        if status == "Launched":
            # launched: everyone passes, the rules are kept but not evaluated (⚠ inferred: EVIDENCE.md)
            rules.append({"name": "launched", "id": "launched", "salt": "launched", "passPercentage": 100,
                          "conditions": [self._condition({"type": "public"})], "returnValue": True,
                          "idType": id_type})
            enabled = True
        else:
            rules += [self._rule(object_id, object_id, rule, rule.get("idType") or id_type, True)
                      for rule in body.get("rules") or []]
        self.gates[object_id] = {"type": "feature_gate", "entity": "feature_gate",
                                 "salt": object_id, "enabled": enabled, "defaultValue": False,
                                 "idType": id_type, "rules": rules if enabled else DISABLED_RULES}

    def segment(self, object_id: str, body: dict) -> None:
        """Segments are gates named `segment:<id>` (segment:user_id_list, test_segment_condition)."""
        name = f"segment:{object_id}"
        id_type = body.get("idType") or "userID"
        if body.get("type") == "id_list":
            ids = list(body.get("ids") or [])
            condition = ({"type": "user_id", "operator": "any", "targetValue": ids} if id_type == "userID"
                         else {"type": "unit_id", "customID": id_type, "operator": "any", "targetValue": ids})
            rules = [{"name": "id_list", "id": "id_list", "salt": "", "passPercentage": 100,
                      "conditions": [self._condition(condition)], "returnValue": True, "idType": id_type}]
        elif body.get("type", "rule_based") == "rule_based":
            rules = [self._rule(name, name, rule, rule.get("idType") or id_type, True)
                     for rule in body.get("rules") or []]
        else:
            raise Unsupported(f"segment {object_id}: type {body.get('type')!r} is not compiled yet")
        self.gates[name] = {"type": "feature_gate", "entity": "segment", "salt": name,
                            "enabled": True, "defaultValue": False, "idType": id_type, "rules": rules}

    def dynamic_config(self, object_id: str, body: dict) -> None:
        id_type = body.get("idType") or "userID"
        default = _value(body, "defaultValue", "defaultValueJson5")
        rules = [self._rule(object_id, object_id, rule, rule.get("idType") or id_type,
                            _value(rule, "returnValue", "returnValueJson5")) for rule in body.get("rules") or []]
        enabled = body.get("isEnabled", True) and body.get("status") != "Disabled"
        self.configs[object_id] = {"type": "dynamic_config", "entity": "dynamic_config",
                                   "salt": object_id, "enabled": enabled, "defaultValue": default,
                                   "idType": id_type, "rules": rules if enabled else DISABLED_RULES}


def _value(holder: dict, plain: str, twin: str) -> Any:
    """A config value written as JSON or as its JSON5 text twin (the file may say either;
    found by serving the emulator's payload to Statsig's SDK next to this one)."""
    if holder.get(plain) is not None:
        return holder[plain]
    if isinstance(holder.get(twin), str) and holder[twin].strip():
        try:
            return json5.loads(holder[twin])
        except ValueError:
            raise Unsupported(f"{twin} is not valid JSON5") from None
    return {}


def compile_condition(condition: dict) -> dict[str, Any]:
    """One Console condition as a DCS condition (SEMANTICS.md's compile table)."""
    kind = condition.get("type")
    operator = operator_of(condition)
    target = condition.get("targetValue")
    out: dict[str, Any] = {"type": kind, "operator": operator, "targetValue": target, "field": None,
                           "additionalValues": {}, "idType": "userID"}
    if kind == "public":
        out.update(operator=None, targetValue=None)
    elif kind in USER_FIELDS:
        out.update(type="user_field", field=USER_FIELDS[kind])
    elif kind == "custom_field":
        out.update(type="user_field", field=condition.get("field"))
    elif kind == "unit_id":
        unit = condition.get("customID") or "userID"
        out.update(field=unit, idType=unit, additionalValues={"custom_id": unit})
    elif kind == "country":
        out.update(type="ip_based", field="country")
    elif kind in UA_FIELDS:
        out.update(type="ua_based", field=kind)
    elif kind == "environment_tier":
        out.update(type="environment_field", field="tier")
    elif kind in ("passes_gate", "fails_gate"):
        out.update(type="pass_gate" if kind == "passes_gate" else "fail_gate", operator=None)
    elif kind in ("passes_segment", "fails_segment"):
        out.update(type="pass_gate" if kind == "passes_segment" else "fail_gate", operator=None,
                   targetValue=f"segment:{target}")
    elif kind == "time":
        out.update(type="current_time", targetValue=_milliseconds(target))
    elif kind == "target_app":
        pass
    elif kind in CLIENT_ONLY:
        raise Unsupported(f"condition type {kind!r} is evaluated by client SDKs only")
    else:
        raise Unsupported(f"condition type {kind!r} is not compiled yet")
    if operator in ("is_null", "is_not_null"):  # eq / neq against null (test_null_operator)
        out.update(operator="eq" if operator == "is_null" else "neq", targetValue=None)
    elif operator in SCALAR_OPERATORS and isinstance(out["targetValue"], list) and len(out["targetValue"]) == 1:
        out["targetValue"] = out["targetValue"][0]
    elif operator not in SCALAR_OPERATORS and out["targetValue"] is not None and kind not in (
            "passes_gate", "fails_gate", "passes_segment", "fails_segment", "time") \
            and not isinstance(out["targetValue"], list):
        out["targetValue"] = [out["targetValue"]]
    return out


def _milliseconds(value: Any) -> Any:
    """Console times are epoch seconds or milliseconds; DCS wants milliseconds (test_time_before)."""
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, (int, float)) and value < 10**11:
        return int(value * 1000)
    return value


def compile_objects(objects: Iterable) -> Compiler:
    """Every compilable object of a repository (DesiredObjects) into one payload."""
    compiler = Compiler()
    for obj in objects:
        if obj.kind.name in ("gate", "segment", "dynamic_config"):
            try:
                getattr(compiler, obj.kind.name)(obj.id, obj.body)
            except Unsupported as exc:  # only the tests that reach it are affected
                name = f"segment:{obj.id}" if obj.kind.name == "segment" else obj.id
                compiler.unsupported[name] = f"{obj.kind.name} {obj.id}: {exc}"
    return compiler
