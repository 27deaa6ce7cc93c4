"""Layers and holdouts: creates that take two requests, what only creation sets, Statsig's
implicit layers, decisions that rewrite a layer, and global holdouts that grow."""
import pytest

from statsync.errors import InvalidConfig, StatsyncError
from tests.conftest import plan_apply, write

LAYER = """kind: layer
id: checkout_layer
description: Checkout experiments
parameters:
  - {name: buttonColor, type: string, defaultValue: blue}
  - {name: badges, type: boolean, defaultValue: false}
"""
EXPERIMENT = """---
kind: experiment
id: button_test
layerID: checkout_layer
status: active
groups:
  - {name: Control, size: 50, parameterValues: {buttonColor: blue}}
  - {name: Green, size: 50, parameterValues: {buttonColor: green}}
"""
GATE = """---
kind: gate
id: new_checkout
"""
HOLDOUT = """---
kind: holdout
id: checkout_holdout
passPercentage: 2
gateIDs: [new_checkout]
layerIDs: [checkout_layer]
"""


def test_a_layer_with_parameters_is_one_step_of_two_requests_and_round_trips(emulator, tmp_path):
    repo = write(tmp_path, LAYER)
    plan, outcomes = plan_apply(emulator, repo)
    [step] = plan.steps
    assert [(r.method, r.path) for r in step.requests] == [("POST", "/layers"), ("PATCH", "/layers/checkout_layer")]
    assert step.requests[0].body == {"name": "checkout_layer", "description": "Checkout experiments",
                                     "idType": "userID"}  # idType is required on create
    assert [p["name"] for p in step.requests[1].body["parameters"]] == ["buttonColor", "badges"]
    assert [o.status for o in outcomes] == ["applied"]
    live = emulator.store.get("layers", "checkout_layer")
    assert [p["defaultValue"] for p in live["parameters"]] == ["blue", False]
    assert not plan_apply(emulator, repo, apply=False)[0].has_changes


def test_what_only_creation_sets_is_a_replace_refused_unless_allowed(emulator, tmp_path):
    repo = write(tmp_path, LAYER)
    plan_apply(emulator, repo)
    write(tmp_path, LAYER.replace("kind: layer\n", "kind: layer\nidType: stableID\n"))
    plan, _ = plan_apply(emulator, repo, apply=False)
    [step] = plan.steps
    assert step.action == "replace" and [c.field for c in step.changes] == ["idType"]
    assert [r.method for r in step.requests] == ["DELETE", "POST", "PATCH"]
    from statsync.render import markdown, text
    reason = "Statsig cannot change idType of a layer in place: it is deleted and created again, losing its history"
    assert reason in text.render_plan(plan) and reason in markdown.render_plan(plan)
    with pytest.raises(StatsyncError, match="refusing to replace layer.checkout_layer"):
        plan_apply(emulator, repo)
    plan_apply(emulator, repo, allow_replace=True)
    assert emulator.store.get("layers", "checkout_layer")["idType"] == "stableID"
    assert not plan_apply(emulator, repo, apply=False)[0].has_changes


def test_a_layer_experiments_use_is_never_replaced(emulator, tmp_path):
    repo = write(tmp_path, LAYER + EXPERIMENT)
    plan_apply(emulator, repo)
    write(tmp_path, LAYER.replace("kind: layer\n", "kind: layer\nidType: stableID\n") + EXPERIMENT)
    with pytest.raises(InvalidConfig, match="experiment.button_test use it"):
        plan_apply(emulator, repo, apply=False)


def test_implicit_layers_are_statsigs_never_managed_pruned_or_shown(emulator, tmp_path):
    repo = write(tmp_path, "kind: experiment\nid: solo\n---\n" + LAYER)
    plan_apply(emulator, repo)
    assert emulator.store.get("layers", "statsig::solo_layer")["isImplicitLayer"] is True
    plan, _ = plan_apply(emulator, repo, apply=False, prune=True)
    assert not plan.has_changes and plan.unmanaged == [] and plan.kept == []


def test_experiment_parameters_must_be_the_layers(emulator, tmp_path):
    repo = write(tmp_path, LAYER + EXPERIMENT.replace("{buttonColor: green}", "{buttonColour: green}"))
    with pytest.raises(InvalidConfig) as caught:
        plan_apply(emulator, repo, apply=False)
    [problem] = caught.value.problems
    assert str(problem).replace(f"{repo}/", "") == (
        "objects.yaml:14:47: groups[1].parameterValues.buttonColour: layer 'checkout_layer' has no parameter "
        "'buttonColour' (declared at objects.yaml:5:3)")


def test_shipping_a_group_rewrites_the_layer_so_the_file_must_agree(emulator, tmp_path):
    repo = write(tmp_path, LAYER + EXPERIMENT)
    plan_apply(emulator, repo)
    decided = EXPERIMENT.replace("status: active", "status: decision_made\nlaunchedGroupID: Green\n"
                                 "decisionReason: Green converts better")
    write(tmp_path, LAYER + decided)
    with pytest.raises(InvalidConfig) as caught:
        plan_apply(emulator, repo, apply=False)
    assert str(caught.value.problems[0]).replace(f"{repo}/", "").startswith(
        'objects.yaml:5:53: parameters[0].defaultValue: experiment button_test ships group \'Green\', and Statsig '
        'then sets buttonColor to "green" in this layer')
    # with the layer saying what the decision does, apply converges and the next plan is empty
    write(tmp_path, LAYER.replace("defaultValue: blue", "defaultValue: green") + decided)
    plan, outcomes = plan_apply(emulator, repo)
    assert [s.address for s in plan.steps] == ["layer.checkout_layer", "experiment.button_test:make_decision"]
    assert {o.status for o in outcomes} == {"applied"}
    assert emulator.store.get("layers", "checkout_layer")["parameters"][0]["defaultValue"] == "green"
    assert not plan_apply(emulator, repo, apply=False)[0].has_changes


def test_a_holdout_is_created_then_given_its_members_in_one_step(emulator, tmp_path):
    repo = write(tmp_path, LAYER + GATE + HOLDOUT)
    plan, outcomes = plan_apply(emulator, repo)
    step = plan.steps[-1]
    assert step.address == "holdout.checkout_holdout"
    assert [(r.method, r.path) for r in step.requests] == [("POST", "/holdouts"),
                                                          ("PATCH", "/holdouts/checkout_holdout")]
    assert step.requests[0].body == {"name": "checkout_holdout"}
    assert set(step.depends_on) == {"gate.new_checkout", "layer.checkout_layer"}
    assert {o.status for o in outcomes} == {"applied"}
    assert emulator.store.get("gates", "new_checkout")["holdoutIDs"] == ["checkout_holdout"]
    assert not plan_apply(emulator, repo, apply=False)[0].has_changes


def test_a_global_holdout_growing_by_itself_is_not_drift(emulator, tmp_path):
    repo = write(tmp_path, GATE + HOLDOUT.replace("layerIDs: [checkout_layer]\n", "isGlobal: true\n"))
    plan_apply(emulator, repo)
    emulator.console_create("gates", {"id": "someone_elses_gate", "name": "Someone elses gate"})
    assert emulator.store.get("holdouts", "checkout_holdout")["gateIDs"] == ["new_checkout", "someone_elses_gate"]
    assert not plan_apply(emulator, repo, apply=False)[0].has_changes
    # a member the YAML lists is still managed: dropping isGlobal makes the extra member drift again
    write(tmp_path, GATE + HOLDOUT.replace("layerIDs: [checkout_layer]\n", ""))
    [step] = plan_apply(emulator, repo, apply=False)[0].steps
    assert {c.path for c in step.changes} == {"isGlobal", "gateIDs"}


def test_a_gate_in_a_holdout_is_not_pruned_while_the_holdout_lists_it(emulator, tmp_path):
    repo = write(tmp_path, GATE + HOLDOUT.replace("layerIDs: [checkout_layer]\n", ""))
    plan_apply(emulator, repo)
    write(tmp_path, "kind: gate\nid: other\n" + HOLDOUT.replace("layerIDs: [checkout_layer]\n", ""))
    plan, _ = plan_apply(emulator, repo, apply=False, prune=True)
    assert [(k.address, k.reason) for k in plan.kept] == [("gate.new_checkout",
                                                          "still referenced by holdout.checkout_holdout")]
    assert plan.count("delete") == 0


def test_the_text_plan_lists_a_steps_requests_when_there_are_several(emulator, tmp_path):
    from statsync.render.text import render_plan

    plan, _ = plan_apply(emulator, write(tmp_path, LAYER), apply=False)
    assert "    = 2 requests: POST /layers, then PATCH /layers/checkout_layer\n" in render_plan(plan)


LAYER_OVERRIDES = """overrides:
  conditionalOverrides:
    - {type: gate, name: new_checkout, experimentName: button_test, groupName: Green}
  idOverrides:
    - {experimentName: button_test, groupName: Control, ids: [ceo]}
"""


def test_layer_overrides_are_sent_after_the_experiments_they_name(emulator, tmp_path):
    repo = write(tmp_path, LAYER + LAYER_OVERRIDES + EXPERIMENT + GATE)
    plan, outcomes = plan_apply(emulator, repo)
    addresses = [s.address for s in plan.steps]
    overrides = plan.steps[addresses.index("layer.checkout_layer:overrides")]
    assert addresses.index("layer.checkout_layer:overrides") > addresses.index("experiment.button_test")
    assert set(overrides.depends_on) == {"layer.checkout_layer", "experiment.button_test", "gate.new_checkout"}
    assert [(r.method, r.path) for r in overrides.requests] == [("POST", "/layers/checkout_layer/overrides")]
    from statsync.render import markdown, text
    assert "~ layer checkout_layer  (overrides, after the objects they name)\n" in text.render_plan(plan)
    assert "| layer | `checkout_layer` | ~ update (overrides) |" in markdown.render_plan(plan)
    assert plan.count("create") == 3  # the layer is one object created, whatever its steps
    assert {o.status for o in outcomes} == {"applied"}
    assert emulator.store.get("layers", "checkout_layer")["_overrides"]["idOverrides"][0]["ids"] == ["ceo"]
    assert not plan_apply(emulator, repo, apply=False)[0].has_changes
    # a change to the overrides alone is one step, the overrides POST
    write(tmp_path, LAYER + LAYER_OVERRIDES.replace("[ceo]", "[ceo, cto]") + EXPERIMENT + GATE)
    [step] = plan_apply(emulator, repo, apply=False)[0].steps
    assert step.address == "layer.checkout_layer:overrides"
    [change] = step.changes
    assert change.path == "overrides.idOverrides" and change.after[0]["ids"] == ["ceo", "cto"]


@pytest.mark.parametrize("change, expected", [
    ("groupName: Green}", "groupName: Blue}"),
    ("layerID: checkout_layer\n", ""),
])
def test_layer_overrides_name_their_own_experiments_and_groups(emulator, tmp_path, change, expected):
    text = LAYER + LAYER_OVERRIDES + EXPERIMENT + GATE
    repo = write(tmp_path, text.replace(change, expected))
    with pytest.raises(InvalidConfig) as caught:
        plan_apply(emulator, repo, apply=False)
    message = str(caught.value.problems[0]).replace(f"{repo}/", "")
    assert message == {
        "groupName: Green}": "objects.yaml:9:80: overrides.conditionalOverrides[0].groupName: 'Blue' is not a group "
                             "of button_test ('Control', 'Green')",
        "layerID: checkout_layer\n": "objects.yaml:9:56: overrides.conditionalOverrides[0].experimentName: "
                                     "experiment 'button_test' is not in this layer (its layerID is None)"}[change]


def test_holdout_members_share_its_unit_id_type(emulator, tmp_path):
    repo = write(tmp_path, GATE.replace("id: new_checkout\n", "id: new_checkout\nidType: stableID\n") + LAYER
                 .replace("kind: layer", "---\nkind: layer") + HOLDOUT.replace("passPercentage", "idType: userID\n"
                                                                                "passPercentage"))
    with pytest.raises(InvalidConfig) as caught:
        plan_apply(emulator, repo, apply=False)
    assert [str(p).replace(f"{repo}/", "") for p in caught.value.problems] == [
        "objects.yaml:17:11: gateIDs[0]: gate 'new_checkout' is by stableID, this holdout by userID: it would hold "
        "nobody back from it"]


def test_an_omitted_holdout_unit_type_is_the_projects_default_not_userID(emulator, tmp_path):
    """EVIDENCE.md finding 4: the project's default_unit_type fills an omitted idType. A
    holdout whose live unit type is stableID is neither replaced nor refused for it."""
    emulator.console_create("holdouts", {"name": "checkout_holdout", "idType": "stableID", "passPercentage": 2})
    repo = write(tmp_path, GATE.replace("id: new_checkout\n", "id: new_checkout\nidType: stableID\n")
                 + HOLDOUT.replace("layerIDs: [checkout_layer]\n", ""))
    plan, outcomes = plan_apply(emulator, repo)
    assert [step.action for step in plan.steps] == ["create", "update"]  # the gate, then the holdout's members
    assert all(outcome.ok for outcome in outcomes)
    assert emulator.store.get("holdouts", "checkout_holdout")["idType"] == "stableID"
    again, _ = plan_apply(emulator, repo, apply=False)
    assert not again.steps


def test_a_layer_a_decision_rewrote_in_this_run_is_not_a_conflict_for_its_later_steps(emulator, tmp_path):
    from statsync.config import load_project
    from statsync.executor import ApplyOptions
    from statsync.workflow import apply_plan, make_plan
    from tests.conftest import client_for, run

    green = LAYER.replace("defaultValue: blue", "defaultValue: green")
    repo = write(tmp_path, green + EXPERIMENT + GATE)
    plan_apply(emulator, repo)
    decided = EXPERIMENT.replace("status: active", "status: decision_made\nlaunchedGroupID: Green\n"
                                 "decisionReason: Green converts better")
    # the layer's fields already say what the decision will; only its overrides change
    write(tmp_path, green.replace("description: Checkout experiments\n",
                                  "description: Checkout experiments\n" + LAYER_OVERRIDES) + decided + GATE)
    project = load_project((str(repo),))

    async def go():
        async with client_for(emulator) as client:
            plan = await make_plan(project, client, "t")
            return plan, await apply_plan(plan, client, ApplyOptions(parallelism=1))
    plan, outcomes = run(go())
    order = [o.step.address for o in outcomes]
    assert order == ["experiment.button_test:make_decision", "layer.checkout_layer:overrides"]
    assert order.index("experiment.button_test:make_decision") < order.index("layer.checkout_layer:overrides")
    assert plan.steps[order.index("experiment.button_test:make_decision")].touches == ["layer.checkout_layer"]
    assert {o.status for o in outcomes} == {"applied"}, [(o.step.address, o.error) for o in outcomes]
