"""Team rules for the project: `/console/v1/settings/teams` (GET reads, POST writes whole)."""
from statsync.kinds import Kind

KIND = Kind(
    name="team_settings",
    plural="settings",
    title="Team settings",
    collection="/settings/teams",
    create_dto="SettingsTeamsContractDto",
    partial_update_dto="SettingsTeamsContractDto",
    response_dto="SettingsTeamsContractDto",
    fields={"require_teams_on_configs": "Every new gate, config and experiment must name an owning team."},
    name_defaults_to_id=False,
    singleton=True,
    safeguards={"require_teams_on_configs": True},
    # ⚠ unproven which action Statsig records for which change (the spec lists the names)
    audit_actions=("update_entities_require_teams",),
)
