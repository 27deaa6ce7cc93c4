"""Custom roles: `/console/v1/roles` (RoleContractDto; PATCH RoleUpdateContractDto).

Addressed by name: TF-code `internal/role_client.go` reads, patches and deletes
`roles/<name>`, and TF-test `tests/test_resources/role.tf` plans empty after apply.
Granting a permission that lets a change skip review is called out in the plan
(`safeguards`). The file is the whole role: a permission it leaves out is off. The
project's built-in roles need no file.
"""
from statsync.kinds import Kind

KIND = Kind(
    name="role",
    plural="roles",
    title="Role",
    collection="/roles",
    identity="name",
    create_dto="RoleContractDto",
    partial_update_dto="RoleUpdateContractDto",
    response_dto="RoleContractDto",
    fields={"permissions": "What members with this role may do, one switch each (create_configs, "
                           "launch_to_production, approve_reviews, …). A permission left out is off."},
    defaults={"permissions": {}},  # RoleContractDto requires it on create
    switch_maps=("permissions",),
    name_defaults_to_id=False,
    # roles every project has (the spec's settings examples name Member and Read Only)
    builtins=("Admin", "Member", "Read Only"),
    # TF-test `tests/test_resources/role.tf` sets and reads back two permissions the spec's
    # RoleContractDto does not list (TF commit 7c4f1d4 "Update permissions in role resources")
    beyond_spec={"permissions": {"bypass_precommit_webhook": {"type": "boolean"}, "whn_connection": {"type": "boolean"}}},
    safeguards={"permissions.self_approve_review": False, "permissions.bypass_reviews_for_overrides": False},
    # ⚠ unproven which action Statsig records for which change (the spec lists the names)
    audit_actions=("upsert_user_role", "delete_user_role"),
)
