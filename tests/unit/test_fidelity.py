"""What Statsig's own artefacts show, as a team's repository would use it (EVIDENCE.md)."""
import pytest

from statsync.errors import InvalidConfig
from tests.conftest import client_for, plan_apply, run, write

# A Terraform-provider user's configuration in YAML (TF-test `dynamic_config_full.tf`:
# JSON5 with unquoted keys and comments), a template gate, an experiment with a control group.
TF_USER = """\
kind: dynamic_config
id: checkout_copy
defaultValueJson5: |
  // shown when no rule matches
  {title: "Checkout",   retries: 3,}
schemaJson5: |
  // every value must be an object
  {"type": "object"}
rules:
  - name: Canada
    passPercentage: 100
    conditions: [{type: country, operator: any, targetValue: [CA]}]
    returnValueJson5: "{title: 'Passer à la caisse', /* fr-CA */ retries: 3}"
  - name: Variants
    passPercentage: 50
    conditions: [{type: public}]
    variants:
      - {name: short, passPercentage: 50, returnValue: {title: Pay}}
      - {name: long, passPercentage: 50, returnValue: {title: Pay now}}
---
kind: gate
id: template_gate
isTemplate: true
---
kind: experiment
id: checkout_exp
controlGroupID: Baseline
groups:
  - {name: Treatment, size: 50, parameterValues: {color: green}}
  - {name: Baseline, size: 50, parameterValues: {color: blue}}
isAnalysisOnly: false
secondaryIDType: stableID
scheduledReloadType: incremental
"""


def test_a_terraform_users_configuration_applies_and_plans_empty(emulator, tmp_path):
    repo = write(tmp_path, TF_USER)
    plan, outcomes = plan_apply(emulator, repo)
    assert all(o.ok for o in outcomes), [(o.step.address, o.error) for o in outcomes]
    config = emulator.store.get("dynamic_configs", "checkout_copy")
    # the text is kept as written, the JSON parsed from it
    assert config["defaultValueJson5"].startswith("// shown when no rule matches")
    assert config["defaultValue"] == {"title": "Checkout", "retries": 3}
    assert config["rules"][0]["returnValue"] == {"title": "Passer à la caisse", "retries": 3}
    assert [v["name"] for v in config["rules"][1]["variants"]] == ["short", "long"]
    experiment = emulator.store.get("experiments", "checkout_exp")
    baseline = next(g["id"] for g in experiment["groups"] if g["name"] == "Baseline")
    assert experiment["controlGroupID"] == baseline  # named in YAML, sent by id
    again, _ = plan_apply(emulator, repo, apply=False)
    assert not again.steps


def test_a_json5_comment_written_in_the_console_survives_a_rule_re_send(emulator, tmp_path):
    repo = write(tmp_path, "kind: dynamic_config\nid: cfg\nrules:\n"
                           "  - {name: A, passPercentage: 100, conditions: [{type: public}], returnValue: {n: 1}}\n"
                           "  - {name: B, passPercentage: 100, conditions: [{type: public}], returnValue: {n: 2}}\n")
    plan_apply(emulator, repo)
    live = emulator.store.get("dynamic_configs", "cfg")["rules"]
    commented = [{**rule, "returnValueJson5": "{n: 1} // tuned by Ada"} if rule["name"] == "A" else rule
                 for rule in live]
    emulator.console_edit("dynamic_configs", "cfg", {"rules": commented})
    assert not plan_apply(emulator, repo, apply=False)[0].steps  # same JSON: no change
    # the YAML changes rule B: rules are re-sent whole, and A keeps its comment
    repo = write(tmp_path, (repo / "objects.yaml").read_text().replace("{n: 2}", "{n: 3}"))
    plan, _ = plan_apply(emulator, repo)
    rules = {r["name"]: r for r in emulator.store.get("dynamic_configs", "cfg")["rules"]}
    assert rules["A"]["returnValueJson5"] == "{n: 1} // tuned by Ada"
    assert rules["B"]["returnValue"] == {"n": 3}


@pytest.mark.parametrize("text, message", [
    ("defaultValue: {a: 1}\ndefaultValueJson5: '{a: 1}'\n", "defaultValueJson5: write defaultValue or defaultValueJson5, not both"),
    ("defaultValueJson5: '{a: '\n", "defaultValueJson5: not valid JSON5"),
    ("defaultValueJson5: '[1, 2]'\n", "defaultValueJson5: must be a JSON5 object"),
])
def test_json5_twins_are_one_or_the_other(tmp_path, text, message):
    from statsync.loader import load_text
    from statsync.validate import desired_objects

    with pytest.raises(InvalidConfig, match=message.replace("(", r"\(")):
        desired_objects(load_text("kind: dynamic_config\nid: cfg\n" + text, "f.yaml"))


def test_control_group_must_name_a_group(tmp_path):
    from statsync.loader import load_text
    from statsync.validate import desired_objects

    with pytest.raises(InvalidConfig, match=r"f.yaml:3:17: controlGroupID: 'Nope' is not one of the groups"):
        desired_objects(load_text("kind: experiment\nid: exp_one\ncontrolGroupID: Nope\n", "f.yaml"))


def test_a_changed_template_flag_is_a_replace(emulator, tmp_path):
    """isTemplate is in the create DTO only: Statsig cannot change it in place."""
    repo = write(tmp_path, "kind: gate\nid: tmpl_gate\n")
    plan_apply(emulator, repo)
    repo = write(tmp_path, "kind: gate\nid: tmpl_gate\nisTemplate: true\n")
    plan, _ = plan_apply(emulator, repo, apply=False)
    assert [s.action for s in plan.steps] == ["replace"]


def test_an_experiment_without_a_control_group_imports_and_plans_empty(emulator, tmp_path):
    """Found by the import property: a live controlGroupID of "" was written into YAML
    that validation then refused."""
    from statsync.importer import document
    from statsync.kinds import get as kind

    emulator.console_create("experiments", {"name": "no control", "controlGroupID": ""})

    async def read():
        async with client_for(emulator) as client:
            return await client.get("/experiments/no_control")
    doc, problems = document(kind("experiment"), run(read()))
    assert not problems and "controlGroupID" not in doc
    import yaml
    repo = write(tmp_path, yaml.safe_dump(doc))
    assert not plan_apply(emulator, repo, apply=False)[0].steps


def test_an_unarchive_followed_by_a_field_update_keeps_the_status_it_moved_to(emulator, tmp_path):
    """Found by the convergence property: a config's PATCH always carries isEnabled, and after
    an unarchive in the same plan a stale live `false` disabled it again — every apply."""
    from tests.conftest import plan_apply, write

    archived = write(tmp_path, "kind: dynamic_config\nid: dc_zero\nstatus: Archived\nisEnabled: false\n")
    plan_apply(emulator, archived, allow_replace=True)
    back = write(tmp_path, "kind: dynamic_config\nid: dc_zero\nname: Back\ndescription: n\nstatus: Enabled\n")
    plan, outcomes = plan_apply(emulator, back, allow_replace=True)
    assert [s.action for s in plan.steps] == ["unarchive", "update"] and all(o.ok for o in outcomes)
    assert not plan_apply(emulator, back, apply=False)[0].steps


def test_metric_tags_expand_into_metrics_and_plan_empty(emulator, tmp_path):
    """EVIDENCE.md finding 3: Statsig adds the tag's metrics and answers the tags as []."""
    emulator.store.put("metrics", {"id": "dau::user", "name": "dau", "type": "user", "tags": ["core"]})
    repo = write(tmp_path, "kind: experiment\nid: tagged\nprimaryMetricTags: [core]\n"
                           "primaryMetrics: [{name: d1_retention_rate, type: user}]\nsecondaryMetricTags: [none_yet]\n")
    plan, outcomes = plan_apply(emulator, repo)
    assert all(o.ok for o in outcomes)
    live = emulator.store.get("experiments", "tagged")
    assert live["primaryMetricTags"] == [] and live["secondaryMetricTags"] == []
    assert live["primaryMetrics"] == [{"name": "d1_retention_rate", "type": "user"}, {"name": "dau", "type": "user"}]
    again, _ = plan_apply(emulator, repo, apply=False)
    assert not again.steps  # the tag's metric is Statsig's doing, not drift; the tags are not re-sent


@pytest.mark.parametrize("kind, collection, body", [
    ("gate", "gates", {"id": "by_device", "idType": "stableID"}),
    ("dynamic_config", "dynamic_configs", {"id": "by_device", "idType": "stableID"}),
    ("experiment", "experiments", {"name": "by_device", "idType": "stableID"}),
])
def test_an_omitted_id_type_is_the_projects_default_never_rewritten_to_userID(emulator, tmp_path, kind, collection,
                                                                               body):
    """EVIDENCE.md finding 4: default_unit_type fills an omitted idType; comparing it with
    userID would rewrite the unit type (and, per legacy-docs, historical Pulse results)."""
    emulator.console_create(collection, body)
    repo = write(tmp_path, f"kind: {kind}\nid: by_device\n")
    plan, _ = plan_apply(emulator, repo, apply=False)
    assert not plan.steps
    (repo / "objects.yaml").write_text(f"kind: {kind}\nid: by_device\nidType: userID\n")
    plan, _ = plan_apply(emulator, repo, apply=False)
    assert [c.path for c in plan.steps[0].changes] == ["idType"]  # said in the file, it is managed


SCHEDULED = """\
kind: gate
id: scheduled
description: {description}
rules:
  - name: Rollout
    passPercentage: 10
    conditions: [{{type: country, operator: any, targetValue: [{country}]}}]
"""


def test_a_scheduled_rollout_owns_the_percentage_while_phases_are_pending(emulator, tmp_path):
    """EVIDENCE.md finding 7: phases execute by themselves; a plan must not undo one."""
    from statsync.render.text import render_plan

    repo = write(tmp_path, SCHEDULED.format(description="one", country="CA"))
    plan_apply(emulator, repo)
    rule = emulator.store.get("gates", "scheduled")["rules"][0]
    rule["passPercentage"] = 20  # the first phase ran; one more is due
    rule["pendingAutomatedRollouts"] = [{"passPercent": 50, "time": 1893456000000}]
    plan, _ = plan_apply(emulator, repo, apply=False)
    assert not plan.steps
    note = ("gate.scheduled rules[Rollout].passPercentage: a scheduled rollout owns it while 1 phase(s) are pending "
            "(live 20 %, the file says 10 %); left alone")
    assert plan.held == [note] and f"Left to Statsig: {note}." in render_plan(plan)

    # another change to the rule goes out with the schedule's percentage and the schedule itself
    (repo / "objects.yaml").write_text(SCHEDULED.format(description="two", country="US"))
    plan, outcomes = plan_apply(emulator, repo)
    sent = plan.steps[0].requests[0].body["rules"][0]
    assert sent["passPercentage"] == 20 and sent["pendingAutomatedRollouts"] == rule["pendingAutomatedRollouts"]
    assert all(o.ok for o in outcomes)

    # once the schedule is done, the file is the truth again
    emulator.store.get("gates", "scheduled")["rules"][0]["pendingAutomatedRollouts"] = []
    plan, _ = plan_apply(emulator, repo, apply=False)
    assert [c.path for c in plan.steps[0].changes] == ["rules[Rollout].passPercentage"] and not plan.held


def test_conditions_written_as_statsigs_docs_write_them_validate_and_plan_empty(emulator, tmp_path):
    """legacy-docs `docs/console-api/rules.mdx`: environment_tier with a scalar targetValue
    and no operator; public with targetValue: []. Whether Statsig answers the operator as
    "any" or not at all, the plan is empty."""
    from statsync.compile import compile_condition

    repo = write(tmp_path, "kind: gate\nid: tiered\nrules:\n  - name: Prod\n    passPercentage: 100\n"
                           "    conditions: [{type: environment_tier, targetValue: production}]\n"
                           "  - name: Everyone\n    passPercentage: 100\n    conditions: [{type: public, targetValue: []}]\n")
    plan, outcomes = plan_apply(emulator, repo)
    assert all(o.ok for o in outcomes)
    assert not plan_apply(emulator, repo, apply=False)[0].steps
    emulator.store.get("gates", "tiered")["rules"][0]["conditions"][0]["operator"] = "any"
    assert not plan_apply(emulator, repo, apply=False)[0].steps
    # and `statsync test` evaluates it as Statsig's SDK would: tier "any" of the list
    assert compile_condition({"type": "environment_tier", "targetValue": "production"})["operator"] == "any"


def test_a_dynamic_config_answered_without_status_reads_it_from_is_enabled(emulator, tmp_path, monkeypatch):
    """No spec example of a dynamic config carries `status` (EVIDENCE.md, still unproven):
    without it, isEnabled says Enabled or Disabled, and a move from there is still made."""
    import statsync.emulator.app as app

    repo = write(tmp_path, "kind: dynamic_config\nid: quiet\nstatus: Disabled\n")
    plan_apply(emulator, repo)
    shown = app._public  # a server that keeps the status but never answers it
    monkeypatch.setattr(app, "_public", lambda obj: {k: v for k, v in shown(obj).items() if k != "status"})
    assert not plan_apply(emulator, repo, apply=False)[0].steps
    (repo / "objects.yaml").write_text("kind: dynamic_config\nid: quiet\nstatus: Enabled\n")
    plan, outcomes = plan_apply(emulator, repo)
    assert [step.action for step in plan.steps] == ["enable"] and all(o.ok for o in outcomes)
    assert emulator.store.get("dynamic_configs", "quiet")["isEnabled"] is True


EVERY_FIELD = """\
kind: tag
id: test-tag-a
description: for the experiment
---
kind: target_app
id: checkout_web
---
kind: gate
id: targeting_gate
---
kind: metric
id: revenue::sum
---
kind: experiment
id: full_experiment
name: Full experiment
description: Every field of the Fully Update Experiment body a user writes
idType: userID
secondaryIDType: stableID
hypothesis: Move some metrics
status: setup
allocation: 12.3
allocationDuration: 7
analysisEndTime: "2027-01-31"
analyticsType: bayesian
assignmentSourceExperimentName: warehouse_experiment
assignmentSourceFilters: [{column: country, condition: in, values: [CA, MX]}]
assignmentSourceName: warehouse_source
benjaminiHochbergPerMetric: true
benjaminiHochbergPerVariant: false
benjaminiPrimaryMetricsOnly: true
bonferroniCorrection: true
bonferroniCorrectionPerMetric: false
cohortWaitUntilEndToInclude: true
cohortedAnalysisDuration: 7
cohortedMetricsMatureAfterEnd: true
controlGroupID: Control
defaultConfidenceInterval: "80"
duration: 10
fixedAnalysisDuration: 14
identifierMappingMode: firstTouchOneToMany
identityResolutionSource: identity_source
isAnalysisOnly: false
isSidecar: false
links: [{title: Design doc, url: "https://example.com/design"}]
manualQualityScores:
  - {criteriaName: HYPOTHESIS_LENGTH, status: PASSED, criteriaDescription: long enough, score: 1, weight: 0.5}
otherMetrics: [{name: revenue, type: sum, direction: increase, hypothesizedValue: 2.5}]
primaryMetrics: [{name: d1_retention_rate, type: user, direction: increase}]
primaryMetricTags: [core_metrics]
secondaryMetrics: [{name: dau, type: user}, {name: new_dau, type: user}]
secondaryMetricTags: []
scheduledReloadHour: 3
scheduledReloadType: incremental
sequentialTesting: true
stratifiedSampling: {status: success, metric: {name: dau, startDate: "2026-11-01", endDate: "2026-11-30"}}
tags: [test-tag-a]
targetApps: [checkout_web]
targetExposures: 5000
targetingGateID: targeting_gate
team: growth
teamID: team_growth
groups:
  - {name: Test A, size: 33.3, parameterValues: {a_string: test_a, a_bool: true}, description: first}
  - {name: Test B, size: 33.3, parameterValues: {a_string: test_b}, disabled: false}
  - {name: Control, size: 33.4, parameterValues: {a_string: control}}
"""


def test_an_experiment_using_every_field_a_user_writes_applies_and_plans_empty(emulator, tmp_path):
    """#12: every field of ExperimentFullUpdateDto but the audit ones (creatorID,
    creatorEmail) and the decision's (decisionReason, launchedGroupID: a decision is a
    lifecycle move), shaped like TF-test `tests/test_resources/experiment_full.tf`."""
    from statsync import spec

    written = {line.split(":", 1)[0] for line in EVERY_FIELD.split("kind: experiment", 1)[1].splitlines()
               if line and not line.startswith((" ", "-"))}
    body = set(spec.component("ExperimentFullUpdateDto")["properties"])
    assert body - written == {"creatorID", "creatorEmail", "decisionReason", "launchedGroupID"}
    repo = write(tmp_path, EVERY_FIELD)
    plan, outcomes = plan_apply(emulator, repo)
    assert all(o.ok for o in outcomes), [(o.step.address, o.error) for o in outcomes]
    live = emulator.store.get("experiments", "full_experiment")
    control = next(group["id"] for group in live["groups"] if group["name"] == "Control")
    assert live["controlGroupID"] == control and live["analyticsType"] == "bayesian"
    assert live["primaryMetricTags"] == []  # expanded by Statsig, not stored (EVIDENCE.md finding 3)
    again, _ = plan_apply(emulator, repo, apply=False)
    assert not again.steps, [(s.address, [c.path for c in s.changes]) for s in again.steps]
