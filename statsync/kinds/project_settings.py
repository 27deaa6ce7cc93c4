"""The project's settings: `/console/v1/settings/project` (GET reads, POST writes whole).

One per project, never created or deleted. A document sets the fields it manages; the
rest are read from the live settings and sent back as they are, since the POST body
requires `name` and `visibility` (SettingsProjectContractDto). TF-test
`tests/test_resources/settings_project.tf` writes `default_unit_type = "user_id"` and plans
empty: the value is Statsig's spelling, not a unit ID type's name, so it is not a reference.
"""
from statsync.kinds import Kind

KIND = Kind(
    name="project_settings",
    plural="settings",
    title="Project settings",
    collection="/settings/project",
    create_dto="SettingsProjectContractDto",
    partial_update_dto="SettingsProjectContractDto",
    response_dto="SettingsProjectContractDto",
    fields={
        "name": "The project's name.",
        "visibility": "Who may find the project in the organization: OPEN, CLOSED or EXTERNAL.",
        "default_unit_type": "The unit type new gates, experiments and metrics get when they name none "
                             "(Statsig's spelling: user_id, stable_id).",
    },
    name_defaults_to_id=False,
    singleton=True,
    # ⚠ unproven which action Statsig records for which change (the spec lists the names)
    audit_actions=("company_basic_info_edit", "project_description_edit"),
)
