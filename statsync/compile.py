"""Console objects → the DCS v2 payload Statsig's SDKs evaluate (download_config_specs).

Statsig compiles on its servers and does not publish how; every convention below is
inferred from Statsig's real payloads and cited by the spec in
`tests/fixtures/statsig/eval_proj_dcs.json` that shows it (SEMANTICS.md's compile
table). Evaluation is not ours: `statsync.evaluate` hands this payload to Statsig's
own evaluator (statsig-python-core). So this module is the one place a fidelity bug in
`statsync test` can live.

This slice compiles gates, segments, dynamic configs, holdouts, experiments and layers.

Salts are statsync's own (the Console API exposes none), so a partial rollout's outcome
for one user is not knowable; `statsync.testing` reports its exact probability instead,
evaluating variants of this payload whose partial rules (`partial`) are forced to 0 or 100 %.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Iterable

import json5

from statsync.conditions import operator_of
from statsync.kinds import Kind

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
        self.experiments: dict[str, dict] = {}
        self.layers: dict[str, dict] = {}
        self.layer_members: dict[str, list[str]] = {}  # layer → its experiments, in slot order
        # Where a unit's bucket decides (an experiment's allocation, its groups): choice id →
        # options (label, exact share, {rule id: matches}); `statsync.testing` weighs each
        self.bucketed: dict[str, list[tuple[str, float, dict[str, bool]]]] = {}
        self.labels: dict[str, str] = {}  # rule id → readable name, for rules no Console rule names
        self.holdouts: dict[tuple[str, str], list[str]] = {}  # (kind, member id) → holdout specs
        self.holdout_rules: set[str] = set()  # the rule of each holdout spec (a test may assume it misses)

    def payload(self, time_ms: int = 0) -> dict[str, Any]:
        return {"has_updates": True, "time": time_ms, "response_format": "dcs-v2",
                "feature_gates": self.gates, "dynamic_configs": {**self.configs, **self.experiments},
                "layer_configs": self.layers, "layers": self.layer_members,
                "experiment_to_layer": {e: layer for layer, members in self.layer_members.items() for e in members},
                "condition_map": self.conditions, "id_lists": {}}

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

    def _bucket(self, salt: str, id_type: str, operator: str, target: Any) -> str:
        """A `user_bucket` condition (no Console condition has one): the unit's slot of 1,000."""
        compiled = {"type": "user_bucket", "operator": operator, "targetValue": target,
                    "additionalValues": {"salt": salt}, "idType": id_type}
        key = _digest(json.dumps(compiled, sort_keys=True))[:12]
        self.conditions.setdefault(key, compiled)
        return key

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
        rules += self._held_out("gate", object_id, False)
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

    def _held_out(self, kind: str, object_id: str, default: Any) -> list[dict]:
        """A holdout's members first check it: held out, they get the default
        (SEMANTICS compile table; layer_holdout in test_exp_with_layers_targeting_and_holdout)."""
        rules = []
        for holdout in self.holdouts.get((kind, object_id), []):
            rid = f"holdout:{holdout}"
            self.labels[rid] = f"holdout {holdout}"
            rules.append({"name": rid, "id": rid, "salt": "", "passPercentage": 100, "returnValue": default,
                          "conditions": [self._condition({"type": "passes_gate", "targetValue": holdout})],
                          "idType": "userID"})
        return rules

    def holdout(self, object_id: str, body: dict) -> None:
        """A holdout is a gate of its own: one public rule at its percentage (global_holdout)."""
        percentage = body.get("passPercentage", 0)
        rid = rule_id(object_id, "holdout")
        self.labels[rid] = f"holdout {object_id}"
        self.holdout_rules.add(rid)
        if 0 < percentage < 100:
            self.partial[rid] = percentage
        self.gates[object_id] = {"type": "feature_gate", "entity": "holdout", "salt": object_id,
                                 "enabled": body.get("isEnabled", True), "defaultValue": False,
                                 "idType": body.get("idType") or "userID",
                                 "rules": [{"name": rid, "id": rid, "salt": rid, "passPercentage": percentage,
                                            "conditions": [self._condition({"type": "public"})],
                                            "returnValue": True, "idType": body.get("idType") or "userID"}]}

    def layer(self, object_id: str, body: dict, experiments: list[tuple[str, dict]]) -> None:
        """A layer gives its units the parameter defaults, or delegates them to the experiment
        whose slots they are in (`experimentAssignment`, `configDelegate`: test_layer_with_holdout,
        test_layer_not_in_holdout). Slots are statsync's: each experiment, in id order, takes the
        next run of its allocation's share of the 1,000; the layer's choice weighs each run."""
        defaults = {p.get("name"): p.get("defaultValue") for p in body.get("parameters") or []}
        id_type = body.get("idType") or "userID"
        forced = self._layer_overrides(object_id, body.get("overrides") or {}, id_type, defaults,
                                       {experiment_id for experiment_id, _ in experiments})
        salt, options, start = f"{object_id}:layer", [], 0
        rules = [rule for rule, _, _ in forced] + self._held_out("layer", object_id, defaults)
        members = []
        for experiment_id, experiment in experiments:
            pinned = [(condition, group) for _, target, (condition, group) in forced if target == experiment_id]
            if experiment.get("status") in ("abandoned", "archived"):
                self.experiment(experiment_id, experiment, defaults)  # no longer takes a share of the layer
                continue
            slots = max(0, min(1000 - start, round(float(experiment.get("allocation", 100)) * 10)))
            region = {str(slot): True for slot in range(start, start + slots)}
            rid = rule_id(object_id, f"experiment {experiment_id}")
            self.labels[rid] = f"experiment {experiment_id}"
            rules.append({"name": rid, "id": rid, "salt": "", "passPercentage": 100, "returnValue": defaults,
                          "conditions": [self._bucket(salt, id_type, "any", region)], "idType": id_type,
                          "configDelegate": experiment_id})
            members.append(experiment_id)
            options.append((experiment_id, slots, rid, f"{experiment_id}#layerAssignment"))
            self.experiment(experiment_id, experiment, defaults, (salt, region), pinned)
            start += slots
        delegations = [rid for _, _, rid, _ in options]
        assignments = [assigned for _, _, _, assigned in options]
        self.bucketed[f"{object_id}:slots"] = [
            (name, slots / 1000, {**{other: other == rid for other in delegations},
                                  **{other: other != assigned for other in assignments}})
            for name, slots, rid, assigned in options if slots] + ([
                ("no experiment", (1000 - start) / 1000, {**{other: False for other in delegations},
                                                          **{other: True for other in assignments}})]
                if start < 1000 else [])
        self.layer_members[object_id] = members
        self.layers[object_id] = {"type": "dynamic_config", "entity": "layer", "salt": salt, "enabled": True,
                                  "defaultValue": defaults, "idType": id_type, "rules": rules}

    def _layer_overrides(self, layer_id: str, overrides: dict, id_type: str, defaults: dict,
                         members: set[str]) -> list[tuple[dict, str, tuple[str, str]]]:
        """A layer's overrides as leading layer rules delegating to the named experiment, each
        with the (condition key, group) the experiment then gives first. Unproven: no real
        payload with layer overrides is at hand; this is how the experiment's own overrides
        compile (overrides before holdouts, SEMANTICS compile table), applied at the layer,
        which is where a unit's experiment is chosen. Returns (rule, experiment, (key, group))."""
        out = []
        items = [(item, {"type": "user_id", "operator": "any", "targetValue": list(item.get("ids") or [])}
                  if id_type == "userID" else {"type": "unit_id", "customID": id_type, "operator": "any",
                                               "targetValue": list(item.get("ids") or [])})
                 for item in overrides.get("idOverrides") or []]
        items += [(item, {"type": "passes_segment" if item.get("type") == "segment" else "passes_gate",
                          "targetValue": item.get("name")}) for item in overrides.get("conditionalOverrides") or []]
        for item, condition in items:
            experiment, group = item.get("experimentName"), item.get("groupName")
            if experiment not in members:
                continue  # an experiment outside this layer: nothing to delegate to
            if item.get("environment"):
                condition = [condition, {"type": "environment_tier", "operator": "any",
                                         "targetValue": [item["environment"]]}]
            keys = [self._condition(c) for c in (condition if isinstance(condition, list) else [condition])]
            rid = rule_id(layer_id, f"override {experiment} {group} {len(out)}")
            self.labels[rid] = f"layer override → {experiment} {group}"
            out.append(({"name": rid, "id": rid, "salt": "", "passPercentage": 100, "returnValue": defaults,
                         "conditions": keys, "idType": id_type, "configDelegate": experiment},
                        experiment, (keys, group)))
        return out

    def experiment(self, object_id: str, body: dict, layer_defaults: dict | None = None,
                   slots: tuple[str, dict] | None = None, layer_overrides: list | None = None) -> None:
        """Overrides, holdouts, the status, then (running) the allocation, the targeting gate
        and one bucketed rule a group (test_experiment_no_targeting, test_decision_made,
        not_started_exp_in_layer_no_holdout). Buckets use statsync's salts, so the rules
        are there for the evaluator's path; `bucketed` says the exact share of each."""
        id_type = body.get("idType") or "userID"
        default = dict(layer_defaults or {})
        groups = body.get("groups") or [{"name": "Control", "size": 50, "parameterValues": {}},
                                         {"name": "Test", "size": 50, "parameterValues": {}}]
        values = {group.get("name"): {**default, **(group.get("parameterValues") or {})} for group in groups}
        # files name groups; a live object (the emulator's SDK config) names them by id
        named = {group.get("id"): group.get("name") for group in groups if group.get("id")}
        status = body.get("status") or "setup"
        rules = []

        def fixed(name: str, condition: dict | str, value: Any, group: str | None = None, label: str = "") -> dict:
            key = condition if isinstance(condition, str) else self._condition(condition)
            rule = {"name": name, "id": name, "salt": "", "passPercentage": 100, "returnValue": value,
                    "conditions": [key], "idType": id_type}
            self.labels[name] = label or name
            return {**rule, "groupName": group} if group else rule
        for keys, group in layer_overrides or []:  # the layer sent these units here, to this group
            rid = f"{group}:layer_override:{len(rules)}"
            self.labels[rid] = f"layer override → {group}"
            rules.append({"name": rid, "id": rid, "salt": "", "passPercentage": 100, "idType": id_type,
                          "returnValue": values.get(group, default), "conditions": list(keys), "groupName": group})
        overrides = body.get("overrides") or {}
        for item in overrides.get("userIDOverrides") or []:
            group, unit = named.get(item.get("groupID"), item.get("groupID")), item.get("unitType") or id_type
            condition = ({"type": "user_id", "operator": "any", "targetValue": list(item.get("ids") or [])}
                         if unit == "userID" else {"type": "unit_id", "customID": unit, "operator": "any",
                                                   "targetValue": list(item.get("ids") or [])})
            rules.append(fixed(f"{group}:{unit}:id_override", condition, values.get(group, default), group,
                               f"override → {group}"))
        for item in overrides.get("overrides") or []:
            group, target = named.get(item.get("groupID"), item.get("groupID")), item.get("id")
            condition = {"type": "passes_segment" if item.get("type") == "segment" else "passes_gate",
                         "targetValue": target}
            rules.append(fixed(f"{group}:{item.get('type')}:{target}:override", condition,
                               values.get(group, default), group, f"override → {group}"))
        rules += self._held_out("experiment", object_id, default)
        public = {"type": "public"}
        if status == "setup":
            rules.append(fixed("prestart", public, default))
        elif status in ("decision_made", "archived") and named.get(body.get("launchedGroupID"),
                                                                   body.get("launchedGroupID")) in values:
            group = named.get(body["launchedGroupID"], body["launchedGroupID"])
            rules.append(fixed("launchedGroup", public, values[group], group))
        elif status != "active":  # abandoned (or archived undecided): everyone gets the default
            rules.append(fixed("abandoned", public, default))
        else:
            salt = f"{object_id}:experiment"  # statsync's own salts: SDKs still spread units by them
            rid = f"{object_id}#layerAssignment"
            share = max(0, min(1000, round(float(body.get("allocation", 100)) * 10)))
            if slots is None and share < 1000:
                # alone in its own layer: the first `share` slots; the rest are not in the experiment
                slots = (f"{object_id}:layer", {str(slot): True for slot in range(share)})
                self.bucketed[f"{object_id}:allocation"] = [
                    ("in the experiment", share / 1000, {rid: False}), ("not allocated", 1 - share / 1000, {rid: True})]
            if slots is not None:  # (in a named layer, its slots there are weighed by the layer's choice)
                outside = self._bucket(slots[0], id_type, "none", slots[1])
                rules.append({**fixed(rid, outside, default, label="layerAssignment"), "name": "layerAssignment"})
            if body.get("targetingGateID"):
                rules.append(fixed("targetingGate", {"type": "fails_gate", "targetValue": body["targetingGateID"]},
                                   default))
            options, below = [], 0
            for group in groups:
                top = min(1000, below + round(float(group.get("size", 0)) * 10))
                rid = rule_id(object_id, f"group {group.get('name')}")
                self.labels[rid] = f"group {group.get('name')}"
                rules.append({"name": rid, "id": rid, "salt": rid, "passPercentage": 100, "groupName": group.get("name"),
                              "isExperimentGroup": True, "returnValue": values[group.get("name")], "idType": id_type,
                              "conditions": [self._bucket(salt, id_type, "lt", top)]})
                options.append((group.get("name"), (top - below) / 1000, rid))
                below = top
            group_ids = [rid for _, _, rid in options]
            self.bucketed[f"{object_id}:groups"] = [
                (name, share, {other: other == rid for other in group_ids}) for name, share, rid in options if share]
        self.experiments[object_id] = {"type": "dynamic_config", "entity": "experiment", "salt": object_id,
                                       "enabled": True, "defaultValue": default, "idType": id_type, "rules": rules,
                                       "isActive": status == "active", "hasSharedParams": bool(layer_defaults)}

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


@dataclass(frozen=True)
class LiveObject:
    """A live object in the shape `compile_objects` reads (a DesiredObject's): the emulator's
    project, or what `statsync test --target` reads of a real one."""

    kind: Kind
    id: str
    body: dict[str, Any]


COMPILED_KINDS = ("gate", "segment", "dynamic_config", "holdout", "experiment", "layer")


def compile_objects(objects: Iterable) -> Compiler:
    """Every compilable object of a repository (DesiredObjects) into one payload."""
    compiler = Compiler()
    objects = list(objects)
    _holdout_members(compiler, objects)
    layers = {obj.id: obj.body for obj in objects if obj.kind.name == "layer"}
    in_layer: dict[str, list[tuple[str, dict]]] = {layer: [] for layer in layers}
    for obj in sorted(objects, key=lambda o: o.id):
        if obj.kind.name == "experiment" and obj.body.get("layerID") in layers:
            in_layer[obj.body["layerID"]].append((obj.id, obj.body))
    for obj in objects:
        if obj.kind.name not in COMPILED_KINDS:
            continue
        try:
            if obj.kind.name == "layer":
                compiler.layer(obj.id, obj.body, in_layer[obj.id])  # and the experiments in it
            elif obj.kind.name == "experiment":
                if obj.body.get("layerID") not in layers:
                    compiler.experiment(obj.id, obj.body)
            else:
                getattr(compiler, obj.kind.name)(obj.id, obj.body)
        except Unsupported as exc:  # only the tests that reach it are affected
            name = f"segment:{obj.id}" if obj.kind.name == "segment" else obj.id
            compiler.unsupported[name] = f"{obj.kind.name} {obj.id}: {exc}"
    return compiler


def _holdout_members(compiler: Compiler, objects: list) -> None:
    """Which gates and experiments each enabled holdout holds back: its lists, and for a
    global one every gate and experiment with its unit ID type (DIGEST §7.3)."""
    for holdout in (obj for obj in objects if obj.kind.name == "holdout" and obj.body.get("isEnabled", True)):
        unit = holdout.body.get("idType") or "userID"
        for obj in objects:
            listed = obj.id in (holdout.body.get({"gate": "gateIDs", "experiment": "experimentIDs"}.get(
                obj.kind.name, "")) or []) or (obj.kind.name == "experiment" and obj.body.get("layerID") in (
                    holdout.body.get("layerIDs") or []))  # a layer's holdout holds its experiments
            global_member = holdout.body.get("isGlobal") and obj.kind.name in ("gate", "experiment") \
                and (obj.body.get("idType") or "userID") == unit
            if obj.kind.name in ("gate", "experiment") and (listed or global_member):
                compiler.holdouts.setdefault((obj.kind.name, obj.id), []).append(holdout.id)
            if obj.kind.name == "layer" and obj.id in (holdout.body.get("layerIDs") or []):
                compiler.holdouts.setdefault(("layer", obj.id), []).append(holdout.id)
