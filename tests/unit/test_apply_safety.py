"""Apply never overwrites a person's change, prunes only what it may, and says what it did."""
import json
from pathlib import Path

import pytest

from statsync.config import load_project
from statsync.errors import StatsyncError
from statsync.executor import ApplyOptions
from statsync.journal import Journal
from statsync.plan import check_safety
from statsync.errors import InvalidConfig
from statsync.workflow import apply_plan, load_desired, make_plan, plan_options
from tests.conftest import EXAMPLE_OBJECTS, EXAMPLE_STEPS, client_for, run


def plan_for(emulator, project, prune=None):
    async def go():
        async with client_for(emulator) as client:
            return await make_plan(project, client, "test", plan_options(project, prune))
    return run(go())


def apply(emulator, plan, **options):
    async def go():
        async with client_for(emulator) as client:
            return await apply_plan(plan, client, ApplyOptions(**options))
    return {o.step.address: o for o in run(go())}


def applied_project(emulator, examples):
    project = load_project((str(examples),))
    apply(emulator, plan_for(emulator, project))
    return project


def edit(path: Path, old: str, new: str) -> None:
    path.write_text(path.read_text().replace(old, new))


def test_a_console_edit_between_plan_and_apply_is_a_conflict_naming_the_editor(emulator, examples):
    project = applied_project(emulator, examples)
    edit(examples / "gates" / "employees.yaml", "Everyone with", "Anyone with")
    edit(examples / "gates" / "search_v2.yaml", "Rewritten search", "New search")
    plan = plan_for(emulator, project)
    emulator.console_edit("gates", "employees", {"description": "Hand-tuned"}, name="Ada Lovelace",
                          email="ada@example.com")
    outcomes = apply(emulator, plan)
    conflict = outcomes["gate.employees"]
    assert conflict.status == "conflict"
    assert "by Ada Lovelace <ada@example.com>" in conflict.error and "version 1 → 2" in conflict.error
    assert emulator.store.get("gates", "employees")["description"] == "Hand-tuned"  # not overwritten
    assert outcomes["gate.search_v2"].status == "applied"


def test_journal_records_every_step_and_a_summary(emulator, examples, tmp_path):
    project = load_project((str(examples),))
    journal = Journal(tmp_path / "journal", "test")
    plan = plan_for(emulator, project)
    apply(emulator, plan, journal=journal)
    journal.close()
    records = [json.loads(line) for line in journal.path.read_text().splitlines()]
    assert records[0]["type"] == "start" and records[-1]["type"] == "summary"
    steps = [r for r in records if r["type"] == "step"]
    assert len(steps) == EXAMPLE_STEPS and {s["outcome"] for s in steps} == {"applied"}
    assert steps[0].keys() >= {"address", "action", "kind", "id", "requests", "outcome", "error", "duration"}
    assert {s["address"] for s in steps} == {step.address for step in plan.steps}  # a layer's overrides included
    # every planned request and no other: creates check nothing first
    assert records[-1]["applied"] == len(steps) and records[-1]["requests"] == plan.request_count


def _console_gates(emulator, *ids, **fields):
    for object_id in ids:
        emulator.console_create("gates", {"id": object_id, **fields})


def test_pruning_is_off_unless_asked_and_then_deletes_what_is_missing(emulator, examples):
    project = applied_project(emulator, examples)
    _console_gates(emulator, "stray_one", "stray_two")
    assert plan_for(emulator, project).unmanaged == ["gate.stray_one", "gate.stray_two"]
    plan = plan_for(emulator, project, prune=True)
    assert sorted(s.address for s in plan.steps if s.action == "delete") == ["gate.stray_one", "gate.stray_two"]
    apply(emulator, plan)
    assert emulator.store.get("gates", "stray_one") is None
    assert not plan_for(emulator, project, prune=True).has_changes


def test_a_referenced_gate_is_not_deleted(emulator, examples):
    (examples / "statsync.yaml").write_text("prune: {protect: [gate.console_gate]}\n")
    project = applied_project(emulator, examples)
    _console_gates(emulator, "shared_gate")
    emulator.console_create("gates", {"id": "console_gate", "rules": [
        {"name": "R", "passPercentage": 100, "conditions": [{"type": "passes_gate", "targetValue": "shared_gate"}]}]})
    (examples / "gates" / "employees.yaml").unlink()  # still used by new_checkout in the repo
    with pytest.raises(InvalidConfig, match="gate 'employees' does not exist in the repository"):
        load_desired(project)  # offline, the reference no longer resolves
    plan = plan_for(emulator, project, prune=True)  # at plan time the live employees gate resolves
    kept = {k.address: k.reason for k in plan.kept}
    assert kept["gate.shared_gate"] == "still referenced by gate.console_gate"
    assert kept["gate.employees"] == ("still referenced by dynamic_config.checkout_settings, gate.new_checkout, "
                                      "release_pipeline.Staged release")  # its staff phase passes employees
    assert kept["gate.console_gate"] == "protected by prune.protect"
    assert [s.address for s in plan.steps if s.action == "delete"] == []
    apply(emulator, plan)
    assert emulator.store.get("gates", "shared_gate") and emulator.store.get("gates", "employees")


def test_objects_pruned_together_are_deleted_referrer_first(emulator, examples):
    project = applied_project(emulator, examples)
    _console_gates(emulator, "shared_gate")
    emulator.console_create("gates", {"id": "console_gate", "rules": [
        {"name": "R", "passPercentage": 100, "conditions": [{"type": "passes_gate", "targetValue": "shared_gate"}]}]})
    plan = plan_for(emulator, project, prune=True)
    deletes = {s.address: s for s in plan.steps if s.action == "delete"}
    assert set(deletes) == {"gate.console_gate", "gate.shared_gate"}
    assert deletes["gate.shared_gate"].depends_on == ["gate.console_gate"]
    apply(emulator, plan)
    deleted = [r.path for r in emulator.log if r.method == "DELETE"]
    assert deleted == ["/console/v1/gates/console_gate", "/console/v1/gates/shared_gate"]


def test_deletes_run_after_the_steps_that_stop_referencing_them(emulator, examples):
    project = applied_project(emulator, examples)
    # new_checkout stops using employees, and employees leaves the repo
    edit(examples / "gates" / "new_checkout.yaml", "      - {type: passes_gate, targetValue: employees}\n",
         "      - {type: email, operator: str_contains_any, targetValue: ['@example.com']}\n")
    edit(examples / "dynamic_configs" / "checkout_settings.yaml", "[{type: passes_gate, targetValue: employees}]",
         "[{type: public}]")
    edit(examples / "release_pipelines" / "staged.yaml", "[{type: passes_gate, targetValue: [employees]}]",
         "[{type: public}]")
    (examples / "gates" / "employees.yaml").unlink()
    plan = plan_for(emulator, project, prune=True)
    delete = next(s for s in plan.steps if s.action == "delete")
    assert delete.address == "gate.employees"
    assert sorted(delete.depends_on) == ["dynamic_config.checkout_settings", "gate.new_checkout",
                                         "release_pipeline.Staged release"]
    outcomes = apply(emulator, plan)
    assert all(o.status == "applied" for o in outcomes.values())


def test_prune_scope_and_protect(emulator, examples):
    (examples / "statsync.yaml").write_text(
        "prune: {enabled: true, kinds: [gate], id_prefix: tmp_, protect: [gate.tmp_keep*]}\n")
    project = applied_project(emulator, examples)
    _console_gates(emulator, "tmp_one", "tmp_keep_me", "other_gate")
    emulator.console_create("dynamic_configs", {"name": "tmp_config"})
    plan = plan_for(emulator, project)
    assert [s.address for s in plan.steps] == ["gate.tmp_one"]
    assert [(k.address, k.reason) for k in plan.kept] == [("gate.tmp_keep_me", "protected by prune.protect")]
    assert plan.unmanaged == ["dynamic_config.tmp_config", "gate.other_gate"]


def test_prune_by_tag(emulator, examples):
    (examples / "statsync.yaml").write_text("prune: {enabled: true, tag: statsync}\n")
    project = applied_project(emulator, examples)
    _console_gates(emulator, "tagged_gate", tags=["statsync"])
    _console_gates(emulator, "untagged_gate")
    assert [s.address for s in plan_for(emulator, project).steps] == ["gate.tagged_gate"]


def test_ignore_rules_let_the_console_own_fields_and_are_counted(emulator, examples):
    path = examples / "gates" / "new_checkout.yaml"
    edit(path, "idType: userID\n", "idType: userID\nstatsync:\n  ignore: [rules.*.passPercentage]\n")
    project = applied_project(emulator, examples)
    live = emulator.store.get("gates", "new_checkout")
    rules = [dict(r, passPercentage=50) if r["name"] == "Everyone else" else r for r in live["rules"]]
    emulator.console_edit("gates", "new_checkout", {"rules": rules})
    plan = plan_for(emulator, project)
    assert not plan.has_changes and plan.ignored_count == 1
    edit(path, "New checkout flow", "The new checkout flow")
    edit(path, "passPercentage: 25", "passPercentage: 26")  # ignored: the console owns it
    plan = plan_for(emulator, project)
    [step] = plan.steps
    assert [c.path for c in step.changes] == ["description"] and len(step.ignored) == 2
    apply(emulator, plan)
    after = {r["name"]: r["passPercentage"] for r in emulator.store.get("gates", "new_checkout")["rules"]}
    assert after["Everyone else"] == 50 and after["Canada and Mexico"] == 25


def test_project_wide_ignore_with_a_kind_scope(emulator, examples):
    (examples / "statsync.yaml").write_text("ignore: ['dynamic_config:description']\n")
    project = applied_project(emulator, examples)
    emulator.console_edit("dynamic_configs", "mobile_home", {"description": "console text"})
    emulator.console_edit("gates", "employees", {"description": "console text"})
    plan = plan_for(emulator, project)
    assert [s.address for s in plan.steps] == ["gate.employees"] and plan.ignored_count == 1


def test_safety_thresholds(emulator, examples):
    project = applied_project(emulator, examples)
    _console_gates(emulator, *[f"old_gate_{i}" for i in range(7)])
    plan = plan_for(emulator, project, prune=True)
    safety = {"max_deletes": 5, "max_changed_percent": 100, "min_managed": 10}
    with pytest.raises(StatsyncError, match="refusing to delete 7 objects .* --allow-deletes 7 or --force"):
        check_safety(plan, safety)
    with pytest.raises(StatsyncError, match="does not match the plan, which deletes 7"):
        check_safety(plan, {**safety, "max_deletes": 10}, allow_deletes=6)
    check_safety(plan, safety, allow_deletes=7)
    check_safety(plan, safety, force=True)
    managed = EXAMPLE_OBJECTS + 7
    with pytest.raises(StatsyncError, match=rf"refusing to change 7 of {managed} managed objects \({700 / managed:.0f}% > "):
        check_safety(plan, {**safety, "max_deletes": 10, "max_changed_percent": 10})


def test_changes_needing_review_are_reported_as_pending(examples):
    import httpx

    from statsync.api.client import ConsoleClient
    from statsync.emulator.app import Emulator

    emulator = Emulator(reviews_required=True)
    project = applied_project(emulator, examples)
    edit(examples / "gates" / "employees.yaml", "Everyone with", "Anyone with")
    plan = plan_for(emulator, project)

    async def go():
        transport = httpx.ASGITransport(app=emulator.app)
        async with ConsoleClient("http://emu", "console-x", transport=transport, respect_review_settings=True) as c:
            return await apply_plan(plan, c)
    [outcome] = run(go())
    assert outcome.status == "pending_review" and outcome.ok
    live = emulator.store.get("gates", "employees")
    assert live["description"].startswith("Everyone") and live["activeReview"]["reviewStatus"] == "pending"
