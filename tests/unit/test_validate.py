"""Bad input gives one line naming file:line:col and the field — for every case the spine lists."""
import pytest

from statsync.errors import InvalidConfig
from statsync.kinds import all_kinds
from statsync.loader import load_text
from statsync.validate import check_references, desired_objects


def problems(text: str, live: dict | None = None) -> list[str]:
    try:
        objects = desired_objects(load_text(text, "f.yaml"))
        check_references(objects, live)
    except InvalidConfig as exc:
        return [str(p) for p in exc.problems]
    return []


GATE = "kind: gate\nid: my_gate\n"


def test_a_valid_gate_has_no_problems():
    assert problems(GATE + "rules:\n  - {name: All, passPercentage: 10.25, conditions: [{type: public}]}\n") == []


@pytest.mark.parametrize("text, expected", [
    ("isEnabled: yes please\n", "f.yaml:3:12: isEnabled: 'yes please' is not of type boolean"),
    ("rules: {}\n", "f.yaml:3:8: rules: {} is not of type array"),
    ("description: 12\n", "f.yaml:3:14: description: 12 is not of type string"),
    ("passPercentage: 3\n", "f.yaml:3:1: passPercentage: unknown field"),
    ("descripton: x\n", "f.yaml:3:1: descripton: unknown field (did you mean 'description'?)"),
    ("rules:\n  - {name: R, passPercentage: 150, conditions: []}\n",
     "f.yaml:4:31: rules[0].passPercentage: 150 is greater than the maximum of 100"),
    ("rules:\n  - {name: R, passPercentage: 10.123, conditions: []}\n",
     "f.yaml:4:31: rules[0].passPercentage: 10.123 is not a multiple of 0.01"),
    ("type: FOREVER\n", "f.yaml:3:7: type: 'FOREVER' is not one of 'PERMANENT', 'TEMPORARY'"),
    ("rules:\n  - {name: R, passPercentage: 1, conditions: [{type: pubic}]}\n",
     "f.yaml:4:54: rules[0].conditions[0].type: 'pubic' is not an allowed value (did you mean 'public'?)"),
    ("rules:\n  - {name: R, passPercentage: 1}\n", "f.yaml:4:5: rules[0]: 'conditions' is required"),
    ("rules:\n  - {name: R, passPercentage: 1, conditions: [{type: country, targetValue: [NO]}]}\n",
     "f.yaml:4:76: rules[0].conditions[0].targetValue: [False] has the wrong type "
     "(expected list of numbers or list of strings or null or number or string; "
     "YAML reads unquoted yes/no/on/off as booleans: quote them)"),
])
def test_gate_field_errors(text, expected):
    [message] = problems(GATE + text)
    assert message.startswith(expected)


def test_percentages_with_two_decimals_are_valid_despite_float_division():
    # 0.29 / 0.01 is 28.999999999999996 in floating point
    assert problems(GATE + "rules:\n  - {name: R, passPercentage: 0.29, conditions: []}\n") == []


def test_unknown_kind_and_missing_kind_and_missing_id():
    every = ", ".join(all_kinds())  # in dependency order, as the registry declares them
    assert every.startswith("project_settings, ") and ", gate, dynamic_config, layer, experiment, autotune, holdout" in every
    assert problems("kind: gatee\nid: abc\n") == [
        f"f.yaml:1:7: kind: unknown kind 'gatee' (did you mean 'gate'?); statsync manages: {every}"]
    assert problems("id: abc\n") == [f"f.yaml:1:1: missing `kind` (one of: {every})"]
    assert problems("kind: gate\nname: No id\n") == ["f.yaml:1:1: id: gate has no `id`"]
    assert problems("- a list\n") == ["f.yaml:1:1: each YAML document must be a mapping with `kind` and `id`"]


def test_id_patterns_are_statsigs():
    assert problems("kind: gate\nid: has space\n") == ["f.yaml:2:5: id: 'has space' does not match ^[a-zA-Z0-9_\\-.]*$"]
    # experiment ids may not contain dots, gate ids may
    assert problems("kind: experiment\nid: exp.one\n")[0].startswith("f.yaml:2:5: id: 'exp.one' does not match")
    assert problems("kind: gate\nid: gate.one\n") == []


def test_duplicate_ids_name_both_places():
    text = GATE + "---\nkind: gate\nid: my_gate\n"
    assert problems(text) == ["f.yaml:5:5: id: gate 'my_gate' is already defined at f.yaml:2:5"]
    # the same id in another kind is a different object
    assert problems(GATE + "---\nkind: dynamic_config\nid: my_gate\n") == []


def test_duplicate_rule_names_are_rejected_because_rules_are_matched_by_name():
    text = GATE + "rules:\n  - {name: R, passPercentage: 1, conditions: []}\n  - {name: R, passPercentage: 2, conditions: []}\n"
    assert problems(text) == [
        "f.yaml:5:12: rules[1].name: duplicate name 'R' (also rules[0]); rules are matched to live ones by name"]


def test_group_sizes_must_sum_to_100():
    text = ("kind: experiment\nid: exp_one\ngroups:\n  - {name: A, size: 50, parameterValues: {}}\n"
            "  - {name: B, size: 49.5, parameterValues: {}}\n")
    assert problems(text) == ["f.yaml:4:3: groups: sizes add up to 99.5, not 100"]


def test_references_must_resolve_in_the_repo_or_live():
    text = (GATE + "rules:\n  - {name: R, passPercentage: 1, conditions: [{type: passes_gate, targetValue: other_gate}]}\n"
            "---\nkind: experiment\nid: exp_one\ntargetingGateID: missing_gate\n")
    assert problems(text) == [
        "f.yaml:4:80: rules[0].conditions[0].targetValue: gate 'other_gate' does not exist in the repository",
        "f.yaml:8:18: targetingGateID: gate 'missing_gate' does not exist in the repository",
    ]
    live = {"gate": {"other_gate", "missing_gate"}}
    assert problems(text, live) == []
    assert problems(text, {"gate": {"other_gate"}}) == [
        "f.yaml:8:18: targetingGateID: gate 'missing_gate' does not exist in the repository or the live project"]


def test_reference_cycles_are_rejected_naming_the_cycle():
    text = ("kind: gate\nid: gate_a\nrules: [{name: R, passPercentage: 1, conditions: [{type: passes_gate, targetValue: gate_b}]}]\n"
            "---\nkind: gate\nid: gate_b\nrules: [{name: R, passPercentage: 1, conditions: [{type: fails_gate, targetValue: [gate_a]}]}]\n")
    [message] = problems(text)
    assert "reference cycle: gate gate_" in message and message.startswith("f.yaml:")
    assert "gate gate_a" in message and "gate gate_b" in message


def test_statsync_block_rejects_unknown_settings():
    assert problems(GATE + "statsync: {protec: true}\n") == [
        "f.yaml:3:12: statsync.protec: unknown field (did you mean 'protect'?)"]
    assert problems(GATE + "statsync: {protect: true, ignore: [rules.*.passPercentage]}\n") == []


@pytest.mark.parametrize("condition, expected", [
    ("{type: country, operator: version_gt, targetValue: [CA]}",
     "f.yaml:4:73: rules[0].conditions[0].operator: 'version_gt' does not fit country conditions; use one of any,"),
    ("{type: passes_gate, operator: any, targetValue: other}",
     "f.yaml:4:77: rules[0].conditions[0].operator: passes_gate conditions take no operator (found 'any')"),
    ("{type: email, targetValue: [x]}",
     "f.yaml:4:47: rules[0].conditions[0]: email conditions need an operator: any, none,"),
    ("{type: app_version, operator: gt, targetValue: '1.0'}",
     "f.yaml:4:77: rules[0].conditions[0].operator: 'gt' does not fit app_version conditions; use one of any, "
     "none, version_gt"),
])
def test_operators_must_fit_their_condition_type(condition, expected):
    text = GATE + f"rules:\n  - {{name: R, passPercentage: 1, conditions: [{condition}]}}\n"
    found = problems(text, live={"gate": {"other"}})
    assert len(found) == 1 and found[0].startswith(expected), found


@pytest.mark.parametrize("condition", [
    "{type: custom_field, field: signup, operator: before, targetValue: [1700000000000]}",
    "{type: unit_id, customID: stableID, operator: is_null}",
    "{type: os_version, operator: version_lte, targetValue: ['17.0']}",
    "{type: public}",
])
def test_operators_that_fit_are_accepted(condition):
    assert problems(GATE + f"rules:\n  - {{name: R, passPercentage: 1, conditions: [{condition}]}}\n") == []


def test_segment_rules_only_take_the_conditions_segments_allow():
    text = ("kind: segment\nid: seg\ntype: rule_based\nrules:\n"
            "  - {name: R, passPercentage: 1, conditions: [{type: passes_gate, targetValue: g}]}\n")
    assert problems(text) == ["f.yaml:5:54: rules[0].conditions[0].type: 'passes_gate' is not an allowed value"
                              " (did you mean 'passes_segment'?)"]


def test_unit_id_conditions_name_a_unit_id_type_that_exists():
    rule = "rules:\n  - {{name: R, passPercentage: 1, conditions: [{{type: unit_id, customID: {}, operator: any, " \
           "targetValue: [a]}}]}}\n"
    assert problems(GATE + rule.format("userID")) == []  # built in
    assert problems(GATE + rule.format("companyID") + "---\nkind: unit_id_type\nid: companyID\n") == []
    assert problems(GATE + rule.format("companyID")) == [
        "f.yaml:4:73: rules[0].conditions[0].customID: unit_id_type 'companyID' does not exist in the repository"]


@pytest.mark.parametrize("kind, object_id", [("tag", "team-a"), ("unit_id_type", "companyID"),
                                             ("layer", "checkout_layer"), ("holdout", "checkout_holdout")])
def test_name_on_a_kind_whose_id_is_its_name_is_accepted_only_when_it_is_the_id(emulator, tmp_path, cli, kind,
                                                                                  object_id):
    """#12 item 2: a file from the console or Terraform may say `name`; the id is the name."""
    from tests.conftest import plan_apply, write

    extra = "description: x\n" if kind == "tag" else ""
    repo = write(tmp_path, f"kind: {kind}\nid: {object_id}\nname: {object_id}\n{extra}")
    plan, outcomes = plan_apply(emulator, repo)
    assert all(o.ok for o in outcomes) and not plan_apply(emulator, repo, apply=False)[0].steps
    (repo / "objects.yaml").write_text(f"kind: {kind}\nid: {object_id}\nname: Something else\n{extra}")
    result = cli("validate", str(repo))
    assert result.exit_code == 1
    assert f"objects.yaml:3:7: name: a {kind.replace('_', ' ').replace('unit id', 'unit ID')}'s id is its name: " \
           f"'Something else' is not the id {object_id!r}" in result.output
