"""Desired objects + live objects → a Plan: the steps, their changes and requests.

A Plan is plain data. It is rendered (text, JSON, Markdown), saved, and executed
by `executor`; every request body it holds is exactly what will be sent, so a
reviewer reads the real thing.
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import lru_cache
from typing import Any

from statsync import idlists, spec
from statsync.diff import ABSENT, Change, diff
from statsync.errors import InvalidConfig, Problem, StatsyncError
from statsync.lifecycle import Refused, initial_status, path, request_body
from statsync.ignore import overlay
from statsync.kinds import Kind, all_kinds
from statsync.normalize import canonical, with_defaults
from statsync.references import references, separate_part
from statsync.validate import DesiredObject

LiveObjects = dict[str, dict[str, dict[str, Any]]]  # kind name → id → live object


@dataclass(frozen=True)
class ApiRequest:
    method: str
    path: str  # under /console/v1
    body: dict[str, Any] | None = None
    # Set on a request whose items name groups (`groupID: Test`) of an object created
    # earlier in the same step: the executor puts in the group ids the create answered.
    group_field: str | None = None


@dataclass(frozen=True)
class LiveVersion:
    """What the live object looked like when planned (for conflict checks)."""

    version: Any
    last_modified_time: Any
    last_modifier_name: str | None
    # its managed fields in canonical form, so a refusal can say what changed
    snapshot: dict[str, Any] | None = field(default=None, compare=False)

    @classmethod
    def of(cls, live: dict[str, Any], snapshot: dict[str, Any] | None = None) -> "LiveVersion":
        return cls(live.get("version"), live.get("lastModifiedTime"), live.get("lastModifierName"), snapshot)

    def matches(self, live: dict[str, Any], kind: Kind, object_id: str) -> bool:
        if self.version is None and self.last_modified_time is None and self.snapshot is not None:
            # objects without versions (the environment list): compare what is managed
            return canonical(kind, object_id, live) == self.snapshot
        return (self.version, self.last_modified_time) == (live.get("version"), live.get("lastModifiedTime"))


FIELD_ACTIONS = ("create", "update", "delete", "replace")


@dataclass
class Step:
    action: str  # create | update | delete, or a lifecycle action (launch, start, make_decision…)
    kind: str
    id: str
    changes: list[Change]
    requests: list[ApiRequest]
    depends_on: list[str] = field(default_factory=list)  # addresses of other steps
    live: LiveVersion | None = None
    ignored: list[str] = field(default_factory=list)  # live differences left alone by ignore rules
    expect_status: str | None = None  # lifecycle steps: the status the object must be in
    part: str = ""  # a field sent as a step of its own (a layer's overrides), else ""

    @property
    def object_address(self) -> str:
        return f"{self.kind}.{self.id}"

    @property
    def address(self) -> str:
        suffix = f":{self.part}" if self.part else "" if self.action in FIELD_ACTIONS else f":{self.action}"
        return f"{self.object_address}{suffix}"

    @property
    def is_lifecycle(self) -> bool:
        return self.action not in FIELD_ACTIONS


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
    unmanaged: list[str] = field(default_factory=list)  # live objects neither managed nor pruned
    kept: list[Kept] = field(default_factory=list)
    ignored_elsewhere: int = 0  # ignored differences on objects that are otherwise in sync

    @property
    def has_changes(self) -> bool:
        return bool(self.steps)

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
        return sum(len(step.requests) for step in self.steps)

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


def build_plan(desired: list[DesiredObject], live: LiveObjects, target: str,
               options: PlanOptions = PlanOptions()) -> Plan:
    steps: list[Step] = []
    unchanged, ignored_elsewhere = 0, 0
    refusals: list[Problem] = []
    for obj in _in_kind_order(desired):
        current = live.get(obj.kind.name, {}).get(obj.id)
        if current is None:
            step, ignored = _create(obj), 0
        else:
            refusals += _fixed_entry_problems(obj, current)
            step, ignored = _update(obj, current, [*options.ignore, *obj.settings.get("ignore", [])])
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
        elif step.action == "replace" and obj_protected(desired, step):
            refusals.append(Problem(None, f"{step.object_address} is protected (statsync.protect) and would be "
                                          f"replaced to change {', '.join(sorted({c.field for c in step.changes}))}"))
    if refusals:
        raise InvalidConfig(refusals)
    plan = Plan(target=target, steps=steps, unchanged=unchanged, ignored_elsewhere=ignored_elsewhere)
    _plan_deletes(plan, desired, live, options)
    _link_dependencies(plan, {o.key: o for o in desired}, live)
    return plan


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
    """The production environment can be neither removed nor edited (DIGEST §12)."""
    if obj.kind.fixed_entries is None:
        return []
    list_name, flag = obj.kind.fixed_entries
    keyed = obj.kind.keyed_lists[list_name]
    live_form, desired_form = canonical(obj.kind, obj.id, live), canonical(obj.kind, obj.id, obj.body)
    wanted = {item.get(keyed.key): item for item in desired_form.get(list_name) or []}
    problems = []
    for item in live_form.get(list_name) or []:
        if item.get(flag) and wanted.get(item.get(keyed.key)) != item:
            fields = ", ".join(f"{k}: {json.dumps(v)}" for k, v in item.items())
            problems.append(Problem(obj.mark((list_name,)), f"{item.get(keyed.key)!r} ({flag}) cannot be removed or "
                                    f"edited in Statsig; keep it as it is live: {{{fields}}}", list_name))
    return problems


def _shipped_into_layers(steps: list[Step], desired: list[DesiredObject]) -> list[Problem]:
    """Shipping a group rewrites its layer's parameter defaults to the group's values
    (DIGEST §6.3). A layer file that still says otherwise would undo the launch on the
    next apply, so the plan asks for the file to say what Statsig will."""
    by_key = {obj.key: obj for obj in desired}
    problems = []
    for step in steps:
        if step.action != "make_decision":
            continue
        experiment = by_key[(step.kind, step.id)]
        layer = by_key.get(("layer", experiment.body.get("layerID") or ""))
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


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _in_kind_order(desired: list[DesiredObject]) -> list[DesiredObject]:
    order = {name: index for index, name in enumerate(all_kinds())}
    return sorted(desired, key=lambda obj: (order[obj.kind.name], obj.id))


def _create(obj: DesiredObject) -> Step:
    """POST the fields the create DTO takes; a PATCH in the same step sets those only an
    update takes (a layer's parameters, a holdout's members)."""
    kind = obj.kind
    fields = copy.deepcopy(field_body(kind, obj.body))  # a status is reached through its own endpoints after
    required = {name: copy.deepcopy(kind.defaults[name]) for name in (*kind.always_sent, *_contract(kind).required)
                if name not in fields and kind.defaults.get(name) is not None}
    identity = {} if kind.id_from_name else {kind.identity: obj.id}
    named = {"name": obj.id} if kind.name_defaults_to_id or kind.id_from_name else {}
    body = {**identity, **named, **required, **fields}
    changes = []
    for name, value in body.items():
        keyed = kind.keyed_lists.get(name)
        if keyed is not None and isinstance(value, list):
            # one line per rule or group reads better than one long list
            changes += [Change(f"{name}[{item.get(keyed.key)}]", ABSENT, item) for item in value]
        elif name != kind.identity and not (kind.id_from_name and name == "name"):
            changes.append(Change(name, ABSENT, value))
    ids = body.pop(kind.id_list.field, None) if kind.id_list else None
    subs = {name: body.pop(name) for name in kind.sub_resources if name in body}
    first = {name: value for name, value in body.items() if name not in _contract(kind).update_only}
    rest = {name: value for name, value in body.items() if name in _contract(kind).update_only}
    requests = [ApiRequest("POST", kind.path(), first)]
    if rest:
        requests.append(ApiRequest("PATCH", kind.path(obj.id), rest))
    if ids is not None:
        changes = [c for c in changes if c.path != kind.id_list.field]
        changes.append(idlists.change(kind.id_list, None, ids) or Change(kind.id_list.field, ABSENT, "0 ids"))
        requests += _id_list_requests(kind, obj.id, None, ids)
    requests += [_sub_resource_request(kind, obj, name, None) for name in subs]
    return Step("create", kind.name, obj.id, changes, requests)


def _sub_resource_request(kind: Kind, obj: DesiredObject, name: str, live: dict[str, Any] | None) -> ApiRequest:
    """POST the whole sub-resource (overrides), every list present. Groups are named in
    YAML and by id in Statsig: an existing object's live ids go in now, a new object's
    when the executor has its create answer."""
    sub = kind.sub_resources[name]
    value = canonical(kind, obj.id, {name: obj.body[name]})[name]
    if sub.group_field and live is not None:
        value = with_group_ids(value, sub.group_field, live)
    return ApiRequest("POST", kind.path(obj.id) + sub.endpoint, value,
                      group_field=sub.group_field if live is None else None)


def _id_list_requests(kind: Kind, object_id: str, live: list[str] | None, desired: list[str]) -> list[ApiRequest]:
    return [ApiRequest(method, kind.path(object_id) + suffix, body)
            for method, suffix, body in idlists.requests(kind.id_list, live, desired)]


@dataclass(frozen=True)
class _Contract:
    """What the spec's DTOs say about a kind's fields."""

    required: tuple[str, ...]  # on create
    create_only: frozenset[str]  # set at creation, never updated (a layer's idType)
    update_only: frozenset[str]  # not taken on create (a layer's parameters)


def _contract(kind: Kind) -> _Contract:
    return _contract_of(kind.name)


@lru_cache(maxsize=None)
def _contract_of(kind_name: str) -> _Contract:
    kind = all_kinds()[kind_name]
    create = spec.component(kind.create_dto)
    created = set(create.get("properties", {}))
    updated = set(spec.component(kind.partial_update_dto).get("properties", {}))
    fields = set(kind.fields)
    return _Contract(tuple(create.get("required", ())), frozenset((created - updated) & fields),
                     frozenset((updated - created) & fields))


def field_body(kind: Kind, body: dict[str, Any]) -> dict[str, Any]:
    """The fields an update compares and sends: lifecycle status and its inputs go
    through their own endpoints instead."""
    if kind.lifecycle is None:
        return body
    moved = {kind.lifecycle.field, *kind.lifecycle.inputs}
    return {name: value for name, value in body.items() if name not in moved}


def _update(obj: DesiredObject, live: dict[str, Any], ignore: list[str]) -> tuple[Step | None, int]:
    """The update step (None when in sync) and how many live differences ignore rules hid."""
    kind = obj.kind
    fields = _with_grown_members(kind, field_body(kind, obj.body), live)
    wanted = overlay(kind, fields, live, ignore) if ignore else fields
    desired_form = canonical(kind, obj.id, wanted)
    live_form = canonical(kind, obj.id, live)
    changes = _changes(kind, live_form, desired_form, live)
    ids = obj.body.get(kind.id_list.field) if kind.id_list else None  # managed only when the YAML lists them
    id_change = idlists.change(kind.id_list, live.get(kind.id_list.field), ids) if ids is not None else None
    changes += [id_change] if id_change else []
    ignored: list[str] = []
    if ignore:
        kept = {change.path for change in changes}
        everything = _changes(kind, live_form, canonical(kind, obj.id, fields), live)
        ignored = [change.path for change in everything if change.path not in kept]
    if not changes:
        return None, len(ignored)
    fields = {change.field for change in changes}
    live_version = LiveVersion.of(live, live_form)
    own = {*kind.field_endpoints, *([kind.id_list.field] if kind.id_list else [])}
    fixed = fields - own if not kind.patchable else fields & _contract(kind).create_only
    if fixed:
        # Statsig cannot change these in place: delete and create again, refused unless allowed
        requests = [ApiRequest("DELETE", kind.path(obj.id)), *_create(obj).requests]
        return Step("replace", kind.name, obj.id, changes, requests, live=live_version, ignored=ignored), 0
    own_requests = {*kind.sub_resources, *([kind.id_list.field] if kind.id_list else [])}
    body = update_body(kind, obj.id, wanted, live, fields - own_requests)
    if kind.singleton:  # the whole object, POSTed to the collection
        requests = [ApiRequest("POST", kind.path(), update_body(kind, obj.id, wanted, live, set(kind.fields)))]
    elif kind.patchable:
        requests = [ApiRequest("PATCH", kind.path(obj.id), body)] if fields - own_requests else []
    else:  # each field through its own endpoint (a segment's rules)
        requests = [ApiRequest("POST", kind.path(obj.id) + kind.field_endpoints[name], body[name])
                    for name in sorted(fields) if name in kind.field_endpoints]
    if id_change:
        requests += _id_list_requests(kind, obj.id, live.get(kind.id_list.field), ids)
    requests += [_sub_resource_request(kind, obj, name, live) for name in sorted(fields & set(kind.sub_resources))]
    return Step("update", kind.name, obj.id, changes, requests, live=live_version, ignored=ignored), 0


def _with_grown_members(kind: Kind, fields: dict[str, Any], live: dict[str, Any]) -> dict[str, Any]:
    """A global holdout's live members the YAML does not list were added by Statsig:
    keep them, so they are neither drift nor removed."""
    if not kind.grows or not fields.get(kind.grows_when, kind.defaults.get(kind.grows_when)):
        return fields
    fields = dict(fields)
    for name in kind.grows:
        listed = list(fields.get(name) or [])
        fields[name] = listed + [member for member in live.get(name) or [] if member not in listed]
    return fields


def _changes(kind: Kind, live_form: dict[str, Any], desired_form: dict[str, Any],
             live: dict[str, Any]) -> list[Change]:
    """Only fields the desired object manages are compared; equal forms cost nothing more.
    Write-only fields (inputs Statsig expands or never returns) count only when the live
    object echoes them."""
    desired_form = {name: value for name, value in desired_form.items()
                    if name not in kind.write_only or name in live}
    live_form = {name: value for name, value in live_form.items() if name in desired_form}
    return [] if live_form == desired_form else diff(kind, live_form, desired_form)


def lifecycle_steps(obj: DesiredObject, live: dict[str, Any] | None,
                    fields_step: Step | None) -> tuple[list[Step], list[Step]]:
    """The lifecycle actions taking the object from its live status to the YAML's:
    those that go before its field update, and those that go after."""
    kind, lifecycle = obj.kind, obj.kind.lifecycle
    if lifecycle is None:
        return [], []
    current = live.get(lifecycle.field) if live is not None else initial_status(kind, obj.body)
    wanted = obj.body.get(lifecycle.field)
    route = path(lifecycle, current, wanted) if wanted is not None and current is not None else []
    status_at_update = current
    for transition in route:
        if not transition.before_update:
            break
        status_at_update = transition.to
    if fields_step is not None and fields_step.action == "update":
        _check_allowed(lifecycle, status_at_update, fields_step)
    before, after, status = [], [], current
    for transition in route:
        body = request_body(transition, kind, obj.body, live)
        move = Step(transition.action, kind.name, obj.id, [Change(lifecycle.field, status, transition.to)],
                    [ApiRequest("PUT", f"{kind.path(obj.id)}/{transition.action}", body)], expect_status=status,
                    live=LiveVersion.of(live) if live is not None else None)
        (before if transition.before_update else after).append(move)
        status = transition.to
    # each step of the object waits for the one before it
    chain = [*before, *([fields_step] if fields_step else []), *after]
    for previous, step in zip(chain, chain[1:]):
        step.depends_on.append(previous.address)
    return before, after


def _check_allowed(lifecycle, status: str | None, step: Step) -> None:
    fields = {change.field for change in step.changes}
    if status in lifecycle.read_only:
        raise Refused(f"the object is {status} and Statsig does not allow edits ({', '.join(sorted(fields))}); "
                      f"set {lifecycle.field} to leave {status} first")
    locked = fields & set(lifecycle.locked.get(status, ()))
    if locked:
        raise Refused(f"{', '.join(sorted(locked))} cannot change while the status is {status} "
                      f"(Statsig requires a reset, which reshuffles units)")
    for change in step.changes:
        if change.field in lifecycle.only_increase.get(status, ()) and isinstance(change.before, (int, float)) \
                and isinstance(change.after, (int, float)) and change.after < change.before:
            raise Refused(f"{change.field} can only increase while the status is {status} "
                          f"({change.before} → {change.after}); Statsig requires a reset to lower it")


def with_group_ids(body: dict[str, Any], group_field: str, obj: dict[str, Any]) -> dict[str, Any]:
    """Items naming a group by name (`groupID: Test`) get the id of `obj`'s group."""
    ids = {group.get("name"): group.get("id") for group in obj.get("groups") or []}
    return {key: [{**item, group_field: ids.get(item[group_field], item[group_field])}
                  if isinstance(item, dict) and group_field in item else item for item in value]
            if isinstance(value, list) else value for key, value in body.items()}


def update_body(kind: Kind, object_id: str, wanted: dict[str, Any], live: dict[str, Any],
                fields: set[str]) -> dict[str, Any]:
    """A PATCH body with the changed top-level fields (PATCH merges top-level fields
    and replaces nested lists wholesale, DIGEST §19.4)."""
    desired = with_defaults(kind, object_id, copy.deepcopy(wanted))
    body = {}
    for name in sorted(fields | set(kind.always_sent)):
        if name not in desired:
            continue
        value = desired[name]
        keyed = kind.keyed_lists.get(name)
        if keyed is not None and isinstance(value, list):
            value = _echo_server_ids(value, live.get(name) or [], keyed)
        body[name] = value
    return body


def _echo_server_ids(items: list[dict], live_items: list[dict], keyed) -> list[dict]:
    """Give each desired item the server ids of the live item with the same key, so
    Statsig keeps the rule's or group's identity and history."""
    by_key = {item.get(keyed.key): item for item in live_items}
    out = []
    for item in items:
        match = by_key.get(item.get(keyed.key))
        item = {key: value for key, value in item.items() if key not in keyed.server_ids}
        if match is not None:
            for name in (*keyed.server_ids, *keyed.carried):
                if match.get(name) is not None:
                    item[name] = match[name]
        out.append(item)
    return out


def _plan_deletes(plan: Plan, desired: list[DesiredObject], live: LiveObjects, options: PlanOptions) -> None:
    """Pruning: live objects missing from the repository, within scope, deleted only
    when nothing that stays still references them."""
    kinds = all_kinds()
    managed = {obj.key for obj in desired}
    candidates, unmanaged = [], []
    for kind_name, objects in live.items():
        if kinds[kind_name].singleton:
            continue  # always there: never deleted, never "unmanaged"
        for object_id, obj in objects.items():
            if (kind_name, object_id) in managed:
                continue
            address = f"{kind_name}.{object_id}"
            if not options.prune or not _in_scope(kind_name, object_id, obj, options):
                unmanaged.append(address)
            elif any(fnmatchcase(address, pattern) for pattern in options.protect):
                plan.kept.append(Kept(address, "protected by prune.protect"))
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
        for ref in references(obj.kind, obj.body):
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
    for step in plan.steps:
        if step.action not in ("create", "update", "replace"):
            continue
        obj = desired[(step.kind, step.id)]
        for ref in references(obj.kind, obj.body):
            if (ref.path[0] if separate_part(obj.kind, ref.path) else "") != step.part:
                continue  # a separate part's references are its own step's to wait for
            # a reference to a singleton's entry waits for the singleton's step
            target_id = ref.target_kind if kinds[ref.target_kind].singleton else ref.target_id
            _depend(step, addresses.get((ref.target_kind, target_id)))
    for step in plan.steps:
        current = live.get(step.kind, {}).get(step.id)
        if current is None or step.is_lifecycle:
            continue
        for ref in references(kinds[step.kind], current):
            target = deletes.get((ref.target_kind, ref.target_id))
            if target is not None:
                _depend(next(s for s in plan.steps if s.address == target), step.address)


def _depend(step: Step, address: str | None) -> None:
    if address and address != step.address and address not in step.depends_on:
        step.depends_on.append(address)


def obj_protected(desired: list[DesiredObject], step: Step) -> bool:
    return any(o.key == (step.kind, step.id) and o.settings.get("protect") for o in desired)


def check_safety(plan: Plan, safety: dict[str, Any], force: bool = False, allow_deletes: int | None = None,
                 allow_replace: bool = False) -> None:
    """Refuse plans that delete or change more than the project allows (octoDNS-style)."""
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
    managed = plan.managed_live
    # deletes acknowledged one by one with --allow-deletes no longer count here
    changed = plan.count("update") + (deletes if allow_deletes is None else 0)
    if managed >= safety["min_managed"] and managed and changed * 100 / managed > safety["max_changed_percent"]:
        raise StatsyncError(f"refusing to change {changed} of {managed} managed objects "
                            f"({changed * 100 / managed:.0f}% > safety.max_changed_percent "
                            f"{safety['max_changed_percent']}%); check the plan, then pass --force")
