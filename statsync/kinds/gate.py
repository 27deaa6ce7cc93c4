"""Feature gates: `/console/v1/gates` (DIGEST §2)."""
from statsync.kinds import AUDIT_FIELDS, COMMON_FIELD_DOCS, GATE_CONDITIONS, RULE_LIST, RULE_SERVER_FIELDS, Kind

KIND = Kind(
    name="gate",
    plural="gates",
    title="Feature gate",
    collection="/gates",
    create_dto="GateCreateDto",
    partial_update_dto="GatePartialUpdateDto",
    response_dto="ExternalGateDto",
    fields={
        **{key: COMMON_FIELD_DOCS[key] for key in (
            "name", "description", "isEnabled", "idType", "tags", "targetApps", "rules",
            "team", "teamID", "releasePipelineID")},
        "type": "PERMANENT or TEMPORARY (temporary gates may be marked stale by Statsig).",
        "measureMetricLifts": "Measure metric lifts of users passing this gate.",
        "monitoringMetrics": "Metrics monitored for this gate's rollout ({name, type}).",
        "reviewSettings": "Whether changes to this gate require a review.",
    },
    defaults={
        "description": None,
        "isEnabled": True,
        "idType": "userID",
        "tags": [],
        "targetApps": [],
        "rules": [],
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
    references=(GATE_CONDITIONS,),
    has_versions=True,
    server_fields=(*AUDIT_FIELDS, "status", "typeReason", "checksPerHour", "isTemplate"),
    representable_states={"status": (None, "In Progress", "Disabled")},
)
