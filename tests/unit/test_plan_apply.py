"""Plan and apply through the in-process emulator (the same code path as --target local)."""
from pathlib import Path

import pytest

from statsync.config import load_project
from statsync.executor import ApplyOptions
from statsync.kinds import all_kinds
from statsync.plan import build_plan
from statsync.references import references, separate_part
from statsync.workflow import apply_plan, load_desired, make_plan, read_live
from tests.conftest import client_for, run, EXAMPLE_OBJECTS, EXAMPLE_CREATES


def plan_and_apply(emulator, project, apply=True):
    async def go():
        async with client_for(emulator) as client:
            plan = await make_plan(project, client, "test")
            outcomes = await apply_plan(plan, client) if apply else []
            return plan, outcomes
    return run(go())


def test_examples_apply_then_plan_is_empty_despite_server_defaults_and_ids(emulator, examples):
    project = load_project((str(examples),))
    plan, outcomes = plan_and_apply(emulator, project)
    assert plan.count("create") == EXAMPLE_CREATES and {o.status for o in outcomes} == {"applied"}
    # the emulator filled defaults and generated rule ids, baseIDs and group ids
    live_gate = emulator.store.get("gates", "new_checkout")
    assert all(rule["baseID"] for rule in live_gate["rules"])
    assert emulator.store.get("experiments", "search_ranking")["groups"][0]["id"]
    second, _ = plan_and_apply(emulator, project, apply=False)
    assert not second.has_changes and second.unchanged == EXAMPLE_OBJECTS


def test_one_changed_percentage_is_exactly_one_change_and_keeps_rule_identity(emulator, examples):
    project = load_project((str(examples),))
    plan_and_apply(emulator, project)
    before = {r["name"]: r for r in emulator.store.get("gates", "new_checkout")["rules"]}
    path = examples / "gates" / "new_checkout.yaml"
    path.write_text(path.read_text().replace("passPercentage: 25", "passPercentage: 40"))

    plan, _ = plan_and_apply(emulator, project, apply=False)
    [step] = plan.steps
    assert (step.action, step.address) == ("update", "gate.new_checkout")
    assert [(c.path, c.before, c.after) for c in step.changes] == [
        ("rules[Canada and Mexico].passPercentage", 25, 40)]
    [request] = step.requests
    assert (request.method, request.path) == ("PATCH", "/gates/new_checkout")
    assert set(request.body) == {"rules"}
    sent = {r["name"]: r for r in request.body["rules"]}
    assert all(sent[name]["baseID"] == before[name]["baseID"] for name in before)
    assert sent["Canada and Mexico"]["id"] == before["Canada and Mexico"]["id"]

    plan_and_apply(emulator, project)
    after = {r["name"]: r for r in emulator.store.get("gates", "new_checkout")["rules"]}
    assert after["Canada and Mexico"]["baseID"] == before["Canada and Mexico"]["baseID"]
    assert after["Canada and Mexico"]["id"] != before["Canada and Mexico"]["id"]  # id carries the percentage
    final, _ = plan_and_apply(emulator, project, apply=False)
    assert not final.has_changes


def test_dynamic_config_updates_always_send_isEnabled(emulator, examples):
    project = load_project((str(examples),))
    plan_and_apply(emulator, project)
    path = examples / "dynamic_configs" / "mobile_home.yaml"
    path.write_text(path.read_text().replace("Layout of the mobile", "Layout of the phone"))
    # someone disabled it in the console; the YAML does not mention isEnabled
    emulator.console_edit("dynamic_configs", "mobile_home", {"isEnabled": False})
    plan, _ = plan_and_apply(emulator, project, apply=False)
    [step] = plan.steps
    assert step.requests[0].body["isEnabled"] is True  # the YAML's (default) state, said explicitly
    assert {c.path for c in step.changes} == {"description", "isEnabled"}


def test_reordering_rules_is_one_order_change(emulator, examples):
    project = load_project((str(examples),))
    plan_and_apply(emulator, project)
    live = emulator.store.get("gates", "new_checkout")
    emulator.console_edit("gates", "new_checkout", {"rules": list(reversed(live["rules"]))})
    plan, _ = plan_and_apply(emulator, project, apply=False)
    [step] = plan.steps
    assert [(c.path, c.note) for c in step.changes] == [("rules", "order")]
    assert [r["name"] for r in step.requests[0].body["rules"]] == ["Employees first", "Canada and Mexico", "Everyone else"]


def test_every_kind_is_applied_after_everything_it_references(emulator, examples):
    """The examples use every kind; each reference (gate → segment, experiment → layer and
    gate and metric, holdout → gate and layer, metric → metric source, a gate → its owning
    team, anything → tag, unit ID type, target app) is an
    edge the apply must respect, even with several steps running at once."""
    project = load_project((str(examples),))
    desired = load_desired(project)
    assert {obj.kind.name for obj in desired} == set(all_kinds())
    finished: list[str] = []

    async def go():
        async with client_for(emulator) as client:
            plan = await make_plan(project, client, "test")
            options = ApplyOptions(parallelism=8, on_outcome=lambda outcome: finished.append(outcome.step.address))
            return plan, await apply_plan(plan, client, options)
    plan, outcomes = run(go())
    assert {o.status for o in outcomes} == {"applied"}
    steps = {step.address: step for step in plan.steps}
    kinds = all_kinds()
    edges = [(f"{ref.target_kind}.{ref.target_kind if kinds[ref.target_kind].singleton else ref.target_id}",
              f"{obj.kind.name}.{obj.id}" + (f":{ref.path[0]}" if separate_part(obj.kind, ref.path) else ""))
             for obj in desired for ref in references(obj.kind, obj.body)]
    assert {target.split(".")[0] for target, _ in edges} == {"segment", "gate", "layer", "tag", "unit_id_type",
                                                            "target_app", "environments", "experiment", "metric",
                                                            "metric_source", "release_pipeline", "team"}
    for target, user in edges:
        if target == "environments.environments":
            assert target not in steps  # the examples' list is Statsig's default: nothing to wait for
            continue
        assert target in steps[user].depends_on, (user, target)
        assert finished.index(target) < finished.index(user), (target, user)


def test_a_failed_step_skips_its_dependents(emulator, examples):
    project = load_project((str(examples),))
    # make the employees gate fail on create: a console user takes the id after the plan was read
    emulator.console_create("gates", {"id": "employees"})
    desired = load_desired(project)

    async def go():
        async with client_for(emulator) as client:
            live = await read_live(client)
            live["gate"].pop("employees")  # plan as if it did not exist
            plan = build_plan(desired, live, "test")
            return await apply_plan(plan, client)
    outcomes = {o.step.address: o for o in run(go())}
    assert outcomes["gate.employees"].status == "failed"
    assert "already in use" in outcomes["gate.employees"].error
    assert outcomes["gate.new_checkout"].status == "skipped"
    assert outcomes["experiment.checkout_button_color"].status == "skipped"
    assert outcomes["gate.search_v2"].status == "applied"


def test_unmanaged_live_objects_are_listed_and_left_alone(emulator, examples):
    project = load_project((str(examples),))
    plan_and_apply(emulator, project)

    emulator.console_create("gates", {"id": "console_only_gate"})
    plan, _ = plan_and_apply(emulator, project, apply=False)
    assert plan.unmanaged == ["gate.console_only_gate"] and not plan.has_changes


def test_reading_live_state_costs_one_list_request_per_kind_per_100_objects(emulator, tmp_path: Path):
    gates = "".join(f"---\nkind: gate\nid: gate_{i:03}\n" for i in range(250))
    (tmp_path / "gates.yaml").write_text(gates)
    project = load_project((str(tmp_path),))
    plan_and_apply(emulator, project)

    async def go():
        async with client_for(emulator) as client:
            live = await read_live(client)
            return live, dict(client.requests)
    live, requests = run(go())
    assert len(live["gate"]) == 250
    assert requests == {"GET /gates": 3, "GET /dynamic_configs": 1, "GET /experiments": 1, "GET /tags": 1,
                        "GET /unit_id_types": 1, "GET /segments": 1, "GET /target_app": 1, "GET /layers": 1, "GET /holdouts": 1,
                        "GET /environments": 1, "GET /settings/project": 1, "GET /settings/reviews": 1,
                        "GET /settings/roles": 1, "GET /settings/teams": 1, "GET /roles": 1, "GET /metrics/list": 1,
                        "GET /metrics/metric_source/list": 1, "GET /keys": 1, "GET /users/teams": 1,
                        "GET /param_stores": 1, "GET /autotunes": 1,
                        "GET /release_pipelines": 1}


@pytest.mark.parametrize("field, value", [("description", "changed"), ("isEnabled", False)])
def test_console_edits_show_as_changes_back_to_the_repository(emulator, examples, field, value):
    project = load_project((str(examples),))
    plan_and_apply(emulator, project)
    emulator.console_edit("gates", "employees", {field: value}, name="Ada Lovelace")
    plan, _ = plan_and_apply(emulator, project, apply=False)
    [step] = plan.steps
    assert step.live.last_modifier_name == "Ada Lovelace"
    assert [c.path for c in step.changes] == [field]


def test_a_temporary_gate_statsig_marks_stale_is_no_perpetual_diff(emulator, examples):
    project = load_project((str(examples),))
    plan_and_apply(emulator, project)
    gate = emulator.store.get("gates", "new_checkout")  # type TEMPORARY (the default)
    gate.update(type="STALE", typeReason="STALE_PROBABLY_LAUNCHED")  # Statsig's own overlay
    plan, _ = plan_and_apply(emulator, project, apply=False)
    assert not plan.has_changes


def test_a_plan_reads_only_the_kinds_the_repository_holds_or_references(emulator, tmp_path):
    (tmp_path / "gates.yaml").write_text("kind: gate\nid: only_gate\n")
    project = load_project((str(tmp_path),))

    async def go():
        async with client_for(emulator) as client:
            await make_plan(project, client, "t")
            return dict(client.requests)
    assert run(go()) == {"GET /gates": 1}  # no tags or unit ID types named, none read
    (tmp_path / "gates.yaml").write_text("kind: gate\nid: only_gate\ntags: [x]\n")
    emulator.console_create("tags", {"name": "x", "description": ""})
    assert run(go()) == {"GET /gates": 1, "GET /tags": 1}


def test_only_and_kind_select_what_is_planned_and_pruned(emulator, tmp_path):
    """#14: --only KIND.ID (glob) and --kind; pruning stays inside the selection; a step that
    needs one left out is refused."""
    from statsync.config import load_project
    from statsync.errors import StatsyncError
    from statsync.workflow import make_plan, plan_options
    from tests.conftest import client_for, plan_apply, run, write

    live = write(tmp_path, "kind: gate\nid: old_one\n---\nkind: gate\nid: old_two\n---\nkind: tag\nid: team_a\n")
    plan_apply(emulator, live)
    repo = tmp_path / "new"
    repo.mkdir()
    (repo / "o.yaml").write_text("kind: gate\nid: checkout_a\ntags: [team_b]\n---\nkind: gate\nid: checkout_b\n"
                                 "---\nkind: gate\nid: search\n---\nkind: tag\nid: team_b\n")
    project = load_project((str(repo),))

    def planned(*only, prune=False):
        async def go():
            async with client_for(emulator) as client:
                return await make_plan(project, client, "t", plan_options(project, prune, only))
        return run(go())
    assert [s.address for s in planned("gate.checkout_b", "tag.*").steps] == ["tag.team_b", "gate.checkout_b"]
    selected = planned("gate.old_*", "gate.search", prune=True)
    assert sorted(s.address for s in selected.steps) == ["gate.old_one", "gate.old_two", "gate.search"]
    assert {s.action for s in selected.steps if s.id.startswith("old")} == {"delete"}
    assert selected.unselected == 4  # checkout_a, checkout_b, team_b and the tag team_a pruning would delete
    with pytest.raises(StatsyncError, match="gate.checkout_a waits for tag.team_b, which the selection leaves out"):
        planned("gate.checkout_*")
