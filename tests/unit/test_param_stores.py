"""Parameter stores: created and filled in one step, updated whole, their parameters a
tagged union compared field by field, what they point at created first, and never
deleted (Statsig's API cannot): pruning and a create-only change say so instead."""
import httpx
import pytest

from statsync.errors import InvalidConfig
from tests.conftest import TEST_KEY, plan_apply, run, write

GATE = "kind: gate\nid: new_checkout\n"
STORE = """---
kind: param_store
id: checkout
description: What checkout reads.
tags: [checkout]
parameters:
  - {name: new_flow, ref_type: gate, gate_name: new_checkout, param_type: boolean, pass_value: true, fail_value: false}
  - {name: max_items, ref_type: static, param_type: number, value: 50}
---
kind: tag
id: checkout
"""


def test_a_store_is_created_and_filled_in_one_step_and_the_next_plan_is_empty(emulator, tmp_path):
    plan, outcomes = plan_apply(emulator, write(tmp_path, GATE + STORE))
    step = next(s for s in plan.steps if s.kind == "param_store")
    # the create DTO takes no parameters; the update takes them with the description
    assert [(r.method, r.path) for r in step.requests] == [("POST", "/param_stores"), ("POST", "/param_stores/checkout")]
    assert step.requests[0].body == {"name": "checkout", "description": "What checkout reads.", "displayName": "checkout",
                                     "tags": ["checkout"]}
    assert sorted(step.requests[1].body) == ["description", "parameters"]
    # what the parameters point at exists first
    assert sorted(step.depends_on) == ["gate.new_checkout", "tag.checkout"]
    assert all(o.ok for o in outcomes), [(o.step.address, o.error) for o in outcomes]
    stored = emulator.store.get("param_stores", "checkout")
    assert stored["parameters"][0]["gate_name"] == "new_checkout" and stored["displayName"] == "checkout"
    # tags are taken at creation and never answered: no drift from their absence
    assert not plan_apply(emulator, write(tmp_path, GATE + STORE), apply=False)[0].has_changes


def test_a_parameters_target_is_compared_and_the_update_sends_the_store_whole(emulator, tmp_path):
    plan_apply(emulator, write(tmp_path, GATE + "---\nkind: gate\nid: old_checkout\n" + STORE))
    moved = GATE + "---\nkind: gate\nid: old_checkout\n" + STORE.replace("gate_name: new_checkout",
                                                                          "gate_name: old_checkout")
    plan, outcomes = plan_apply(emulator, write(tmp_path, moved))
    [step] = plan.steps
    assert [c.path for c in step.changes] == ["parameters[new_flow].gate_name"]
    [request] = step.requests
    # a full update: the description goes too, so the POST resets nothing
    assert (request.method, request.path) == ("POST", "/param_stores/checkout")
    assert request.body["description"] == "What checkout reads." and len(request.body["parameters"]) == 2
    assert emulator.store.get("param_stores", "checkout")["parameters"][0]["gate_name"] == "old_checkout"
    assert not plan_apply(emulator, write(tmp_path, moved), apply=False)[0].has_changes


def test_a_parameter_naming_no_gate_is_refused_with_its_place(emulator, tmp_path):
    repo = write(tmp_path, STORE)
    with pytest.raises(InvalidConfig, match=r"objects.yaml:\d+:\d+: .*gate 'new_checkout' does not exist"):
        plan_apply(emulator, repo, apply=False)


def test_pruning_keeps_a_store_and_says_statsig_cannot_delete_it(emulator, tmp_path):
    plan_apply(emulator, write(tmp_path, GATE + STORE))
    emulator.log.clear()
    plan, _ = plan_apply(emulator, write(tmp_path, GATE + "---\nkind: tag\nid: checkout\n"), prune=True)
    assert [s.action for s in plan.steps] == []
    assert [(k.address, k.reason) for k in plan.kept] == [
        ("param_store.checkout", "Statsig's API cannot delete parameter stores: delete it in the console")]
    assert emulator.store.get("param_stores", "checkout") is not None


def test_a_display_name_change_is_refused_not_replaced(emulator, tmp_path):
    plan_apply(emulator, write(tmp_path, GATE + STORE))
    renamed = write(tmp_path, GATE + STORE.replace("description: What", "displayName: Checkout\ndescription: What"))
    with pytest.raises(InvalidConfig, match=r"objects.yaml:\d+:\d+: displayName: displayName cannot change once "
                                            r"param_store.checkout exists, and Statsig's API cannot delete "
                                            r"parameter stores"):
        plan_apply(emulator, renamed, apply=False, allow_replace=True)


def test_the_emulator_serves_no_delete_for_a_store(emulator, tmp_path):
    """The spec has no DELETE /param_stores/{name}: the emulator answers none either."""
    plan_apply(emulator, write(tmp_path, GATE + STORE))

    async def delete():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator.app), base_url="http://emu",
                                     headers={"STATSIG-API-KEY": TEST_KEY}) as client:
            return await client.delete("/console/v1/param_stores/checkout")
    assert run(delete()).status_code in (404, 405)
    assert emulator.store.get("param_stores", "checkout") is not None
