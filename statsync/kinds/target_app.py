"""Target apps: `/console/v1/target_app` (DIGEST §10; an Enterprise feature).

Objects name target apps by name in their `targetApps`, and membership is kept on
that side (the readable one), not through the target app's own lists. A target
app's description can be written but Statsig never returns it, so it is compared
only if Statsig ever does.
"""
from statsync.kinds import Kind

KIND = Kind(
    name="target_app",
    plural="target_apps",
    title="Target app",
    collection="/target_app",
    identity="name",
    create_dto="TargetAppCreateDto",
    partial_update_dto="UpdateTargetAppDto",
    response_dto="TargetAppDto",
    fields={"description": "What the app is (written on create; Statsig does not return it)."},
    defaults={"description": ""},
    name_defaults_to_id=False,
    always_sent=("description",),  # required on create
    write_only=("description",),
    # the spec's path parameter is `{id}` and its example shows an opaque id beside the
    # name; only tags and unit ID types are proven by name (TF-test): EVIDENCE.md, unproven
    addressed_by_id_too=True,
    server_fields=("id",),
    unmanaged={name: "membership is kept on the other side, in each object's targetApps (one owner for one fact)"
               for name in ("gates", "experiments", "dynamicConfigs")},
    # ⚠ unproven which action Statsig records for which change (the spec lists the names)
    audit_actions=("create_customer_app", "edit_target_app", "delete_target_app"),
)
