"""Autotunes (multi-armed bandits): `/console/v1/autotunes` (AutotuneCreateDto;
PATCH AutotunePartialUpdateDto).

Statsig derives the id from the name ("Button color" → button_color), as for layers.
Variants are matched by name; each has an id Statsig gives it, echoed back on update.
Like an experiment it starts, makes a decision (ships a variant: `launchedGroupID`
names it) and resets through endpoints of its own (`PUT /autotunes/{id}/start`,
`make_decision`, `reset`). AutotuneExperimentDto answers no status, only `isStarted`
and `winner`, so the status a file writes is read from those (`status_of`). No Statsig
artefact beyond the spec shows autotunes (the Terraform provider has none): the
emulator's readings are the spec's.
"""
from typing import Any

from statsync.kinds import AUDIT_FIELDS, UNIT_ID_TYPE, KeyedList, Kind, Lifecycle, Reference, Transition


def answered_status(live: dict[str, Any]) -> str:
    """The status an autotune is in: a winner means a decision was made (⚠ unproven that a
    reset clears it, and that isStarted stays true after the decision)."""
    if live.get("winner"):
        return "decision_made"
    return "active" if live.get("isStarted") else "setup"


LIFECYCLE = Lifecycle(
    field="status",
    statuses=("setup", "active", "decision_made"),
    transitions=(
        Transition("start", ("setup",), "active"),
        Transition("make_decision", ("active",), "decision_made", body="decision", final_only=True),
        Transition("reset", ("active", "decision_made"), "setup", before_update=True, final_only=True),
    ),
    initial="setup",
    inputs=("launchedGroupID", "decisionReason"),
    status_of=answered_status,
    groups_field="variants",
)

KIND = Kind(
    name="autotune",
    plural="autotunes",
    title="Autotune",
    collection="/autotunes",
    create_dto="AutotuneCreateDto",
    partial_update_dto="AutotunePartialUpdateDto",
    response_dto="AutotuneExperimentDto",
    fields={
        "description": "What the autotune optimises.",
        "idType": "Unit ID type it assigns on (default userID). Fixed at creation.",
        "variants": "The arms, at least two ({name, json}); matched by name.",
        "successEvent": "The event a variant is judged by.",
        "successEventValue": "The value the event must carry to count.",
        "explorationWindow": "How long traffic is split equally first (1hr, 24hr, 48hr, 168hr, 336hr).",
        "attributionWindow": "Longest time from exposure to success event (1hr, 2hr, 4hr, 24hr).",
        "attributionWindowUnit": "Unit of the attribution window (min, hour, day).",
        "explorationWindowRate": "Share of traffic that keeps exploring.",
        "longtermExplorationAllocation": "Share of traffic exploring for good.",
        "winnerThreshold": "Probability of best a variant needs to win (80% … 99%).",
        "metadataField": "Field holding the value to optimise (contextual autotunes).",
        "higherIsBetter": "Optimise for a higher value (contextual autotunes).",
        "isContextual": "A contextual bandit.",
        "metricSourceID": "Metric source the success event comes from (warehouse native).",
        "linkedExperimentName": "Experiment measuring the autotune's success.",
        "goalRichText": "The goal, as rich text.",
        "optimizationParameter": "Optimise for the event's occurrence or its value.",
        "valueColumn": "Metric source column to optimise.",
        "featureList": "Features a contextual autotune uses.",
        "status": "setup, active or decision_made: reached through the start, make_decision and reset endpoints.",
        "launchedGroupID": "The variant a decision ships (its name), with status decision_made.",
        "decisionReason": "Why the decision was made.",
    },
    # what Statsig answers for fields a create leaves out (the create example: successEventValue
    # ""; the create DTO: idType defaults to userID)
    defaults={"description": "", "successEventValue": "", "idType": "userID"},
    id_from_name=True,
    keyed_lists={"variants": KeyedList(key="name", server_ids=("id",))},
    set_fields=("featureList",),
    json_fields=("variants.json",),
    references=(UNIT_ID_TYPE, Reference(target="experiment", field="linkedExperimentName")),
    lifecycle=LIFECYCLE,
    # statsync's words for what the lifecycle endpoints do: no DTO holds them
    own_fields={"status": {"type": "string", "enum": list(LIFECYCLE.statuses)},
                "launchedGroupID": {"type": "string", "minLength": 1},
                "decisionReason": {"type": "string"}},
    representable_states={"status": (None, "setup", "active", "decision_made")},
    server_fields=(*AUDIT_FIELDS, "name", "isStarted", "winner", "tags", "targetApps", "holdoutIDs", "team",
                   "teamID"),
)
