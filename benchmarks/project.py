"""Generate realistic statsync projects: N objects across kinds, shaped like examples/configs.

Half gates (staged rollouts, environment-scoped rules, gates building on gates),
30 % dynamic configs with nested JSON values, 20 % experiments (some targeted by
a gate, with metrics). The same generator seeds the emulator's live state, so a
benchmark starts from "in sync" and then changes a share of the files.
"""
from __future__ import annotations

import json
import random
from pathlib import Path

SPLIT = {"gate": 0.5, "dynamic_config": 0.3, "experiment": 0.2}


def counts(total: int) -> dict[str, int]:
    gates = int(total * SPLIT["gate"])
    configs = int(total * SPLIT["dynamic_config"])
    return {"gate": gates, "dynamic_config": configs, "experiment": total - gates - configs}


def objects(total: int, seed: int = 1) -> list[dict]:
    rng = random.Random(seed)
    n = counts(total)
    out = []
    for i in range(n["gate"]):
        rules = [
            {"name": "Employees", "passPercentage": 100,
             "conditions": [{"type": "email", "operator": "str_contains_any", "targetValue": ["@example.com"]}]},
            {"name": "Pre-production", "passPercentage": 100, "environments": ["staging", "development"],
             "conditions": [{"type": "public"}]},
            {"name": "Rollout", "passPercentage": rng.choice([1, 5, 10, 25, 50, 99.5]),
             "conditions": [{"type": "country", "operator": "any", "targetValue": rng.sample(["US", "CA", "MX", "DE", "FR", "JP"], 3)},
                            {"type": "app_version", "operator": "version_gte", "targetValue": f"{rng.randint(1, 9)}.{rng.randint(0, 9)}.0"}]},
        ]
        if i >= 10 and i % 10:
            rules[0]["conditions"] = [{"type": "passes_gate", "targetValue": f"gate_{i - i % 10:05}"}]
        out.append({"kind": "gate", "id": f"gate_{i:05}", "name": f"Gate {i}",
                    "description": f"Staged rollout of feature {i}", "type": rng.choice(["PERMANENT", "TEMPORARY"]),
                    "rules": rules})
    for i in range(n["dynamic_config"]):
        value = {"limits": {"maxItems": rng.randint(1, 500), "regions": rng.sample(["eu", "us", "apac"], 2)},
                 "retry": {"attempts": rng.randint(1, 5), "backoffMs": [100, 400, 1600]}, "enabled": True}
        out.append({"kind": "dynamic_config", "id": f"config_{i:05}", "name": f"Config {i}",
                    "description": "Tuning values", "defaultValue": value,
                    "rules": [{"name": "Employees", "passPercentage": 100,
                               "conditions": [{"type": "passes_gate", "targetValue": f"gate_{(i * 7) % max(n['gate'], 1):05}"}],
                               "returnValue": {**value, "enabled": False}}]})
    for i in range(n["experiment"]):
        experiment = {"kind": "experiment", "id": f"experiment_{i:05}", "name": f"Experiment {i}",
                      "description": "Does it help?", "hypothesis": "It raises conversion",
                      "groups": [{"name": "Control", "size": 50, "parameterValues": {"variant": "a", "size": 10}},
                                 {"name": "Test", "size": 50, "parameterValues": {"variant": "b", "size": 12}}],
                      "primaryMetrics": [{"name": "checkout_completed", "type": "event_count", "direction": "increase"}]}
        if i % 3 == 0 and n["gate"]:
            experiment["targetingGateID"] = f"gate_{i % n['gate']:05}"
        out.append(experiment)
    return out


def write(root: Path, docs: list[dict], per_file: int = 50) -> None:
    """YAML files of `per_file` documents each (JSON is YAML), under root/<kind>/."""
    root.mkdir(parents=True, exist_ok=True)
    by_kind: dict[str, list[dict]] = {}
    for doc in docs:
        by_kind.setdefault(doc["kind"], []).append(doc)
    for kind, items in by_kind.items():
        folder = root / kind
        folder.mkdir(exist_ok=True)
        for start in range(0, len(items), per_file):
            chunk = items[start:start + per_file]
            (folder / f"{start // per_file:04}.yaml").write_text("".join("---\n" + json.dumps(d) + "\n" for d in chunk))


def change(docs: list[dict], share: float, seed: int = 2) -> list[dict]:
    """A copy with `share` of the objects edited (one field each)."""
    rng = random.Random(seed)
    out = json.loads(json.dumps(docs))
    for doc in rng.sample(out, int(len(out) * share)):
        doc["description"] = doc.get("description", "") + " (edited)"
    return out
