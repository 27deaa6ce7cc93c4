"""Desired objects + live objects → a Plan: every object's steps (see `steps`), the
checks that span objects, pruning, and the order steps wait for each other in.

A Plan is plain data. It is rendered (text, JSON, Markdown), saved, and executed
by `executor`; every request body it holds is exactly what will be sent, so a
reviewer reads the real thing.
"""
from __future__ import annotations

import graphlib
import json
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from statsync import bulk, safeguards
from statsync.errors import InvalidConfig, Problem, StatsyncError
from statsync.kinds import all_kinds
from statsync.lifecycle import Refused
from statsync.normalize import canonical
from statsync.references import references, separate_part
from statsync.steps import FIELD_ACTIONS, ApiRequest, LiveVersion, Step, create_step, lifecycle_steps, update_step
from statsync.validate import DesiredObject

LiveObjects = dict[str, dict[str, dict[str, Any]]]  # kind name → id → live object


@dataclass
class Kept:
    """A live object pruning would delete but must not, and why."""

    address: str
    reason: str


@dataclass
class Plan:
    target: str
    steps: list[Step]
    unchanged: int = 0
    # the repository's objects (singletons aside) that exist live: none means a first apply,
    # or a key for the wrong project (check_safety's max_first_creates)
    found_live: int = 0
    unmanaged: list[str] = field(default_factory=list)  # live objects neither managed nor pruned
    kept: list[Kept] = field(default_factory=list)
    ignored_elsewhere: int = 0  # ignored differences on objects that are otherwise in sync
    unselected: int = 0  # objects with changes that --only / --kind left out
    held: list[str] = field(default_factory=list)  # live differences left to Statsig, and why

    @property
    def has_changes(self) -> bool:
        return bool(self.steps)

    @property
    def weakened(self) -> list[str]:
        """Safeguards the plan switches off (a review requirement), as `kind.id: what`."""
        return [f"{step.object_address}: {warning}" for step in self.steps
                for warning in safeguards.called_out(step.warnings)]

    def count(self, action: str) -> int:
        """Objects created, updated, deleted or replaced, by their first such step (a layer
        created with overrides sent after is one create); lifecycle actions by step."""
        if action not in FIELD_ACTIONS:
            return sum(1 for step in self.steps if step.action == action)
        first: dict[str, str] = {}
        for step in self.steps:
            if step.action in FIELD_ACTIONS:
                first.setdefault(step.object_address, step.action)
        return sum(1 for found in first.values() if found == action)

    @property
    def request_count(self) -> int:
        """Writes: the requests the steps hold."""
        return sum(len(step.requests) for step in self.steps)

    @property
    def check_count(self) -> int:
        """Conflict checks: every step on an existing object reads it again just before it is sent."""
        return sum(1 for step in self.steps if step.action != "create")

    @property
    def apply_request_count(self) -> int:
        """What apply will send before its verification read: the one figure every output shows."""
        return self.request_count + self.check_count

    @property
    def ignored_count(self) -> int:
        return self.ignored_elsewhere + sum(len(step.ignored) for step in self.steps)

    @property
    def managed_live(self) -> int:
        """Live objects this plan is responsible for: updated, unchanged or deleted."""
        return self.unchanged + self.count("update") + self.count("delete")


@dataclass(frozen=True)
class PlanOptions:
    ignore: tuple[str, ...] = ()  # project-wide ignore patterns
    prune: bool = False
    prune_kinds: tuple[str, ...] = ()  # empty: every kind
    prune_id_prefix: str = ""
    prune_tag: str = ""
    protect: tuple[str, ...] = ()  # kind.id patterns never deleted
    only: tuple[str, ...] = ()  # kind.id patterns (globs): plan and apply these objects only; empty: all


@bulk.phase
def build_plan(desired: list[DesiredObject], live: LiveObjects, target: str,
               options: PlanOptions = PlanOptions(), spared: dict[str, str] | None = None) -> Plan:
    """`spared`: addresses pruning must keep, and why (objects in files the loader skipped)."""
    steps: list[Step] = []
    unchanged, ignored_elsewhere, held, found_live = 0, 0, [], 0
    refusals: list[Problem] = []
    for obj in _in_kind_order(desired):
        current = live.get(obj.kind.name, {}).get(obj.id)
        # every project holds its settings and keys: finding them says nothing about which project
        found_live += current is not None and obj.kind.creatable and not obj.kind.singleton
        if current is None and not obj.kind.creatable:
            refusals.append(Problem(obj.mark(("id",)), f"no live {obj.kind.title.lower()} has the "
                                    f"{obj.kind.identity} {obj.id!r}: statsync never creates {obj.kind.plural} "
                                    f"(make it in the console, then describe it here)", "id"))
            continue
        if current is None:
            step, ignored = create_step(obj), 0
        else:
            refusals += _fixed_entry_problems(obj, current)
            step, ignored, holding = update_step(obj, current, [*options.ignore, *obj.settings.get("ignore", [])])
            held += holding
        try:
            before, after = lifecycle_steps(obj, current, step)
        except Refused as exc:
            refusals.append(Problem(obj.mark((obj.kind.lifecycle.field,)), str(exc), obj.kind.lifecycle.field))
            continue
        if step is None and not before and not after:
            unchanged += 1
            ignored_elsewhere += ignored
        steps += [*before, *_split_parts(obj, step), *after]
    # separate parts (a layer's overrides) wait for objects of later kinds: list them last
    steps = [step for step in steps if not step.part] + [step for step in steps if step.part]
    refusals += _shipped_into_layers(steps, desired)
    referrers = referrers_after(desired, live) if any(s.action == "replace" for s in steps) else {}
    for step in steps:
        users = [user for user in referrers.get((step.kind, step.id), []) if user != step.object_address]
        if step.action == "replace" and users:
            obj = next(o for o in desired if o.key == (step.kind, step.id))
            fields = ", ".join(sorted({c.field for c in step.changes}))
            refusals.append(Problem(obj.mark((step.changes[0].field,)),
                                    f"changing {fields} means deleting and re-creating {step.object_address} "
                                    f"(Statsig cannot update it), but {', '.join(sorted(users))} use it", ""))
        elif step.action == "replace" and not all_kinds()[step.kind].deletable:
            obj = next(o for o in desired if o.key == (step.kind, step.id))
            fields = ", ".join(sorted({c.field for c in step.changes}))
            refusals.append(Problem(obj.mark((step.changes[0].field,)),
                                    f"{fields} cannot change once {step.object_address} exists, and Statsig's API "
                                    f"cannot delete {_plural(step.kind)} to create it again: change it in the "
                                    f"console, or leave it as it is live", step.changes[0].field))
        elif step.action == "replace" and obj_protected(desired, step):
            refusals.append(Problem(None, f"{step.object_address} is protected (statsync.protect) and would be "
                                          f"replaced to change {', '.join(sorted({c.field for c in step.changes}))}"))
    if refusals:
        raise InvalidConfig(refusals)
    plan = Plan(target=target, steps=steps, unchanged=unchanged, ignored_elsewhere=ignored_elsewhere, held=held,
                found_live=found_live)
    _plan_deletes(plan, desired, live, options, spared or {})
    _link_dependencies(plan, {o.key: o for o in desired}, live)
    if options.only:
        _select(plan, options.only)
    return plan


def _select(plan: Plan, patterns: tuple[str, ...]) -> None:
    """Keep the steps of selected objects (pruning included); a kept step that waits for
    one left out is refused, naming both, rather than applied before what it needs."""
    def chosen(address: str) -> bool:
        return any(fnmatchcase(address, pattern) for pattern in patterns)
    kept = [step for step in plan.steps if chosen(step.object_address)]
    addresses = {step.address for step in kept}
    left_out = {step.address for step in plan.steps} - addresses
    waiting = [f"{step.address} waits for {dep}, which the selection leaves out; select it too"
               for step in kept for dep in step.depends_on if dep in left_out]
    if waiting:
        raise StatsyncError("refusing a partial plan:\n" + "\n".join(waiting))
    plan.unselected = len({step.object_address for step in plan.steps if not chosen(step.object_address)})
    plan.steps = kept


def _split_parts(obj: DesiredObject, step: Step | None) -> list[Step]:
    """The step, and after it a step of its own for each separate sub-resource it writes."""
    if step is None or step.action not in ("create", "update", "replace"):
        return [step] if step else []
    out = [step]
    for name, sub in obj.kind.sub_resources.items():
        path = obj.kind.path(obj.id) + sub.endpoint
        moved = [request for request in step.requests if request.path == path]
        if not sub.separate or not moved:
            continue
        step.requests = [request for request in step.requests if request.path != path]
        changes = [change for change in step.changes if change.field == name]
        step.changes = [change for change in step.changes if change.field != name]
        out.append(Step("update", step.kind, step.id, changes, moved, live=step.live, part=name))
    if not step.requests:  # only the separate part changed
        out.remove(step)
    for previous, part in zip(out, out[1:]):
        part.depends_on.append(previous.address)
    return out


def _fixed_entry_problems(obj: DesiredObject, live: dict[str, Any]) -> list[Problem]:
    """The production environment can be neither removed nor renamed (DIGEST §12); its
    review flags can change (TF-test `tests/test_resources/environments.tf`)."""
    if obj.kind.fixed_entries is None:
        return []
    list_name, flag = obj.kind.fixed_entries
    keyed = obj.kind.keyed_lists[list_name]
    live_form, desired_form = canonical(obj.kind, obj.id, live), canonical(obj.kind, obj.id, obj.body)
    wanted = {item.get(keyed.key): item for item in desired_form.get(list_name) or []}
    problems = []
    for item in live_form.get(list_name) or []:
        kept = wanted.get(item.get(keyed.key))
        if item.get(flag) and not (kept and kept.get(flag)):
            problems.append(Problem(obj.mark((list_name,)), f"{item.get(keyed.key)!r} ({flag}) cannot be removed or "
                                    f"renamed in Statsig; keep an entry named {item.get(keyed.key)!r} with "
                                    f"{flag}: true (its review flags may change)", list_name))
    return problems


def _shipped_into_layers(steps: list[Step], desired: list[DesiredObject]) -> list[Problem]:
    """Shipping a group rewrites its layer's parameter defaults to the group's values
    (DIGEST §6.3). A layer file that still says otherwise would undo the launch on the
    next apply, so the plan asks for the file to say what Statsig will."""
    by_address = {f"{obj.kind.name}.{obj.id}": obj for obj in desired}
    problems = []
    for step in steps:
        if step.action != "make_decision":
            continue
        experiment = by_address[step.object_address]
        # the layer the decision changes (the transition's `also_changes`), when the repository holds it
        layer = next((by_address[address] for address in step.touches if address in by_address), None)
        shipped = experiment.body.get("launchedGroupID")
        group = next((g for g in experiment.body.get("groups") or [] if g.get("name") == shipped), None)
        if layer is None or group is None:
            continue
        values = group.get("parameterValues") or {}
        for index, parameter in enumerate(layer.body.get("parameters") or []):
            name = parameter.get("name")
            if name in values and canonical_json(values[name]) != canonical_json(parameter.get("defaultValue")):
                problems.append(Problem(
                    layer.mark(("parameters", index, "defaultValue")),
                    f"experiment {experiment.id} ships group {shipped!r}, and Statsig then sets {name} to "
                    f"{json.dumps(values[name])} in this layer; set defaultValue to that, or the next apply "
                    f"would undo the launch", f"parameters[{index}].defaultValue"))
    return problems


def _plural(kind_name: str) -> str:
    return all_kinds()[kind_name].title.lower() + "s"


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _in_kind_order(desired: list[DesiredObject]) -> list[DesiredObject]:
    order = {name: index for index, name in enumerate(all_kinds())}
    return sorted(desired, key=lambda obj: (order[obj.kind.name], obj.id))


def _plan_deletes(plan: Plan, desired: list[DesiredObject], live: LiveObjects, options: PlanOptions,
                  spared: dict[str, str]) -> None:
    """Pruning: live objects missing from the repository, within scope, deleted only
    when nothing that stays still references them."""
    kinds = all_kinds()
    managed = {obj.key for obj in desired}
    candidates, unmanaged = [], []
    for kind_name, objects in live.items():
        if kinds[kind_name].singleton or not kinds[kind_name].creatable:
            continue  # always there (settings, keys): never statsync's to delete, never "unmanaged"
        for object_id, obj in objects.items():
            if (kind_name, object_id) in managed:
                continue
            address = f"{kind_name}.{object_id}"
            if not options.prune or not _in_scope(kind_name, object_id, obj, options):
                unmanaged.append(address)
            elif any(fnmatchcase(address, pattern) for pattern in options.protect):
                plan.kept.append(Kept(address, "protected by prune.protect"))
            elif address in spared:
                plan.kept.append(Kept(address, spared[address]))
            elif not kinds[kind_name].deletable:
                plan.kept.append(Kept(address, f"Statsig's API cannot delete {_plural(kind_name)}: "
                                               f"delete it in the console"))
            else:
                candidates.append((kind_name, object_id))
    referrers = referrers_after(desired, live, excluding=set(candidates))
    for key in candidates:
        kind_name, object_id = key
        users = referrers.get(key)
        if users:
            plan.kept.append(Kept(f"{kind_name}.{object_id}", "still referenced by " + ", ".join(sorted(users))))
            continue
        kind = kinds[kind_name]
        obj = live[kind_name][object_id]
        plan.steps.append(Step("delete", kind_name, object_id, [], [ApiRequest("DELETE", kind.path(object_id))],
                               live=LiveVersion.of(obj, canonical(kind, object_id, obj))))
    plan.unmanaged = sorted(unmanaged)


def referrers_after(desired: list[DesiredObject], live: LiveObjects,
                    excluding: set[tuple[str, str]] = frozenset()) -> dict[tuple[str, str], list[str]]:
    """Who will reference each object once the plan is applied: desired objects as they
    will be, and live objects the repository does not manage (except `excluding`)."""
    kinds = all_kinds()
    managed = {obj.key for obj in desired}
    referrers: dict[tuple[str, str], list[str]] = {}
    for obj in desired:
        for ref in obj.refs:
            referrers.setdefault((ref.target_kind, ref.target_id), []).append(f"{obj.kind.name}.{obj.id}")
    for kind_name, objects in live.items():
        for object_id, obj in objects.items():
            if (kind_name, object_id) in managed or (kind_name, object_id) in excluding:
                continue
            for ref in references(kinds[kind_name], obj):
                referrers.setdefault((ref.target_kind, ref.target_id), []).append(f"{kind_name}.{object_id}")
    return referrers


def _in_scope(kind_name: str, object_id: str, obj: dict, options: PlanOptions) -> bool:
    if options.prune_kinds and kind_name not in options.prune_kinds:
        return False
    if options.prune_id_prefix and not object_id.startswith(options.prune_id_prefix):
        return False
    if options.prune_tag and options.prune_tag not in (obj.get("tags") or []):
        return False
    return True


def _link_dependencies(plan: Plan, desired: dict, live: LiveObjects) -> None:
    """Creates and updates wait for the objects they reference (a gate before the gates
    whose conditions name it, before experiments it targets); a delete waits for every
    step whose live object still references the object being deleted."""
    kinds = all_kinds()
    addresses = {(step.kind, step.id): step.address for step in plan.steps
                 if step.action in ("create", "update", "replace") and not step.part}
    deletes = {(step.kind, step.id): step.address for step in plan.steps if step.action == "delete"}
    loose: list[tuple[Step, str | None]] = []  # waited for last, and only where that closes no cycle
    for step in plan.steps:
        if step.action not in ("create", "update", "replace"):
            continue
        obj = desired[(step.kind, step.id)]
        for ref in obj.refs:
            if (ref.path[0] if separate_part(obj.kind, ref.path) else "") != step.part:
                continue  # a separate part's references are its own step's to wait for
            # a reference to a singleton's entry waits for the singleton's step
            target_id = ref.target_kind if kinds[ref.target_kind].singleton else ref.target_id
            if ref.loose:
                loose.append((step, addresses.get((ref.target_kind, target_id))))
            else:
                _depend(step, addresses.get((ref.target_kind, target_id)))
    for step in plan.steps:
        current = live.get(step.kind, {}).get(step.id)
        if current is None or step.is_lifecycle:
            continue
        for ref in references(kinds[step.kind], current):
            target = deletes.get((ref.target_kind, ref.target_id))
            if target is not None:
                _depend(next(s for s in plan.steps if s.address == target), step.address)
    by_address = {step.address: step for step in plan.steps}
    for step, address in loose:
        if address is not None and not _waits_for(by_address, address, step.address):
            _depend(step, address)
    try:  # validation refuses reference cycles; steps waiting in a circle would wait forever
        graphlib.TopologicalSorter({step.address: step.depends_on for step in plan.steps}).prepare()
    except graphlib.CycleError as exc:
        raise StatsyncError(f"steps would wait for each other in a circle: {' → '.join(exc.args[1])} "
                            f"(a statsync bug: please report it)") from None


def _waits_for(steps: dict[str, Step], start: str, goal: str) -> bool:
    """Whether the step at `start` waits, through any chain of steps, for the one at `goal`."""
    seen, queue = set(), [start]
    while queue:
        address = queue.pop()
        if address == goal:
            return True
        if address not in seen and address in steps:
            seen.add(address)
            queue += steps[address].depends_on
    return False


def _depend(step: Step, address: str | None) -> None:
    if address and address != step.address and address not in step.depends_on:
        step.depends_on.append(address)


def obj_protected(desired: list[DesiredObject], step: Step) -> bool:
    return any(o.key == (step.kind, step.id) and o.settings.get("protect") for o in desired)


def check_safety(plan: Plan, safety: dict[str, Any], force: bool = False, allow_deletes: int | None = None,
                 allow_replace: bool = False, allow_creates: int | None = None) -> None:
    """Refuse plans that delete or change more than the project allows (octoDNS-style),
    and a first apply of many creates: where none of the repository's objects exists
    live, the key may well be for another project."""
    replaces = [step.address for step in plan.steps if step.action == "replace"]
    if replaces and not allow_replace:
        raise StatsyncError(f"refusing to replace {', '.join(replaces)}: Statsig cannot update "
                            f"{'it' if len(replaces) == 1 else 'them'}, so the change deletes and re-creates "
                            f"(history and ids are lost); pass --allow-replace to go ahead")
    if force:
        return
    deletes = plan.count("delete")
    if allow_deletes is not None and allow_deletes != deletes:
        raise StatsyncError(f"--allow-deletes {allow_deletes} does not match the plan, which deletes {deletes}")
    if deletes > safety["max_deletes"] and allow_deletes != deletes:
        raise StatsyncError(f"refusing to delete {deletes} objects (safety.max_deletes is {safety['max_deletes']}); "
                            f"check the plan, then pass --allow-deletes {deletes} or --force")
    creates = plan.count("create")
    if allow_creates is not None and allow_creates != creates:
        raise StatsyncError(f"--allow-creates {allow_creates} does not match the plan, which creates {creates}")
    first_creates = safety.get("max_first_creates")  # absent: no such check
    if first_creates is not None and not plan.found_live and creates > first_creates and allow_creates != creates:
        raise StatsyncError(f"refusing to create {creates} objects in a project where none of the repository's "
                            f"objects exist yet (safety.max_first_creates is {first_creates}): is "
                            f"this the right project? Check the target (or pin it with project_id), then pass "
                            f"--allow-creates {creates} or --force")
    managed = plan.managed_live
    # deletes acknowledged one by one with --allow-deletes no longer count here
    changed = plan.count("update") + (deletes if allow_deletes is None else 0)
    if managed >= safety["min_managed"] and managed and changed * 100 / managed > safety["max_changed_percent"]:
        raise StatsyncError(f"refusing to change {changed} of {managed} managed objects "
                            f"({changed * 100 / managed:.0f}% > safety.max_changed_percent "
                            f"{safety['max_changed_percent']}%); check the plan, then pass --force")
