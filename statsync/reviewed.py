"""A saved plan is a contract, not a script.

`apply --plan FILE` never sends the requests the file holds. It plans again from
the current files and live project, and applies only the steps of objects the
reviewed plan covers, and only where they are exactly what was reviewed. A file
that is not statsync's own output — an extra request, a changed body or path, a
step for another object — therefore cannot make statsync send anything a plan
derived from the repository would not (Terraform's saved plans are trusted
blobs; ours need not be).

Staleness is per object, so two pull requests merged one after the other both
apply: an object is refused only when its derived steps differ from the reviewed
ones (its file, or a file it depends on, changed what it sends) or when it moved
live since the review. Objects the reviewed plan does not cover are left alone
and listed, never applied.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from statsync.diff import diff
from statsync.errors import StatsyncError
from statsync.kinds import all_kinds
from statsync.plan import LiveObjects, Plan, Step, canonical_json


class StalePlan(StatsyncError):
    """The reviewed plan no longer describes what apply would do; nothing was applied."""


@dataclass
class Reviewed:
    """What to apply of a reviewed plan, and what was left out and why."""

    plan: Plan  # the derived steps of reviewed objects, ready for the executor
    done: list[str] = field(default_factory=list)  # reviewed objects already as planned
    not_reviewed: list[str] = field(default_factory=list)  # derived changes the review did not show


def _signature(step: Step) -> tuple:
    """What a step sends and expects: two steps with equal signatures do the same thing."""
    return (step.action, step.part, step.expect_status,
            tuple((r.method, r.path, canonical_json(r.body), r.group_field) for r in step.requests))


def _by_object(steps: list[Step]) -> dict[str, list[Step]]:
    out: dict[str, list[Step]] = {}
    for step in steps:
        out.setdefault(step.object_address, []).append(step)
    return out


def reviewed_subset(saved: Plan, derived: Plan, live: LiveObjects) -> Reviewed:
    """The derived plan cut down to what the saved plan reviewed; StalePlan naming every
    object whose steps differ from the review, or which moved live since."""
    reviewed, now = _by_object(saved.steps), _by_object(derived.steps)
    problems: list[str] = []
    chosen: set[str] = set()
    done: list[str] = []
    for address, steps in reviewed.items():
        current = now.get(address, [])
        planned_sigs, current_sigs = [_signature(s) for s in steps], [_signature(s) for s in current]
        moved = _moved(steps, current)
        if not current:
            if _untouched_since(steps, live):
                problems.append(f"{address}: the reviewed plan changes it, but the files no longer do")
            else:
                done.append(address)  # live already is what the files say: applied earlier, or by someone
        elif current_sigs == planned_sigs:
            if moved:
                problems.append(moved)
            else:
                chosen.add(address)
        elif current_sigs == planned_sigs[-len(current_sigs):]:
            chosen.add(address)  # the rest of a reviewed sequence whose first steps were applied earlier
        else:  # when it moved live, that is the cause, and names the fields someone changed
            problems.append(moved or f"{address}: {_difference(steps, current)}")
    selected = [step for step in derived.steps if step.object_address in chosen]
    addresses = {step.address for step in selected}
    outside = {step.address for step in derived.steps} - addresses
    for step in selected:
        missing = [dep for dep in step.depends_on if dep in outside]
        if missing:
            problems.append(f"{step.address}: waits for {', '.join(missing)}, which the reviewed plan does not hold")
    if problems:
        raise StalePlan("refusing to apply the saved plan; nothing was applied:\n" + "\n".join(problems)
                        + "\nplan again to review the current state")
    plan = Plan(target=derived.target, steps=selected, unchanged=derived.unchanged,
                unmanaged=derived.unmanaged, kept=derived.kept, ignored_elsewhere=derived.ignored_elsewhere,
                held=derived.held)
    not_reviewed = sorted({step.object_address for step in derived.steps} - set(reviewed))
    return Reviewed(plan, sorted(done), not_reviewed)


def _untouched_since(steps: list[Step], live: LiveObjects) -> bool:
    """A reviewed object with nothing left to do is only done if something changed it
    since the review; if live is as it was then, the files changed instead."""
    first = next((s for s in steps if s.live is not None), None)
    if first is None:
        return False  # a create: the object now exists as the files say
    current = live.get(first.kind, {}).get(first.id)
    return current is not None and first.live.matches(current, all_kinds()[first.kind], first.id)


def _moved(reviewed: list[Step], current: list[Step]) -> str:
    """'' or why the live object is not the one the review saw."""
    before = next((s.live for s in reviewed if s.live is not None), None)
    now = next((s.live for s in current if s.live is not None), None)
    address = reviewed[0].object_address
    if before is None:
        return f"{address}: created live by {now.last_modifier_name or 'someone'} since the plan was made" if now else ""
    if now is None:
        return f"{address}: deleted live since the plan was made"
    if before == now and before.snapshot == now.snapshot:
        return ""
    changed = ""
    if before.snapshot is not None and now.snapshot is not None:
        kind = all_kinds()[reviewed[0].kind]
        shared = [k for k in before.snapshot if k in now.snapshot]  # what list reads carry
        paths = [c.path for c in diff(kind, {k: now.snapshot[k] for k in shared},
                                      {k: before.snapshot[k] for k in shared})]
        changed = f": {', '.join(paths)}" if paths else ""
    return (f"{address}: changed live since the plan was made (version {before.version} → {now.version}, "
            f"by {now.last_modifier_name or 'someone'}){changed}")


def _difference(reviewed: list[Step], current: list[Step]) -> str:
    """The first way the steps now derived differ from the reviewed ones, in a reader's words."""
    if [s.action for s in reviewed] != [s.action for s in current]:
        return (f"the reviewed plan does {', '.join(s.action for s in reviewed)}, the files and live project "
                f"now call for {', '.join(s.action for s in current)}")
    for old, new in zip(reviewed, current):
        old_requests = [f"{r.method} {r.path}" for r in old.requests]
        new_requests = [f"{r.method} {r.path}" for r in new.requests]
        if old_requests != new_requests:
            return (f"{old.action} sends {', '.join(new_requests) or 'nothing'}, the reviewed plan held "
                    f"{', '.join(old_requests) or 'nothing'}")
        for before, after in zip(old.requests, new.requests):
            if canonical_json(before.body) != canonical_json(after.body) or before.group_field != after.group_field:
                keys = _differing_keys(before.body, after.body)
                return f"{old.action} {after.method} {after.path} sends a different body{keys} than reviewed"
        if old.expect_status != new.expect_status:
            return f"{old.action} expects {new.expect_status!r}, the reviewed plan {old.expect_status!r}"
    return "its steps differ from the reviewed ones"


def _differing_keys(before: Any, after: Any) -> str:
    if not isinstance(before, dict) or not isinstance(after, dict):
        return ""
    keys = sorted(k for k in set(before) | set(after) if canonical_json(before.get(k)) != canonical_json(after.get(k)))
    return f" (at {', '.join(keys)})" if keys else ""
