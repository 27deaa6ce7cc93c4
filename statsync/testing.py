"""`statsync test`: targeting unit tests kept beside the objects, run by Statsig's evaluator.

A test document (`kind: test`) names a subject (`gate new_checkout`) and cases: a user,
and what the subject should give them. The repository is compiled (`statsync.compile`)
and each case evaluated by statsig-python-core (`statsync.evaluate`).

Exact where Statsig is exact, exact about the rest: statsync's salts are not Statsig's,
so a partial rollout on a case's path decides nothing for one user. Every partial rule
the subject can reach is therefore forced to 0 % and to 100 % in turn (all combinations,
each rule independent as Statsig's salted hashes are), and the case's outcome is the
distribution over them, weighted by each rule's exact share of the 10,000 buckets
(the SDK passes bucket b when b < passPercentage × 100.0, a double). A certain outcome is
a plain pass/fail; an uncertain one satisfies only `pass: {probability: p}`.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import jsonschema

from statsync.compile import Unsupported, compile_condition, compile_objects
from statsync.errors import InvalidConfig, Mark, Problem
from statsync.evaluate import Evaluator
from statsync.loader import Document

TEST_KIND = "test"
SUBJECT_KINDS = ("gate", "segment", "dynamic_config", "experiment", "layer")
MAX_PARTIAL_RULES = 8  # 2^8 evaluations a case at most
MAX_VARIANTS = 256  # partial rules and bucketed choices together
NEVER = "__statsync_never__"  # a gate no payload has: passing it is never true
DEFAULT_ENVIRONMENT = "production"


def test_schema() -> dict[str, Any]:
    """Schema of a test document (`schemas/test.json`)."""
    user = {"type": "object", "description": "A StatsigUser: userID, email, ip, country, locale, appVersion, "
                                             "userAgent, custom, customIDs, privateAttributes.",
            "properties": {"userID": {"type": "string"}, "email": {"type": "string"}, "ip": {"type": "string"},
                           "country": {"type": "string"}, "locale": {"type": "string"},
                           "appVersion": {"type": "string"}, "userAgent": {"type": "string"},
                           "custom": {"type": "object"}, "privateAttributes": {"type": "object"},
                           "customIDs": {"type": "object", "additionalProperties": {"type": "string"}}},
            "additionalProperties": False}
    probability = {"type": "object", "required": ["probability"], "additionalProperties": False,
                   "properties": {"probability": {"type": "number", "minimum": 0, "maximum": 1}}}
    expect = {"type": "object", "additionalProperties": False, "minProperties": 1, "properties": {
        "pass": {"oneOf": [{"type": "boolean"}, probability],
                 "description": "A gate's or segment's outcome: true, false, or {probability: p} for a rollout."},
        "rule": {"type": "string", "description": "The rule that decides (its name), `default` or `overrides`."},
        "value": {"type": "object", "description": "A dynamic config's or experiment's whole value."},
        "value_includes": {"type": "object", "description": "Keys the value must hold."},
        "group": {"oneOf": [{"type": "string"}, {"type": "object", "additionalProperties": {
            "type": "number", "minimum": 0, "maximum": 1}}],
            "description": "An experiment's group: its name when certain, or {Control: 0.5, Test: 0.5}."},
        "in_experiment": {"oneOf": [{"type": "boolean"}, probability],
                          "description": "Whether the unit is in the experiment (in one of its groups)."},
    }}
    assume = {"type": "object", "additionalProperties": False, "properties": {
        "holdouts": {"enum": ["excluded", "weighed"],
                     "description": "excluded: the unit is in no holdout (a certainty where the path is); "
                                    "weighed (default): each holdout counts with its exact share."}}}
    pin = {"type": "object", "required": ["rule", "value"], "additionalProperties": False, "properties": {
        "rule": {"type": "string", "minLength": 1, "description": "A partial rollout's rule name on the path."},
        "value": {"type": "integer", "minimum": 0, "maximum": 9999,
                  "description": "The unit's bucket for that rule (of 10,000): it passes when value < "
                                 "passPercentage × 100."}}}
    case = {"type": "object", "required": ["user", "expect"], "additionalProperties": False, "properties": {
        "name": {"type": "string"}, "user": user, "environment": {"type": "string"}, "at": {"type": "string"},
        "assume": assume, "expect": expect,
        "bucket": {"oneOf": [pin, {"type": "array", "items": pin, "minItems": 1}],
                   "description": "Pin the unit's bucket for a partial rollout, making its outcome certain: "
                                  "{rule: Rollout, value: 1234} (or a list of them)."}}}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "statsync test",
        "description": "Targeting tests for one object, evaluated by Statsig's own evaluator; never sent to Statsig.",
        "type": "object", "required": ["kind", "id", "subject", "cases"], "additionalProperties": False,
        "properties": {
            "kind": {"const": TEST_KIND}, "id": {"type": "string", "minLength": 1},
            "subject": {"type": "string", "pattern": r"^(gate|segment|dynamic_config|experiment|layer) [^ ]+$",
                        "description": "What is tested: `gate <id>`, `segment <id>`, `dynamic_config <id>`, "
                                       "`experiment <id>` or `layer <id>`."},
            "environment": {"type": "string", "description": "Environment tier (default production)."},
            "at": {"type": "string", "format": "date-time",
                   "description": "The clock for time conditions (default 2026-01-01T00:00:00Z; never now)."},
            "assume": assume,
            "cases": {"type": "array", "minItems": 1, "items": case},
        },
    }


DEFAULT_AT = "2026-01-01T00:00:00Z"


@dataclass
class Test:
    id: str
    subject_kind: str
    subject_id: str
    cases: list[dict]
    document: Document
    environment: str = DEFAULT_ENVIRONMENT
    at: str = DEFAULT_AT
    assume: dict = field(default_factory=dict)

    @property
    def spec_name(self) -> str:
        return f"segment:{self.subject_id}" if self.subject_kind == "segment" else self.subject_id


@dataclass
class CaseResult:
    test: str
    case: str
    mark: Mark
    ok: bool
    message: str = ""


@dataclass
class Outcome:
    """A case's result: each possible (value, rule) and its probability."""

    # (value json, rule, experiment group or "") → probability
    possible: dict[tuple[str, str, str], float] = field(default_factory=dict)
    partial: list[str] = field(default_factory=list)  # "<rule> rolls out to 30 %" on the path

    @property
    def certain(self) -> bool:
        return len({value for value, _, _ in self.possible}) == 1

    def probability(self, value: Any) -> float:
        text = json.dumps(value, sort_keys=True)
        return sum(p for (v, _, _), p in self.possible.items() if v == text)

    def value(self) -> Any:
        return json.loads(next(iter(self.possible))[0])

    def values(self) -> list[Any]:
        """Every value the case can get (with a probability above 0)."""
        return [json.loads(value) for value in {value for (value, _, _), p in self.possible.items() if p > 0}]

    def rules(self) -> set[str]:
        return {rule for _, rule, _ in self.possible}

    def groups(self) -> dict[str, float]:
        """Experiment group → probability ("" for not in the experiment)."""
        out: dict[str, float] = {}
        for (_, _, group), p in self.possible.items():
            out[group] = out.get(group, 0.0) + p
        return out


def load_tests(documents: list[Document], objects: list, where: str = "the repository") -> list[Test]:
    """The test documents, schema-checked, with subjects among `objects` (found in `where`)."""
    validator = jsonschema.Draft202012Validator(test_schema())
    known = {(obj.kind.name, obj.id) for obj in objects}
    tests, problems = [], []
    for document in documents:
        if not isinstance(document.data, dict) or document.data.get("kind") != TEST_KIND:
            continue
        _times_as_text(document.data)
        errors = sorted(validator.iter_errors(document.data), key=lambda e: list(map(str, e.absolute_path)))
        if errors:
            error = errors[0]
            problems.append(Problem(document.mark(tuple(error.absolute_path)), error.message,
                                    ".".join(map(str, error.absolute_path))))
            continue
        data = document.data
        kind, object_id = data["subject"].split(" ", 1)
        if (kind, object_id) not in known:
            problems.append(Problem(document.mark(("subject",)), f"{kind} {object_id!r} is not in {where}",
                                    "subject"))
            continue
        tests.append(Test(data["id"], kind, object_id, data["cases"], document,
                          data.get("environment", DEFAULT_ENVIRONMENT), data.get("at", DEFAULT_AT),
                          data.get("assume") or {}))
    if problems:
        raise InvalidConfig(problems)
    return tests


def _times_as_text(data: dict) -> None:
    """YAML reads an unquoted `at: 2026-12-01T00:00:00Z` as a datetime: keep it as its ISO text."""
    for holder in [data, *(c for c in data.get("cases") or [] if isinstance(c, dict))]:
        if isinstance(holder.get("at"), datetime):
            value = holder["at"] if holder["at"].tzinfo else holder["at"].replace(tzinfo=timezone.utc)
            holder["at"] = value.isoformat()


def bucket_share(pass_percentage: float) -> float:
    """The share of the 10,000 buckets that pass: b < passPercentage * 100.0 (a double)."""
    threshold = pass_percentage * 100.0
    count = math.ceil(threshold) if threshold != int(threshold) else int(threshold)
    return max(0, min(10_000, count)) / 10_000


class Runner:
    """Evaluates cases. Every variant every subject needs (its reachable specs with partial
    rules forced to 0 or 100 %, renamed `<spec>~<variant>`) goes into one payload, so one
    Statsig instance per environment and clock serves the whole run."""

    def __init__(self, objects: list, tests: list[Test]):
        self.base = compile_objects(objects)
        self._payload = self.base.payload()
        # what a rule a bucket decides is forced to (conditions in the shape the SDK parses, or it drops the payload)
        for key, condition in (("__always__", {"type": "public"}), ("__never__", {"type": "passes_gate",
                                                                                    "targetValue": NEVER})):
            self._payload["condition_map"][key] = {k: v for k, v in compile_condition(condition).items()
                                                   if v is not None}
        self._variants: set[tuple[frozenset[str], tuple]] = set()
        self._reached: dict[str, tuple[frozenset[str], list[str]]] = {}
        for test in tests:
            try:
                names, partials = self.reachable(test.spec_name)
            except Unsupported:
                continue  # its cases say why
            if len(partials) <= MAX_PARTIAL_RULES:
                for forced, _ in self._combinations(names, partials):
                    self._add_variant(names, forced)
        self._evaluators: dict[tuple, Evaluator] = {}
        self._paths: dict[tuple[str, bool], list] = {}  # (spec, holdouts excluded) → its weighted variants

    def _combinations(self, names: frozenset[str], partials: list[str], excluded: bool = False,
                      pinned: tuple[tuple[str, bool], ...] = ()):
        """Every way the subject's path can go where a bucket decides, with its exact weight:
        each partial rule passing or not (unless a case pins its bucket), each bucketed choice
        (an experiment's allocation, its group) one of its options. Forced rule ids map to
        True/False; a bucketed rule's id is marked `match:`."""
        pins = dict(pinned)
        choices = [[({rule: pins[rule]}, 1.0)] if rule in pins else
                   [({rule: False}, 1.0)] if excluded and rule in self.base.holdout_rules else
                   [({rule: True}, bucket_share(self.base.partial[rule])),
                    ({rule: False}, 1 - bucket_share(self.base.partial[rule]))] for rule in partials]
        rules_of = {rule["id"] for group in ("feature_gates", "dynamic_configs", "layer_configs") for name in names
                    for rule in self._payload[group].get(name, {}).get("rules", [])}
        for options in self.base.bucketed.values():
            if any(set(matches) & rules_of for _, _, matches in options):
                choices.append([({f"match:{rule}": hit for rule, hit in matches.items()}, share)
                                for _, share, matches in options])
        for combination in itertools.product(*choices):
            forced, weight = {}, 1.0
            for part, share in combination:
                forced.update(part)
                weight *= share
            if weight > 0:
                yield forced, weight

    def close(self) -> None:
        for evaluator in self._evaluators.values():
            evaluator.__exit__()
        self._evaluators.clear()

    def _evaluator(self, environment: str, at_ms: int) -> Evaluator:
        key = (environment, at_ms)
        if key not in self._evaluators:
            # only time conditions move with the clock: copy the condition map, share the specs
            payload = {**self._payload, "condition_map": {key: dict(condition) for key, condition
                                                          in self._payload["condition_map"].items()}}
            self._evaluators[key] = Evaluator(_at(payload, at_ms), environment)
        return self._evaluators[key]

    def _add_variant(self, names: frozenset[str], forced: dict[str, bool]) -> None:
        """The specs in `names` once more, partial rules forced, under suffixed names; gate
        conditions among them point at their variant siblings."""
        if not forced or (names, tuple(sorted(forced.items()))) in self._variants:
            return
        self._variants.add((names, tuple(sorted(forced.items()))))
        suffix = _suffix(forced)
        conditions = self._payload["condition_map"]
        for group in ("feature_gates", "dynamic_configs", "layer_configs"):
            for name in [n for n in names if n in self._payload[group]]:
                original = self._payload[group][name]
                spec = {**original, "rules": [dict(rule) for rule in original["rules"]]}
                for rule in spec["rules"]:
                    if rule["id"] in forced:
                        rule["passPercentage"] = 100 if forced[rule["id"]] else 0
                    if f"match:{rule['id']}" in forced:  # a bucket decides this rule: forced to match or not
                        rule["conditions"] = ["__always__" if forced[f"match:{rule['id']}"] else "__never__"]
                    if rule.get("configDelegate") in names:  # a layer delegates to the experiment's variant
                        rule["configDelegate"] += suffix
                    keys = []
                    for key in rule["conditions"]:
                        condition = conditions[key]
                        if condition["type"] in ("pass_gate", "fail_gate") and condition["targetValue"] in names:
                            conditions.setdefault(key + suffix, {**condition,
                                                                 "targetValue": condition["targetValue"] + suffix})
                            key += suffix
                        keys.append(key)
                    rule["conditions"] = keys
                self._payload[group][name + suffix] = spec

    def reachable(self, spec_name: str) -> tuple[frozenset[str], list[str]]:
        """The specs the subject can evaluate (itself, and every gate or segment its conditions
        name, transitively), and the partial rules among them."""
        if spec_name not in self._reached:
            self._reached[spec_name] = self._reach(spec_name)
        return self._reached[spec_name]

    def _reach(self, spec_name: str) -> tuple[frozenset[str], list[str]]:
        specs = {**self.base.gates, **self.base.configs, **self.base.experiments, **self.base.layers}
        seen, queue, partial = set(), [spec_name], []
        while queue:
            name = queue.pop()
            if name in self.base.unsupported:
                raise Unsupported(self.base.unsupported[name])
            if name in seen or name not in specs:
                continue
            seen.add(name)
            for rule in specs[name]["rules"]:
                if rule["id"] in self.base.partial:
                    partial.append(rule["id"])
                if rule.get("configDelegate"):
                    queue.append(rule["configDelegate"])
                for key in rule["conditions"]:
                    condition = self.base.conditions[key]
                    if condition["type"] in ("pass_gate", "fail_gate"):
                        queue.append(condition["targetValue"])
        return frozenset(seen), sorted(set(partial))

    def outcome(self, test: Test, case: dict) -> Outcome:
        environment = case.get("environment", test.environment)
        at_ms = _epoch_ms(case.get("at", test.at))
        names, partials = self.reachable(test.spec_name)
        if len(partials) > MAX_PARTIAL_RULES:
            raise Unsupported(f"{len(partials)} partial rollouts lie on this path; statsync weighs at most "
                              f"{MAX_PARTIAL_RULES}")
        excluded = {**test.assume, **(case.get("assume") or {})}.get("holdouts") == "excluded"
        pinned = self._pins(case, partials)
        key = (test.spec_name, excluded, pinned)
        if key not in self._paths:  # the same for every case of the subject (and its pins)
            self._paths[key] = list(self._combinations(names, partials, excluded, pinned))
        combinations = self._paths[key]
        if len(combinations) > MAX_VARIANTS:
            raise Unsupported(f"{len(combinations)} ways through this path; statsync weighs at most {MAX_VARIANTS}")
        pins = dict(pinned)
        result = Outcome(partial=[
            f"{self.rule_label(r)} pinned to a bucket that {'passes' if pins[r] else 'fails'}" if r in pins else
            f"{self.rule_label(r)} rolls out to {self.base.partial[r]:g} %" for r in partials
            if not (excluded and r in self.base.holdout_rules)])
        evaluator = self._evaluator(environment, at_ms)
        for forced, weight in combinations:
            name = test.spec_name + (_suffix(forced) if forced else "")
            group = ""
            if test.subject_kind in ("experiment", "layer"):
                answer, group = (evaluator.experiment if test.subject_kind == "experiment" else evaluator.layer)(
                    case["user"], name)
                group = group or ""
            elif test.subject_kind == "dynamic_config":
                answer = evaluator.config(case["user"], name)
            else:
                answer = evaluator.gate(case["user"], name)
            key = (json.dumps(answer.value, sort_keys=True), self.rule_label(answer.rule_id), group)
            result.possible[key] = result.possible.get(key, 0.0) + weight
        return result

    def _pins(self, case: dict, partials: list[str]) -> tuple[tuple[str, bool], ...]:
        """A case's bucket pins as (partial rule id, passes): the SDK passes bucket b when
        b < passPercentage × 100.0, a double."""
        given = case.get("bucket") or []
        out = {}
        for pin in [given] if isinstance(given, dict) else given:
            named = [rule for rule in partials if self.rule_label(rule) == pin["rule"]]
            if not named:
                known = ", ".join(sorted({repr(self.rule_label(r)) for r in partials})) or "none"
                raise Unsupported(f"bucket: no partial rollout named {pin['rule']!r} on this path "
                                  f"(partial rollouts here: {known})")
            if len(named) > 1:
                raise Unsupported(f"bucket: {len(named)} partial rollouts on this path are named {pin['rule']!r}; "
                                  f"rename one to pin it")
            out[named[0]] = pin["value"] < self.base.partial[named[0]] * 100.0
        return tuple(sorted(out.items()))

    def rule_label(self, rule_id: str) -> str:
        """What a rule is called in output: its Console name, or what statsync's compile made it."""
        if rule_id in self.base.rule_names:
            return self.base.rule_names[rule_id][1]
        if rule_id in self.base.labels:
            return self.base.labels[rule_id]
        return {"pass:all:id_override": "overrides", "fail:all:id_override": "overrides"}.get(rule_id, rule_id)

    def rule_coverage(self, tests: list[Test], reached: dict[str, set[str]]) -> tuple[list[str], int]:
        """Rules of tested subjects that no case decided by (as `kind id: rule`), and how many rules they have."""
        missing, total = set(), set()
        by_spec: dict[str, list[str]] = {}
        for spec, name in self.base.rule_names.values():
            by_spec.setdefault(spec, []).append(name)
        for test in tests:
            names = by_spec.get(test.spec_name, [])
            total.update((test.spec_name, name) for name in names)
            missing.update(f"{test.subject_kind} {test.subject_id}: {name}" for name in names
                           if name not in reached.get(test.spec_name, set()))
        return sorted(missing), len(total)


def check(test: Test, case: dict, outcome: Outcome) -> str:
    """'' when the case holds, else why not (expected vs actual, and what decided)."""
    expect = case["expect"]
    rules = sorted(outcome.rules())
    decided = f"rule {rules[0]!r} decided" if len(rules) == 1 else f"rules {', '.join(map(repr, rules))} may decide"
    why = f" ({decided}; " + "; ".join(outcome.partial) + ")" if outcome.partial else f" ({decided})"
    if "pass" in expect:
        wanted = expect["pass"]
        chance = outcome.probability(True)
        if isinstance(wanted, dict):
            if not math.isclose(chance, wanted["probability"], abs_tol=1e-9):
                return f"expected pass with probability {wanted['probability']:g}, got {chance:g}{why}"
        elif not outcome.certain:
            return f"expected pass: {str(wanted).lower()}, but it passes with probability {chance:g}, not a " \
                   f"certainty{why}"
        elif outcome.value() is not wanted:
            return f"expected pass: {str(wanted).lower()}, got {str(outcome.value()).lower()}{why}"
    if "rule" in expect and rules != [expect["rule"]]:
        return f"expected rule {expect['rule']!r} to decide, {decided}"
    groups = {name: p for name, p in outcome.groups().items() if p > 0}
    shown = ", ".join(f"{name or '(not in the experiment)'}: {p:g}" for name, p in sorted(groups.items()))
    if "group" in expect:
        wanted = expect["group"]
        if isinstance(wanted, str) and list(groups) != [wanted]:  # certain: the only group it can be
            return f"expected group {wanted!r}, got {shown}{why}"
        if isinstance(wanted, dict) and not _same_distribution(groups, wanted):
            return f"expected groups {json.dumps(wanted)}, got {shown}{why}"
    if "in_experiment" in expect:
        wanted, chance = expect["in_experiment"], 1 - groups.get("", 0.0)
        if isinstance(wanted, dict):
            if not math.isclose(chance, wanted["probability"], abs_tol=1e-9):
                return f"expected in the experiment with probability {wanted['probability']:g}, got {chance:g}{why}"
        elif not math.isclose(chance, 0, abs_tol=1e-9) and not math.isclose(chance, 1, abs_tol=1e-9):
            return f"expected in_experiment: {str(wanted).lower()}, but it is with probability {chance:g}{why}"
        elif (chance > 0.5) is not wanted:
            return f"expected in_experiment: {str(wanted).lower()}, got {str(chance > 0.5).lower()}{why}"
    for name in ("value", "value_includes"):
        if name not in expect:
            continue
        wanted = expect[name]
        # what the expectation looks at, in every way the path can go: it holds only if they agree
        seen = {json.dumps(value if name == "value" else {k: value.get(k) for k in wanted}, sort_keys=True)
                for value in outcome.values()}
        if len(seen) > 1:
            return f"expected a {name.replace('_', ' ')}, but the value depends on a rollout{why}"
        got = json.loads(next(iter(seen)))
        if json.dumps(got, sort_keys=True) != json.dumps(wanted, sort_keys=True):
            return f"expected {name} {json.dumps(wanted)}, got {json.dumps(got)}{why}"
    return ""


def _same_distribution(got: dict[str, float], wanted: dict[str, float]) -> bool:
    names = set(got) | set(wanted)
    return all(math.isclose(got.get(name, 0.0), wanted.get(name, 0.0), abs_tol=1e-9) for name in names)


def run_tests(tests: list[Test], objects: list) -> tuple[list[CaseResult], list[str], int]:
    """Every case's result, the rules of tested objects no case reached, and how many rules those objects have."""
    runner = Runner(objects, tests)
    results, reached = [], {}
    try:
        for test in tests:
            for index, case in enumerate(test.cases):
                name = case.get("name") or f"case {index + 1}"
                mark = test.document.mark(("cases", index))
                try:
                    outcome = runner.outcome(test, case)
                except Unsupported as exc:
                    results.append(CaseResult(test.id, name, mark, False, f"cannot evaluate: {exc}"))
                    continue
                reached.setdefault(test.spec_name, set()).update(outcome.rules())
                message = check(test, case, outcome)
                results.append(CaseResult(test.id, name, mark, not message, message))
        return (results, *runner.rule_coverage(tests, reached))
    finally:
        runner.close()


def _suffix(forced: dict[str, bool]) -> str:
    """A variant's name suffix: which partial rules (and bucketed rules) are forced which way."""
    text = ",".join(f"{rule}={int(passes)}" for rule, passes in sorted(forced.items()))
    return "~" + hashlib.sha256(text.encode()).hexdigest()[:12]


def _epoch_ms(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc).timestamp() * 1000)


def _at(payload: dict, at_ms: int) -> dict:
    """The payload as it would evaluate at `at_ms`: the SDK reads the real clock, so each
    time condition is moved by (now − at) — by whole days for `on`, which compares dates."""
    import time

    offset = int(time.time() * 1000) - at_ms
    day = 86_400_000
    for condition in payload["condition_map"].values():
        if condition["type"] == "current_time" and isinstance(condition.get("targetValue"), (int, float)):
            shift = offset - offset % day if condition.get("operator") == "on" else offset
            condition["targetValue"] = condition["targetValue"] + shift
    return payload

