"""Convergence as a property: any valid repository, applied, plans empty, and applying
it again sends no mutation — from an empty project and from one already holding other
values for the same ids.

Repositories are generated from the kinds' own schemas (statuses, lifecycle fields,
overrides, JSON values included); only references are drawn from what the repository
or every project has, so each generated repository is valid by construction.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statsync.emulator.faults import MUTATIONS
from statsync.errors import InvalidConfig
from statsync.schemas import kind_schema
from tests.conftest import plan_apply
from tests.strategies import DOCUMENTED_OPERATORS, from_schema

ENVIRONMENTS = ("development", "staging", "production")
# fields whose values name other objects: drawn below from what exists
REFERENCING = {"tags", "targetApps", "targetingGateID", "layerID", "idType", "rules", "groups", "overrides",
               "status", "launchedGroupID", "decisionReason", "primaryMetricTags", "secondaryMetricTags",
               "isEnabled", "releasePipelineID", "teamID", "team", "controlGroupID",
               "defaultValue", "defaultValueJson5", "schema", "schemaJson5", "default_project_role",
               "primaryMetrics", "secondaryMetrics", "otherMetrics", "monitoringMetrics", "variants",
               "linkedExperimentName", "metricSourceID"}
SELF_CONTAINED = tuple(sorted(DOCUMENTED_OPERATORS))
NAMES = st.text(st.characters(codec="utf-8", categories=("L", "N")), min_size=1, max_size=10)

EMAILS = ("ada@example.com", "grace@example.com", "alan@example.com")
# metrics Statsig makes itself: referenced without a file
OWN_METRICS = ({"name": "dau", "type": "user"}, {"name": "page_view", "type": "event_count"},
               {"name": "purchase", "type": "event_dau"})


def _scalar_fields(kind_name: str) -> dict:
    props = kind_schema(kind_name)["properties"]
    return {name: from_schema(schema) for name, schema in props.items()
            if name not in ("kind", "id", "statsync", *REFERENCING)}


def _condition():
    return st.one_of(
        st.just({"type": "public"}),
        st.sampled_from(SELF_CONTAINED).flatmap(lambda kind: st.fixed_dictionaries({
            "type": st.just(kind),
            "operator": st.sampled_from(DOCUMENTED_OPERATORS[kind]),
            "targetValue": (st.lists(st.sampled_from(ENVIRONMENTS), min_size=1, max_size=2, unique=True)
                            if kind == "environment_tier" else
                            st.lists(NAMES, min_size=1, max_size=3, unique=True)),
            **({"field": NAMES} if kind == "custom_field" else {}),
        })),
    )


JSON_OBJECTS = st.dictionaries(NAMES, st.integers(0, 9) | NAMES | st.booleans(), max_size=2)


def _json5(value: dict) -> str:
    """JSON5 as people write it: a comment, unquoted keys, a trailing comma."""
    import json

    entries = "".join(f"\n  {key}: {json.dumps(item)}," if key.isidentifier() else f"\n  {json.dumps(key)}: "
                      f"{json.dumps(item)}," for key, item in value.items())
    return f"// kept in git\n{{{entries}\n}}"


def _json_or_json5(plain: str, twin: str):
    """A value written as JSON, or as JSON5 text, or not at all."""
    return st.one_of(st.just({}), JSON_OBJECTS.map(lambda v: {plain: v}),
                     JSON_OBJECTS.map(lambda v: {twin: _json5(v)}))


def _rules(json_values: bool):
    rule = st.fixed_dictionaries(
        {"passPercentage": st.sampled_from([0, 100, 10, 33.33, 50.5]),
         "conditions": st.lists(_condition(), min_size=1, max_size=3)},
        optional={"environments": st.lists(st.sampled_from(ENVIRONMENTS), min_size=1, max_size=2, unique=True),
                  **({"variants": st.lists(st.fixed_dictionaries({
                      "name": NAMES, "passPercentage": st.sampled_from([0, 50, 100]), "returnValue": JSON_OBJECTS}),
                      max_size=2, unique_by=lambda v: v["name"])} if json_values else {})})
    if json_values:
        rule = st.tuples(rule, _json_or_json5("returnValue", "returnValueJson5")).map(lambda p: {**p[0], **p[1]})
    # a rule may be a rename of the live "Rule i" (previousName): its ids go with it, or, where
    # no such rule is live, it is created; either way the next plan is empty
    named = st.sampled_from([lambda i: {"name": f"Rule {i}"},
                             lambda i: {"name": f"Renamed {i}", "previousName": f"Rule {i}"}])
    return st.lists(st.tuples(rule, named), max_size=3).map(
        lambda rules: [{**name(i), **r} for i, (r, name) in enumerate(rules)])


def _groups():
    sizes = st.sampled_from([[100], [50, 50], [34, 33, 33], [25.5, 74.5]])
    return sizes.flatmap(lambda split: st.tuples(*[
        st.fixed_dictionaries({"name": st.just(f"Group {i}"), "size": st.just(size),
                               "parameterValues": st.dictionaries(NAMES, st.integers(0, 9) | st.booleans(),
                                                                  max_size=2)},
                              optional={"description": NAMES})
        for i, size in enumerate(split)]).map(list))


@st.composite
def gate(draw, object_id: str, fresh: bool) -> dict:
    body = draw(st.fixed_dictionaries({}, optional=_scalar_fields("gate")))
    body.update(kind="gate", id=object_id, rules=draw(_rules(json_values=False)))
    body.update(draw(st.fixed_dictionaries({}, optional={
        "isEnabled": st.booleans(),
        "status": st.sampled_from(("In Progress", "Launched", "Disabled", "Archived")),
        "idType": st.sampled_from(("userID", "stableID")),
        "monitoringMetrics": st.lists(st.sampled_from(OWN_METRICS), unique_by=str, max_size=2),
        "overrides": st.fixed_dictionaries({}, optional={"passingUserIDs": st.lists(NAMES, max_size=2, unique=True),
                                                         "failingUserIDs": st.lists(NAMES, max_size=2, unique=True)}),
    })))
    return _consistent(body, "gate")


@st.composite
def dynamic_config(draw, object_id: str, fresh: bool) -> dict:
    body = draw(st.fixed_dictionaries({}, optional=_scalar_fields("dynamic_config")))
    body.update(kind="dynamic_config", id=object_id, rules=draw(_rules(json_values=True)))
    body.update(draw(_json_or_json5("defaultValue", "defaultValueJson5")))
    schema = draw(st.sampled_from([None, '{"type": "object"}', '{\n  "type":"object" }']))
    if schema is not None:  # stored minified by Statsig: compared as parsed JSON
        body.update(draw(st.sampled_from([{"schema": schema}, {"schemaJson5": "// a schema\n" + schema}])))
    body.update(draw(st.fixed_dictionaries({}, optional={
        "isEnabled": st.booleans(),
        "status": st.sampled_from(("Enabled", "Disabled", "Archived")),
        "idType": st.sampled_from(("userID", "stableID")),
    })))
    return _consistent(body, "dynamic_config")


@st.composite
def experiment(draw, object_id: str, fresh: bool) -> dict:
    body = draw(st.fixed_dictionaries({}, optional=_scalar_fields("experiment")))
    body.update(kind="experiment", id=object_id, groups=draw(_groups()))
    # a decision needs the experiment running first (a plan step of its own, refused
    # until the start is applied): a fresh project asks for what one apply can do
    statuses = ("setup", "active", "archived") if fresh else ("setup", "active", "archived", "decision_made",
                                                               "abandoned")
    body.update(draw(st.fixed_dictionaries({}, optional={"status": st.sampled_from(statuses)})))
    if body.get("status") == "decision_made":
        body["launchedGroupID"] = body["groups"][0]["name"]
    for name in ("primaryMetrics", "secondaryMetrics"):  # Statsig's own metrics: no file needed
        if draw(st.booleans()):
            body[name] = draw(st.lists(st.sampled_from(OWN_METRICS), max_size=2, unique_by=lambda m: m["name"]))
    if draw(st.booleans()):
        body["controlGroupID"] = draw(st.sampled_from([group["name"] for group in body["groups"]]))
    return body


def _consistent(body: dict, kind_name: str) -> dict:
    """A file may not write an isEnabled its status contradicts (validation says so, and a
    test of its own checks that); it may write either alone, or both agreeing."""
    from statsync.lifecycle import contradiction
    from statsync.kinds import get


    if contradiction(get(kind_name), body):
        body.pop("isEnabled")
    return body


def _static_parameters():
    """A parameter store's parameters that name no other object: static values of each type."""
    value = st.one_of(st.tuples(st.just("boolean"), st.booleans()), st.tuples(st.just("number"), st.integers(-9, 99)),
                      st.tuples(st.just("string"), NAMES))
    item = st.tuples(NAMES, value).map(lambda p: {"name": p[0], "ref_type": "static", "param_type": p[1][0],
                                                   "value": p[1][1]})
    return st.lists(item, max_size=3, unique_by=lambda parameter: parameter["name"])


def plain(kind_name: str, **referencing):
    from statsync.kinds import get

    """A kind whose fields name nothing (or only what `referencing` draws): drawn whole
    from its schema — the settings, roles. A new plain kind joins by one line below."""
    @st.composite
    def make(draw, object_id: str, fresh: bool) -> dict:
        fields = {name: value for name, value in {**_scalar_fields(kind_name), **referencing}.items()
                  if not (name == "name" and (get(kind_name).identity == "name" or get(kind_name).id_from_name))}  # the id is its name
        required = set(kind_schema(kind_name).get("required", ()))  # what a create needs (an autotune's)
        body = draw(st.fixed_dictionaries({name: value for name, value in fields.items() if name in required},
                                          optional={name: value for name, value in fields.items()
                                                    if name not in required}))
        return {"kind": kind_name, "id": object_id, **body}
    return make


KINDS = {"gate": gate, "dynamic_config": dynamic_config, "experiment": experiment, "role": plain("role"),
         "project_settings": plain("project_settings"), "review_settings": plain("review_settings"),
         "role_settings": plain("role_settings", default_project_role=st.sampled_from(("Member", "Read Only"))),
         "team_settings": plain("team_settings"),
         "autotune": plain("autotune", variants=st.lists(
             st.fixed_dictionaries({"name": NAMES, "json": JSON_OBJECTS}), min_size=2, max_size=3,
             unique_by=lambda variant: variant["name"]),
             # shares, at least 0.001 (the schema's minimum, which the drawn floats overlook)
             explorationWindowRate=st.sampled_from((0.001, 0.25, 1)),
             longtermExplorationAllocation=st.sampled_from((0.001, 0.1, 1))),
         "param_store": plain("param_store", parameters=_static_parameters(), tags=st.just([]),
                              targetAppIDs=st.just([]), team=st.just("")),
         "team": plain("team", members=st.lists(st.sampled_from(EMAILS), unique=True, max_size=3),
                       admins=st.lists(st.sampled_from(EMAILS), unique=True, max_size=2),
                       defaultTargetApplications=st.just([]), defaultHoldoutID=st.none(),
                       **{name: st.lists(st.sampled_from(OWN_METRICS), unique_by=str, max_size=2)
                          for name in ("defaultGateMetrics", "defaultExperimentPrimaryMetrics",
                                       "defaultExperimentSecondaryMetrics", "defaultHoldoutMetrics")})}


@st.composite
def repositories(draw, fresh: bool = True) -> list[dict]:
    from statsync.kinds import get

    docs = []
    for kind_name, make in KINDS.items():
        singleton = get(kind_name).singleton  # one per project, its id the kind's name
        for index in range(draw(st.integers(0, 1 if singleton else 2))):
            docs.append(draw(make(kind_name if singleton else f"{kind_name}_{index}", fresh)))
    return docs


def _write(root: Path, docs: list[dict]) -> Path:
    repo = root / "repo"
    repo.mkdir(exist_ok=True)
    (repo / "objects.yaml").write_text(yaml.safe_dump_all(docs, sort_keys=False, allow_unicode=True))
    return repo


def _converges(emulator, repo: Path) -> None:
    plan, outcomes = plan_apply(emulator, repo, allow_replace=True)
    failed = [(o.step.address, o.error) for o in outcomes if not o.ok]
    assert not failed, failed
    again, _ = plan_apply(emulator, repo, apply=False)
    assert not again.steps, [(s.address, [(c.path, c.before, c.after) for c in s.changes]) for s in again.steps]
    before = len(emulator.log)
    plan_apply(emulator, repo)
    mutations = [(r.method, r.path) for r in emulator.log[before:] if r.method in MUTATIONS]
    assert not mutations, mutations


def _rule_salts(emulator) -> dict:
    return {(collection, object_id, rule["name"]): rule["baseID"] for collection in ("gates", "dynamic_configs")
            for object_id, obj in emulator.store.collection(collection).items() for rule in obj.get("rules") or []}


PROPERTY = settings(max_examples=200, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@PROPERTY
@given(repositories())
def test_any_repository_applied_to_an_empty_project_plans_empty(docs):
    from statsync.emulator.app import Emulator

    emulator = Emulator(seed=7, check_responses=True)
    with tempfile.TemporaryDirectory() as root:
        _converges(emulator, _write(Path(root), docs))


@settings(PROPERTY, max_examples=120)
@given(repositories(fresh=True), repositories(fresh=False))
def test_any_repository_applied_over_other_values_plans_empty(first, second):
    """The same ids already hold other values (and statuses): one apply brings them to the
    repository's, the next plan is empty."""
    from statsync.emulator.app import Emulator

    emulator = Emulator(seed=7, check_responses=True)
    with tempfile.TemporaryDirectory() as root:
        _converges(emulator, _write(Path(root), first))
        salts = _rule_salts(emulator)
        created = {object_id: obj.get("createdTime") for collection in ("gates", "dynamic_configs")
                   for object_id, obj in emulator.store.collection(collection).items()}
        try:
            _converges(emulator, _write(Path(root), second))
            # a rule renamed with previousName keeps the live rule's salt (its users' buckets)
            for (collection, object_id, old), salt in salts.items():
                renamed = [rule["name"] for doc in second if doc["id"] == object_id and collection.startswith(
                    doc["kind"]) for rule in doc.get("rules") or [] if rule.get("previousName") == old
                    and (collection, object_id, rule["name"]) not in salts]
                recreated = (emulator.store.get(collection, object_id) or {}).get("createdTime") != created[object_id]
                for name in renamed if not recreated else []:  # a replace (isTemplate changed) starts afresh
                    assert _rule_salts(emulator)[(collection, object_id, name)] == salt, (object_id, old, name)
        except InvalidConfig as refused:
            # what Statsig forbids is refused at plan time, before anything is sent
            # (editing a running experiment's groups, a decision before the start…)
            assert all("status" in p.message or "cannot" in p.message or "can only" in p.message
                       or "decision" in p.message or "no way" in p.message for p in refused.problems), refused
