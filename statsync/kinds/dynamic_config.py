"""Dynamic configs: `/console/v1/dynamic_configs` (DIGEST §3)."""
from dataclasses import replace

from statsync.kinds import (AUDIT_FIELDS, COMMON_FIELD_DOCS, CONDITION_UNIT_ID_TYPES, ENVIRONMENTS, GATE_CONDITIONS,
                            RULED_DEFAULTS, RULED_FIELDS, RULE_LIST, RULE_SERVER_FIELDS, SEGMENT_CONDITIONS, TAGS,
                            TARGET_APPS, UNIT_ID_TYPE, Kind, Lifecycle, Transition)

LIFECYCLE = Lifecycle(
    field="status",
    statuses=("Enabled", "Disabled", "Archived"),
    transitions=(
        Transition("enable", ("Disabled",), "Enabled"),
        Transition("disable", ("Enabled",), "Disabled"),
        Transition("archive", ("Enabled", "Disabled"), "Archived", body="{}"),
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
        "schema": "JSON Schema (text) that every return value must satisfy.",
        "status": "Enabled, Disabled or Archived. Managed only when set.",
    },
    defaults={
        **RULED_DEFAULTS,
        "defaultValue": {},
    },
    # a rule without a returnValue serves {} (the emulator's reading of the optional DTO field)
    keyed_lists={"rules": replace(RULE_LIST, item_defaults={"returnValue": {}})},
    set_fields=("tags", "targetApps", "rules.environments"),
    empty_is_none=("description", "team", "teamID", "releasePipelineID", "schema"),
    decimal_fields=("rules.passPercentage",),
    json_fields=("defaultValue", "rules.returnValue"),
    # JSON5 twins and rule variants are not modelled yet: the server derives the
    # twins from the JSON fields, so managing both would fight the server.
    hidden=(*RULE_SERVER_FIELDS, "rules.returnValueJson5", "rules.variants"),
    references=(ENVIRONMENTS, CONDITION_UNIT_ID_TYPES, GATE_CONDITIONS, SEGMENT_CONDITIONS, TAGS, TARGET_APPS,
                UNIT_ID_TYPE),
    has_versions=True,
    # DynamicConfigPartialUpdateDto declares isEnabled default true: a PATCH
    # without it might re-enable a disabled config (DIGEST §3.3).
    always_sent=("isEnabled",),
    server_fields=(*AUDIT_FIELDS, "defaultValueJson5", "schemaJson5", "isTemplate", "rules.returnValueJson5"),
    lifecycle=LIFECYCLE,
)
