"""Drift: where the live project no longer matches the repository, and who made it so.

A drift report is a plan read the other way round: each update step is an object
someone changed in the console (or that statsync has not applied yet); each
create step is an object missing from the live project. For gates and dynamic
configs the versions endpoint tells which version brought the live values in; for
objects that answer no modifier, the audit log tells who (auditlog).
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from statsync import auditlog
from statsync.api.client import ConsoleClient
from statsync.config import Project
from statsync.diff import Change
from statsync.kinds import all_kinds
from statsync.normalize import canonical
from statsync.plan import PlanOptions
from statsync.workflow import plan_options, plan_with_live

VERSION_PAGES = 1  # newest 100 versions are plenty to find where a change came in


@dataclass
class Introduced:
    version: Any
    by: str | None
    time: Any


@dataclass
class Drifted:
    kind: str
    id: str
    changes: list[Change]  # before = live, after = repository
    version: Any
    modified_by: str | None
    modified_time: Any
    # per drifted top-level field: the version from which it has had its live value
    introduced: dict[str, Introduced] = field(default_factory=dict)

    @property
    def address(self) -> str:
        return f"{self.kind}.{self.id}"


@dataclass
class CreatedLive:
    """A live object of a kind the repository manages that no file describes."""

    address: str
    by: str | None
    time: Any


@dataclass
class DriftReport:
    target: str
    drifted: list[Drifted] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # in the repository, not live
    in_sync: int = 0
    unmanaged: list[str] = field(default_factory=list)
    ignored: int = 0
    # objects created in the console: drift unless statsync.yaml says `drift: {unmanaged: ignore}`
    created_live: list[CreatedLive] = field(default_factory=list)

    @property
    def has_drift(self) -> bool:
        return bool(self.drifted or self.missing or self.created_live)


async def drift_report(project: Project, client: ConsoleClient, target: str) -> DriftReport:
    options = plan_options(project)
    plan, live = await plan_with_live(project, client, target, PlanOptions(ignore=options.ignore))
    report = DriftReport(target=target, in_sync=plan.unchanged, unmanaged=plan.unmanaged, ignored=plan.ignored_count,
                         missing=[step.address for step in plan.steps if step.action == "create"])
    if project.settings.get("drift", {}).get("unmanaged", "report") == "report":
        for address in plan.unmanaged:
            kind, object_id = address.split(".", 1)
            obj = live.get(kind, {}).get(object_id) or {}
            report.created_live.append(CreatedLive(address, obj.get("creatorName") or obj.get("lastModifierName"),
                                                   obj.get("createdTime") or obj.get("lastModifiedTime")))
    by_object: dict[str, list] = {}
    for step in plan.steps:
        # a missing object's own lifecycle moves are part of its being missing
        changed = step.action in ("update", "replace") or step.is_lifecycle
        if changed and step.object_address not in report.missing:
            by_object.setdefault(step.object_address, []).append(step)
    report.drifted = list(await asyncio.gather(*(_drifted(client, steps) for steps in by_object.values())))
    await _from_audit_log(client, report)
    return report


async def _from_audit_log(client: ConsoleClient, report: DriftReport) -> None:
    """Who changed (or made) what answers no modifier: from the audit log, one read of
    its newest pages, only when such an object drifted (auditlog)."""
    unknown = {(d.kind, d.id): d for d in report.drifted if not d.modified_by}
    made = {tuple(c.address.split(".", 1)): c for c in report.created_live if not c.by}
    found = await auditlog.attribute(client, [*unknown, *made])
    for key, entry in found.items():
        if key in unknown:
            unknown[key].modified_by, unknown[key].modified_time = entry.by, entry.time
        if key in made:
            made[key].by, made[key].time = entry.by, entry.time


async def _drifted(client: ConsoleClient, steps: list) -> Drifted:
    """One drifted object: its field changes, and its status if that differs too."""
    updates = [step for step in steps if step.action in ("update", "replace")]  # fields, and separate parts
    update = updates[0] if updates else None
    moves = [step for step in steps if step.is_lifecycle]
    changes = [change for step in updates for change in step.changes]
    if moves:
        field_name = moves[0].changes[0].path
        changes.append(Change(field_name, moves[0].changes[0].before, moves[-1].changes[0].after))
    first = steps[0]
    live = (update or first).live
    drifted = Drifted(first.kind, first.id, changes, live.version, live.last_modifier_name, live.last_modified_time)
    kind = all_kinds()[first.kind]
    if kind.has_versions and update is not None and live.snapshot is not None:
        drifted.introduced = await _introduced(client, kind, first.id, live.snapshot,
                                               {change.field for change in update.changes})
    return drifted


async def _introduced(client: ConsoleClient, kind, object_id: str, current: dict,
                      fields: set[str]) -> dict[str, Introduced]:
    """For each field, the oldest version from which it has had its live value."""
    answer = await client.request("GET", f"{kind.path(object_id)}/versions", params={"page": 1, "limit": 100})
    versions = sorted((v for v in answer.get("data") or [] if isinstance(v, dict)),
                      key=lambda v: v.get("version") or 0, reverse=True)
    forms = [(snapshot, canonical(kind, object_id, snapshot)) for snapshot in versions]
    out = {}
    for name in sorted(fields):
        found = None
        for snapshot, form in forms:
            if form.get(name) != current.get(name):
                break
            found = snapshot
        if found is not None:
            out[name] = Introduced(found.get("version"), found.get("lastModifierName"), found.get("lastModifiedTime"))
    return out
