"""`statsync explain`: one evaluation, printed as its path through the rules.

Every condition's outcome comes from Statsig's evaluator too: each condition of the
subject's rules is compiled into a probe spec of its own (one 100 % rule holding just
that condition) beside the repository's payload, and evaluated for the same user. So
the explanation can never disagree with `statsync test` about what a condition does.
"""
from __future__ import annotations

import json
from typing import Any

from statsync.compile import Unsupported
from statsync.evaluate import Evaluator
from statsync.testing import Runner, Test, _at, _epoch_ms, DEFAULT_AT, DEFAULT_ENVIRONMENT

# what explain walks rule by rule: objects whose rules are the Console's own
EXPLAINABLE = ("gate", "segment", "dynamic_config")


def explain(objects: list, kind: str, object_id: str, user: dict[str, Any],
            environment: str = DEFAULT_ENVIRONMENT, at: str = DEFAULT_AT) -> list[str]:
    spec_name = f"segment:{object_id}" if kind == "segment" else object_id
    test = Test("explain", kind, object_id, [{"user": user, "expect": {}}], None, environment, at)  # type: ignore[arg-type]
    runner = Runner(objects, [test])
    try:
        outcome = runner.outcome(test, test.cases[0])
        base = runner.base
        specs = {**base.gates, **base.configs, **base.experiments}
        if spec_name not in specs:
            raise Unsupported(f"{kind} {object_id} is not in the repository")
        payload = base.payload()
        probes = {}
        for rule in specs[spec_name]["rules"]:
            for key in rule["conditions"]:
                probes[key] = {"type": "feature_gate", "entity": "feature_gate", "salt": f"probe~{key}",
                               "enabled": True, "defaultValue": False, "idType": rule["idType"],
                               "rules": [{"name": "probe", "id": "probe", "salt": "probe", "passPercentage": 100,
                                          "conditions": [key], "returnValue": True, "idType": rule["idType"]}]}
        payload["feature_gates"] = {**payload["feature_gates"], **{f"probe~{k}": v for k, v in probes.items()}}
        with Evaluator(_at(payload, _epoch_ms(at)), environment) as evaluator:
            holds = {key: evaluator.gate(user, f"probe~{key}").value for key in probes}
        lines = [f"{kind} {object_id} for {json.dumps(user)} in {environment}:"]
        for rule in specs[spec_name]["rules"]:
            name = runner.rule_label(rule["id"])
            matched = all(holds[key] for key in rule["conditions"])
            share = base.partial.get(rule["id"])
            rollout = f"{share:g} %" if share is not None else f"{rule['passPercentage']:g} %"
            lines.append(f"  rule {name!r} ({rollout}): {'MATCH' if matched else 'no match'}")
            for key in rule["conditions"]:
                condition = base.conditions[key]
                nested = (condition["type"] in ("pass_gate", "fail_gate")
                          and runner.reachable(condition["targetValue"])[1])
                # statsync's salts are not Statsig's: a nested rollout's outcome here is one draw
                mark = "?" if nested else "✓" if holds[key] else "✗"
                lines.append(f"    {mark} {_condition_text(condition)}" + (" (depends on a rollout)" if nested else ""))
            if matched:
                break
        possible = sorted(outcome.possible.items(), key=lambda item: -item[1])
        lines.append("  → " + "; ".join(f"{value} with probability {p:g} (rule {rule!r})" if p < 1
                                        else f"{value} (rule {rule!r})" for (value, rule, _), p in possible))
        if outcome.partial:
            lines.append("  rollouts it can reach: " + "; ".join(outcome.partial))
        return lines
    finally:
        runner.close()


def _condition_text(condition: dict) -> str:
    parts = [condition["type"]]
    if condition.get("field"):
        parts.append(str(condition["field"]))
    if condition.get("operator"):
        parts.append(condition["operator"])
    if "targetValue" in condition:
        parts.append(json.dumps(condition["targetValue"]))
    return " ".join(parts)
