"""Lifecycle endpoints (`PUT /<kind>/{id}/<action>`) and the states they move between.

Gates and dynamic configs answer with the updated object; experiment lifecycle
endpoints answer with a message only (DIGEST §1.2, §17), so clients must re-read.
Transitions Statsig forbids are 400s.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from statsync.emulator.entities import BadRequest

Effect = Callable[[dict, dict], None]  # (object, request body) → mutate object


@dataclass(frozen=True)
class Action:
    allowed_from: tuple[str, ...]  # statuses; () = any
    effect: Effect
    returns_object: bool


def _set(**fields) -> Effect:
    def apply(obj: dict, body: dict) -> None:
        obj.update(fields)
    return apply


def _gate_enable(obj: dict, body: dict) -> None:
    obj.update(status="In Progress", isEnabled=True)


def _archive(obj: dict, body: dict) -> None:
    obj["_statusBeforeArchive"] = obj.get("status")
    obj["status"] = "Archived" if obj.get("status") in _GATE_OR_CONFIG_STATUSES else "archived"


def _unarchive_gate(obj: dict, body: dict) -> None:
    obj.pop("_statusBeforeArchive", None)
    obj["status"] = "In Progress" if obj.get("isEnabled", True) else "Disabled"


def _unarchive_config(obj: dict, body: dict) -> None:
    obj.pop("_statusBeforeArchive", None)
    obj["status"] = "Enabled" if obj.get("isEnabled", True) else "Disabled"


def _unarchive_experiment(obj: dict, body: dict) -> None:
    # Unarchiving makes the experiment editable again without restarting it.
    obj["status"] = obj.pop("_statusBeforeArchive", None) or "setup"


def _start(obj: dict, body: dict, now: int = 0) -> None:
    obj.update(status="active", startTime=obj.get("_now"))


def _make_decision(obj: dict, body: dict) -> None:
    group_ids = {group["id"] for group in obj.get("groups", [])}
    if body["id"] not in group_ids:
        raise BadRequest(f"Invalid request. Group {body['id']} is not a group of this experiment.")
    obj.update(status="decision_made", launchedGroupID=body["id"], decisionReason=body["decisionReason"],
               decisionTime=obj.get("_now"), endTime=obj.get("_now"))


def _abandon(obj: dict, body: dict) -> None:
    obj.update(status="abandoned", decisionReason=body["decisionReason"], decisionTime=obj.get("_now"),
               endTime=obj.get("_now"))


def _reset(obj: dict, body: dict) -> None:
    obj.update(status="setup", startTime=None, endTime=None, decisionTime=None, launchedGroupID=None,
               decisionReason=None)


_GATE_OR_CONFIG_STATUSES = ("In Progress", "Launched", "Disabled", "Enabled")
_NOT_ARCHIVED_GATE = ("In Progress", "Launched", "Disabled")

ACTIONS: dict[str, dict[str, Action]] = {
    "gates": {
        "launch": Action(("In Progress", "Disabled"), _set(status="Launched", isEnabled=True), True),
        "disable": Action(("In Progress", "Launched"), _set(status="Disabled", isEnabled=False), True),
        "enable": Action(("Launched", "Disabled", "In Progress"), _gate_enable, True),
        "archive": Action(_NOT_ARCHIVED_GATE, _archive, True),
        "unarchive": Action(("Archived",), _unarchive_gate, True),
    },
    "dynamic_configs": {
        "enable": Action(("Enabled", "Disabled"), _set(status="Enabled", isEnabled=True), True),
        "disable": Action(("Enabled", "Disabled"), _set(status="Disabled", isEnabled=False), True),
        "archive": Action(("Enabled", "Disabled"), _archive, True),
        "unarchive": Action(("Archived",), _unarchive_config, True),
    },
    "experiments": {
        "start": Action(("setup",), _start, False),
        "make_decision": Action(("active",), _make_decision, False),
        "abandon": Action(("active",), _abandon, False),
        "reset": Action(("active", "decision_made", "abandoned", "experiment_stopped", "assignment_stopped"),
                        _reset, False),
        "archive": Action(("setup", "decision_made", "abandoned", "experiment_stopped"), _archive, False),
        "unarchive": Action(("archived",), _unarchive_experiment, False),
    },
}

# Statuses in which an object is read-only through update endpoints.
READ_ONLY = {"gates": ("Archived",), "dynamic_configs": ("Archived",), "experiments": ("archived",)}

# An experiment status written through PATCH/POST is the same move as this action.
STATUS_ACTIONS = {"active": "start", "decision_made": "make_decision", "abandoned": "abandon",
                  "setup": "reset", "archived": "archive"}
