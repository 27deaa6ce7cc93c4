"""#13 end to end: a saved plan is a contract, not a script — tampering sends nothing."""
import json

import httpx
import pytest

from tests.e2e.test_saved_plans_and_drift import KEY, change_examples, cli, mutations


def _tamper_request_list(plan, served):
    step = next(s for s in plan["steps"] if s["address"] == "gate.new_checkout")
    step["requests"].append({"method": "DELETE", "path": "/gates/employees"})
    return "gate.new_checkout: update sends PATCH /gates/new_checkout, the reviewed plan held " \
           "PATCH /gates/new_checkout, DELETE /gates/employees"


def _tamper_body(plan, served):
    step = next(s for s in plan["steps"] if s["address"] == "gate.new_checkout")
    step["requests"][0]["body"]["rules"][-1]["passPercentage"] = 77
    return "gate.new_checkout: update PATCH /gates/new_checkout sends a different body (at rules) than reviewed"


def _tamper_path(plan, served):
    step = next(s for s in plan["steps"] if s["address"] == "gate.new_checkout")
    step["requests"][0]["path"] = "/gates/employees"
    return "gate.new_checkout: update sends PATCH /gates/new_checkout, the reviewed plan held PATCH /gates/employees"


def _tamper_extra_step(plan, served):
    # the strongest forger: a delete of an object the plan leaves alone, with its true live version
    live = httpx.get(f"{served.url}/console/v1/dynamic_configs/mobile_home",
                     headers={"STATSIG-API-KEY": KEY}).json()["data"]
    plan["steps"].append({"address": "dynamic_config.mobile_home", "action": "delete", "kind": "dynamic_config",
                          "id": "mobile_home", "changes": [], "depends_on": [],
                          "requests": [{"method": "DELETE", "path": "/dynamic_configs/mobile_home"}],
                          "live": {"version": live["version"], "lastModifiedTime": live["lastModifiedTime"],
                                   "lastModifierName": live.get("lastModifierName")}})
    return "dynamic_config.mobile_home: the reviewed plan changes it, but the files no longer do"


@pytest.mark.parametrize("tamper", [_tamper_request_list, _tamper_body, _tamper_path, _tamper_extra_step])
def test_a_tampered_saved_plan_is_refused_and_sends_nothing(served, examples, tmp_path, tamper):
    assert cli(served, "apply", str(examples), "--auto-approve").returncode == 0
    change_examples(examples)
    saved = tmp_path / "plan.json"
    assert cli(served, "plan", str(examples), "--out", str(saved)).returncode == 0
    plan = json.loads(saved.read_text())
    expected = tamper(plan, served)
    saved.write_text(json.dumps(plan))
    before = len(mutations(served))
    result = cli(served, "apply", str(examples), "--plan", str(saved))
    assert result.returncode == 1
    assert f"error: {expected}" in result.stderr.splitlines(), result.stderr
    assert len(mutations(served)) == before


def test_a_forged_step_for_an_object_in_sync_sends_nothing_to_it(served, examples, tmp_path):
    """A forged step whose live version is not the object's is indistinguishable from one
    an earlier apply finished: it is reported, and nothing is sent for it."""
    assert cli(served, "apply", str(examples), "--auto-approve").returncode == 0
    change_examples(examples)
    saved = tmp_path / "plan.json"
    assert cli(served, "plan", str(examples), "--out", str(saved)).returncode == 0
    plan = json.loads(saved.read_text())
    plan["steps"].append({"address": "dynamic_config.mobile_home", "action": "delete", "kind": "dynamic_config",
                          "id": "mobile_home", "changes": [], "depends_on": [],
                          "requests": [{"method": "DELETE", "path": "/dynamic_configs/mobile_home"}],
                          "live": {"version": 0, "lastModifiedTime": 0, "lastModifierName": "x"}})
    saved.write_text(json.dumps(plan))
    before = len(mutations(served))
    result = cli(served, "apply", str(examples), "--plan", str(saved))
    assert result.returncode == 0, result.stderr
    assert "dynamic_config.mobile_home: already as the reviewed plan leaves it; nothing to send" in result.stderr
    assert {tuple(m) for m in mutations(served)[before:]} == {
        ("PATCH", "/console/v1/gates/employees"), ("PATCH", "/console/v1/gates/new_checkout")}


def test_a_saved_plan_cannot_choose_to_read_outside_the_working_directory(served, examples, tmp_path):
    saved = tmp_path / "plan.json"
    assert cli(served, "plan", str(examples), "--out", str(saved)).returncode == 0
    plan = json.loads(saved.read_text())
    plan["options"]["paths"] = ["../../../../etc"]
    saved.write_text(json.dumps(plan))
    result = cli(served, "apply", "--plan", str(saved))
    assert result.returncode == 1
    assert "the plan was made from ../../../../etc, outside" in result.stderr
    assert mutations(served) == []


def test_a_saved_plan_cannot_switch_pruning_on_to_smuggle_a_delete(served, examples, tmp_path):
    """Pruning deletes: a file claiming it (with a forged delete carrying the object's true
    live version) is refused unless the operator prunes too."""
    assert cli(served, "apply", str(examples), "--auto-approve").returncode == 0
    httpx.post(f"{served.url}/console/v1/gates", json={"id": "hotfix_gate"}, headers={"STATSIG-API-KEY": KEY})
    change_examples(examples)
    saved = tmp_path / "plan.json"
    assert cli(served, "plan", str(examples), "--out", str(saved)).returncode == 0
    plan = json.loads(saved.read_text())
    live = httpx.get(f"{served.url}/console/v1/gates/hotfix_gate", headers={"STATSIG-API-KEY": KEY}).json()["data"]
    plan["options"]["prune"] = True
    plan["steps"].append({"address": "gate.hotfix_gate", "action": "delete", "kind": "gate", "id": "hotfix_gate",
                          "changes": [], "depends_on": [], "requests": [{"method": "DELETE", "path": "/gates/hotfix_gate"}],
                          "live": {"version": live["version"], "lastModifiedTime": live["lastModifiedTime"],
                                   "lastModifierName": live.get("lastModifierName")}})
    saved.write_text(json.dumps(plan))
    before = len(mutations(served))
    result = cli(served, "apply", str(examples), "--plan", str(saved))
    assert result.returncode == 1 and "it was made with pruning on; pass --prune to apply it" in result.stderr
    assert len(mutations(served)) == before
