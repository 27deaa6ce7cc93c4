"""#15 `statsync test`: cases evaluated by Statsig's own evaluator over the compiled repository.

Expected outcomes here are derived by hand from Statsig's documented semantics
(SEMANTICS.md), never from statsync's output; Statsig's own expectations over its real
payload pin the evaluator dependency.
"""
import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from statsync.cli import main
from statsync.evaluate import Evaluator
from statsync.loader import load_text
from statsync.testing import bucket_share, load_tests, run_tests
from statsync.validate import desired_objects
from tests.conftest import EXAMPLES

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "statsig" / "eval_proj_dcs.json"


def run(text: str):
    """(results, uncovered, rule count) of the tests in one YAML text holding objects and tests."""
    documents = load_text(text, "repo.yaml")
    objects = desired_objects(documents)
    return run_tests(load_tests(documents, objects), objects)


def outcomes(text: str) -> dict[str, str]:
    results, _, _ = run(text)
    return {r.case: r.message for r in results}


EXAMPLE_CASES = sum(len(doc["cases"]) for path in (EXAMPLES / "tests").glob("*.yaml")
                    for doc in yaml.safe_load_all(path.read_text()))
EXAMPLE_TEST_FILES = sum(1 for path in (EXAMPLES / "tests").glob("*.yaml") for _ in yaml.safe_load_all(path.read_text()))


def test_the_examples_tests_pass_in_one_command():
    result = CliRunner().invoke(main, ["test", str(EXAMPLES)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"{EXAMPLE_CASES} passed, 0 failed ({EXAMPLE_TEST_FILES} test(s)).")
    subjects = {doc["subject"].split()[0] for path in (EXAMPLES / "tests").glob("*.yaml")
                for doc in yaml.safe_load_all(path.read_text())}
    assert subjects == {"gate", "segment", "dynamic_config", "experiment", "layer"}  # every kind of subject


def test_an_inverted_condition_fails_naming_the_case_and_its_line(tmp_path):
    repo = tmp_path / "configs"
    shutil.copytree(EXAMPLES, repo, ignore=shutil.ignore_patterns(".statsync"))
    gate = repo / "gates" / "employees.yaml"
    gate.write_text(gate.read_text().replace("str_contains_any", "str_contains_none"))
    result = CliRunner().invoke(main, ["test", str(repo)])
    assert result.exit_code == 1
    assert (f"{repo}/tests/employees.yaml:6:5: FAIL employees_by_email / case 1: expected pass: true, got false "
            f"(rule 'default' decided)") in result.output.splitlines()
    # employees gates new_checkout, the checkout experiment's targeting gate: those cases fail too;
    # mobile_home's four cases, the segments' four and the designers' layer override do not reach it
    assert f"9 passed, {EXAMPLE_CASES - 9} failed ({EXAMPLE_TEST_FILES} test(s))." in result.output


ROLLOUT = """
kind: gate
id: thirty_percent
rules: [{name: Rollout, passPercentage: 30, conditions: [{type: public}]}]
---
kind: test
id: t
subject: gate thirty_percent
cases:
  - {name: stated exactly, user: {userID: u1}, expect: {pass: {probability: 0.3}, rule: Rollout}}
  - {name: stated as certain, user: {userID: u1}, expect: {pass: true}}
"""


def test_a_partial_rollout_is_a_probability_never_a_certainty():
    assert outcomes(ROLLOUT) == {
        "stated exactly": "",
        "stated as certain": "expected pass: true, but it passes with probability 0.3, not a certainty (rule "
                             "'Rollout' decided; Rollout rolls out to 30 %)"}


def test_bucket_shares_use_the_sdks_double_arithmetic():
    """b passes when b < pp * 100.0 (a double): 1.1 * 100.0 = 110.00000000000001, so 111 buckets.
    SEMANTICS.md counts 573 two-decimal percentages that gain a bucket this way."""
    assert bucket_share(1.1) == 111 / 10_000 and bucket_share(30) == 0.3 and bucket_share(0.01) == 1 / 10_000
    gaining = [n for n in range(10_001) if round(bucket_share(n / 100) * 10_000) != n]
    assert len(gaining) == 573


# Each compile-table row, with the outcome worked out from Statsig's documented semantics.
COMPILE_TABLE = """
kind: segment
id: staff
type: rule_based
rules: [{name: Staff, passPercentage: 100, conditions: [{type: email, operator: str_ends_with_any, targetValue: ["@acme.com"]}]}]
---
kind: segment
id: partners
type: id_list
idType: companyID
ids: [c1, c2]
---
kind: gate
id: half
rules: [{name: Half, passPercentage: 50, conditions: [{type: public}]}]
---
kind: gate
id: by_table
overrides: {passingUserIDs: [vip], failingUserIDs: [banned]}
rules:
  - {name: Staging only, passPercentage: 100, environments: [staging], conditions: [{type: public}]}
  - {name: Staff segment, passPercentage: 100, conditions: [{type: passes_segment, targetValue: staff}]}
  - {name: Partner companies, passPercentage: 100, conditions: [{type: passes_segment, targetValue: partners}]}
  - {name: Plan, passPercentage: 100, conditions: [{type: custom_field, field: plan, operator: any, targetValue: [pro]}]}
  - {name: Unit, passPercentage: 100, conditions: [{type: unit_id, customID: deviceID, operator: any, targetValue: [d1]}]}
  - {name: Country, passPercentage: 100, conditions: [{type: country, operator: any, targetValue: [NZ]}]}
  - {name: Version, passPercentage: 100, conditions: [{type: app_version, operator: version_gte, targetValue: "5.0.0"}]}
  - {name: No device, passPercentage: 100, conditions: [{type: unit_id, customID: deviceID, operator: is_null}, {type: user_id, operator: any, targetValue: [anon]}]}
  - {name: Before launch, passPercentage: 100, conditions: [{type: time, operator: before, targetValue: 1767225600000}, {type: locale, operator: any, targetValue: [fr_FR]}]}
  - {name: Outside half, passPercentage: 100, conditions: [{type: fails_gate, targetValue: half}, {type: locale, operator: any, targetValue: [de_DE]}]}
---
kind: gate
id: switched_off
status: Disabled
rules: [{name: All, passPercentage: 100, conditions: [{type: public}]}]
---
kind: gate
id: shipped
status: Launched
rules: [{name: Nobody, passPercentage: 0, conditions: [{type: public}]}]
---
kind: test
id: table
subject: gate by_table
at: 2025-12-01T00:00:00Z
cases:
  - {name: override in, user: {userID: vip}, expect: {pass: true, rule: overrides}}
  - {name: override out, user: {userID: banned, email: x@acme.com}, expect: {pass: false, rule: overrides}}
  - {name: staging, environment: staging, user: {userID: u}, expect: {pass: true, rule: Staging only}}
  - {name: production skips staging, user: {userID: u}, expect: {pass: false, rule: default}}
  - {name: segment, user: {userID: u, email: ada@acme.com}, expect: {pass: true, rule: Staff segment}}
  - {name: id list, user: {userID: u, customIDs: {companyID: c2}}, expect: {pass: true, rule: Partner companies}}
  - {name: custom field, user: {userID: u, custom: {plan: pro}}, expect: {pass: true, rule: Plan}}
  - {name: custom unit id, user: {userID: u, customIDs: {deviceID: d1}}, expect: {pass: true, rule: Unit}}
  - {name: country, user: {userID: u, country: NZ}, expect: {pass: true, rule: Country}}
  - {name: version, user: {userID: u, appVersion: 5.0.1}, expect: {pass: true, rule: Version}}
  - {name: old version, user: {userID: u, appVersion: 4.9.9}, expect: {pass: false}}
  - {name: null unit id, user: {userID: anon}, expect: {pass: true, rule: No device}}
  - {name: unit id present, user: {userID: anon, customIDs: {deviceID: d9}}, expect: {pass: false}}
  - {name: before the date, user: {userID: u, locale: fr_FR}, expect: {pass: true, rule: Before launch}}
  - {name: after the date, at: "2026-02-01T00:00:00Z", user: {userID: u, locale: fr_FR}, expect: {pass: false}}
  # the first matching rule decides: when `half` passes, `Outside half` does not match and the default does
  - {name: fails a 50 % gate, user: {userID: u, locale: de_DE}, expect: {pass: {probability: 0.5}}}
---
kind: test
id: statuses
subject: gate switched_off
cases:
  - {name: disabled, user: {userID: u}, expect: {pass: false, rule: disabled}}
---
kind: test
id: launched
subject: gate shipped
cases:
  - {name: launched, user: {userID: u}, expect: {pass: true}}
"""


def test_every_compile_table_row_evaluates_as_statsig_documents():
    assert {case: message for case, message in outcomes(COMPILE_TABLE).items() if message} == {}


def test_rules_no_case_reached_are_listed():
    _, uncovered, rules = run(ROLLOUT.replace("rules: [", "rules: [{name: Never, passPercentage: 100, conditions: "
                                                 "[{type: user_id, operator: any, targetValue: [nobody]}]}, "))
    assert uncovered == ["gate thirty_percent: Never"] and rules == 2


def test_min_coverage_fails_below_the_threshold(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "objects.yaml").write_text(ROLLOUT.replace("rules: [", "rules: [{name: Never, passPercentage: 100, "
                                                       "conditions: [{type: user_id, operator: any, targetValue: "
                                                       "[nobody]}]}, ").replace(
        "  - {name: stated as certain, user: {userID: u1}, expect: {pass: true}}\n", ""))
    assert CliRunner().invoke(main, ["test", str(repo), "--min-coverage", "50"]).exit_code == 0
    short = CliRunner().invoke(main, ["test", str(repo), "--min-coverage", "60"])
    assert short.exit_code == 1 and "error: rule coverage 50% is below --min-coverage 60%" in short.output


def test_a_test_naming_a_missing_object_is_one_line():
    from statsync.errors import InvalidConfig

    with pytest.raises(InvalidConfig, match=r"repo.yaml:8:10: subject: gate 'nope' is not in the repository"):
        run(ROLLOUT.replace("subject: gate thirty_percent", "subject: gate nope"))


# --- Statsig's own expectations (statsig-rust/tests/expected_evaluation_tests.rs) -----------

@pytest.fixture(scope="module")
def statsig_payload():
    with Evaluator(json.loads(FIXTURE.read_text())) as evaluator:
        yield evaluator


FULL_USER = {"userID": "a_user", "appVersion": "1.3", "ip": "1.0.0.0", "locale": "en_US", "email": "a_user@statsig.com",
             "country": "US", "custom": {"level": 9}, "customIDs": {"companyID": "123", "stableID": ""},
             "userAgent": "Mozilla/5.0 (iPhone; CPU iPhone OS 10_3_1 like Mac OS X) AppleWebKit/603.1.30 "
                          "(KHTML, like Gecko) Version/10.0 Mobile/14E304 Safari/602.1"}
COMPANY = {"customIDs": {"companyID": "123", "stableID": ""}}


@pytest.mark.parametrize("user, gate, passes, rule", [
    (FULL_USER, "test_string_comparisons", True, None),
    (COMPANY, "test_nested_gate_condition", True, None),
    (COMPANY, "test_time_before", True, None),
    (COMPANY, "test_segment_condition", False, None),
    (COMPANY, "test_holdout_default_value_gate", True, None),
    ({"userID": "a_user", "appVersion": "1.3"}, "test_version", False, None),
    ({"userID": "a_user", "custom": {"level": 9}}, "test_any_with_number_value", True, None),
    ({"userID": "9"}, "test_null_operator", True, "5kiqP6V3pTnL6GCbm5Vgtg"),
])
def test_statsigs_own_gate_expectations_hold(statsig_payload, user, gate, passes, rule):
    result = statsig_payload.gate(user, gate)
    assert result.value is passes
    if rule:
        assert result.rule_id == rule


def test_statsigs_own_experiment_and_layer_expectations_hold(statsig_payload):
    outside = {"userID": "user-not-in-layer-holdout"}
    assert statsig_payload.experiment(outside, "targeted_exp_in_layer_with_holdout")[0].rule_id == "layerAssignment"
    result, group = statsig_payload.layer(outside, "Basic_test_layer")
    assert (result.rule_id, group) == ("54QJztEPRLXK7ZCvXeY9q4", "Control")
    result, group = statsig_payload.layer({"userID": "random_user_99"}, "layer_with_many_params")
    assert (result.rule_id, group) == ("7kGqF9fGepadpGpchGP5TK", "Control")
    nine = {k: v for k, v in FULL_USER.items() if k in ("appVersion", "userAgent", "ip", "locale")} | {"userID": "9"}
    result, group = statsig_payload.experiment(nine, "test_exp_5050_targeting")
    assert (result.rule_id, group) == ("targetingGate", None)


def _shapes(payload: dict) -> dict[str, dict[str, set[str]]]:
    """Keys and JSON types of specs, rules and conditions in a payload."""
    def kind(value):
        return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
            type(value), "number")
    shapes = {"spec": {}, "rule": {}, "condition": {}}
    for group in ("feature_gates", "dynamic_configs"):
        for spec in payload[group].values():
            for key, value in spec.items():
                shapes["spec"].setdefault(key, set()).add(kind(value))
            for rule in spec["rules"]:
                for key, value in rule.items():
                    shapes["rule"].setdefault(key, set()).add(kind(value))
    for condition in payload["condition_map"].values():
        for key, value in condition.items():
            shapes["condition"].setdefault(key, set()).add(kind(value))
    return shapes


def test_the_compiled_payload_has_the_shape_of_statsigs_real_one():
    """Every key statsync writes, Statsig's own payload has too, with a type it uses there."""
    from statsync.compile import compile_objects
    from statsync.loader import load_paths

    real = _shapes(json.loads(FIXTURE.read_text()))
    ours = _shapes(compile_objects(desired_objects(
        [d for d in load_paths([EXAMPLES]) if d.data.get("kind") != "test"]
        + load_text(COMPILE_TABLE, "table.yaml"))).payload())
    for level, keys in ours.items():
        for key, types in keys.items():
            assert key in real[level], f"{level}.{key} is not in Statsig's payload"
            assert types <= real[level][key] | {"null"}, f"{level}.{key}: {types} vs Statsig's {real[level][key]}"


def test_a_condition_only_client_sdks_evaluate_fails_only_the_cases_that_reach_it():
    text = ROLLOUT + """---
kind: gate
id: browser_only
rules: [{name: Url, passPercentage: 100, conditions: [{type: url, operator: any, targetValue: [/checkout]}]}]
---
kind: test
id: u
subject: gate browser_only
cases: [{name: url case, user: {userID: u1}, expect: {pass: true}}]
"""
    assert outcomes(text) == {
        "stated exactly": "",
        "stated as certain": "expected pass: true, but it passes with probability 0.3, not a certainty (rule "
                             "'Rollout' decided; Rollout rolls out to 30 %)",
        "url case": "cannot evaluate: gate browser_only: condition type 'url' is evaluated by client SDKs only"}


def test_explain_prints_the_path_through_the_rules_from_statsigs_evaluator():
    from statsync.explain import explain
    from statsync.loader import load_paths

    objects = desired_objects(load_paths([EXAMPLES]))
    lines = explain(objects, "gate", "new_checkout", {"userID": "u2", "country": "CA", "appVersion": "4.2.0"})
    assert lines[1:] == [
        "  rule 'overrides' (100 %): no match",
        '    ✗ user_field userID any ["qa-alice", "qa-bob"]',
        "  rule 'holdout checkout_holdout' (100 %): no match",  # new_checkout is in the 2 % checkout holdout
        '    ? pass_gate "checkout_holdout" (depends on a rollout)',
        "  rule 'Employees first' (100 %): no match",
        '    ✗ pass_gate "employees"',
        "  rule 'Canada and Mexico' (25 %): MATCH",
        '    ✓ ip_based country any ["CA", "MX"]',
        '    ✓ user_field appVersion version_gte "4.2.0"',
        "  → false with probability 0.735 (rule 'Canada and Mexico'); true with probability 0.245 (rule 'Canada and "
        "Mexico'); false with probability 0.02 (rule 'holdout checkout_holdout')",
        "  rollouts it can reach: Everyone else rolls out to 10 %; holdout checkout_holdout rolls out to 2 %; Canada "
        "and Mexico rolls out to 25 %"]
    result = CliRunner().invoke(main, ["explain", "gate", "new_checkout", str(EXAMPLES), "--user", "[1]"])
    assert result.exit_code == 1 and result.output.strip() == "error: --user must be a JSON object (a StatsigUser)"


JSON5_CONFIG = """
kind: dynamic_config
id: copy
defaultValueJson5: "{title: 'Checkout', /* default */}"
rules:
  - name: Canada
    passPercentage: 100
    conditions: [{type: country, operator: any, targetValue: [CA]}]
    returnValueJson5: "{title: 'Passer à la caisse'}"
---
kind: test
id: t
subject: dynamic_config copy
cases:
  - {name: canada, user: {userID: u1, country: CA}, expect: {value: {title: Passer à la caisse}, rule: Canada}}
  - {name: elsewhere, user: {userID: u2, country: FR}, expect: {value: {title: Checkout}}}
"""


def test_config_values_written_as_json5_are_what_the_test_sees():
    """Found by serving the emulator's payload to Statsig's SDK beside `statsync test`'s:
    a value kept as its JSON5 twin compiled to {}."""
    assert outcomes(JSON5_CONFIG) == {"canada": "", "elsewhere": ""}


EXPERIMENTS = """
kind: gate
id: employees
rules: [{name: Staff, passPercentage: 100, conditions: [{type: email, operator: str_contains_any, targetValue: ["@example.com"]}]}]
---
kind: experiment
id: button
status: active
allocation: 40
targetingGateID: employees
groups:
  - {name: Control, size: 50, parameterValues: {color: blue}}
  - {name: Green, size: 50, parameterValues: {color: green}}
overrides:
  userIDOverrides: [{groupID: Green, ids: [qa-1]}]
---
kind: experiment
id: shipped
status: decision_made
launchedGroupID: Test
groups:
  - {name: Control, size: 50, parameterValues: {v: 1}}
  - {name: Test, size: 50, parameterValues: {v: 2}}
---
kind: experiment
id: not_started
---
kind: holdout
id: hold
passPercentage: 10
experimentIDs: [button]
---
kind: test
id: t
subject: experiment button
cases:
  - {name: exact shares, user: {userID: u1, email: a@example.com},
     expect: {group: {Control: 0.18, Green: 0.18, "": 0.64}, in_experiment: {probability: 0.36}}}
  - {name: stated as certain, user: {userID: u1, email: a@example.com}, expect: {group: Green}}
  - {name: targeting gate fails, user: {userID: u2, email: a@gmail.com}, expect: {in_experiment: false, value: {}}}
  - {name: override first, user: {userID: qa-1}, expect: {group: Green, value: {color: green}}}
---
kind: test
id: t2
subject: experiment shipped
cases:
  - {name: shipped, user: {userID: u3}, expect: {group: Test, value: {v: 2}, rule: launchedGroup}}
---
kind: test
id: t3
subject: experiment not_started
cases:
  - {name: setup, user: {userID: u4}, expect: {in_experiment: false, rule: prestart}}
"""


def test_experiments_give_exact_group_shares_and_certainties_where_statsig_is_certain():
    """Derived by hand from Statsig's documented semantics (SEMANTICS.md): overrides
    first; a 10 % holdout, then 40 % allocation, then the targeting gate, then two 50 %
    groups: in the experiment 0.9 × 0.4 = 0.36, each group 0.18; a gate that fails
    leaves the unit out; a decision ships one group to everyone; setup is default."""
    assert outcomes(EXPERIMENTS) == {
        "exact shares": "", "targeting gate fails": "", "override first": "", "shipped": "", "setup": "",
        "stated as certain": "expected group 'Green', got (not in the experiment): 0.64, Control: 0.18, Green: 0.18 "
                             "(rules 'group Control', 'group Green', 'holdout hold', 'layerAssignment' may decide; "
                             "holdout hold rolls out to 10 %)"}


LAYER = """
kind: layer
id: checkout
parameters: [{name: color, type: string, defaultValue: blue}, {name: badge, type: boolean, defaultValue: false}]
---
kind: experiment
id: a_color
layerID: checkout
status: active
allocation: 30
groups: [{name: Control, size: 50, parameterValues: {}}, {name: Red, size: 50, parameterValues: {color: red}}]
---
kind: experiment
id: b_badge
layerID: checkout
status: active
allocation: 20
groups: [{name: Plain, size: 50, parameterValues: {}}, {name: Badged, size: 50, parameterValues: {badge: true}}]
---
kind: test
id: t
subject: layer checkout
cases:
  - {name: slots are shared, user: {userID: u1},
     expect: {group: {Control: 0.15, Red: 0.15, Plain: 0.1, Badged: 0.1, "": 0.5}}}
---
kind: test
id: t2
subject: experiment b_badge
cases:
  - {name: its own slots, user: {userID: u1}, expect: {in_experiment: {probability: 0.2}, group: {Plain: 0.1, Badged: 0.1, "": 0.8}}}
  - {name: its defaults are the layer's, user: {userID: u1}, expect: {value_includes: {color: blue}}}
"""


def test_experiments_in_one_layer_share_its_slots_exactly():
    """SEMANTICS.md: a unit is in at most one experiment of a layer (test_layer_not_in_holdout
    delegates disjoint slots): 30 % and 20 % allocations leave half the layer to defaults."""
    assert outcomes(LAYER) == {"slots are shared": "", "its own slots": "", "its defaults are the layer's": ""}


def test_junit_and_markdown_say_what_text_says(tmp_path):
    """#15 item 4: CI test tabs read JUnit XML; the pull-request comment is Markdown."""
    import xml.etree.ElementTree as ET

    repo = tmp_path / "configs"
    shutil.copytree(EXAMPLES, repo, ignore=shutil.ignore_patterns(".statsync"))
    gate = repo / "gates" / "employees.yaml"
    gate.write_text(gate.read_text().replace("str_contains_any", "str_contains_none"))
    junit = CliRunner().invoke(main, ["test", str(repo), "--format", "junit"])
    assert junit.exit_code == 1
    suite = ET.fromstring(junit.output).find("testsuite")
    failures = [case for case in suite.iter("testcase") if case.find("failure") is not None]
    assert int(suite.get("tests")) == EXAMPLE_CASES and int(suite.get("failures")) == len(failures) > 0
    [first] = [case for case in failures if case.get("name") == "case 1" and case.get("classname") == "employees_by_email"]
    assert (first.get("file"), first.get("line")) == (f"{repo}/tests/employees.yaml", "6")
    assert first.find("failure").get("message") == "expected pass: true, got false (rule 'default' decided)"
    markdown = CliRunner().invoke(main, ["test", str(repo), "--format", "markdown"])
    assert markdown.output.startswith(f"#### Targeting tests: {EXAMPLE_CASES - len(failures)} passed, "
                                      f"{len(failures)} failed")
    assert f"- :x: `{repo}/tests/employees.yaml:6:5` **employees_by_email / case 1**: expected pass: true" \
        in markdown.output


def test_an_experiment_compiles_alike_from_its_file_and_from_the_live_object():
    """The emulator's SDK config compiles live objects, whose groups, overrides and shipped
    group name groups by id; the file names them: both must give the same payload."""
    from types import SimpleNamespace

    from statsync.compile import compile_objects
    from statsync.kinds import get as kind

    def experiment(launched, override_group, groups):
        body = {"status": "decision_made", "launchedGroupID": launched, "groups": groups,
                "overrides": {"userIDOverrides": [{"groupID": override_group, "ids": ["qa"]}]}}
        return compile_objects([SimpleNamespace(kind=kind("experiment"), id="e", body=body)]).experiments["e"]
    groups = [{"name": "Control", "size": 50, "parameterValues": {"v": 1}},
              {"name": "Test", "size": 50, "parameterValues": {"v": 2}}]
    live = [{**group, "id": f"g{n}"} for n, group in enumerate(groups)]
    from_file = experiment("Test", "Control", groups)
    from_live = experiment("g1", "g0", live)
    assert from_live["rules"] == from_file["rules"]
    assert [(r["name"], r.get("groupName"), r["returnValue"]) for r in from_file["rules"]] == [
        ("Control:userID:id_override", "Control", {"v": 1}), ("launchedGroup", "Test", {"v": 2})]


PINNED = ROLLOUT.replace("""cases:
""", """cases:
  - {name: pinned inside, user: {userID: u1}, bucket: {rule: Rollout, value: 2999}, expect: {pass: true, rule: Rollout}}
  - {name: pinned outside, user: {userID: u1}, bucket: {rule: Rollout, value: 3000}, expect: {pass: false}}
  - {name: pinned but wrong, user: {userID: u1}, bucket: {rule: Rollout, value: 3000}, expect: {pass: true}}
  - {name: no such rule, user: {userID: u1}, bucket: {rule: Ramp, value: 1}, expect: {pass: true}}
""")


def test_a_bucket_pin_makes_a_partial_rollout_certain():
    got = outcomes(PINNED)
    assert got["pinned inside"] == "" and got["pinned outside"] == ""
    # the rule still decides (its conditions matched; the bucket did not): as the SDK reports it
    assert got["pinned but wrong"] == ("expected pass: true, got false (rule 'Rollout' decided; Rollout pinned "
                                       "to a bucket that fails)")
    assert got["no such rule"] == ("cannot evaluate: bucket: no partial rollout named 'Ramp' on this path "
                                   "(partial rollouts here: 'Rollout')")
    assert got["stated exactly"] == ""  # cases without a pin still see the probability


def test_a_pinned_bucket_is_the_bucket_statsigs_sdk_computes():
    """For real users: the bucket Statsig's hash gives each (SEMANTICS.md), pinned, must give
    exactly what the SDK answers on the compiled payload with nothing forced."""
    import hashlib

    from statsync.compile import compile_objects

    documents = load_text(ROLLOUT.split("---")[0], "repo.yaml")
    objects = desired_objects(documents)
    payload = compile_objects(objects).payload()
    [rule] = payload["feature_gates"]["thirty_percent"]["rules"]
    spec_salt = payload["feature_gates"]["thirty_percent"]["salt"]
    cases, expected = [], {}
    with Evaluator(payload, "production") as sdk:
        for n in range(40):
            user = f"user-{n}"
            digest = hashlib.sha256(f"{spec_salt}.{rule['salt']}.{user}".encode()).digest()
            bucket = int.from_bytes(digest[:8], "big") % 10_000
            expected[user] = sdk.gate({"userID": user}, "thirty_percent").value
            cases.append({"name": user, "user": {"userID": user}, "bucket": {"rule": "Rollout", "value": bucket},
                          "expect": {"pass": expected[user]}})
    assert {True, False} <= set(expected.values())  # both sides of the rollout are exercised
    text = ROLLOUT.split("---")[0] + "---\n" + yaml.safe_dump(
        {"kind": "test", "id": "pinned", "subject": "gate thirty_percent", "cases": cases})
    assert all(message == "" for message in outcomes(text).values()), outcomes(text)


LAYER_OVERRIDES = LAYER.replace("""parameters: [{name: color, type: string, defaultValue: blue}, {name: badge, type: boolean, defaultValue: false}]
""", """parameters: [{name: color, type: string, defaultValue: blue}, {name: badge, type: boolean, defaultValue: false}]
overrides:
  conditionalOverrides: [{type: gate, name: staff, experimentName: b_badge, groupName: Badged}]
  idOverrides: [{experimentName: a_color, groupName: Red, ids: [qa-1], environment: staging}]
""").split("---\nkind: test")[0] + """---
kind: gate
id: staff
rules: [{name: Staff, passPercentage: 100, conditions: [{type: email, operator: str_contains_any, targetValue: ["@acme.test"]}]}]
---
kind: test
id: overrides
subject: layer checkout
cases:
  - {name: staff are sent to b_badge Badged, user: {userID: s1, email: sam@acme.test},
     expect: {group: Badged, value: {color: blue, badge: true}}}
  - {name: qa-1 is sent to Red in staging, user: {userID: qa-1}, environment: staging,
     expect: {group: Red, value_includes: {color: red}}}
  - {name: qa-1 in production is bucketed like anyone, user: {userID: qa-1},
     expect: {group: {Control: 0.15, Red: 0.15, Plain: 0.1, Badged: 0.1, "": 0.5}}}
---
kind: test
id: the_experiment
subject: experiment b_badge
cases:
  - {name: the experiment agrees, user: {userID: s1, email: sam@acme.test}, expect: {group: Badged, in_experiment: true}}
"""


def test_a_layers_overrides_send_units_to_the_named_experiment_and_group():
    assert outcomes(LAYER_OVERRIDES) == {
        "staff are sent to b_badge Badged": "", "qa-1 is sent to Red in staging": "",
        "qa-1 in production is bucketed like anyone": "", "the experiment agrees": ""}


def test_an_id_list_past_a_thousand_ids_holds_every_member():
    ids = [f"company-{n:04}" for n in range(2500)]
    text = yaml.safe_dump_all([
        {"kind": "segment", "id": "big", "type": "id_list", "idType": "companyID", "ids": ids},
        {"kind": "test", "id": "t", "subject": "segment big", "cases": [
            {"name": "first", "user": {"userID": "u", "customIDs": {"companyID": ids[0]}}, "expect": {"pass": True}},
            {"name": "last", "user": {"userID": "u", "customIDs": {"companyID": ids[-1]}}, "expect": {"pass": True}},
            {"name": "absent", "user": {"userID": "u", "customIDs": {"companyID": "company-2500"}},
             "expect": {"pass": False}}]}])
    assert outcomes(text) == {"first": "", "last": "", "absent": ""}
