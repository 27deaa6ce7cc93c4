"""Teams: written by name, addressed by the opaque id Statsig gives them; members sent as
emails and answered as users; a team's review requirement switched off is called out."""
import pytest

from statsync.errors import InvalidConfig
from tests.conftest import plan_apply, write

TEAM = """kind: team
id: Checkout
members: [ada@example.com, grace@example.com]
admins: [ada@example.com]
requireReviews: true
changeTeamConfigs: team_only
"""


def _team(emulator, name: str) -> dict:
    [team] = [t for t in emulator.store.collection("users/teams").values() if t["name"] == name]
    return team


def test_a_team_is_created_then_changed_at_its_opaque_id_and_the_next_plan_is_empty(emulator, tmp_path):
    plan, outcomes = plan_apply(emulator, write(tmp_path, TEAM))
    assert [o.status for o in outcomes] == ["applied"]
    team = _team(emulator, "Checkout")
    # answered as users, as TeamDto says; read back as the emails the file writes
    assert [m["email"] for m in team["members"]] == ["ada@example.com", "grace@example.com"]
    assert not plan_apply(emulator, write(tmp_path, TEAM), apply=False)[0].has_changes

    changed = write(tmp_path, TEAM.replace("grace@example.com", "alan@example.com"))
    emulator.log.clear()
    plan, outcomes = plan_apply(emulator, changed)
    [step] = plan.steps
    # the plan names the team; the request goes to the id the list taught the client
    assert [(r.method, r.path) for r in step.requests] == [("PATCH", "/users/teams/Checkout")]
    assert step.requests[0].body == {"members": ["ada@example.com", "alan@example.com"]}
    assert ("PATCH", f"/console/v1/users/teams/{team['id']}") in [(r.method, r.path) for r in emulator.log]
    assert [m["email"] for m in _team(emulator, "Checkout")["members"]] == ["ada@example.com", "alan@example.com"]
    assert not plan_apply(emulator, changed, apply=False)[0].has_changes


def test_pruning_deletes_a_team_at_its_id(emulator, tmp_path):
    plan_apply(emulator, write(tmp_path, TEAM + "---\nkind: team\nid: Search\n"))
    search_id = _team(emulator, "Search")["id"]
    emulator.log.clear()
    plan, outcomes = plan_apply(emulator, write(tmp_path, TEAM), prune=True)
    assert [(s.action, s.address) for s in plan.steps] == [("delete", "team.Search")]
    assert ("DELETE", f"/console/v1/users/teams/{search_id}") in [(r.method, r.path) for r in emulator.log]
    assert [t["name"] for t in emulator.store.collection("users/teams").values()] == ["Checkout"]


def test_switching_a_teams_review_requirement_off_is_called_out(emulator, tmp_path):
    plan_apply(emulator, write(tmp_path, TEAM))
    loosened = TEAM.replace("requireReviews: true", "requireReviews: false").replace("team_only", "anyone")
    plan, _ = plan_apply(emulator, write(tmp_path, loosened), apply=False)
    assert plan.weakened == ["team.Checkout: weakens a safeguard: requireReviews true → false",
                             'team.Checkout: weakens a safeguard: changeTeamConfigs "team_only" → "anyone"']


def test_a_teams_default_metrics_and_target_apps_are_references_created_first(emulator, tmp_path):
    repo = write(tmp_path, TEAM + "defaultExperimentPrimaryMetrics: [{name: revenue, type: sum}]\n"
                 "defaultTargetApplications: [iOS app]\n"
                 "---\nkind: target_app\nid: iOS app\n"
                 "---\nkind: metric\nid: revenue::sum\nmetricEvents: [{name: purchase, type: value}]\n")
    plan, outcomes = plan_apply(emulator, repo)
    assert [s.address for s in plan.steps][-1] == "team.Checkout"
    assert sorted(plan.steps[-1].depends_on) == ["metric.revenue::sum", "target_app.iOS app"]
    assert all(o.ok for o in outcomes), [(o.step.address, o.error) for o in outcomes]
    missing = write(tmp_path, TEAM + "defaultGateMetrics: [{name: nowhere, type: sum}]\n")
    with pytest.raises(InvalidConfig, match="metric 'nowhere::sum' does not exist"):
        plan_apply(emulator, missing, apply=False)


def test_a_team_create_whose_answer_is_lost_is_found_in_the_list_not_made_twice(emulator, tmp_path):
    """A team has no path of its own until Statsig answers its id: a dropped create is
    checked by reading the list, not retried into "already exists" (found by the faulty
    e2e emulator)."""
    emulator.faults.script("POST /users/teams 1 drop-after")
    plan, outcomes = plan_apply(emulator, write(tmp_path, TEAM))
    assert [o.status for o in outcomes] == ["applied"], [o.error for o in outcomes]
    assert [t["name"] for t in emulator.store.collection("users/teams").values()] == ["Checkout"]
    posts = [r for r in emulator.log if (r.method, r.path) == ("POST", "/console/v1/users/teams")]
    assert len(posts) == 1  # checked, not sent again
    assert not plan_apply(emulator, write(tmp_path, TEAM), apply=False)[0].has_changes


# An object's owning team, by name: a reference where the repository keeps its teams
# (checked, and the team made first), left as written where it does not (listing teams
# needs Enterprise), and never a reason to refuse a repository Statsig would take.
GATE_OF_CHECKOUT = "---\nkind: gate\nid: new_checkout\nteam: Checkout\n"


def test_a_team_named_where_the_repository_keeps_no_teams_is_sent_as_written_and_teams_are_not_read(
        emulator, tmp_path):
    repo = write(tmp_path, GATE_OF_CHECKOUT.lstrip("-\n"))
    emulator.log.clear()
    plan, outcomes = plan_apply(emulator, repo)
    assert all(o.ok for o in outcomes)
    assert plan.steps[0].requests[0].body["team"] == "Checkout"
    assert not [r for r in emulator.log if r.path.startswith("/console/v1/users/teams")]


def test_a_gate_waits_for_the_team_it_names_and_a_misspelt_team_is_refused(emulator, tmp_path):
    plan, outcomes = plan_apply(emulator, write(tmp_path, TEAM + GATE_OF_CHECKOUT))
    assert all(o.ok for o in outcomes), [(o.step.address, o.error) for o in outcomes]
    gate_step = next(s for s in plan.steps if s.kind == "gate")
    assert gate_step.depends_on == ["team.Checkout"]  # the team (last of the kinds) is made first
    assert emulator.store.get("gates", "new_checkout")["team"] == "Checkout"
    line = (TEAM + GATE_OF_CHECKOUT).splitlines().index("team: Checkout") + 1
    with pytest.raises(InvalidConfig, match=rf"objects.yaml:{line}:\d+: team: team 'Checkuot' does not exist"):
        plan_apply(emulator, write(tmp_path, TEAM + GATE_OF_CHECKOUT.replace("team: Checkout", "team: Checkuot")),
                   apply=False)


def test_a_team_whose_default_holdout_holds_its_own_gate_is_no_cycle(emulator, tmp_path):
    """Checkout's default holdout holds Checkout's gate: the team waits for the holdout, the
    holdout for the gate, so the gate does not wait for the team — the repository is taken."""
    repo = write(tmp_path, TEAM + "defaultHoldoutID: checkout_holdout\n" + GATE_OF_CHECKOUT +
                 "---\nkind: holdout\nid: checkout_holdout\npassPercentage: 2\ngateIDs: [new_checkout]\n")
    plan, outcomes = plan_apply(emulator, repo)
    steps = {s.address: s for s in plan.steps}
    assert steps["team.Checkout"].depends_on == ["holdout.checkout_holdout"]
    assert "team.Checkout" not in steps["gate.new_checkout"].depends_on
    assert all(o.ok for o in outcomes), [(o.step.address, o.error) for o in outcomes]
    assert not plan_apply(emulator, repo, apply=False)[0].has_changes
