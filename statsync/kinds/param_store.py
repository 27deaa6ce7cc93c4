"""Parameter stores: `/console/v1/param_stores` (DIGEST §14), by name.

A store maps parameter names onto values an SDK reads without knowing where they come
from: a static value, a gate's pass/fail values, or a parameter of a dynamic config, a
layer or an experiment. Fields are snake_case as Statsig writes them (`ref_type`,
`gate_name`, `pass_value`, …). The create DTO takes no parameters and the update DTO
takes only the description and the parameters, so a new store is a create and an update
in one step; the update is a POST of both (`update_method`), so neither is reset. Tags
and target apps are taken at creation and never answered (`write_only`), the display
name only at creation: a change to it cannot be made, since the API has no delete for a
store to create it again (`deletable=False`; pruning says so instead of deleting).
"""
from statsync.kinds import TEAM, TAGS, Kind, KeyedList, Reference

KIND = Kind(
    name="param_store",
    plural="param_stores",
    title="Parameter store",
    collection="/param_stores",
    identity="name",
    create_dto="ParamStoreCreateDto",
    partial_update_dto="ParamStoreUpdateDto",
    response_dto="ParamStoreDto",
    update_method="POST",
    fields={
        "description": "What the store is for.",
        "displayName": "The name the console shows (defaults to the id; set at creation only).",
        "parameters": "The parameters, each by `name` and `ref_type`: static (`value`), gate (`gate_name`, "
                      "`pass_value`, `fail_value`), dynamic_config (`config_name`, `param_name`), layer "
                      "(`layer_name`, `param_name`) or experiment (`experiment_name`, `param_name`).",
        "tags": "Tag names (set at creation only; Statsig does not return them).",
        "targetAppIDs": "Target apps (set at creation only; Statsig does not return them).",
        "team": "Owning team (Enterprise; set at creation only).",
    },
    defaults={"description": "", "parameters": []},
    # parameters by name: a plan says which one changed (`parameters[new_flow].gate_name`)
    # (a false or empty value is a value: `fail_value: false`)
    keyed_lists={"parameters": KeyedList(key="name", server_ids=(), values=("value", "pass_value", "fail_value"))},  # the create DTO requires a description
    id_defaults=("displayName",),
    name_defaults_to_id=False,
    write_only=("tags", "targetAppIDs"),
    set_fields=("tags", "targetAppIDs"),
    empty_is_none=("team",),
    references=(TEAM, TAGS, Reference(target="target_app", field="targetAppIDs"),
                *(Reference(target=target, items="parameters", item_field=field, when=("ref_type", ref_type))
                  for target, field, ref_type in (("gate", "gate_name", "gate"),
                                                  ("dynamic_config", "config_name", "dynamic_config"),
                                                  ("layer", "layer_name", "layer"),
                                                  ("experiment", "experiment_name", "experiment")))),
    server_fields=("id", "createdTime", "creatorID", "lastModifierID", "teamID"),
    deletable=False,
    # ⚠ unproven which action Statsig records for which change (the spec lists the names)
    audit_actions=("param_store_create", "param_store_update", "param_store_update_owners", "param_store_delete"),
)
