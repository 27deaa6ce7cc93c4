"""The environment list: one object per project, sent whole, production kept, and the
names rules use checked against it."""
import pytest

from statsync.config import load_project
from statsync.emulator.entities import environments, set_environments
from statsync.errors import InvalidConfig
from statsync.workflow import apply_plan, make_plan, validate_online
from tests.conftest import client_for, plan_apply, run, write

ENTRY = "  - {{name: {}, isProduction: {}, requiresReview: {}, requiresReleasePipeline: false}}\n"


def env_list(*entries):
    return "kind: environments\nid: environments\nenvironments:\n" + "".join(
        ENTRY.format(name, str(production).lower(), str(review).lower()) for name, production, review in entries)


DEFAULT = [("development", False, False), ("staging", False, False), ("production", True, False)]
QA_GATE = """---
kind: gate
id: qa_gate
rules:
  - name: QA only
    passPercentage: 100
    environments: [qa]
    conditions: [{type: environment_tier, operator: any, targetValue: [qa]}]
"""


def test_adding_an_environment_sends_the_whole_list_keeping_ids_and_gates_wait_for_it(emulator, tmp_path):
    repo = write(tmp_path, env_list(*DEFAULT[:2], ("qa", False, True), DEFAULT[2]) + QA_GATE)
    plan, outcomes = plan_apply(emulator, repo)
    env_step, gate_step = plan.steps
    assert env_step.address == "environments.environments" and gate_step.depends_on == [env_step.address]
    [request] = env_step.requests
    assert (request.method, request.path) == ("POST", "/environments")
    assert [(e["name"], e.get("id")) for e in request.body["environments"]] == [
        ("development", "0.1"), ("staging", "0.2"), ("qa", None), ("production", "0.3")]
    assert {o.status for o in outcomes} == {"applied"}
    assert not plan_apply(emulator, repo, apply=False)[0].has_changes


@pytest.mark.parametrize("entries", [DEFAULT[:2], [*DEFAULT[:2], ("prod", True, False)],
                                     [*DEFAULT[:2], ("production", False, False), ("prod", True, False)]],
                         ids=["removed", "renamed", "unflagged"])
def test_the_production_environment_is_never_removed_or_renamed(emulator, tmp_path, entries):
    repo = write(tmp_path, env_list(*entries))
    with pytest.raises(InvalidConfig) as caught:
        plan_apply(emulator, repo, apply=False)
    assert str(caught.value.problems[0]).replace(f"{repo}/", "") == (
        "objects.yaml:4:3: environments: 'production' (isProduction) cannot be removed or renamed in Statsig; keep an "
        "entry named 'production' with isProduction: true (its review flags may change)")


def test_the_production_environments_review_flags_are_the_teams(emulator, tmp_path):
    """TF-test `tests/test_resources/environments.tf` sets production's requires_review
    through the API and expects an empty plan after."""
    repo = write(tmp_path, env_list(*DEFAULT[:2], ("production", True, True)))
    plan, outcomes = plan_apply(emulator, repo)
    assert {o.status for o in outcomes} == {"applied"}
    production = environments(emulator.store)["environments"][2]
    assert (production["name"], production["id"], production["requiresReview"]) == ("production", "0.3", True)
    assert not plan_apply(emulator, repo, apply=False)[0].has_changes


def test_rule_environments_must_be_on_the_list(emulator, tmp_path):
    # the repository holds the list: it is the truth, offline and online
    repo = write(tmp_path, env_list(*DEFAULT) + QA_GATE)
    with pytest.raises(InvalidConfig) as caught:
        plan_apply(emulator, repo, apply=False)
    assert [str(p).replace(f"{repo}/", "") for p in caught.value.problems] == [
        "objects.yaml:13:20: rules[0].environments[0]: 'qa' is not in the environment list (in the repository or "
        "the live project)",
        "objects.yaml:14:71: rules[0].conditions[0].targetValue: 'qa' is not in the environment list (in the "
        "repository or the live project)"]
    # without the list in the repository, names are checked against the live project
    repo = write(tmp_path, QA_GATE.removeprefix("---\n"))
    (repo / "objects.yaml").write_text(QA_GATE.removeprefix("---\n").replace("[qa]", "[staging]"))
    project = load_project((str(repo),))

    async def validate():
        async with client_for(emulator) as client:
            return await validate_online(project, client)
    assert len(run(validate())) == 1
    (repo / "objects.yaml").write_text(QA_GATE.removeprefix("---\n"))
    with pytest.raises(InvalidConfig, match="'qa' is not in the environment list"):
        run(validate())


def test_a_console_edit_after_planning_is_a_conflict_not_overwritten(emulator, tmp_path):
    repo = write(tmp_path, env_list(*DEFAULT[:2], ("qa", False, False), DEFAULT[2]))
    project = load_project((str(repo),))

    async def go():
        async with client_for(emulator) as client:
            plan = await make_plan(project, client, "t")
            development, staging, production = environments(emulator.store)["environments"]
            perf = {**staging, "id": None, "name": "perf"}  # someone adds an environment in the console
            set_environments(emulator.store, [development, staging, perf, production])
            return await apply_plan(plan, client)
    [outcome] = run(go())
    assert outcome.status == "conflict"
    assert [e["name"] for e in emulator.store.get("environments", "list")["environments"]] == [
        "development", "staging", "perf", "production"]


def test_the_list_is_never_pruned_or_reported_unmanaged(emulator, tmp_path):
    repo = write(tmp_path, "kind: gate\nid: any_gate\n")
    plan, _ = plan_apply(emulator, repo, prune=True)
    assert [s.address for s in plan.steps] == ["gate.any_gate"] and plan.unmanaged == []


def test_the_list_is_read_only_when_a_rule_names_an_environment_no_live_rule_uses(emulator, tmp_path):
    repo = write(tmp_path, QA_GATE.removeprefix("---\n").replace("[qa]", "[staging]"))
    plan_apply(emulator, repo)  # reads the list once: staging was new to the project
    emulator.log.clear()
    assert not plan_apply(emulator, repo, apply=False)[0].has_changes
    assert [r.path for r in emulator.log if r.path.endswith("/environments")] == []  # staging is in use live
    (repo / "objects.yaml").write_text(QA_GATE.removeprefix("---\n").replace("[qa]", "[development]"))
    plan, _ = plan_apply(emulator, repo, apply=False)
    assert [r.path for r in emulator.log if r.path.endswith("/environments")] == ["/console/v1/environments"]
    assert plan.count("update") == 1
