"""A renamed rule keeps its identity (and its users' buckets) only when it says which
live rule it was (#12 item 4; EVIDENCE.md finding 11)."""
import pytest

from statsync.planfile import dumps, load
from statsync.render.markdown import render_plan as render_markdown
from statsync.render.text import render_plan
from tests.conftest import client_for, plan_apply, run, write

GATE = """\
kind: gate
id: checkout
rules:
  - name: {name}{previous}
    passPercentage: 40
    conditions: [{{type: country, operator: any, targetValue: [CA]}}]
  - name: Staff
    passPercentage: 100
    conditions: [{{type: email, operator: str_contains_any, targetValue: ["@example.com"]}}]
"""


def gate(name: str, previous: str | None = None) -> str:
    return GATE.format(name=name, previous=f"\n    previousName: {previous}" if previous else "")


def live_rules(emulator, kind: str = "gates", object_id: str = "checkout") -> dict[str, dict]:
    """The rules as the API answers them (read back, not the emulator's memory)."""
    async def read():
        async with client_for(emulator) as client:
            return await client.get(f"/{kind}/{object_id}")
    answer = run(read())
    return {rule["name"]: rule for rule in answer["rules"]}


def applied(emulator, repo):
    plan, outcomes = plan_apply(emulator, repo)
    assert all(o.ok for o in outcomes), [(o.step.address, o.error) for o in outcomes]
    return plan


def test_a_rule_renamed_with_previous_name_keeps_its_live_ids_and_plans_empty_after(emulator, tmp_path):
    repo = write(tmp_path, gate("Canada 40%"))
    applied(emulator, repo)
    before = live_rules(emulator)["Canada 40%"]

    (repo / "objects.yaml").write_text(gate("Canada rollout", previous="Canada 40%"))
    plan = applied(emulator, repo)
    [step] = plan.steps
    assert [(c.path, c.before, c.after, c.note) for c in step.changes] == [
        ("rules[Canada rollout].name", "Canada 40%", "Canada rollout", "renamed")]
    assert not step.warnings
    [request] = step.requests
    sent = request.body["rules"][0]
    assert (sent["name"], sent["baseID"], sent["id"]) == ("Canada rollout", before["baseID"], before["id"])
    assert "previousName" not in sent  # statsync's, never Statsig's
    after = live_rules(emulator)
    assert after["Canada rollout"]["baseID"] == before["baseID"]  # the salt: same users in the 40 %
    assert "Canada 40%" not in after
    text = render_plan(plan)
    assert 'rules[Canada rollout].name: "Canada 40%" → "Canada rollout" (renamed' in text

    # the file may keep saying previousName: the rename is done, nothing more to send
    again, _ = plan_apply(emulator, repo, apply=False)
    assert not again.steps


def test_a_rename_without_previous_name_warns_that_users_are_rebucketed(emulator, tmp_path):
    repo = write(tmp_path, gate("Canada 40%"))
    applied(emulator, repo)
    before = live_rules(emulator)["Canada 40%"]

    (repo / "objects.yaml").write_text(gate("Canada rollout"))
    plan, _ = plan_apply(emulator, repo, apply=False)
    [step] = plan.steps
    [warning] = step.warnings
    assert "rules[Canada rollout] replaces rules[Canada 40%]" in warning
    assert "`previousName: Canada 40%`" in warning and "40 %" in warning
    assert f"warning: {warning}" in render_plan(plan)
    assert warning in render_markdown(plan)
    # the warning survives a saved plan, so `apply --plan` shows what was reviewed
    saved = tmp_path / "plan.json"
    saved.write_text(dumps(plan))
    assert load(saved)[0].steps[0].warnings == [warning]

    applied(emulator, repo)
    assert live_rules(emulator)["Canada rollout"]["baseID"] != before["baseID"]  # what the warning said


@pytest.mark.parametrize("change", ["other conditions", "full rollout"])
def test_no_warning_where_no_one_is_rebucketed(emulator, tmp_path, change):
    repo = write(tmp_path, gate("Canada 40%"))
    applied(emulator, repo)
    text = gate("Canada rollout")
    if change == "other conditions":
        text = text.replace("[CA]", "[US]")
    else:  # at 100 % the salt decides nothing: everyone who matches passes
        applied(emulator, write(tmp_path, gate("Canada 40%").replace("passPercentage: 40", "passPercentage: 100")))
    (repo / "objects.yaml").write_text(text)
    plan, _ = plan_apply(emulator, repo, apply=False)
    assert plan.steps and not plan.steps[0].warnings


def test_a_previous_name_that_names_no_live_rule_warns_and_creates(emulator, tmp_path):
    repo = write(tmp_path, gate("Canada 40%"))
    applied(emulator, repo)
    (repo / "objects.yaml").write_text(gate("Canada 40%") + "  - name: Brand new\n    previousName: Never was\n"
                                       "    passPercentage: 10\n    conditions: [{type: public}]\n")
    plan, _ = plan_apply(emulator, repo, apply=False)
    assert plan.steps[0].warnings == [
        "rules[Brand new]: previousName 'Never was' names no live rule; 'Brand new' is created as a new one"]


def test_a_segment_rule_renamed_through_the_conditional_endpoint_keeps_its_ids(emulator, tmp_path):
    segment = ("kind: segment\nid: canadians\ntype: rule_based\nrules:\n  - name: {name}{previous}\n"
               "    passPercentage: 25\n    conditions: [{{type: country, operator: any, targetValue: [CA]}}]\n")
    repo = write(tmp_path, segment.format(name="CA", previous=""))
    applied(emulator, repo)
    before = live_rules(emulator, "segments", "canadians")["CA"]
    (repo / "objects.yaml").write_text(segment.format(name="Canada", previous="\n    previousName: CA"))
    plan = applied(emulator, repo)
    assert plan.steps[0].requests[0].path == "/segments/canadians/conditional"
    assert live_rules(emulator, "segments", "canadians")["Canada"]["baseID"] == before["baseID"]


@pytest.mark.parametrize("rules, message", [
    ("  - {name: A, previousName: A, passPercentage: 100, conditions: [{type: public}]}\n",
     "rules[0].previousName: previousName 'A' is this item's own name; remove it"),
    ("  - {name: A, previousName: B, passPercentage: 100, conditions: [{type: public}]}\n  - {name: B, passPercentage: 100, conditions: [{type: public}]}\n",
     "rules[0].previousName: previousName 'B' is the name of another item in rules"),
    ("  - {name: A, previousName: C, passPercentage: 100, conditions: [{type: public}]}\n"
     "  - {name: B, previousName: C, passPercentage: 100, conditions: [{type: public}]}\n",
     "rules[1].previousName: previousName 'C' is also claimed by 'A'; one item was 'C'"),
])
def test_a_previous_name_that_cannot_be_is_one_line_naming_file_and_line(cli, tmp_path, rules, message):
    repo = write(tmp_path, "kind: gate\nid: checkout\nrules:\n" + rules)
    result = cli("validate", str(repo))
    assert result.exit_code == 1
    [line] = [line for line in result.output.splitlines() if "previousName" in line]
    assert "objects.yaml:" in line and line.endswith(message)


@pytest.mark.parametrize("rules, error", [
    ([{"name": "A", "passPercentage": 5, "conditions": []}, {"name": "A", "passPercentage": 5, "conditions": []}], "Duplicate rule name(s) given: A"),
    ([{"name": "A", "passPercentage": 5, "baseID": "not-a-live-rule", "conditions": []}],
     "A provided rule ID does not match an existing rule ID"),
])
def test_the_emulator_refuses_rules_statsig_refuses(emulator, rules, error):
    """legacy-docs (EVIDENCE.md finding 11): names are unique, ids must be live."""
    emulator.console_create("gates", {"id": "g"})

    async def send():
        async with client_for(emulator) as client:
            return await client._http.patch("/gates/g", json={"rules": rules})
    answer = run(send())
    assert answer.status_code == 400 and error in answer.text
