"""Layers: `/console/v1/layers` (DIGEST §6). Experiments in one layer share its traffic
and parameters. Statsig creates a layer without parameters, so a new layer with
parameters is a create and a PATCH in one step; `idType` and `team` are fixed at
creation. Each experiment outside a named layer gets an implicit `statsig::` layer
that Statsig owns: statsync never manages, deletes or imports those."""
from statsync.errors import Problem, display_path
from statsync.kinds import (TEAM, AUDIT_FIELDS, COMMON_FIELD_DOCS, TARGET_APPS, UNIT_ID_TYPE, KeyedList, Kind, Reference,
                            SubResource)

_CONDITIONAL, _BY_ID = "overrides.conditionalOverrides", "overrides.idOverrides"


def overrides_name_own_groups(layer, objects: dict) -> list[Problem]:
    """A layer's overrides send units to a group of one of its own experiments."""
    value = layer.body.get("overrides") or {}
    problems = []
    for list_name in ("conditionalOverrides", "idOverrides"):
        for index, item in enumerate(value.get(list_name) or []):
            experiment = objects.get(("experiment", item.get("experimentName")))
            if experiment is None:
                continue  # reference checks say whether it exists at all
            path = ("overrides", list_name, index)
            if experiment.body.get("layerID") != layer.id:
                where = (*path, "experimentName")
                problems.append(Problem(layer.mark(where), f"experiment {experiment.id!r} is not in this layer "
                                        f"(its layerID is {experiment.body.get('layerID')!r})", display_path(where)))
            groups = [group.get("name") for group in experiment.body.get("groups") or
                      experiment.kind.defaults.get("groups") or []]
            if item.get("groupName") not in groups:
                problems.append(Problem(layer.mark((*path, "groupName")), f"{item.get('groupName')!r} is not a "
                                        f"group of {experiment.id} ({', '.join(map(repr, groups))})",
                                        display_path((*path, "groupName"))))
    return problems


KIND = Kind(
    name="layer",
    plural="layers",
    title="Layer",
    collection="/layers",
    create_dto="LayerCreateContractDto",
    partial_update_dto="LayerPartialUpdateContractDto",
    response_dto="LayerContractDto",
    fields={
        "description": COMMON_FIELD_DOCS["description"],
        "idType": COMMON_FIELD_DOCS["idType"] + " Fixed at creation.",
        "targetApps": COMMON_FIELD_DOCS["targetApps"],
        "team": COMMON_FIELD_DOCS["team"] + " Fixed at creation.",
        "parameters": "Parameters the layer's experiments set ({name, type, defaultValue}); units in no "
                      "experiment get the defaults.",
        "overrides": COMMON_FIELD_DOCS["overrides"] + " {conditionalOverrides: [{type: gate|segment, name, "
                     "experimentName, groupName}], idOverrides: [{experimentName, groupName, ids, environment?}]}; "
                     "experiments and groups by name. Sent after the experiments exist.",
    },
    sub_resources={"overrides": SubResource(endpoint="/overrides", dto="LayerOverridesDto", separate=True)},
    defaults={"description": None, "idType": "userID", "targetApps": [], "parameters": []},
    id_from_name=True,
    keyed_lists={"parameters": KeyedList(key="name", server_ids=())},
    set_fields=("targetApps",),
    empty_is_none=("description", "team"),
    json_fields=("parameters.defaultValue",),
    references=(TEAM, TARGET_APPS, UNIT_ID_TYPE,
                Reference(target="gate", items=_CONDITIONAL, item_field="name", when=("type", "gate")),
                Reference(target="segment", items=_CONDITIONAL, item_field="name", when=("type", "segment")),
                Reference(target="experiment", items=_CONDITIONAL, item_field="experimentName"),
                Reference(target="experiment", items=_BY_ID, item_field="experimentName"),
                Reference(target="environments", items=_BY_ID, item_field="environment")),
    server_fields=(*AUDIT_FIELDS, "name", "isImplicitLayer", "tags", "teamID"),
    implicit=("statsig::*",),
    checks=(overrides_name_own_groups,),
)
