"""Lifecycle endpoints (`PUT /<kind>/{id}/<action>`) and the states they move between.

Gates and dynamic configs answer with the updated object; experiment lifecycle
endpoints answer with a message only (DIGEST §1.2, §17), so clients must re-read.
Transitions Statsig forbids are 400s.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from statsync.emulator.entities import BadRequest, ship_decision
from statsync.emulator.store import Store

Effect = Callable[[dict, dict, int], None]  # (object, request body, epoch ms) → mutate object


@dataclass(frozen=True)
class Action:
    allowed_from: tuple[str, ...]  # statuses; () = any
    effect: Effect
    returns_object: bool
    # what the move changes on other objects (shipping a group rewrites its layer):
    # (store, object, actor)
    elsewhere: Callable[[Store, dict, dict], None] | None = None
    # a check that needs the other objects, before the effect: (store, object); raises BadRequest
    before: Callable[[Store, dict], None] | None = None


def _set(**fields) -> Effect:
    def apply(obj: dict, body: dict, now: int) -> None:
        obj.update(fields)
    return apply


def _archive(status: str) -> Effect:
    def apply(obj: dict, body: dict, now: int) -> None:
        obj["_statusBeforeArchive"] = obj.get("status")
        obj["status"] = status
    return apply


def _unarchive_by_enabled(enabled: str) -> Effect:
    """Gates and configs come back enabled, whatever they were before the archive (a
    launched gate's isEnabled false was its launch, which the archive ended).
    ⚠ unproven: no artefact shows where an unarchive lands; `statsync probe` asks."""
    def apply(obj: dict, body: dict, now: int) -> None:
        obj.pop("_statusBeforeArchive", None)
        obj["status"] = enabled
        obj["isEnabled"] = True
    return apply


def _unarchive_experiment(obj: dict, body: dict, now: int) -> None:
    # Unarchiving makes the experiment editable again without restarting it.
    obj["status"] = obj.pop("_statusBeforeArchive", None) or "setup"


def _start(obj: dict, body: dict, now: int) -> None:
    obj.update(status="active", startTime=now)


def _make_decision(obj: dict, body: dict, now: int) -> None:
    group_ids = {group["id"] for group in obj.get("groups", [])}
    if body["id"] not in group_ids:
        raise BadRequest(f"Invalid request. Group {body['id']} is not a group of this experiment.")
    obj.update(status="decision_made", launchedGroupID=body["id"], decisionReason=body["decisionReason"],
               decisionTime=now, endTime=now)


def _abandon(obj: dict, body: dict, now: int) -> None:
    obj.update(status="abandoned", decisionReason=body["decisionReason"], decisionTime=now, endTime=now)


def _reset(obj: dict, body: dict, now: int) -> None:
    obj.update(status="setup", startTime=None, endTime=None, decisionTime=None, launchedGroupID=None,
               decisionReason=None)


def _autotune_start(obj: dict, body: dict, now: int) -> None:
    obj.update(isStarted=True)


def _autotune_decision(obj: dict, body: dict, now: int) -> None:
    """The winner is the variant shipped (AutotuneExperimentDto `winner: {id, name}`);
    ⚠ unproven: whether isStarted stays true, and that a reset clears the winner."""
    variant = next((v for v in obj.get("variants", []) if v.get("id") == body.get("id")), None)
    if variant is None:
        raise BadRequest(f"Invalid request. Variant {body.get('id')} is not a variant of this autotune.")
    obj.update(winner={"id": variant["id"], "name": variant["name"]})


def _autotune_reset(obj: dict, body: dict, now: int) -> None:
    obj.update(isStarted=False, winner=None)


# A metric's archive (docs `metrics/archiving-metrics.md`, statsig-io/docs): it starts a
# 24-hour grace period that can be undone (`cancel_archive`); after it the metric is
# archived until `unarchive`. A metric other metrics are built from cannot be archived
# ("metric dependencies will require you to remove the dependency first"). The emulator
# never lets the grace period run out. What a metric answers meanwhile is unproven
# (Readings.metric_archive_answer): the spec's metric declares no archive state; so is a
# 400 for a move from the wrong state (archiving twice, cancelling nothing) ⚠ unproven.
def _archivable(store: Store, obj: dict) -> None:
    if obj.get("_archive"):
        raise BadRequest(f"Invalid request. Metric {obj['id']} is already {obj['_archive']}.")
    this = (obj.get("name"), obj.get("type"))
    users = sorted(other["id"] for other in store.collection("metrics").values()
                   if this in {(part.get("name"), part.get("type"))
                               for part in other.get("metricComponentMetrics") or [] if isinstance(part, dict)})
    if users:
        raise BadRequest(f"Invalid request. Metric {obj['id']} is used by {', '.join(users)}: remove that first.")


def _metric_archive(move: str) -> Effect:
    def apply(obj: dict, body: dict, now: int) -> None:
        if move == "cancel" and obj.get("_archive") != "scheduled":
            raise BadRequest(f"Invalid request. Metric {obj['id']} is not scheduled for archive.")
        if move == "unarchive" and not obj.get("_archive"):
            raise BadRequest(f"Invalid request. Metric {obj['id']} is not archived.")
        obj.pop("_archive", None)
    return apply


def status(obj: dict) -> str | None:
    """An object's lifecycle status: answered, or where the API answers none (an
    autotune), what its isStarted and winner say."""
    if "status" in obj or "isStarted" not in obj:
        return obj.get("status")
    return "decision_made" if obj.get("winner") else "active" if obj["isStarted"] else "setup"


_NOT_ARCHIVED_GATE = ("In Progress", "Launched", "Disabled")

ACTIONS: dict[str, dict[str, Action]] = {
    "gates": {
        # A launched gate answers isEnabled false, rules kept but not evaluated (spec and
        # legacy-docs `gates.js` launch examples; SDK eval_proj_dcs.json stores it as
        # enabled: false, defaultValue: true).
        "launch": Action(("In Progress", "Disabled"), _set(status="Launched", isEnabled=False), True),
        "disable": Action(("In Progress", "Launched"), _set(status="Disabled", isEnabled=False), True),
        "enable": Action(("Launched", "Disabled", "In Progress"), _set(status="In Progress", isEnabled=True), True),
        "archive": Action(_NOT_ARCHIVED_GATE, _archive("Archived"), True),
        "unarchive": Action(("Archived",), _unarchive_by_enabled("In Progress"), True),
    },
    "dynamic_configs": {
        "enable": Action(("Enabled", "Disabled"), _set(status="Enabled", isEnabled=True), True),
        "disable": Action(("Enabled", "Disabled"), _set(status="Disabled", isEnabled=False), True),
        "archive": Action(("Enabled", "Disabled"), _archive("Archived"), True),
        "unarchive": Action(("Archived",), _unarchive_by_enabled("Enabled"), True),
    },
    "experiments": {
        "start": Action(("setup",), _start, False),
        "make_decision": Action(("active",), _make_decision, False, elsewhere=ship_decision),
        "abandon": Action(("active",), _abandon, False),
        "reset": Action(("active", "decision_made", "abandoned", "experiment_stopped", "assignment_stopped"),
                        _reset, False),
        "archive": Action(("setup", "decision_made", "abandoned", "experiment_stopped"), _archive("archived"), False),
        "unarchive": Action(("archived",), _unarchive_experiment, False),
    },
    "metrics": {
        "schedule_archive": Action((), _set(_archive="scheduled"), False, before=_archivable),
        "cancel_archive": Action((), _metric_archive("cancel"), False),
        "unarchive": Action((), _metric_archive("unarchive"), False),
    },
    "autotunes": {
        "start": Action(("setup",), _autotune_start, False),
        "make_decision": Action(("active",), _autotune_decision, False),
        "reset": Action(("active", "decision_made"), _autotune_reset, False),
    },
}

# Statuses in which an object is read-only through update endpoints.
READ_ONLY = {"gates": ("Archived",), "dynamic_configs": ("Archived",), "experiments": ("archived",)}

# An experiment status written through PATCH/POST is the same move as this action.
STATUS_ACTIONS = {"active": "start", "decision_made": "make_decision", "abandoned": "abandon",
                  "setup": "reset", "archived": "archive"}
