"""Segments: `/console/v1/segments` (DIGEST §5). Rule-based segments are managed; Statsig
has no update endpoint for a segment itself, only for its rules, so any other change
means deleting and re-creating it (a `replace`, refused unless asked for)."""
from statsync.kinds import (AUDIT_FIELDS, COMMON_FIELD_DOCS, RULE_LIST, RULE_SERVER_FIELDS, SEGMENT_CONDITIONS, TAGS,
                            UNIT_ID_TYPE, Kind)

KIND = Kind(
    name="segment",
    plural="segments",
    title="Segment",
    collection="/segments",
    create_dto="SegmentCreateContractDto",
    partial_update_dto="SegmentCreateContractDto",  # there is none: the create DTO is the whole contract
    response_dto="SegmentDto",
    fields={
        **{key: COMMON_FIELD_DOCS[key] for key in ("name", "description", "idType", "tags", "team", "teamID")},
        "type": "rule_based (id lists are not managed by statsync yet).",
        "rules": "Ordered rules; a unit is in the segment when a rule matches and passes. Segment rules allow "
                 "fewer condition types than gates.",
    },
    defaults={"description": None, "idType": "userID", "tags": [], "rules": [], "type": "rule_based"},
    keyed_lists={"rules": RULE_LIST},
    set_fields=("tags", "rules.environments"),
    empty_is_none=("description", "team", "teamID"),
    decimal_fields=("rules.passPercentage",),
    hidden=RULE_SERVER_FIELDS,
    references=(SEGMENT_CONDITIONS, TAGS, UNIT_ID_TYPE),
    server_fields=(*AUDIT_FIELDS, "isEnabled", "count", "targetApps"),
    representable_states={"type": ("rule_based",)},
    enums={"type": ("rule_based",)},
    always_sent=("type",),  # required on create
    patchable=False,
    field_endpoints={"rules": "/conditional"},
)
