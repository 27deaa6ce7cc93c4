"""Dynamic configs: `/console/v1/dynamic_configs` (DIGEST §3)."""
from dataclasses import replace

from statsync.kinds import (TEAM, RELEASE_PIPELINE, AUDIT_FIELDS, COMMON_FIELD_DOCS, CONDITION_UNIT_ID_TYPES, ENVIRONMENTS, GATE_CONDITIONS,
                            RULED_DEFAULTS, RULED_FIELDS, RULE_LIST, RULE_SERVER_FIELDS, SEGMENT_CONDITIONS, TAGS,
                            TARGET_APPS, UNIT_ID_TYPE, Kind, Lifecycle, Transition)

LIFECYCLE = Lifecycle(
    field="status",
    statuses=("Enabled", "Disabled", "Archived"),
    transitions=(
        Transition("enable", ("Disabled",), "Enabled"),
        Transition("disable", ("Enabled",), "Disabled"),
        Transition("archive", ("Enabled", "Disabled"), "Archived", body="{}", setting="forceArchive"),
        Transition("unarchive", ("Archived",), "Enabled", body="{}", before_update=True),
    ),
    read_only=("Archived",),
    initial="Enabled",
    disabled="Disabled",
    status_fields={"Enabled": {"isEnabled": True}, "Disabled": {"isEnabled": False}},
)

KIND = Kind(
    name="dynamic_config",
    plural="dynamic_configs",
    title="Dynamic config",
    collection="/dynamic_configs",
    create_dto="DynamicConfigCreateDto",
    partial_update_dto="DynamicConfigPartialUpdateDto",
    response_dto="DynamicConfigDto",
    fields={
        **{key: COMMON_FIELD_DOCS[key] for key in RULED_FIELDS},
        "defaultValue": "JSON object served when no rule matches.",
        "defaultValueJson5": "The default value as JSON5 text (comments kept); instead of defaultValue.",
        "schema": "JSON Schema (text) that every return value must satisfy.",
        "schemaJson5": "The schema as JSON5 text (comments kept); instead of schema.",
        "isTemplate": "Whether this is a template for new ones (set at creation only).",
        "status": "Enabled, Disabled or Archived. Managed only when set.",
    },
    defaults={
        **RULED_DEFAULTS,
        "isTemplate": False,
        "defaultValue": {},
    },
    # a rule without a returnValue serves {}, without variants has none (optional DTO fields;
    # ⚠ unproven what Statsig answers for them: the emulator's reading, for `statsync probe`)
    keyed_lists={"rules": replace(RULE_LIST, item_defaults={"returnValue": {}, "variants": []},
                                  twins={"returnValue": "returnValueJson5"})},
    # TF-test `dynamic_config_full.tf` sends JSON5 with unquoted keys and plans empty: the
    # server keeps the text verbatim (EVIDENCE.md #5).
    json5_twins={"defaultValue": "defaultValueJson5", "schema": "schemaJson5"},
    # stored minified; the readable text is in schemaJson5 (spec examples, EVIDENCE.md #10)
    json_text_fields=("schema",),
    set_fields=("tags", "targetApps", "rules.environments"),
    empty_is_none=("description", "team", "teamID", "releasePipelineID", "schema"),
    decimal_fields=("rules.passPercentage",),
    json_fields=("defaultValue", "rules.returnValue", "rules.variants.returnValue"),
    # a variant's id is the server's (rule variants: migrations `src/types.ts`, EVIDENCE.md #6)
    hidden=(*RULE_SERVER_FIELDS, "rules.variants.id"),
    references=(TEAM, ENVIRONMENTS, CONDITION_UNIT_ID_TYPES, GATE_CONDITIONS, SEGMENT_CONDITIONS, TAGS, TARGET_APPS,
                UNIT_ID_TYPE, RELEASE_PIPELINE),
    has_versions=True,
    # DynamicConfigPartialUpdateDto declares isEnabled default true: a PATCH
    # without it might re-enable a disabled config (DIGEST §3.3).
    always_sent=("isEnabled",),
    server_fields=AUDIT_FIELDS,
    lifecycle=LIFECYCLE,
)
