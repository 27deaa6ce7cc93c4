"""Safe apply end to end: the CLI against a served emulator with faults switched on."""
import json
import re

import httpx
import pytest

from statsync.api.client import ConsoleClient
from statsync.config import load_project
from statsync.workflow import apply_plan, make_plan
from tests.conftest import run, EXAMPLE_OBJECTS
from tests.e2e.served import ServedEmulator, statsync

KEY = "console-e2e-safety"
ENV = {"STATSIG_CONSOLE_API_KEY": KEY}
FAULTY = ("--error-rate", "0.1", "--drop-rate", "0.1", "--seed", "9")
# the examples' own allowance for a first apply (examples/configs/statsync.yaml), kept where
# a test writes settings of its own
EXAMPLE_SAFETY = "safety: {max_first_creates: 40}\n"


@pytest.fixture
def served(tmp_path):
    emulator = ServedEmulator(tmp_path / "state.json", tmp_path / "emulator.log", *FAULTY)
    yield emulator
    emulator.stop()


def console(served, method, path, body=None, who="Ada Lovelace <ada@example.com>"):
    """A person's change in the console (the emulator's console-user header)."""
    headers = {"STATSIG-API-KEY": KEY, "X-Emulator-Console-User": who}
    dropped = False
    for _ in range(20):  # the emulator is faulty on purpose; a person would click again
        try:
            response = httpx.request(method, f"{served.url}/console/v1{path}", json=body, headers=headers)
        except httpx.TransportError:
            dropped = True
            continue
        if response.status_code == 400 and dropped and method == "POST":
            # the dropped attempt had created it: what the person sees is the object
            return console(served, "GET", f"{path}/{body['id']}")
        if response.status_code < 500:
            return response
    raise AssertionError("console change kept failing")


def cli(served, examples, *args):
    return statsync(*args, str(examples), "--api-url", served.url, env=ENV, timeout=120)


def test_a_console_edit_between_plan_and_apply_is_a_conflict_and_is_kept(served, examples):
    assert cli(served, examples, "apply", "--auto-approve").returncode == 0
    path = examples / "gates" / "employees.yaml"
    path.write_text(path.read_text().replace("Everyone with", "Anyone with"))
    project = load_project((str(examples),))

    async def go():
        async with ConsoleClient(served.url, KEY) as client:
            plan = await make_plan(project, client, "served")
            assert console(served, "PATCH", "/gates/employees", {"description": "Kept by Ada"}).status_code == 200
            return await apply_plan(plan, client)
    [outcome] = run(go())
    assert outcome.status == "conflict" and "by Ada Lovelace <ada@example.com>" in outcome.error
    live = console(served, "GET", "/gates/employees").json()["data"]
    assert live["description"] == "Kept by Ada" and live["lastModifierName"] == "Ada Lovelace"


def test_prune_protect_and_references_through_the_cli(served, examples):
    (examples / "statsync.yaml").write_text("prune: {protect: [gate.keep_*]}\n" + EXAMPLE_SAFETY)
    assert cli(served, examples, "apply", "--auto-approve").returncode == 0
    for gate in ("stray_gate", "keep_this"):
        assert console(served, "POST", "/gates", {"id": gate}).status_code in (200, 201)
    rule = {"name": "R", "passPercentage": 100, "conditions": [{"type": "passes_gate", "targetValue": "stray_gate"}]}
    assert console(served, "POST", "/gates", {"id": "keep_user", "rules": [rule]}).status_code in (200, 201)

    without = cli(served, examples, "plan", "--detailed-exitcode")
    assert without.returncode == 0 and "3 live object(s) not in the repository are left alone" in without.stdout
    pruned = cli(served, examples, "apply", "--prune", "--auto-approve")
    assert pruned.returncode == 0, pruned.stdout + pruned.stderr
    assert "Not deleting gate.keep_this: protected by prune.protect." in pruned.stdout
    assert "Not deleting gate.stray_gate: still referenced by gate.keep_user." in pruned.stdout
    assert "No changes" in pruned.stdout


def test_safety_thresholds_through_the_cli(served, examples):
    assert cli(served, examples, "apply", "--auto-approve").returncode == 0
    for i in range(6):
        console(served, "POST", "/gates", {"id": f"old_gate_{i}"})
    refused = cli(served, examples, "apply", "--prune", "--auto-approve")
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines()[-1] == (
        "error: refusing to delete 6 objects (safety.max_deletes is 5); check the plan, then pass "
        "--allow-deletes 6 or --force")
    wrong = cli(served, examples, "apply", "--prune", "--auto-approve", "--allow-deletes", "5")
    assert wrong.returncode == 1 and "which deletes 6" in wrong.stderr
    allowed = cli(served, examples, "apply", "--prune", "--auto-approve", "--allow-deletes", "6")
    assert allowed.returncode == 0 and "Apply finished: 6 applied" in allowed.stdout

    (examples / "statsync.yaml").write_text("safety: {max_changed_percent: 5, min_managed: 5, max_first_creates: 40}\n")
    for name in ("employees", "search_v2"):
        path = examples / "gates" / f"{name}.yaml"
        path.write_text(path.read_text().replace("description: ", "description: Changed. "))
    changed = cli(served, examples, "apply", "--auto-approve")
    # search_v2.yaml holds two gates: three objects change, past 5 % of the examples
    assert 300 / EXAMPLE_OBJECTS > 5 and changed.returncode == 1
    assert f"refusing to change 3 of {EXAMPLE_OBJECTS} managed objects ({300 / EXAMPLE_OBJECTS:.0f}% > " \
           "safety.max_changed_percent 5%)" in changed.stderr
    assert cli(served, examples, "apply", "--auto-approve", "--force").returncode == 0


def test_ignore_rules_through_the_cli(served, examples):
    (examples / "statsync.yaml").write_text("ignore: ['gate:rules.*.passPercentage']\n" + EXAMPLE_SAFETY)
    assert cli(served, examples, "apply", "--auto-approve").returncode == 0
    live = console(served, "GET", "/gates/new_checkout").json()["data"]
    rules = [dict(r, passPercentage=77) for r in live["rules"]]
    console(served, "PATCH", "/gates/new_checkout", {"rules": rules})
    plan = cli(served, examples, "plan", "--detailed-exitcode")
    assert plan.returncode == 0 and "3 live difference(s) left alone by ignore rules." in plan.stdout


def test_review_mode_reports_pending_reviews(tmp_path, examples):
    emulator = ServedEmulator(tmp_path / "r.json", tmp_path / "r.log", "--reviews-required")
    try:
        assert cli(emulator, examples, "apply", "--auto-approve").returncode == 0
        path = examples / "gates" / "employees.yaml"
        path.write_text(path.read_text().replace("Everyone with", "Anyone with"))
        result = cli(emulator, examples, "apply", "--auto-approve", "--respect-review-settings")
        assert result.returncode == 0, result.stdout + result.stderr
        assert re.search(r"\[1/1\] pending_review update gate.employees", result.stdout)
        assert "Apply finished: 0 applied, 1 pending review" in result.stdout
        # the change is not live yet, so the plan still shows it
        assert cli(emulator, examples, "plan", "--detailed-exitcode").returncode == 2
        journal = sorted((examples / ".statsync" / "journal").glob("*.ndjson"))[-1].read_text()
        assert json.loads(journal.splitlines()[-1])["pending_review"] == 1
    finally:
        emulator.stop()


def _generated_gates(repo, count):
    (repo / "gates").mkdir(parents=True, exist_ok=True)
    (repo / "gates" / "many.yaml").write_text("".join(
        f"---\nkind: gate\nid: generated_{i}\ndescription: Gate {i}.\n" for i in range(count)))


def test_a_first_apply_of_many_creates_asks_which_project(tmp_path):
    """A valid key for the wrong (empty) project must not quietly receive 25 creates."""
    served = ServedEmulator(tmp_path / "s.json", tmp_path / "e.log")
    try:
        repo = tmp_path / "repo"
        _generated_gates(repo, 25)
        refused = statsync("apply", str(repo), "--api-url", served.url, "--auto-approve", env=ENV)
        assert refused.returncode == 1
        assert refused.stderr.strip().splitlines()[-1] == (
            "error: refusing to create 25 objects in a project where none of the repository's objects exist yet "
            "(safety.max_first_creates is 20): is this the right project? Check the target (or pin it with "
            "project_id), then pass --allow-creates 25 or --force")
        assert "POST /console/v1/gates" not in served.output
        wrong = statsync("apply", str(repo), "--api-url", served.url, "--auto-approve", "--allow-creates", "24",
                         env=ENV)
        assert wrong.returncode == 1 and "which creates 25" in wrong.stderr
        allowed = statsync("apply", str(repo), "--api-url", served.url, "--auto-approve", "--allow-creates", "25",
                           env=ENV)
        assert allowed.returncode == 0, allowed.stderr
        # once the project holds the repository's objects, growth is ordinary: no question
        _generated_gates(repo, 50)
        grown = statsync("apply", str(repo), "--api-url", served.url, "--auto-approve", env=ENV)
        assert grown.returncode == 0 and "25 to create" in grown.stdout
    finally:
        served.stop()


def test_a_target_pinned_to_a_project_refuses_a_key_for_another(tmp_path, examples):
    served = ServedEmulator(tmp_path / "s.json", tmp_path / "e.log", "--project-id", "proj_staging")
    try:
        def settings(project_id):
            (examples / "statsync.yaml").write_text(
                f"targets:\n  prod:\n    api_url: {served.url}\n    project_id: {project_id}\n" + EXAMPLE_SAFETY)
        settings("proj_production")
        for command in (("plan",), ("apply", "--auto-approve")):
            refused = statsync(*command, str(examples), "--target", "prod", env=ENV)
            assert refused.returncode == 1
            assert refused.stderr.strip() == ("error: target prod is project 'proj_production', but the key in "
                                              "STATSIG_CONSOLE_API_KEY is for project 'proj_staging'; nothing was "
                                              "read or written")
        requests = [line for line in served.output.splitlines() if "/console/v1/" in line]
        assert requests and all("GET /console/v1/project" in line for line in requests)
        settings("proj_staging")
        assert statsync("apply", str(examples), "--target", "prod", "--auto-approve", env=ENV).returncode == 0
    finally:
        served.stop()
