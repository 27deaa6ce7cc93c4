"""Rule-based segments: rules change through /conditional; anything else is a replace."""
from pathlib import Path

import pytest

from statsync.errors import InvalidConfig, StatsyncError
from tests.conftest import client_for, plan_apply, run, write

SEGMENT = """kind: segment
id: beta_testers
name: Beta testers
description: People who asked for early access
rules:
  - name: Staff
    passPercentage: 100
    conditions: [{type: email, operator: str_contains_any, targetValue: ["@example.com"]}]
"""
GATE = """---
kind: gate
id: beta_gate
rules:
  - {name: Beta, passPercentage: 100, conditions: [{type: passes_segment, targetValue: beta_testers}]}
"""
def test_segments_are_created_before_the_gates_that_use_them_and_round_trip(emulator, tmp_path):
    repo = write(tmp_path, SEGMENT + GATE)
    plan, outcomes = plan_apply(emulator, repo)
    assert [s.address for s in plan.steps] == ["segment.beta_testers", "gate.beta_gate"]
    assert plan.steps[1].depends_on == ["segment.beta_testers"]
    assert [o.status for o in outcomes] == ["applied", "applied"]
    assert not plan_apply(emulator, repo, apply=False)[0].has_changes


def test_a_rule_change_is_one_post_to_conditional_keeping_rule_identity(emulator, tmp_path):
    repo = write(tmp_path, SEGMENT)
    plan_apply(emulator, repo)
    base = emulator.store.get("segments", "beta_testers")["rules"][0]["baseID"]
    write(tmp_path, SEGMENT.replace("passPercentage: 100", "passPercentage: 50"))
    plan, outcomes = plan_apply(emulator, repo)
    [step] = plan.steps
    [request] = step.requests
    assert (step.action, request.method, request.path) == ("update", "POST", "/segments/beta_testers/conditional")
    assert isinstance(request.body, list) and request.body[0]["baseID"] == base  # the bare rule list, ids echoed
    assert emulator.store.get("segments", "beta_testers")["rules"][0]["passPercentage"] == 50
    assert not plan_apply(emulator, repo, apply=False)[0].has_changes


def test_other_changes_are_a_replace_refused_unless_allowed(emulator, tmp_path):
    repo = write(tmp_path, SEGMENT)
    plan_apply(emulator, repo)
    write(tmp_path, SEGMENT.replace("asked for early access", "joined the beta"))
    plan, _ = plan_apply(emulator, repo, apply=False)
    [step] = plan.steps
    assert step.action == "replace"
    assert [(r.method, r.path) for r in step.requests] == [("DELETE", "/segments/beta_testers"), ("POST", "/segments")]
    with pytest.raises(StatsyncError, match="refusing to replace segment.beta_testers: .* --allow-replace"):
        plan_apply(emulator, repo)
    _, outcomes = plan_apply(emulator, repo, allow_replace=True)
    assert [o.status for o in outcomes] == ["applied"]
    assert emulator.store.get("segments", "beta_testers")["description"] == "People who joined the beta"
    assert not plan_apply(emulator, repo, apply=False)[0].has_changes


def test_a_replace_is_never_offered_for_a_segment_others_use(emulator, tmp_path):
    repo = write(tmp_path, SEGMENT + GATE)
    plan_apply(emulator, repo)
    write(tmp_path, SEGMENT.replace("asked for early access", "joined the beta") + GATE)
    with pytest.raises(InvalidConfig) as caught:
        plan_apply(emulator, repo, apply=False)
    [problem] = caught.value.problems
    assert str(problem).endswith("changing description means deleting and re-creating segment.beta_testers "
                                 "(Statsig cannot update it), but gate.beta_gate use it")
    assert problem.mark.line == 4


def test_segment_rules_allow_only_segment_conditions_and_references_must_resolve(tmp_path):
    from statsync.loader import load_text
    from statsync.validate import check_references, desired_objects

    with pytest.raises(InvalidConfig, match="conditions\\[0\\].type: 'passes_gate' is not an allowed value"):
        desired_objects(load_text(SEGMENT.replace("type: email, operator: str_contains_any, targetValue: "
                                                  "[\"@example.com\"]", "type: passes_gate, targetValue: x"), "f.yaml"))
    with pytest.raises(InvalidConfig, match="segment 'beta_testers' does not exist in the repository"):
        check_references(desired_objects(load_text(GATE, "f.yaml")))
