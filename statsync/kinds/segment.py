"""Segments: `/console/v1/segments` (DIGEST §5). Statsig has no update endpoint for a
segment itself: a rule-based segment's rules go through `/conditional`, an id-list
segment's ids through `/id_list` (added in chunks, or reset when some go), and any other
change means deleting and re-creating it (a `replace`, refused unless asked for)."""
from statsync.kinds import (TEAM, AUDIT_FIELDS, COMMON_FIELD_DOCS, CONDITION_UNIT_ID_TYPES, ENVIRONMENTS, RULE_LIST,
                            RULE_SERVER_FIELDS, SEGMENT_CONDITIONS, TAGS, UNIT_ID_TYPE, IdList, Kind)

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
        "type": "rule_based (rules decide) or id_list (a list of unit ids).",
        "rules": "Ordered rules; a unit is in the segment when a rule matches and passes. Segment rules allow "
                 "fewer condition types than gates.",
        "ids": "id_list segments: the unit ids in the segment.",
        "idsFile": "id_list segments: a text file of unit ids, one a line ('#' starts a comment), relative "
                   "to this YAML file. Instead of ids.",
    },
    own_fields={"ids": {"type": "array", "items": {"type": "string", "minLength": 1}},
                "idsFile": {"type": "string", "minLength": 1}},
    id_list=IdList(field="ids", file_field="idsFile", endpoint="/id_list", reset="/id_list/reset",
                   request_dto="SegmentIDListContractDto", when=("type", "id_list")),
    # no idType: omitted, it is the project's default unit type (see RULED_DEFAULTS)
    defaults={"description": None, "tags": [], "rules": [], "type": "rule_based"},
    keyed_lists={"rules": RULE_LIST},
    set_fields=("tags", "rules.environments"),
    empty_is_none=("description", "team", "teamID"),
    decimal_fields=("rules.passPercentage",),
    hidden=RULE_SERVER_FIELDS,
    references=(TEAM, ENVIRONMENTS, CONDITION_UNIT_ID_TYPES, SEGMENT_CONDITIONS, TAGS, UNIT_ID_TYPE),
    server_fields=(*AUDIT_FIELDS, "isEnabled", "count", "targetApps"),
    representable_states={"type": ("rule_based", "id_list")},
    enums={"type": ("rule_based", "id_list")},
    always_sent=("type",),  # required on create
    patchable=False,
    field_endpoints={"rules": "/conditional"},
    # the spec's SegmentRulesDto is a bare array; TF-code `internal/segment_client.go`
    # sends {"rules": [...]} (EVIDENCE.md, unproven): the other is tried once on a 400
    body_alternates={"/conditional": "rules"},
)
