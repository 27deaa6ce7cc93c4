"""Experiments: `/console/v1/experiments` (DIGEST §4)."""
from statsync.errors import Problem, display_path
from statsync.kinds import (TEAM, AUDIT_FIELDS, COMMON_FIELD_DOCS, TAGS, TARGET_APPS, UNIT_ID_TYPE, KeyedList, Kind,
                            Lifecycle, Reference, SubResource, Transition)
from statsync.kinds.metric import METRIC_ITEMS


def sets_only_its_layers_parameters(experiment, objects: dict) -> list[Problem]:
    """An experiment in a layer sets the layer's parameters, and only those (DIGEST §6)."""
    layer = objects.get(("layer", experiment.body.get("layerID")))
    if layer is None:
        return []
    known = {parameter.get("name") for parameter in layer.body.get("parameters") or []}
    problems = []
    for index, group in enumerate(experiment.body.get("groups") or []):
        for name in (group.get("parameterValues") or {}):
            if name not in known:
                path = ("groups", index, "parameterValues", name)
                problems.append(Problem(experiment.mark(path, key=True), f"layer {layer.id!r} has no parameter "
                                        f"{name!r} (declared at {layer.mark(('parameters',))})", display_path(path)))
    return problems

LIFECYCLE = Lifecycle(
    field="status",
    statuses=("setup", "active", "decision_made", "abandoned", "archived"),
    transitions=(
        Transition("start", ("setup",), "active", body="{}"),
        Transition("make_decision", ("active",), "decision_made", body="decision", final_only=True,
                   also_changes="layerID"),
        Transition("abandon", ("active",), "abandoned", body="decision", final_only=True),
        Transition("reset", ("active", "abandoned"), "setup", before_update=True, final_only=True),
        Transition("archive", ("setup", "decision_made", "abandoned"), "archived", body="{}"),
        Transition("unarchive", ("archived",), "setup", before_update=True),
    ),
    read_only=("archived",),
    initial="setup",
    created_in=("active",),  # POST /experiments takes status setup or active (DIGEST §17.1)
    inputs=("launchedGroupID", "decisionReason"),
    locked={"active": ("groups",)},
    only_increase={"active": ("allocation",)},
    forbidden={
        ("decision_made", "active"): "a decision is final in Statsig: results are frozen once a group ships",
        ("decision_made", "setup"): "a decision is final in Statsig: results are frozen once a group ships",
        ("decision_made", "abandoned"): "a decision is final in Statsig: results are frozen once a group ships",
    },
)

# Overrides force units into groups: those passing a gate or in a segment, or listed ids.
OVERRIDE_REFERENCES = (
    Reference(target="gate", items="overrides.overrides", item_field="id", when=("type", "gate")),
    Reference(target="segment", items="overrides.overrides", item_field="id", when=("type", "segment")),
    Reference(target="environments", items="overrides.overrides", item_field="environment"),
    Reference(target="environments", items="overrides.userIDOverrides", item_field="environment"),
)

_METRIC_DOC = "Metrics ({name, type, direction?, hypothesizedValue?})."

KIND = Kind(
    name="experiment",
    plural="experiments",
    title="Experiment",
    collection="/experiments",
    create_dto="ExperimentCreateDto",
    partial_update_dto="ExperimentPartialUpdateDto",
    response_dto="ExternalExperimentDto",
    fields={
        **{key: COMMON_FIELD_DOCS[key] for key in (
            "name", "description", "idType", "tags", "targetApps", "team", "teamID")},
        "hypothesis": "What the experiment is expected to show.",
        "groups": "Ordered groups; sizes are percentages of allocated traffic and sum to 100.",
        "allocation": "Percentage of the layer's traffic allocated to the experiment.",
        "targetingGateID": "Id of the gate a unit must pass to enter the experiment.",
        "layerID": "Id of the layer the experiment runs in (set at creation only). Omitted: Statsig's implicit "
                   "layer for this experiment.",
        "primaryMetrics": _METRIC_DOC,
        "secondaryMetrics": _METRIC_DOC,
        "otherMetrics": _METRIC_DOC,
        "duration": "Planned duration in days.",
        "targetExposures": "Exposures needed before the experiment is conclusive.",
        "defaultConfidenceInterval": "Confidence interval used in results (80, 90, 95, 98, 99).",
        "bonferroniCorrection": "Apply Bonferroni correction across groups.",
        "bonferroniCorrectionPerMetric": "Apply Bonferroni correction across metrics.",
        "benjaminiHochbergPerVariant": "Benjamini-Hochberg correction per variant.",
        "benjaminiHochbergPerMetric": "Benjamini-Hochberg correction per metric.",
        "benjaminiPrimaryMetricsOnly": "Restrict Benjamini-Hochberg to primary metrics.",
        "sequentialTesting": "Use sequential testing.",
        "analyticsType": "frequentist, bayesian or sprt.",
        "links": "Links shown on the experiment ({url, title?}).",
        "status": "setup, active (started), decision_made (a group shipped), abandoned or archived. "
                  "Managed only when set.",
        "launchedGroupID": "With status decision_made: the group to ship, by name (or id).",
        "decisionReason": "With decision_made or abandoned: why.",
        "primaryMetricTags": "Metric tags whose metrics Statsig adds to the primary metrics.",
        "secondaryMetricTags": "Metric tags whose metrics Statsig adds to the secondary metrics.",
        "controlGroupID": "The control group, by name: the group the others are compared with.",
        "isAnalysisOnly": "Analyse an assignment made outside Statsig (warehouse native).",
        "secondaryIDType": "A second unit ID type results are also computed on.",
        "allocationDuration": "Days over which allocation ramps up.",
        "analysisEndTime": "When analysis stops (ISO date).",
        "fixedAnalysisDuration": "Days analysed, fixed.",
        "cohortedAnalysisDuration": "Days each cohort is analysed for.",
        "cohortedMetricsMatureAfterEnd": "Let cohorted metrics mature after the experiment ends.",
        "cohortWaitUntilEndToInclude": "Include a cohort only once its window has ended.",
        "assignmentSourceName": "Warehouse-native assignment source.",
        "assignmentSourceExperimentName": "Experiment name within the assignment source.",
        "assignmentSourceFilters": "Filters on the assignment source ({column, condition, values}).",
        "identifierMappingMode": "How identities map (strictOneToOne, firstTouchOneToMany, lastTouchOneToMany).",
        "identityResolutionSource": "Source used to resolve identities.",
        "isSidecar": "Run as a sidecar experiment.",
        "manualQualityScores": "Quality scores given by hand ({criteriaName, criteriaDescription, …}).",
        "scheduledReloadType": "Scheduled result reloads: full or incremental.",
        "scheduledReloadHour": "Hour (0–23) of the scheduled reload.",
        "stratifiedSampling": "Stratified sampling settings.",
        "overrides": COMMON_FIELD_DOCS["overrides"] + " {overrides: [{type: gate|segment, id, groupID, "
                     "environment?}], userIDOverrides: [{groupID, ids, environment?, unitType?}]}; groupID is the "
                     "group's name.",
    },
    defaults={
        "description": None,
        "hypothesis": None,
        # no idType: omitted, it is the project's default unit type (see RULED_DEFAULTS)
        "tags": [],
        "targetApps": [],
        "allocation": 100,
        "duration": 14,
        "targetingGateID": None,
        "layerID": None,
        "defaultConfidenceInterval": "95",
        "bonferroniCorrection": False,
        "primaryMetrics": [],
        "secondaryMetrics": [],
        "primaryMetricTags": [],
        "secondaryMetricTags": [],
        "groups": [
            {"name": "Control", "size": 50, "parameterValues": {}},
            {"name": "Test", "size": 50, "parameterValues": {}},
        ],
    },
    keyed_lists={"groups": KeyedList(key="name", server_ids=("id",))},
    set_fields=("tags", "targetApps", "primaryMetrics", "secondaryMetrics", "otherMetrics", "primaryMetricTags",
                "secondaryMetricTags"),
    empty_is_none=("description", "hypothesis", "team", "teamID", "targetingGateID", "decisionReason",
                   "launchedGroupID", "layerID", "controlGroupID"),
    decimal_fields=("allocation", "groups.size"),
    json_fields=("groups.parameterValues",),
    hidden=("groups.id", "groups.foreignGroupID"),
    references=(TEAM, *OVERRIDE_REFERENCES, Reference(target="gate", field="targetingGateID"),
                Reference(target="layer", field="layerID"), TAGS, TARGET_APPS, UNIT_ID_TYPE,
                # metrics by {name, type}: the repository's or live ones; Statsig's own need none
                *(Reference(target="metric", items=name, item_parts=METRIC_ITEMS)
                  for name in ("primaryMetrics", "secondaryMetrics", "otherMetrics"))),
    sums_to_100=("groups",),
    server_fields=(*AUDIT_FIELDS, "decisionTime", "startTime", "endTime", "healthChecks", "healthCheckStatus", "inlineTargetingRulesJSON", "summarySections", "subtype",
                   "externalExperimentName"),
    representable_states={"status": (None, "setup", "active", "decision_made", "abandoned", "archived")},
    lifecycle=LIFECYCLE,
    # Statsig expands metric tags into the metrics carrying them and answers the tags as []
    # (TF-test `tests/test_resources/experiment_full.tf`, `tests/experiment_resource_test.go`)
    write_only=("primaryMetricTags", "secondaryMetricTags"),
    grows={"primaryMetrics": "primaryMetricTags", "secondaryMetrics": "secondaryMetricTags"},
    # the spec's and legacy-docs' GET examples answer an override's gate or segment as
    # `name`, where POST takes `id` (EVIDENCE.md "still unproven")
    sub_resources={"overrides": SubResource(endpoint="/overrides", dto="ExperimentOverridesDto",
                                            group_field="groupID", item_aliases={"name": "id"})},
    enums={"status": LIFECYCLE.statuses},
    # TF-code (`internal/experiment_client.go`) sends controlGroupID beside the groups
    group_refs=("controlGroupID",),
    checks=(sets_only_its_layers_parameters,),
)
