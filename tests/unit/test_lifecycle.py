"""Lifecycles as plan steps: status changes call Statsig's lifecycle endpoints, in order."""
from pathlib import Path

import pytest

from statsync.config import load_project
from statsync.errors import InvalidConfig
from statsync.lifecycle import Refused, path
from statsync.kinds import get
from statsync.workflow import apply_plan, make_plan
from tests.conftest import client_for, run

EXPERIMENT = """kind: experiment
id: checkout_test
description: Checkout test
groups:
  - {name: Control, size: 50, parameterValues: {color: blue}}
  - {name: Green, size: 50, parameterValues: {color: green}}
allocation: 50
"""


def plan_apply(emulator, repo: Path, apply=True):
    project = load_project((str(repo),))

    async def go():
        async with client_for(emulator) as client:
            plan = await make_plan(project, client, "t")
            return plan, (await apply_plan(plan, client) if apply else [])
    return run(go())


def write(repo: Path, text: str) -> Path:
    repo.mkdir(exist_ok=True)
    path = repo / "objects.yaml"
    path.write_text(text)
    return path


def puts(emulator) -> list[str]:
    return [r.path.rsplit("/", 1)[1] for r in emulator.log if r.method == "PUT"]


def test_an_experiment_moves_setup_active_decision_by_editing_yaml(emulator, tmp_path):
    repo = tmp_path / "repo"
    write(repo, EXPERIMENT)
    plan_apply(emulator, repo)
    write(repo, EXPERIMENT + "status: active\n")
    plan, outcomes = plan_apply(emulator, repo)
    assert [(s.address, s.expect_status) for s in plan.steps] == [("experiment.checkout_test:start", "setup")]
    assert emulator.store.get("experiments", "checkout_test")["status"] == "active"
    write(repo, EXPERIMENT + "status: decision_made\nlaunchedGroupID: Green\ndecisionReason: Green converts better\n")
    plan, outcomes = plan_apply(emulator, repo)
    [step] = plan.steps
    green = next(g["id"] for g in emulator.store.get("experiments", "checkout_test")["groups"] if g["name"] == "Green")
    assert step.requests[0].body == {"id": green, "decisionReason": "Green converts better"}
    live = emulator.store.get("experiments", "checkout_test")
    assert (live["status"], live["launchedGroupID"]) == ("decision_made", green)
    assert puts(emulator) == ["start", "make_decision"]
    again, _ = plan_apply(emulator, repo, apply=False)
    assert not again.has_changes


def test_a_new_experiment_asked_to_run_is_created_running_in_one_request(emulator, tmp_path):
    # POST /experiments takes status setup or active (DIGEST §17.1): no create-then-start
    repo = tmp_path / "repo"
    write(repo, EXPERIMENT + "status: active\n")
    plan, outcomes = plan_apply(emulator, repo)
    [step] = plan.steps
    assert step.address == "experiment.checkout_test" and step.requests[0].body["status"] == "active"
    assert [o.status for o in outcomes] == ["applied"] and plan.request_count == 1
    live = emulator.store.get("experiments", "checkout_test")
    assert live["status"] == "active" and live["startTime"] is not None
    assert not plan_apply(emulator, repo, apply=False)[0].has_changes


def test_an_existing_experiment_is_started_by_its_own_step_after_its_update(emulator, tmp_path):
    repo = tmp_path / "repo"
    write(repo, EXPERIMENT)
    plan_apply(emulator, repo)
    write(repo, EXPERIMENT.replace("allocation: 50", "allocation: 60") + "status: active\n")
    plan, outcomes = plan_apply(emulator, repo)
    assert [s.address for s in plan.steps] == ["experiment.checkout_test", "experiment.checkout_test:start"]
    assert plan.steps[1].depends_on == ["experiment.checkout_test"]
    assert [o.status for o in outcomes] == ["applied", "applied"]


@pytest.mark.parametrize("edit, message", [
    ("allocation: 50", "objects.yaml:8:9: status: allocation can only increase while the status is active (50 → 40)"),
    ("color: green}", "objects.yaml:8:9: status: groups cannot change while the status is active"),
])
def test_forbidden_edits_of_a_running_experiment_are_refused_at_plan_time(emulator, tmp_path, edit, message):
    repo = tmp_path / "repo"
    write(repo, EXPERIMENT + "status: active\n")
    plan_apply(emulator, repo)
    changed = EXPERIMENT.replace("allocation: 50", "allocation: 40") if "allocation" in edit else \
        EXPERIMENT.replace("color: green}", "color: red}")
    write(repo, changed + "status: active\n")
    with pytest.raises(InvalidConfig) as caught:
        plan_apply(emulator, repo, apply=False)
    assert str(caught.value).startswith(str(repo / message.split(":", 1)[0]) + ":" + message.split(":", 1)[1])


def test_going_back_from_decision_made_is_refused(emulator, tmp_path):
    repo = tmp_path / "repo"
    write(repo, EXPERIMENT + "status: active\n")
    plan_apply(emulator, repo)
    write(repo, EXPERIMENT + "status: decision_made\nlaunchedGroupID: Control\n")
    plan_apply(emulator, repo)
    write(repo, EXPERIMENT + "status: active\n")
    with pytest.raises(InvalidConfig, match="objects.yaml:8:9: status: cannot go from decision_made to active: "
                                            "a decision is final"):
        plan_apply(emulator, repo, apply=False)


def test_gate_launch_archive_and_unarchive_are_ordered_around_the_update(emulator, tmp_path):
    repo = tmp_path / "repo"
    write(repo, "kind: gate\nid: life_gate\nstatus: Launched\n")
    plan, _ = plan_apply(emulator, repo)
    assert [s.address for s in plan.steps] == ["gate.life_gate", "gate.life_gate:launch"]
    write(repo, "kind: gate\nid: life_gate\nstatus: Archived\ndescription: retired\n")
    plan, _ = plan_apply(emulator, repo)
    assert [s.address for s in plan.steps] == ["gate.life_gate", "gate.life_gate:archive"]  # edit, then archive
    write(repo, "kind: gate\nid: life_gate\nstatus: Launched\ndescription: back\n")
    plan, outcomes = plan_apply(emulator, repo)
    assert [s.address for s in plan.steps] == ["gate.life_gate:unarchive", "gate.life_gate", "gate.life_gate:launch"]
    assert all(o.status == "applied" for o in outcomes)
    assert puts(emulator) == ["launch", "archive", "unarchive", "launch"]
    live = emulator.store.get("gates", "life_gate")
    assert (live["status"], live["description"]) == ("Launched", "back")


def test_an_archived_object_cannot_be_edited_without_leaving_archived(emulator, tmp_path):
    repo = tmp_path / "repo"
    write(repo, "kind: dynamic_config\nid: old_config\nstatus: Archived\n")
    plan_apply(emulator, repo)
    write(repo, "kind: dynamic_config\nid: old_config\nstatus: Archived\ndescription: edited\n")
    with pytest.raises(InvalidConfig, match="the object is Archived and Statsig does not allow edits \\(description\\)"):
        plan_apply(emulator, repo, apply=False)


def test_a_status_change_made_in_the_console_meanwhile_is_a_conflict(emulator, tmp_path):
    repo = tmp_path / "repo"
    write(repo, "kind: gate\nid: race_gate\n")
    plan_apply(emulator, repo)
    write(repo, "kind: gate\nid: race_gate\nstatus: Launched\n")
    project = load_project((str(repo),))

    async def go():
        async with client_for(emulator) as client:
            plan = await make_plan(project, client, "t")
            emulator.console_edit("gates", "race_gate", {"isEnabled": False}, name="Ada Lovelace")
            return await apply_plan(plan, client)
    [outcome] = run(go())
    assert outcome.status == "conflict" and "race_gate is 'Disabled', not 'In Progress'" in outcome.error
    assert "Ada Lovelace" in outcome.error


def test_contradictions_are_validation_errors(tmp_path):
    from statsync.loader import load_text
    from statsync.validate import desired_objects

    with pytest.raises(InvalidConfig, match="f.yaml:3:9: status: 'Launched' contradicts isEnabled: true"):
        desired_objects(load_text("kind: gate\nid: bad_gate\nstatus: Launched\nisEnabled: true\n", "f.yaml"))
    with pytest.raises(InvalidConfig, match="'Blue' is not one of the groups"):
        desired_objects(load_text(EXPERIMENT + "status: decision_made\nlaunchedGroupID: Blue\n", "f.yaml"))
    with pytest.raises(InvalidConfig, match="decision_made needs launchedGroupID"):
        desired_objects(load_text(EXPERIMENT + "status: decision_made\n", "f.yaml"))


def test_paths_between_statuses():
    lifecycle = get("experiment").lifecycle
    assert [t.action for t in path(lifecycle, "setup", "decision_made")] == ["start", "make_decision"]
    with pytest.raises(Refused, match="no way from active to archived"):
        path(lifecycle, "active", "archived")  # deciding or abandoning is the user's call
    assert [t.action for t in path(lifecycle, "abandoned", "archived")] == ["archive"]
    assert path(lifecycle, "active", "active") == []
    with pytest.raises(Refused, match="a decision is final"):
        path(lifecycle, "decision_made", "setup")


def test_a_launched_gate_plans_empty_and_isEnabled_is_never_sent(emulator, tmp_path):
    """Statsig answers a launched gate with isEnabled false (EVIDENCE.md #2): the next plan
    must not PATCH isEnabled back, which would un-launch the gate."""
    repo = tmp_path / "repo"
    write(repo, "kind: gate\nid: shipped\nrules:\n  - {name: All, passPercentage: 10, conditions: [{type: public}]}\n")
    plan_apply(emulator, repo)
    write(repo, "kind: gate\nid: shipped\nstatus: Launched\n"
                "rules:\n  - {name: All, passPercentage: 10, conditions: [{type: public}]}\n")
    plan_apply(emulator, repo)
    live = emulator.store.get("gates", "shipped")
    assert (live["status"], live["isEnabled"]) == ("Launched", False)
    again, _ = plan_apply(emulator, repo, apply=False)
    assert not again.steps
    # the file no longer says Launched (someone removed the line): the launch is left alone
    write(repo, "kind: gate\nid: shipped\ndescription: kept\n"
                "rules:\n  - {name: All, passPercentage: 10, conditions: [{type: public}]}\n")
    plan, _ = plan_apply(emulator, repo)
    assert [c.path for s in plan.steps for c in s.changes] == ["description"]
    sent = [r.body for s in plan.steps for r in s.requests]
    assert all("isEnabled" not in (body or {}) for body in sent), sent
    assert emulator.store.get("gates", "shipped")["status"] == "Launched"


def test_a_launched_gate_imports_to_yaml_that_validates_and_plans_empty(emulator, tmp_path):
    from statsync.importer import document
    from statsync.kinds import get as kind
    import yaml

    repo = tmp_path / "repo"
    write(repo, "kind: gate\nid: shipped\nstatus: Launched\n")
    plan_apply(emulator, repo)
    async def read():
        async with client_for(emulator) as client:
            return await client.get("/gates/shipped")
    doc, problems = document(kind("gate"), run(read()))
    assert not problems and doc["status"] == "Launched" and "isEnabled" not in doc
    write(repo, yaml.safe_dump(doc))
    again, _ = plan_apply(emulator, repo, apply=False)  # validates, and plans nothing
    assert not again.steps


@pytest.mark.parametrize("kind, status", [("gate", "Disabled"), ("dynamic_config", "Disabled")])
def test_status_disabled_without_isEnabled_converges(emulator, tmp_path, kind, status):
    """EVIDENCE.md #1: apply disabled it, and the next plan PATCHed isEnabled back to true."""
    repo = tmp_path / "repo"
    write(repo, f"kind: {kind}\nid: off_{kind}\nstatus: {status}\n")
    plan_apply(emulator, repo)
    for _ in range(2):
        again, _ = plan_apply(emulator, repo)
        assert not again.steps


@pytest.mark.parametrize("settings, body", [("", {}), ("statsync: {forceArchive: true}\n", {"forceArchive": True})])
def test_archiving_sends_force_archive_only_when_the_object_asks(emulator, tmp_path, settings, body):
    """ArchiveSchemaDto.forceArchive: docs tie archiving to 0 checks in 7 days (EVIDENCE.md)."""
    write(tmp_path, "kind: gate\nid: old_flag\n")
    plan_apply(emulator, tmp_path)
    write(tmp_path, "kind: gate\nid: old_flag\nstatus: Archived\n" + settings)
    plan, outcomes = plan_apply(emulator, tmp_path)
    [step] = plan.steps
    assert (step.action, step.requests[0].body) == ("archive", body) and all(o.ok for o in outcomes)
