"""Holdouts: `/console/v1/holdouts` (DIGEST §7). A holdout keeps a small share of units
away from the gates, experiments and layers it lists. Statsig creates it with a name
and description only, so everything that matters is a PATCH in the same step; `idType`
and `teamID` are fixed at creation. A global holdout takes in every new gate and
experiment by itself, so members the YAML does not list are the server's, not drift."""
from statsync.errors import Problem, display_path
from statsync.kinds import (AUDIT_FIELDS, COMMON_FIELD_DOCS, OVERRIDES, OVERRIDE_ENVIRONMENTS, UNIT_ID_TYPE, Kind,
                            Reference)
from statsync.kinds.metric import METRIC_ITEMS


def same_unit_type(holdout, objects: dict) -> list[Problem]:
    """A holdout only applies to members with its unit ID type (DIGEST §7.3). An omitted
    idType is the project's default unit type, which the files do not say: compared only
    where both sides name theirs."""
    from statsync.references import references

    unit = holdout.body.get("idType", holdout.kind.defaults.get("idType"))
    problems = []
    for ref in references(holdout.kind, holdout.body):
        member = objects.get((ref.target_kind, ref.target_id))
        if member is None or ref.path[0] not in ("gateIDs", "experimentIDs", "layerIDs"):
            continue
        member_unit = member.body.get("idType", member.kind.defaults.get("idType"))
        if None not in (unit, member_unit) and member_unit != unit:
            problems.append(Problem(holdout.mark(ref.path), f"{ref.target_kind} {ref.target_id!r} is by "
                                    f"{member_unit}, this holdout by {unit}: it would hold nobody back from it",
                                    display_path(ref.path)))
    return problems


KIND = Kind(
    name="holdout",
    plural="holdouts",
    title="Holdout",
    collection="/holdouts",
    create_dto="HoldoutCreateContractDto",
    partial_update_dto="HoldoutPartialUpdateContractDto",
    response_dto="HoldoutDto",
    fields={
        "description": COMMON_FIELD_DOCS["description"],
        "idType": "Unit ID type; the holdout applies to members with the same one. Fixed at creation.",
        "teamID": COMMON_FIELD_DOCS["teamID"] + " Fixed at creation.",
        "isEnabled": "Whether the holdout holds units back; disabling ends it (results are kept).",
        "passPercentage": "Percentage of units held back (0–10).",
        "gateIDs": "Gates held out (ids).",
        "experimentIDs": "Experiments held out (ids).",
        "layerIDs": "Layers held out (ids).",
        "isGlobal": "Apply to every new gate and experiment with the same unit ID type. Members Statsig adds "
                    "this way are left alone.",
        "targetingGateID": "Id of the gate restricting who can be held back.",
        "monitoringMetrics": "Metrics monitored for the holdout ({name, type}).",
        "overrides": COMMON_FIELD_DOCS["overrides"] + " {passingUserIDs, failingUserIDs, passingCustomIDs, "
                     "failingCustomIDs, environmentOverrides}",
    },
    # no idType: omitted, it is the project's default unit type (see RULED_DEFAULTS)
    defaults={"description": None, "isEnabled": True, "passPercentage": 0, "gateIDs": [],
              "experimentIDs": [], "layerIDs": [], "isGlobal": False, "targetingGateID": None,
              "monitoringMetrics": []},
    id_from_name=True,
    set_fields=("gateIDs", "experimentIDs", "layerIDs", "monitoringMetrics"),
    empty_is_none=("description", "teamID", "targetingGateID"),
    decimal_fields=("passPercentage",),
    references=(Reference(target="gate", field="gateIDs"), Reference(target="experiment", field="experimentIDs"),
                Reference(target="layer", field="layerIDs"), Reference(target="gate", field="targetingGateID"),
                UNIT_ID_TYPE, OVERRIDE_ENVIRONMENTS,
                Reference(target="metric", items="monitoringMetrics", item_parts=METRIC_ITEMS)),
    sub_resources={"overrides": OVERRIDES},
    server_fields=(*AUDIT_FIELDS, "name", "team", "tags", "targetApps"),
    grows={"gateIDs": "isGlobal", "experimentIDs": "isGlobal"},
    checks=(same_unit_type,),
)
