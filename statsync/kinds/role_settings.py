"""The role new members get: `/console/v1/settings/roles` (GET reads, POST writes whole)."""
from statsync.kinds import Kind, Reference

KIND = Kind(
    name="role_settings",
    plural="settings",
    title="Role settings",
    collection="/settings/roles",
    create_dto="SettingsRolesContractDto",
    partial_update_dto="SettingsRolesContractDto",
    response_dto="SettingsRolesContractDto",
    fields={"default_project_role": "The role a user joining the project is given (a built-in role such as "
                                    "Member or Read Only, or a custom role's name)."},
    name_defaults_to_id=False,
    singleton=True,
    references=(Reference(target="role", field="default_project_role"),),
    # ⚠ unproven which action Statsig records for which change (the spec lists the names)
    audit_actions=("set_company_default_user_role",),
)
