"""Tags: `/console/v1/tags` (DIGEST §9). Objects name tags by name, and so does statsync."""
from statsync.kinds import Kind

KIND = Kind(
    name="tag",
    plural="tags",
    title="Tag",
    collection="/tags",
    identity="name",
    create_dto="TagCreateDto",
    partial_update_dto="TagUpdateDto",
    response_dto="TagDto",
    fields={
        "description": "What the tag is for.",
        "isCore": "A core tag: its metrics join every experiment's scorecard.",
    },
    defaults={"description": "", "isCore": False},
    name_defaults_to_id=False,
    # TagCreateDto requires a description; TagUpdateDto declares isCore default
    # false, so a PATCH without it might clear it (DIGEST §9).
    always_sent=("description", "isCore"),
    server_fields=("id",),
    # Statsig's core tag, as the spec's examples answer it ("★ Core"; older ones "* Core")
    builtins=("★ Core", "* Core"),
    # ⚠ unproven which action Statsig records for which change (the spec lists the names)
    audit_actions=("tag_create", "tag_edit", "tag_delete", "delete_tag"),
)
