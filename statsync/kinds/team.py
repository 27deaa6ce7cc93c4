"""Teams (Enterprise): `/console/v1/users/teams` (TeamCreationDto; PATCH TeamPartialUpdateDto).

Written by name, addressed by the opaque id Statsig gives a team (`/users/teams/{id}`,
TeamDto `id`): requests are written with the name and the client swaps the id in, from
one list read (`addresses`). The spec documents the PATCH as "Ops: Replace": the lists
sent replace the team's. Members and admins are sent as email addresses and answered as
users ({email, firstName, lastName, role}); statsync reads them back as the emails it
wrote (`answered_items`). A team's defaults (metrics, target apps, holdout) are what
Statsig puts into new gates and experiments the team owns. No Statsig artefact beyond
the spec shows teams (the Terraform provider has no team resource): the emulator's
readings are the spec's.
"""
from statsync.kinds import Kind, Reference
from statsync.kinds.metric import METRIC_ITEMS

_DEFAULT_METRICS = ("defaultGateMetrics", "defaultExperimentPrimaryMetrics", "defaultExperimentSecondaryMetrics",
                    "defaultHoldoutMetrics")

KIND = Kind(
    name="team",
    plural="teams",
    title="Team",
    collection="/users/teams",
    identity="name",
    create_dto="TeamCreationDto",
    partial_update_dto="TeamPartialUpdateDto",
    response_dto="TeamDto",
    fields={
        "description": "What the team owns.",
        "members": "Members' email addresses (users of the project).",
        "admins": "Team admins' email addresses.",
        "defaultGateMetrics": "Metrics new gates of the team monitor ({name, type}).",
        "defaultExperimentPrimaryMetrics": "Primary metrics new experiments of the team get ({name, type}).",
        "defaultExperimentSecondaryMetrics": "Secondary metrics new experiments of the team get ({name, type}).",
        "defaultHoldoutMetrics": "Metrics new holdouts of the team get ({name, type}).",
        "changeTeamConfigs": "Who may change the team's configs: anyone or team_only.",
        "reviewApproval": "Who may approve the team's reviews: anyone, team_only or admin_only.",
        "defaultTargetApplications": "Target apps new objects of the team get.",
        "defaultHoldoutID": "Holdout new objects of the team join.",
        "requireReviews": "Changes to the team's objects need a review.",
        "requireGateTemplates": "New gates of the team must start from a template.",
        "requireExperimentTemplates": "New experiments of the team must start from a template.",
        "requireDynamicConfigTemplates": "New dynamic configs of the team must start from a template.",
    },
    # TeamCreationDto requires every one of these; a file need not say them
    defaults={"members": [], "admins": [], **{name: [] for name in _DEFAULT_METRICS},
              "changeTeamConfigs": "anyone", "reviewApproval": "anyone", "defaultTargetApplications": []},
    name_defaults_to_id=False,
    set_fields=("members", "admins", "defaultTargetApplications", *_DEFAULT_METRICS),
    empty_is_none=("description", "defaultHoldoutID"),
    references=(Reference(target="target_app", field="defaultTargetApplications"),
                Reference(target="holdout", field="defaultHoldoutID"),
                *(Reference(target="metric", items=name, item_parts=METRIC_ITEMS) for name in _DEFAULT_METRICS)),
    address="id",
    server_fields=("id",),
    answered_items={"members": "email", "admins": "email"},
    # a team's review requirement switched off, or its configs opened to anyone
    safeguards={"requireReviews": True, "changeTeamConfigs": "team_only"},
    # ⚠ unproven which action Statsig records for which change (the spec lists the names)
    audit_actions=("update_team", "update_team_settings", "update_team_admins", "update_team_name", "update_team_description"),
)
