"""API keys' metadata: `/console/v1/keys` (DIGEST §15). Never the secret.

A key is written by its description (`id:`), which is how statsync finds it: Statsig
addresses a key by its secret (`/keys/<secret>`, the KeyDto's `key`), so the secret is
taken out of every key as it is read and kept only in memory to send the requests
(`addresses`). statsync never creates, rotates, deactivates or deletes keys: a document
naming no live key is refused, and pruning passes keys over. What it manages is the
metadata of keys that exist: scopes, environments, target apps. The answer names the
target apps `primaryTargetApp` / `secondaryTargetApps`, which PATCH takes as
`targetAppID` / `secondaryTargetAppIDs` (spec examples: the same app names both ways).
Reading keys needs a Console key with `can_access_keys` (403 otherwise).
"""
from statsync.kinds import Kind, Reference

KIND = Kind(
    name="key",
    plural="keys",
    title="Key",
    collection="/keys",
    identity="description",
    create_dto="KeyCreateContractDto",
    partial_update_dto="KeyUpdateContractDto",
    response_dto="KeyDto",
    fields={
        "scopes": "What the key may do (omni_read_only, client_download_config_specs, can_access_keys, …).",
        "environments": "Environments the key serves (names on the environment list).",
        "targetAppID": "The key's target app (Enterprise): SDKs using it get that app's objects only.",
        "secondaryTargetAppIDs": "More target apps the key serves.",
    },
    defaults={"scopes": []},
    name_defaults_to_id=False,
    set_fields=("scopes", "environments", "secondaryTargetAppIDs"),
    empty_is_none=("targetAppID",),
    references=(Reference(target="target_app", field="targetAppID"),
                Reference(target="target_app", field="secondaryTargetAppIDs"),
                Reference(target="environments", field="environments")),
    server_fields=("key", "type", "status"),
    address="key",
    secret_address=True,
    creatable=False,
    deletable=False,
    # Scopes that let a key write the project, manage keys (and so read their secrets),
    # write user data, or make client SDKs receive unhashed config names (DIGEST §15's enum).
    grants={"scopes": ("omni_read_write", "can_access_keys", "personal_read_write",
                       "client_can_write_user_store", "none_hash_enabled")},
    answered_as={"primaryTargetApp": "targetAppID", "secondaryTargetApps": "secondaryTargetAppIDs"},
    unmanaged={"type": "set when a key is made, in the console: statsync never makes keys",
               "description": "the key's identity in statsync (its `id`): changing it here would lose the key"},
    # ⚠ unproven which action Statsig records for which change (the spec lists the names)
    audit_actions=("sdk_key_create", "sdk_key_update_description", "sdk_key_update_environments", "sdk_key_update_scopes",
                   "sdk_key_update_target_app", "sdk_key_deactivate"),
)
