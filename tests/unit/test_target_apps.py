"""Target apps: named by name, referenced from targetApps, description write-only."""
from pathlib import Path

import pytest

from statsync.config import load_project
from statsync.errors import InvalidConfig
from statsync.importer import write_all
from statsync.workflow import apply_plan, load_desired, make_plan, read_live
from tests.conftest import client_for, run

OBJECTS = """kind: target_app
id: iOS app
description: The iPhone and iPad app
---
kind: gate
id: ios_only_gate
targetApps: [iOS app]
"""


def setup(emulator, tmp_path: Path, text: str = OBJECTS):
    repo = tmp_path / "repo"
    repo.mkdir(exist_ok=True)
    (repo / "objects.yaml").write_text(text)
    project = load_project((str(repo),))

    async def go():
        async with client_for(emulator) as client:
            plan = await make_plan(project, client, "t")
            return plan, await apply_plan(plan, client)
    return run(go())


def test_a_target_app_is_created_before_what_targets_it_and_does_not_drift(emulator, tmp_path):
    plan, outcomes = setup(emulator, tmp_path)
    assert [s.address for s in plan.steps] == ["target_app.iOS app", "gate.ios_only_gate"]
    assert plan.steps[0].requests[0].body == {"name": "iOS app", "description": "The iPhone and iPad app"}
    assert plan.steps[1].depends_on == ["target_app.iOS app"]
    assert [o.status for o in outcomes] == ["applied", "applied"]
    # Statsig never returns the description, so it cannot be compared (or drift)
    again, _ = setup(emulator, tmp_path, OBJECTS.replace("iPhone and iPad", "iPhone"))
    assert not again.has_changes


def test_targetApps_must_name_a_target_app(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "g.yaml").write_text("kind: gate\nid: some_gate\ntargetApps: [Android]\n")
    with pytest.raises(InvalidConfig, match="targetApps\\[0\\]: target_app 'Android' does not exist in the repository"):
        load_desired(load_project((str(repo),)))


def test_import_writes_target_apps_without_the_unreadable_description(emulator, tmp_path):
    setup(emulator, tmp_path)

    async def go():
        async with client_for(emulator) as client:
            return await read_live(client)
    result = write_all(run(go()), tmp_path / "imported", target="t")
    assert result.unrepresentable == [] and result.not_round_tripping == []
    assert (tmp_path / "imported" / "target_apps" / "iOS app.yaml").read_text() == \
        "# yaml-language-server: $schema=../schemas/target_app.json\nkind: target_app\nid: iOS app\n"


@pytest.mark.parametrize("reading", ["name", "id"])
def test_a_target_app_whose_name_is_refused_in_paths_is_pruned_by_its_id(tmp_path, reading):
    """The spec's path parameter is `{id}` (EVIDENCE.md, unproven): where the name is a
    404, statsync finds the id in the list, and keeps to it for the rest of the run."""
    from statsync.emulator.app import Emulator
    from statsync.emulator.readings import Readings
    from tests.conftest import plan_apply, write

    emulator = Emulator(seed=7, check_responses=True, readings=Readings(target_app_path=reading))
    server_id = emulator.console_create("target_app", {"name": "old_web", "description": ""})["id"]
    repo = write(tmp_path, "kind: gate\nid: kept\n")
    plan, outcomes = plan_apply(emulator, repo, prune=True)
    assert [step.object_address for step in plan.steps if step.action == "delete"] == ["target_app.old_web"]
    assert all(outcome.ok for outcome in outcomes), [(o.step.address, o.error) for o in outcomes]
    assert emulator.store.collection("target_app") == {}
    sent = [(r.method, r.path.removeprefix("/console/v1"), r.status) for r in emulator.log
            if r.path.startswith("/console/v1/target_app/")]
    if reading == "id":  # the conflict check's read is refused once; the delete then goes by id at once
        assert sent == [("GET", "/target_app/old_web", 404), ("GET", f"/target_app/{server_id}", 200),
                        ("DELETE", f"/target_app/{server_id}", 200)]
    else:
        assert sent == [("GET", "/target_app/old_web", 200), ("DELETE", "/target_app/old_web", 200)]
