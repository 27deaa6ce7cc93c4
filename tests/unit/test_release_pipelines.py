"""Release pipelines: by name, addressed by the id Statsig gives them; a gate names its
pipeline by name and Statsig is sent the id; phases keep their ids; a phase that stops
waiting for review is called out."""
import pytest

from statsync.errors import InvalidConfig
from tests.conftest import plan_apply, write

PIPELINE = """kind: release_pipeline
id: Staged release
phases:
  - name: Staff
    timeIntervalMs: 3600000
    requiredReview: false
    rules:
      - {name: Staff, conditions: [{type: email, operator: str_contains_any, targetValue: ["@example.com"]}]}
  - name: Everyone
    timeIntervalMs: 86400000
    requiredReview: true
    rules:
      - {name: All, conditions: [{type: public}]}
"""
GATE = "---\nkind: gate\nid: new_checkout\nreleasePipelineID: Staged release\n"


def _pipeline(emulator) -> dict:
    [pipeline] = emulator.store.collection("release_pipelines").values()
    return pipeline


def test_a_gate_names_its_pipeline_and_statsig_is_sent_the_pipelines_id(emulator, tmp_path):
    plan, outcomes = plan_apply(emulator, write(tmp_path, PIPELINE + GATE))
    assert all(o.ok for o in outcomes), [(o.step.address, o.error) for o in outcomes]
    gate_step = next(s for s in plan.steps if s.kind == "gate")
    assert gate_step.depends_on == ["release_pipeline.Staged release"]
    assert gate_step.requests[0].body["releasePipelineID"] == "Staged release"  # the plan reads as written
    pipeline = _pipeline(emulator)
    assert emulator.store.get("gates", "new_checkout")["releasePipelineID"] == pipeline["id"]  # Statsig's id
    assert not plan_apply(emulator, write(tmp_path, PIPELINE + GATE), apply=False)[0].has_changes


def test_a_phase_change_posts_the_pipeline_whole_at_its_id_and_phases_keep_their_ids(emulator, tmp_path):
    plan_apply(emulator, write(tmp_path, PIPELINE))
    pipeline = _pipeline(emulator)
    staff_id = pipeline["phases"][0]["id"]
    slower = write(tmp_path, PIPELINE.replace("3600000", "7200000"))
    emulator.log.clear()
    plan, _ = plan_apply(emulator, slower)
    [step] = plan.steps
    assert [c.path for c in step.changes] == ["phases[Staff].timeIntervalMs"]
    assert ("POST", f"/console/v1/release_pipelines/{pipeline['id']}") in [(r.method, r.path) for r in emulator.log]
    assert [p["id"] for p in _pipeline(emulator)["phases"]][0] == staff_id
    assert not plan_apply(emulator, slower, apply=False)[0].has_changes


def test_a_phase_that_stops_waiting_for_review_is_called_out(emulator, tmp_path):
    plan_apply(emulator, write(tmp_path, PIPELINE))
    plan, _ = plan_apply(emulator, write(tmp_path, PIPELINE.replace("requiredReview: true", "requiredReview: false")),
                         apply=False)
    assert plan.weakened == ["release_pipeline.Staged release: weakens a safeguard: phases[Everyone].requiredReview "
                             "true → false"]


def test_a_gate_naming_no_pipeline_is_refused_at_its_line(emulator, tmp_path):
    with pytest.raises(InvalidConfig, match=r"objects.yaml:\d+:\d+: releasePipelineID: release_pipeline "
                                            r"'Staged release' does not exist"):
        plan_apply(emulator, write(tmp_path, GATE.lstrip("-\n")), apply=False)


def test_pruning_keeps_a_pipeline_a_gate_names_and_deletes_one_at_its_id(emulator, tmp_path):
    plan_apply(emulator, write(tmp_path, PIPELINE + GATE + PIPELINE.replace("Staged release", "Unused")
                               .replace("kind: release_pipeline", "---\nkind: release_pipeline")))
    unused = next(p for p in emulator.store.collection("release_pipelines").values() if p["name"] == "Unused")
    emulator.log.clear()
    # the gate still names "Staged release": only "Unused" may go
    plan, outcomes = plan_apply(emulator, write(tmp_path, GATE.lstrip("-\n")), prune=True, allow_replace=False)
    assert [(s.action, s.address) for s in plan.steps] == [("delete", "release_pipeline.Unused")]
    assert [k.address for k in plan.kept] == ["release_pipeline.Staged release"]
    assert ("DELETE", f"/console/v1/release_pipelines/{unused['id']}") in [(r.method, r.path) for r in emulator.log]


# A phase's rules name objects as a gate's rules do (passes_gate, passes_segment,
# environments): they are references, checked and ordered.
GUARDED = PIPELINE.replace("rules:\n      - {name: All, conditions: [{type: public}]}",
                           "rules:\n      - {name: All, conditions: [{type: passes_gate, targetValue: [kill_switch_off]}],"
                           " environments: [production]}")
KILL_SWITCH = "---\nkind: gate\nid: kill_switch_off\n"


def test_a_phase_rule_naming_no_gate_is_refused_at_its_line(emulator, tmp_path):
    assert GUARDED != PIPELINE
    line = next(n for n, text in enumerate(GUARDED.splitlines(), 1) if "kill_switch_off" in text)
    with pytest.raises(InvalidConfig, match=rf"objects.yaml:{line}:\d+: phases\[1\].rules\[0\].conditions\[0\]"
                                            r".targetValue: gate 'kill_switch_off' does not exist"):
        plan_apply(emulator, write(tmp_path, GUARDED), apply=False)


def test_a_pipeline_is_created_after_the_gate_its_phase_rules_name(emulator, tmp_path):
    plan, outcomes = plan_apply(emulator, write(tmp_path, GUARDED + KILL_SWITCH))
    assert all(o.ok for o in outcomes), [(o.step.address, o.error) for o in outcomes]
    pipeline_step = next(s for s in plan.steps if s.kind == "release_pipeline")
    assert pipeline_step.depends_on == ["gate.kill_switch_off"]
    [phase_rule] = _pipeline(emulator)["phases"][1]["rules"]
    assert phase_rule["conditions"][0]["targetValue"] == ["kill_switch_off"]
    assert not plan_apply(emulator, write(tmp_path, GUARDED + KILL_SWITCH), apply=False)[0].has_changes


def test_a_gate_in_its_own_pipelines_phase_rules_is_a_cycle(emulator, tmp_path):
    gate_in_pipeline = GUARDED.replace("kill_switch_off", "new_checkout")
    with pytest.raises(InvalidConfig, match="reference cycle: .*release_pipeline Staged release.*gate new_checkout"
                                            "|reference cycle: .*gate new_checkout.*release_pipeline Staged release"):
        plan_apply(emulator, write(tmp_path, gate_in_pipeline + GATE), apply=False)


def test_a_phase_rule_naming_an_unknown_environment_is_refused(emulator, tmp_path):
    with pytest.raises(InvalidConfig, match=r"phases\[1\].rules\[0\].environments\[0\]: 'staging_eu' is not in"):
        plan_apply(emulator, write(tmp_path, GUARDED.replace("[production]", "[staging_eu]") + KILL_SWITCH),
                   apply=False)


def test_a_phase_rules_operator_is_checked_as_a_gates(emulator, tmp_path):
    wrong = PIPELINE.replace("operator: str_contains_any", "operator: gt")
    with pytest.raises(InvalidConfig, match=r"objects.yaml:\d+:\d+: phases\[0\].rules\[0\].conditions\[0\].operator: "
                                            r"'gt' does not fit email conditions"):
        plan_apply(emulator, write(tmp_path, wrong), apply=False)
