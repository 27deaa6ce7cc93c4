"""Golden files for the Markdown and JSON forms of a plan.

The plans are built from fixed desired and live objects, so the output is
byte-for-byte stable. To accept an intended change of format, run
`STATSYNC_UPDATE_GOLDEN=1 python -m pytest tests/unit/test_golden_output.py` and review the diff.
"""
import json
import os
from pathlib import Path


from statsync import planfile
from statsync.loader import load_text
from statsync.plan import PlanOptions, build_plan
from statsync.render import markdown
from statsync.validate import desired_objects

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
UPDATE = os.environ.get("STATSYNC_UPDATE_GOLDEN") == "1"

DESIRED = """
kind: gate
id: checkout_v2
description: New checkout | staged
rules:
  - {name: Staff, passPercentage: 100, conditions: [{type: email, operator: str_contains_any, targetValue: ["@example.com"]}]}
  - {name: Rollout, passPercentage: 30, conditions: [{type: public}]}
---
kind: gate
id: brand_new
rules: [{name: All, passPercentage: 5, conditions: [{type: passes_gate, targetValue: checkout_v2}]}]
---
kind: dynamic_config
id: limits
defaultValue: {max: 10, regions: [eu, us]}
---
kind: experiment
id: button_test
groups:
  - {name: Control, size: 50, parameterValues: {color: blue}}
  - {name: Green, size: 50, parameterValues: {color: green}}
"""

LIVE = {
    "gate": {
        "checkout_v2": {"id": "checkout_v2", "name": "checkout_v2", "description": "New checkout", "version": 4,
                        "lastModifiedTime": 1795700000000, "lastModifierName": "Ada Lovelace", "isEnabled": True,
                        "rules": [{"name": "Staff", "passPercentage": 100, "id": "r1", "baseID": "r1",
                                   "conditions": [{"type": "email", "operator": "str_contains_any",
                                                   "targetValue": ["@example.com"]}]},
                                  {"name": "Rollout", "passPercentage": 10, "id": "r2:10.00:1", "baseID": "r2",
                                   "conditions": [{"type": "public"}]}]},
        "old_gate": {"id": "old_gate", "version": 1, "lastModifiedTime": 1795600000000, "lastModifierName": "CONSOLE API"},
    },
    "dynamic_config": {
        "limits": {"id": "limits", "name": "limits", "version": 2, "lastModifiedTime": 1795650000000,
                   "lastModifierName": "Grace Hopper", "defaultValue": {"max": 5, "regions": ["eu"]}},
    },
    "experiment": {
        "button_test": {"id": "button_test", "name": "button_test", "version": 1, "lastModifiedTime": 1795660000000,
                        "lastModifierName": "CONSOLE API", "groups": [
                            {"name": "Green", "size": 50, "parameterValues": {"color": "green"}, "id": "g2"},
                            {"name": "Control", "size": 50, "parameterValues": {"color": "blue"}, "id": "g1"}]},
    },
}


def small_plan():
    desired = desired_objects(load_text(DESIRED, "objects.yaml"))
    return build_plan(desired, LIVE, "production", PlanOptions(prune=True))


def large_plan(count: int):
    docs = "".join(f"---\nkind: gate\nid: gate_{i:04}\ndescription: gate number {i} with a longer description\n"
                   f"rules: [{{name: R, passPercentage: {i % 100}, conditions: [{{type: country, operator: any, "
                   f"targetValue: [US, CA, MX, DE, FR]}}]}}]\n" for i in range(count))
    desired = desired_objects(load_text(docs, "many.yaml"))
    live = {"gate": {f"gate_{i:04}": {"id": f"gate_{i:04}", "version": 1, "lastModifiedTime": 1795600000000,
                                      "lastModifierName": "CONSOLE API", "description": "old"}
                     for i in range(0, count, 2)}}
    return build_plan(desired, live, "production")


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(text)
    assert path.exists(), f"missing golden file {path}; run with STATSYNC_UPDATE_GOLDEN=1"
    assert text == path.read_text(), f"{name} changed; if intended, regenerate with STATSYNC_UPDATE_GOLDEN=1"


def test_small_plan_markdown():
    check_golden("plan_small.md", markdown.render_plan(small_plan()))


def test_small_plan_json():
    text = planfile.dumps(small_plan(), {"objects.yaml": "0" * 64}, {"prune": True}, created="2026-01-01T00:00:00+00:00")
    check_golden("plan_small.json", text)


def test_json_round_trips_through_the_saved_plan_loader(tmp_path):
    plan = small_plan()
    path = tmp_path / "plan.json"
    path.write_text(planfile.dumps(plan, {}, {}))
    loaded, meta = planfile.load(path)
    assert meta["target"] == "production" and meta["format_version"] == planfile.FORMAT_VERSION
    assert [(s.address, s.action, s.changes, s.requests, s.depends_on) for s in loaded.steps] == [
        (s.address, s.action, s.changes, s.requests, s.depends_on) for s in plan.steps]
    assert [s.live for s in loaded.steps] == [s.live for s in plan.steps]


def test_truncated_markdown_is_golden_too():
    check_golden("plan_truncated.md", markdown.render_plan(large_plan(40), limit=4000))


def test_a_large_plan_keeps_every_table_row_and_drops_details_that_do_not_fit():
    text = markdown.render_plan(large_plan(300))
    assert len(text) <= markdown.GITHUB_COMMENT_LIMIT and text.startswith(markdown.MARKER)
    assert text.count("| gate | `gate_") == 300
    shown = text.count("<details>")
    assert 0 < shown < 300
    assert f"*{300 - shown} object(s) not shown in detail: the comment would pass GitHub's 65,536-character limit" in text
    assert text == markdown.render_plan(large_plan(300))  # deterministic


def test_a_huge_plan_cuts_table_rows_too_and_says_how_many():
    text = markdown.render_plan(large_plan(2000))
    assert len(text) <= markdown.GITHUB_COMMENT_LIMIT
    rows = text.count("| gate | `gate_")
    assert 0 < rows < 2000 and f"| … | {2000 - rows} more | | |" in text
    assert "*2000 object(s) not shown in detail" in text and "statsync plan --format text" in text


def test_markdown_without_changes():
    desired = desired_objects(load_text("kind: gate\nid: same_gate\n", "f.yaml"))
    live = {"gate": {"same_gate": {"id": "same_gate", "name": "same_gate"}}}
    text = markdown.render_plan(build_plan(desired, live, "production"))
    assert "**No changes.** 1 object(s) match the repository." in text


def test_json_plan_is_valid_json_with_the_documented_fields():
    data = json.loads(planfile.dumps(small_plan()))
    assert {"format_version", "target", "files", "steps", "summary"} <= data.keys()
    update = next(s for s in data["steps"] if s["action"] == "update")
    assert update["live"].keys() >= {"version", "lastModifiedTime", "lastModifierName"}


READABLE_DESIRED = """
kind: gate
id: new_checkout
description: "%s"
rules:
  - name: Canada and Mexico
    passPercentage: 25
    conditions:
      - {type: country, operator: any, targetValue: [CA, MX]}
      - {type: app_version, operator: version_gte, targetValue: "4.2"}
---
kind: gate
id: many_conditions
rules:
  - name: Sixty
    passPercentage: 100
    conditions:
%s
""" % ("A long description that says a great deal about the rollout, its owners, its schedule and its history, "
       "and then ends with the one word that changed: Thursday",
       "".join(f"      - {{type: custom_field, field: attribute_{i:02}, operator: any, targetValue: [value_{i:02}]}}\n"
               for i in range(60)))

READABLE_LIVE = {"gate": {"new_checkout": {
    "id": "new_checkout", "name": "new_checkout", "version": 3, "lastModifiedTime": 1795700000000,
    "lastModifierName": "Ada Lovelace", "isEnabled": True,
    "description": "A long description that says a great deal about the rollout, its owners, its schedule and its "
                   "history, and then ends with the one word that changed: Wednesday",
    "rules": [{"name": "Canada and Mexico", "passPercentage": 25, "id": "r1", "baseID": "r1", "conditions": [
        {"type": "country", "operator": "any", "targetValue": ["CA", "MX"]},
        {"type": "app_version", "operator": "version_gte", "targetValue": "4.2.0"}]}]}}}


def test_text_plan_shows_every_difference_in_full():
    """#14: the part that differs is never truncated — a version losing its patch number,
    the last word of a long description, the 60th condition of a new rule."""
    from statsync.render.text import render_plan

    desired = desired_objects(load_text(READABLE_DESIRED, "objects.yaml"))
    text = render_plan(build_plan(desired, READABLE_LIVE, "production"))
    check_golden("plan_readable.txt", text)
    assert '- {"type": "app_version", "operator": "version_gte", "targetValue": ["4.2.0"]}' in text
    assert '+ {"type": "app_version", "operator": "version_gte", "targetValue": ["4.2"]}' in text
    assert "changed: Wednesday" in text and "changed: Thursday" in text
    assert all(f'"field": "attribute_{i:02}"' in text for i in range(60))


def test_text_plan_shows_what_a_delete_destroys():
    from statsync.render.text import render_plan

    text = render_plan(small_plan())
    block = text[text.index("- gate old_gate"):].split("\n\n")[0].splitlines()
    assert block[:2] == ["- gate old_gate", "    - (not in the repository; deleted by pruning)"]
    assert '    - name: "old_gate"' in block and '    - type: "TEMPORARY"' in block


def test_every_output_counts_the_requests_the_run_makes(examples):
    """#14: one figure for "requests this apply will make" — text, Markdown, JSON and the run."""
    import re

    from click.testing import CliRunner

    from statsync.cli import main

    runner = CliRunner()
    assert runner.invoke(main, ["apply", str(examples), "--target", "local", "--auto-approve"]).exit_code == 0
    for name, old, new in (("employees", "Everyone with", "Anyone with"), ("new_checkout", "passPercentage: 25",
                                                                          "passPercentage: 30")):
        path = examples / "gates" / f"{name}.yaml"
        path.write_text(path.read_text().replace(old, new))
    local = [str(examples), "--target", "local"]
    markdown_text = runner.invoke(main, ["plan", *local, "--format", "markdown"]).output
    saved = json.loads(runner.invoke(main, ["plan", *local, "--format", "json"]).output)
    applied = runner.invoke(main, ["apply", *local, "--auto-approve"]).output
    planned = int(re.search(r"Apply will make about (\d+) API request", applied).group(1))
    ran = int(re.search(r"Apply finished: .*\((\d+) API requests", applied).group(1))
    assert planned == ran == saved["summary"]["requests"] == 4  # two PATCHes, two conflict checks
    assert f"about {planned} API request(s)" in markdown_text


def test_show_renders_a_saved_plan_offline_exactly_as_plan_did(tmp_path):
    from click.testing import CliRunner

    from statsync.cli import main
    from statsync.render import markdown
    from statsync.render.text import render_plan

    saved = tmp_path / "plan.json"
    saved.write_text(planfile.dumps(small_plan(), {}, {}, created="2026-01-01T00:00:00+00:00"))
    text = CliRunner().invoke(main, ["show", str(saved)])
    assert text.exit_code == 0
    assert text.output == (f"Saved plan {saved}: made 2026-01-01T00:00:00+00:00 by statsync "
                           f"{__import__('statsync').__version__}.\n" + render_plan(small_plan()))
    md = CliRunner().invoke(main, ["show", str(saved), "--format", "markdown"])
    assert md.output == markdown.render_plan(small_plan())
