"""Unit ID types: `/console/v1/unit_id_types` (DIGEST §11). The name is the id; userID
and stableID are built in and need no file."""
from statsync.kinds import Kind

KIND = Kind(
    name="unit_id_type",
    plural="unit_id_types",
    title="Unit ID type",
    collection="/unit_id_types",
    identity="name",
    create_dto="UnitIdTypeContractDto",
    partial_update_dto="UnitIdTypeUpdateContractDto",
    response_dto="UnitIdTypeContractDto",
    fields={"description": "What this unit is (a company, a device…)."},
    defaults={"description": ""},
    name_defaults_to_id=False,
    always_sent=("description",),  # the update DTO requires it
    builtins=("userID", "stableID"),
    # ⚠ unproven which action Statsig records for which change (the spec lists the names)
    audit_actions=("company_ID_type_add", "company_ID_type_edit", "company_ID_type_delete"),
)
