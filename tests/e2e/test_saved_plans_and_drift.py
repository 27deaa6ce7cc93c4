"""Pull-request and drift loops end to end: saved plans that refuse stale applies, drift reports."""
import json

import httpx

from tests.conftest import EXAMPLE_CREATES, EXAMPLE_OBJECTS
from tests.e2e.served import statsync

KEY = "console-e2e-saved"
ENV = {"STATSIG_CONSOLE_API_KEY": KEY}


def cli(served, *args):
    return statsync(*args, "--api-url", served.url, env=ENV, timeout=120)


def console_edit(served, path, body, who="Ada Lovelace <ada@example.com>"):
    response = httpx.patch(f"{served.url}/console/v1{path}", json=body,
                           headers={"STATSIG-API-KEY": KEY, "X-Emulator-Console-User": who})
    response.raise_for_status()


def mutations(served):
    return [line.split()[1:3] for line in served.output.splitlines()
            if line.split()[1:2] and line.split()[1] in ("POST", "PATCH", "PUT", "DELETE")]


def change_examples(examples):
    for name, old, new in (("employees", "Everyone with", "Anyone with"), ("new_checkout", "passPercentage: 25", "passPercentage: 30")):
        path = examples / "gates" / f"{name}.yaml"
        path.write_text(path.read_text().replace(old, new))


def test_saved_plan_refuses_after_a_console_edit_naming_object_and_editor(served, examples, tmp_path):
    assert cli(served, "apply", str(examples), "--auto-approve").returncode == 0
    change_examples(examples)
    saved = tmp_path / "plan.json"
    assert cli(served, "plan", str(examples), "--out", str(saved)).returncode == 0
    console_edit(served, "/gates/new_checkout", {"description": "Tuned by hand"})
    before = mutations(served)
    result = cli(served, "apply", str(examples), "--plan", str(saved))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[0] == "error: refusing to apply the saved plan; nothing was applied:"
    # version 2: creating the gate wrote its fields, then its overrides
    assert "error: gate.new_checkout: changed live since the plan was made (version 2 → 3, by Ada Lovelace): description" in lines
    assert mutations(served) == before  # nothing was sent


def test_saved_plan_applies_exactly_its_steps_and_then_plan_is_empty(served, examples, tmp_path):
    assert cli(served, "apply", str(examples), "--auto-approve").returncode == 0
    change_examples(examples)
    saved = tmp_path / "plan.json"
    assert cli(served, "plan", str(examples), "--out", str(saved)).returncode == 0
    planned = [(r["method"], "/console/v1" + r["path"]) for s in json.loads(saved.read_text())["steps"]
               for r in s["requests"]]
    before = len(mutations(served))
    result = cli(served, "apply", str(examples), "--plan", str(saved))
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(tuple(m) for m in mutations(served)[before:]) == sorted(planned)
    assert cli(served, "plan", str(examples), "--detailed-exitcode").returncode == 0


def test_editing_a_planned_objects_file_after_plan_out_makes_apply_refuse(served, examples, tmp_path):
    saved = tmp_path / "plan.json"
    assert cli(served, "plan", str(examples), "--out", str(saved)).returncode == 0
    path = examples / "dynamic_configs" / "mobile_home.yaml"
    path.write_text(path.read_text().replace("Mobile home screen", "Mobile home"))
    result = cli(served, "apply", str(examples), "--plan", str(saved))
    assert result.returncode == 1
    assert ("error: dynamic_config.mobile_home: create POST /dynamic_configs sends a different body (at name) "
            "than reviewed") in result.stderr.splitlines()
    assert mutations(served) == []


def test_changes_to_objects_the_plan_does_not_hold_neither_block_nor_apply(served, examples, tmp_path):
    """Staleness is per object (#14): a file added or changed elsewhere after the review
    neither refuses the reviewed plan nor gets applied with it."""
    assert cli(served, "apply", str(examples), "--auto-approve").returncode == 0
    change_examples(examples)
    saved = tmp_path / "plan.json"
    assert cli(served, "plan", str(examples), "--out", str(saved)).returncode == 0
    (examples / "gates" / "extra.yaml").write_text("kind: gate\nid: extra_gate\n")
    config = examples / "dynamic_configs" / "mobile_home.yaml"
    config.write_text(config.read_text().replace("Mobile home screen", "Mobile home"))
    before = len(mutations(served))
    result = cli(served, "apply", str(examples), "--plan", str(saved))
    assert result.returncode == 0, result.stderr
    assert "gate.extra_gate: has changes the reviewed plan does not show; not applied" in result.stderr
    assert "dynamic_config.mobile_home: has changes the reviewed plan does not show; not applied" in result.stderr
    sent = {tuple(m) for m in mutations(served)[before:]}
    assert sent == {("PATCH", "/console/v1/gates/employees"), ("PATCH", "/console/v1/gates/new_checkout")}
    after = json.loads(cli(served, "plan", str(examples), "--format", "json").stdout)
    assert sorted(step["address"] for step in after["steps"]) == ["dynamic_config.mobile_home", "gate.extra_gate"]


def test_a_saved_plan_for_creates_refuses_if_the_object_appeared(served, examples, tmp_path):
    saved = tmp_path / "plan.json"
    assert cli(served, "plan", str(examples), "--out", str(saved)).returncode == 0
    httpx.post(f"{served.url}/console/v1/gates", json={"id": "employees"},
               headers={"STATSIG-API-KEY": KEY, "X-Emulator-Console-User": "Grace <grace@example.com>"})
    result = cli(served, "apply", str(examples), "--plan", str(saved))
    assert result.returncode == 1 and "gate.employees: created live by Grace since the plan was made" in result.stderr


def test_a_broken_plan_file_is_a_one_line_error(served, examples, tmp_path):
    bad = tmp_path / "plan.json"
    bad.write_text("{}")
    result = cli(served, "apply", str(examples), "--plan", str(bad))
    assert result.returncode == 1 and result.stderr.strip() == f"error: {bad}: not a statsync plan (no format_version)"


def test_drift_names_the_editor_and_the_version_and_exits_2(served, examples):
    assert cli(served, "apply", str(examples), "--auto-approve").returncode == 0
    clean = cli(served, "drift", str(examples))
    assert clean.returncode == 0 and clean.stdout.startswith(f"No drift: {EXAMPLE_OBJECTS} object(s)")
    console_edit(served, "/gates/employees", {"description": "Hand-tuned"}, who="Ada Lovelace <ada@example.com>")
    console_edit(served, "/gates/employees", {"measureMetricLifts": False}, who="Grace Hopper <grace@example.com>")
    text = cli(served, "drift", str(examples))
    assert text.returncode == 2
    assert "~ gate employees: last changed by Grace Hopper at " in text.stdout and "(version 3)" in text.stdout
    assert '    description: live "Hand-tuned" (since version 2, Ada Lovelace, ' in text.stdout
    assert ', repository "Everyone with a company email' in text.stdout
    assert "    measureMetricLifts: live false (since version 3, Grace Hopper, " in text.stdout
    report = json.loads(cli(served, "drift", str(examples), "--format", "json").stdout)
    [drifted] = report["drifted"]
    assert drifted["lastModifierName"] == "Grace Hopper"
    assert drifted["introduced"]["description"]["by"] == "Ada Lovelace"
    assert drifted["introduced"]["measureMetricLifts"]["version"] == 3
    markdown = cli(served, "drift", str(examples), "--format", "markdown")
    assert markdown.returncode == 2
    assert "| `gate.employees` | `description`, `measureMetricLifts` | Grace Hopper," in markdown.stdout
    in_actions = statsync("drift", str(examples), "--api-url", served.url,
                          env={**ENV, "GITHUB_ACTIONS": "true"})
    assert (f"::warning file={examples}/gates/employees.yaml,line=2,col=1::gate.employees differs live: "
            f"description, measureMetricLifts (last changed by Grace Hopper); apply, or `statsync pull` to accept"
            ) in in_actions.stdout.splitlines()
    assert "::warning" not in markdown.stdout  # only beside text: the other formats stay parseable


def test_drift_reports_objects_missing_live(served, examples):
    result = cli(served, "drift", str(examples))
    assert result.returncode == 2 and "+ gate employees: in the repository but not live" in result.stdout


def test_a_gate_created_in_the_console_is_drift_unless_the_team_allows_it(served, examples):
    assert cli(served, "apply", str(examples), "--auto-approve").returncode == 0
    httpx.post(f"{served.url}/console/v1/gates", json={"id": "hotfix_gate"},
               headers={"STATSIG-API-KEY": KEY, "X-Emulator-Console-User": "Grace Hopper <grace@example.com>"})
    text = cli(served, "drift", str(examples))
    assert text.returncode == 2
    assert "0 object(s) differ from the repository, 0 missing, 1 created live." in text.stdout
    assert "- gate hotfix_gate: live but not in the repository (created by Grace Hopper at " in text.stdout
    markdown = cli(served, "drift", str(examples), "--format", "markdown")
    assert markdown.returncode == 2 and "| `gate.hotfix_gate` | created live, not in the repository | Grace Hopper, " \
        in markdown.stdout
    report = json.loads(cli(served, "drift", str(examples), "--format", "json").stdout)
    assert [c["address"] for c in report["created_live"]] == ["gate.hotfix_gate"]
    settings = examples / "statsync.yaml"
    settings.write_text(settings.read_text() + "drift:\n  unmanaged: ignore\n")
    assert cli(served, "drift", str(examples)).returncode == 0


MULTI = """# Two gates, one file: the team keeps its kill switches together.
kind: gate
id: kill_payments
description: Turns payments off.   # said loudly in the runbook
---
# The second one; its comment must survive a pull of the first.
kind: gate
id: kill_search
description: Turns search off.
"""


def test_pull_accepts_drift_into_the_documents_that_hold_it_then_plan_and_drift_are_empty(served, examples):
    (examples / "gates" / "kill_switches.yaml").write_text(MULTI)
    # two gates more than the examples: past safety.max_first_creates on a new project, said so
    creates = str(EXAMPLE_CREATES + 2)
    assert cli(served, "apply", str(examples), "--auto-approve", "--allow-creates", creates).returncode == 0
    console_edit(served, "/gates/kill_payments", {"description": "Payments off (console)."})
    console_edit(served, "/gates/employees", {"isEnabled": False})
    httpx.post(f"{served.url}/console/v1/gates", json={"id": "hotfix_gate", "description": "Made in a hurry."},
               headers={"STATSIG-API-KEY": KEY, "X-Emulator-Console-User": "Grace Hopper <grace@example.com>"})
    assert cli(served, "drift", str(examples)).returncode == 2
    untouched = {path: path.read_text() for path in examples.rglob("*.yaml")
                 if path.name not in ("kill_switches.yaml", "employees.yaml")}

    pulled = cli(served, "pull", str(examples))
    assert pulled.returncode == 0, pulled.stderr
    assert f"pulled gate.kill_payments into {examples}/gates/kill_switches.yaml (rewritten in place)" in pulled.stdout
    assert f"pulled gate.hotfix_gate into {examples}/gates/hotfix_gate.yaml (new file, created in the console)" \
        in pulled.stdout
    text = (examples / "gates" / "kill_switches.yaml").read_text()
    # one copy of each id; the first document now says what is live; the second, and every
    # comment outside the rewritten document, is byte for byte what it was
    assert text.count("id: kill_payments") == 1 and "Payments off (console)." in text
    assert text.startswith("# Two gates, one file: the team keeps its kill switches together.\nkind: gate\n")
    assert text.endswith(MULTI[MULTI.index("---"):])
    assert "isEnabled: false" in (examples / "gates" / "employees.yaml").read_text()
    assert {path: path.read_text() for path in untouched} == untouched  # nothing else rewritten
    assert cli(served, "plan", str(examples), "--detailed-exitcode").returncode == 0
    assert cli(served, "drift", str(examples)).returncode == 0
    again = cli(served, "pull", str(examples))
    assert again.returncode == 0 and "Nothing to pull" in again.stdout


def test_pull_takes_the_selection_and_leaves_the_rest(served, examples):
    assert cli(served, "apply", str(examples), "--auto-approve").returncode == 0
    console_edit(served, "/gates/employees", {"description": "Edited."})
    console_edit(served, "/gates/search_v2", {"description": "Edited too."})
    before = (examples / "gates" / "search_v2.yaml").read_text()
    pulled = cli(served, "pull", str(examples), "--only", "gate.employees")
    assert pulled.returncode == 0 and "gate.search_v2" not in pulled.stdout
    assert (examples / "gates" / "search_v2.yaml").read_text() == before
    drift = cli(served, "drift", str(examples))
    assert drift.returncode == 2 and "gate search_v2" in drift.stdout and "gate employees" not in drift.stdout
