"""Feature gates: `/console/v1/gates` (DIGEST §2)."""
from statsync.kinds import (TEAM, RELEASE_PIPELINE, AUDIT_FIELDS, COMMON_FIELD_DOCS, CONDITION_UNIT_ID_TYPES, ENVIRONMENTS, GATE_CONDITIONS,
                            OVERRIDES, OVERRIDE_ENVIRONMENTS, RULED_DEFAULTS, RULED_FIELDS, RULE_LIST,
                            RULE_SERVER_FIELDS, SEGMENT_CONDITIONS, TAGS, TARGET_APPS, UNIT_ID_TYPE, Kind, Lifecycle, Reference,
                            Transition)
from statsync.kinds.metric import METRIC_ITEMS

LIFECYCLE = Lifecycle(
    field="status",
    statuses=("In Progress", "Launched", "Disabled", "Archived"),
    transitions=(
        Transition("launch", ("In Progress", "Disabled"), "Launched"),
        Transition("disable", ("In Progress", "Launched"), "Disabled"),
        Transition("enable", ("Launched", "Disabled"), "In Progress"),
        # docs tie archiving to no checks in 7 days; `statsync: {forceArchive: true}` overrides
        Transition("archive", ("In Progress", "Launched", "Disabled"), "Archived", body="{}",
                   setting="forceArchive"),
        Transition("unarchive", ("Archived",), "In Progress", body="{}", before_update=True),
    ),
    read_only=("Archived",),
    initial="In Progress",
    disabled="Disabled",
    # A launched gate answers isEnabled false: its rules are kept but not evaluated and it
    # passes everyone (spec and legacy-docs `gates.js` launch example; SDK eval_proj_dcs.json
    # `test_holdout_default_value_gate` stores it as enabled: false, defaultValue: true).
    status_fields={"In Progress": {"isEnabled": True}, "Disabled": {"isEnabled": False},
                   "Launched": {"isEnabled": False}},
)

KIND = Kind(
    name="gate",
    plural="gates",
    title="Feature gate",
    collection="/gates",
    create_dto="GateCreateDto",
    partial_update_dto="GatePartialUpdateDto",
    response_dto="ExternalGateDto",
    fields={
        **{key: COMMON_FIELD_DOCS[key] for key in RULED_FIELDS},
        "type": "PERMANENT or TEMPORARY (temporary gates may be marked stale by Statsig).",
        "measureMetricLifts": "Measure metric lifts of users passing this gate.",
        "monitoringMetrics": "Metrics monitored for this gate's rollout ({name, type}).",
        "reviewSettings": "Whether changes to this gate require a review.",
        "overrides": COMMON_FIELD_DOCS["overrides"] + " {passingUserIDs, failingUserIDs, passingCustomIDs, "
                     "failingCustomIDs, environmentOverrides: [{environment, unitID, passingIDs, failingIDs}]}",
        "isTemplate": "Whether this is a template for new ones (set at creation only).",
        "status": "In Progress (rules evaluated), Launched (everyone passes), Disabled (everyone fails) or "
                  "Archived. Managed only when set.",
    },
    defaults={
        **RULED_DEFAULTS,
        "isTemplate": False,
        "type": "TEMPORARY",
        "measureMetricLifts": True,
        "monitoringMetrics": [],
        "reviewSettings": {"requiredReview": False},
    },
    keyed_lists={"rules": RULE_LIST},
    set_fields=("tags", "targetApps", "monitoringMetrics", "rules.environments"),
    empty_is_none=("description", "team", "teamID", "releasePipelineID"),
    decimal_fields=("rules.passPercentage",),
    json_fields=(),
    hidden=(*RULE_SERVER_FIELDS, "rules.returnValue"),
    references=(TEAM, ENVIRONMENTS, CONDITION_UNIT_ID_TYPES, OVERRIDE_ENVIRONMENTS, GATE_CONDITIONS, SEGMENT_CONDITIONS,
                TAGS, TARGET_APPS, UNIT_ID_TYPE, RELEASE_PIPELINE,
                # metrics by {name, type}: the repository's (created first) or live ones
                Reference(target="metric", items="monitoringMetrics", item_parts=METRIC_ITEMS)),
    has_versions=True,
    server_fields=(*AUDIT_FIELDS, "typeReason", "checksPerHour"),
    sub_resources={"overrides": OVERRIDES},
    lifecycle=LIFECYCLE,
    aliases={"type": {"STALE": "TEMPORARY"}},
)
