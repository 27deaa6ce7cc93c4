"""The project's audit log (`GET /console/v1/audit_logs`): one entry per change.

Entries are shaped as the spec's example ({id, name, changeLog, actionType, date, time,
updatedBy, updatedByUserID, changes}), newest first. Which actionType Statsig records
for which change is ⚠ unproven: the spec lists the names (gate_create, tag_edit,
param_store_update, …) and the emulator picks the plain create / edit / delete one of
each collection; `statsync probe` can read a real project's to settle it.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from statsync.emulator.store import Store

# collection → the actionType of a create, an edit and a delete (None: the API has none)
ACTION_TYPES: dict[str, tuple[str | None, str, str | None]] = {
    "gates": ("gate_create", "gate_update", "config_delete"),
    "dynamic_configs": ("dynamic_config_create", "config_conditions_update", "config_delete"),
    "segments": ("segment_create", "config_conditions_update", "config_delete"),
    "experiments": ("experiment_create", "experiment_edit", "experiment_delete"),
    "autotunes": ("autotune_experiment_create", "autotune_experiment_edit", "autotune_experiment_delete"),
    "layers": ("layer_create", "layer_edit", "layer_delete"),
    "holdouts": ("holdout_create", "holdout_update", "holdout_delete"),
    "tags": ("tag_create", "tag_edit", "tag_delete"),
    "unit_id_types": ("company_ID_type_add", "company_ID_type_edit", "company_ID_type_delete"),
    "target_app": ("create_customer_app", "edit_target_app", "delete_target_app"),
    "roles": ("upsert_user_role", "upsert_user_role", "delete_user_role"),
    "users/teams": ("update_team", "update_team", "update_team"),
    "param_stores": ("param_store_create", "param_store_update", "param_store_delete"),
    "metrics": ("custom_metric_definition_create", "custom_metric_definition_edit", "custom_metric_definition_delete"),
    "metrics/metric_source": ("create_echidna_metric_source", "update_echidna_metric_source",
                              "delete_echidna_metric_source"),
    "release_pipelines": ("release_pipeline_create", "release_pipeline_update", "release_pipeline_delete"),
    "keys": ("sdk_key_create", "sdk_key_update_scopes", "sdk_key_delete"),
    "environments": (None, "company_environments_edit", None),
    "settings/project": (None, "company_basic_info_edit", None),
    "settings/reviews": (None, "config_require_reviews", None),
    "settings/roles": (None, "set_company_default_user_role", None),
    "settings/teams": (None, "update_entities_require_teams", None),
}
_CHANGE_LOG = ("Created", "Updated", "Deleted")


def record(store: Store, collection: str, change: str, obj: dict[str, Any], actor: dict[str, Any]) -> None:
    """Log a change that went through (`change`: create, edit or delete), naming the object
    by its name (a key by its description: never its secret)."""
    actions = ACTION_TYPES.get(collection)
    if actions is None:
        return
    which = ("create", "edit", "delete").index(change)
    action = actions[which] or actions[1]
    name = obj.get("description") if collection == "keys" else obj.get("name") or obj.get("id") or collection
    moment = datetime.fromtimestamp(store.now() / 1000, timezone.utc)
    store.audit_log.insert(0, {
        "id": store.new_id(), "name": name, "changeLog": f"{_CHANGE_LOG[which]} {collection}", "actionType": action,
        "date": moment.strftime("%a %b %d %Y"), "time": moment.strftime("%H:%M:%S GMT+0000 (Coordinated Universal Time)"),
        "updatedBy": actor["name"], "updatedByUserID": actor["id"], "changes": {}})
