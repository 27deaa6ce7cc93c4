"""One object, live → desired: the steps that get it there and the requests each sends.

A create is the create DTO's fields, then a PATCH of those only an update takes;
an update is a PATCH of the changed fields, or each field through its own endpoint,
or a `replace` where Statsig cannot change a field in place; id lists and overrides
go through endpoints of their own; lifecycle moves are steps around the update.
Every request body here is exactly what will be sent.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from statsync import identity, idlists, safeguards, spec
from statsync.diff import ABSENT, Change, diff
from statsync.ignore import overlay
from statsync.kinds import Kind, all_kinds
from statsync.lifecycle import Refused, implied_fields, initial_status, path, request_body, status_owned
from statsync.normalize import canonical, chosen_twins, decimal, with_defaults
from statsync.validate import DesiredObject


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
    touches: list[str] = field(default_factory=list)  # other objects this step changes (addresses)
    warnings: list[str] = field(default_factory=list)  # what a reviewer must know (users re-bucketed)

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


def create_step(obj: DesiredObject) -> Step:
    """POST the fields the create DTO takes; a PATCH in the same step sets those only an
    update takes (a layer's parameters, a holdout's members)."""
    kind = obj.kind
    fields = copy.deepcopy(field_body(kind, obj.body))  # a status is reached through its own endpoints after,
    if kind.lifecycle and obj.body.get(kind.lifecycle.field) in kind.lifecycle.created_in:  # unless created in it
        fields[kind.lifecycle.field] = obj.body[kind.lifecycle.field]
    required = {name: copy.deepcopy(kind.defaults[name]) for name in (*kind.always_sent, *_contract(kind).required)
                if name not in fields and kind.defaults.get(name) is not None}
    required.update({name: obj.id for name in kind.id_defaults if name not in fields})
    identity = {} if kind.id_from_name or kind.id_parts else {kind.identity: obj.id}
    named = {"name": obj.id} if kind.name_defaults_to_id or kind.id_from_name else {}
    named.update(id_fields(kind, obj.id))
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
    groups_named = {name: body.pop(name) for name in kind.group_refs if name in body}
    first = {name: value for name, value in body.items() if name not in _contract(kind).update_only}
    rest = {name: value for name, value in body.items() if name in _contract(kind).update_only}
    requests = [ApiRequest("POST", kind.path(), first)]
    if rest and kind.update_method == "POST":
        # a full update: with every field it takes, so none it leaves out is reset
        requests.append(ApiRequest("POST", kind.path(obj.id), {name: value for name, value in body.items()
                                                               if name in _updated_fields(kind)}))
    elif rest:
        requests.append(ApiRequest("PATCH", kind.path(obj.id), rest))
    for name, value in groups_named.items():  # the group's id is known once the create answers
        requests.append(ApiRequest("PATCH", kind.path(obj.id), {name: value}, group_field=name))
    if ids is not None:
        changes = [c for c in changes if c.path != kind.id_list.field]
        changes.append(idlists.change(kind.id_list, None, ids) or Change(kind.id_list.field, ABSENT, "0 ids"))
        requests += _id_list_requests(kind, obj.id, None, ids)
    requests += [_sub_resource_request(kind, obj, name, None) for name in subs]
    return Step("create", kind.name, obj.id, changes, requests)


def id_fields(kind: Kind, object_id: str) -> dict[str, str]:
    """The fields a composed id is made of (`dau::user` → name dau, type user)."""
    if not kind.id_parts:
        return {}
    return dict(zip(kind.id_parts, object_id.rsplit("::", len(kind.id_parts) - 1)))


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


def _updated_fields(kind: Kind) -> set[str]:
    """The fields the update DTO takes that the kind manages."""
    return set(spec.component(kind.partial_update_dto).get("properties", {})) & set(kind.fields)


def field_body(kind: Kind, body: dict[str, Any]) -> dict[str, Any]:
    """The fields an update compares and sends: lifecycle status and its inputs go
    through their own endpoints instead."""
    body = identity.without_renames(kind, body)
    if kind.lifecycle is None:
        return body
    moved = {kind.lifecycle.field, *kind.lifecycle.inputs}
    return {name: value for name, value in body.items() if name not in moved}


def update_step(obj: DesiredObject, live: dict[str, Any], ignore: list[str]) -> tuple[Step | None, int, list[str]]:
    """The update step (None when in sync), how many live differences ignore rules hid, and
    what the plan leaves to Statsig and why (a scheduled rollout's next phase)."""
    kind = obj.kind
    renames, warnings = identity.renames(kind, obj.body, live)
    actual, live = live, identity.renamed_live(kind, live, renames)  # compared as the rename leaves it
    # what the status owns keeps its live value: the lifecycle move, not the PATCH, changes it
    owned = {name: live[name] for name in status_owned(kind, obj.body, live) if name in live}
    fields = _with_grown_members(kind, {**field_body(kind, obj.body), **owned}, live)
    fields, held = _scheduled(kind, obj.id, fields, live)
    wanted = overlay(kind, fields, live, ignore) if ignore else fields
    desired_form = canonical(kind, obj.id, wanted)
    live_form = canonical(kind, obj.id, live)
    changes = _renamed(kind, renames) + _changes(kind, live_form, desired_form, live, obj.body)
    warnings += identity.rebucket_warnings(kind, live_form, desired_form)
    warnings += safeguards.weakened(kind, live_form, desired_form)
    ids = obj.body.get(kind.id_list.field) if kind.id_list else None  # managed only when the YAML lists them
    id_change = idlists.change(kind.id_list, live.get(kind.id_list.field), ids) if ids is not None else None
    changes += [id_change] if id_change else []
    ignored: list[str] = []
    if ignore:
        kept = {change.path for change in changes}
        everything = _changes(kind, live_form, canonical(kind, obj.id, fields), live, obj.body)
        ignored = [change.path for change in everything if change.path not in kept]
    if not changes:
        return None, len(ignored), held
    fields = {change.field for change in changes}
    live_version = LiveVersion.of(actual, canonical(kind, obj.id, actual) if renames else live_form)
    # fields sent through endpoints of their own: overrides, an id list, a segment's rules
    own = {*kind.sub_resources, *([kind.id_list.field] if kind.id_list else []), *kind.field_endpoints}
    fixed = fields - own if not kind.patchable else fields & _contract(kind).create_only
    if fixed:
        # Statsig cannot change these in place: delete and create again, refused unless allowed
        requests = [ApiRequest("DELETE", kind.path(obj.id)), *create_step(obj).requests]
        return Step("replace", kind.name, obj.id, changes, requests, live=live_version, ignored=ignored,
                    warnings=warnings), 0, held
    if kind.singleton:
        # the whole object, POSTed to the collection: fields the document leaves alone go
        # back as they are live (the settings' POST requires fields a file may not set)
        kept = {name: copy.deepcopy(live[name]) for name in kind.fields if name in live}
        requests = [ApiRequest("POST", kind.path(), {**kept, **update_body(kind, obj.id, wanted, live,
                                                                           set(kind.fields))})]
    elif kind.update_method == "POST":
        # a full update: every update-DTO field the object has, the document's over live's
        takes = _updated_fields(kind)
        kept = {name: copy.deepcopy(live[name]) for name in takes if live.get(name) is not None}
        # (a changed field the document leaves out goes as its default: that is the change)
        body = {**kept, **update_body(kind, obj.id, wanted, live, takes & (set(wanted) | fields))}
        requests = [ApiRequest("POST", kind.path(obj.id), dict(sorted(body.items())))]
    elif kind.patchable:
        body = update_body(kind, obj.id, wanted, live, fields - own)
        # an owned field the PATCH must carry anyway (a config's isEnabled) says what the
        # status will be once its move is made, not the live value the move is about to
        # change: sent after an unarchive, a stale `false` would disable it again
        body.update({name: value for name, value in implied_fields(kind, obj.body).items() if name in body})
        # update_body named groups by their live ids; a group this update adds has none
        # yet, so a field naming it (controlGroupID) is sent after, with the id it then has
        live_ids = {group.get("id") for group in live.get("groups") or []}
        later = {name: body.pop(name) for name in kind.group_refs if name in body and body[name] not in live_ids}
        requests = [ApiRequest("PATCH", kind.path(obj.id), body)] if fields - own - set(later) else []
        requests += [ApiRequest("PATCH", kind.path(obj.id), {name: value}, group_field=name)
                     for name, value in later.items()]
    else:
        body = update_body(kind, obj.id, wanted, live, fields & set(kind.field_endpoints))
        requests = [ApiRequest("POST", kind.path(obj.id) + kind.field_endpoints[name], body[name])
                    for name in sorted(fields & set(kind.field_endpoints))]
    if id_change:
        requests += _id_list_requests(kind, obj.id, live.get(kind.id_list.field), ids)
    requests += [_sub_resource_request(kind, obj, name, live) for name in sorted(fields & set(kind.sub_resources))]
    return Step("update", kind.name, obj.id, changes, requests, live=live_version, ignored=ignored,
                warnings=warnings), 0, held


SCHEDULE = "pendingAutomatedRollouts"


def _scheduled(kind: Kind, object_id: str, fields: dict[str, Any], live: dict[str, Any]) -> tuple[dict, list[str]]:
    """While a rule has scheduled rollout phases still to run, the schedule owns its
    passPercentage: each phase "will execute automatically" (docs
    `feature-flags/scheduled-rollouts.mdx`, EVIDENCE.md finding 7), so a file still
    saying the first phase's value must not undo the phases that ran. The live value is
    kept, and the plan says so when the file says otherwise."""
    held = []
    for name, keyed in kind.keyed_lists.items():
        if SCHEDULE not in keyed.carried or not isinstance(fields.get(name), list):
            continue
        running = {item.get(keyed.key): item for item in live.get(name) or []
                   if isinstance(item, dict) and item.get(SCHEDULE)}
        if not running:
            continue
        items = []
        for item in fields[name]:
            match = running.get(item.get(keyed.key)) if isinstance(item, dict) else None
            if match is not None and "passPercentage" in match:
                wanted = item.get("passPercentage", match["passPercentage"])
                if decimal(wanted) != decimal(match["passPercentage"]):
                    held.append(f"{kind.name}.{object_id} {name}[{item.get(keyed.key)}].passPercentage: a scheduled "
                                f"rollout owns it while {len(match[SCHEDULE])} phase(s) are pending (live "
                                f"{match['passPercentage']} %, the file says {wanted} %); left alone")
                item = {**item, "passPercentage": match["passPercentage"]}
            items.append(item)
        fields = {**fields, name: items}
    return fields, held


def _renamed(kind: Kind, renames: identity.Renames) -> list[Change]:
    return [Change(f"{name}[{new}].{kind.keyed_lists[name].key}", old, new, note="renamed")
            for name, pairs in renames.items() for old, new in pairs.items()]


def _with_grown_members(kind: Kind, fields: dict[str, Any], live: dict[str, Any]) -> dict[str, Any]:
    """Live members the YAML does not list were added by Statsig (a global holdout's new
    gates, a metric tag's metrics): keep them, so they are neither drift nor removed."""
    grown = [name for name, when in kind.grows.items() if fields.get(when, kind.defaults.get(when))]
    if not grown:
        return fields
    fields = dict(fields)
    for name in grown:
        listed = list(fields.get(name) or kind.defaults.get(name) or [])
        fields[name] = listed + [member for member in live.get(name) or [] if member not in listed]
    return fields


def _changes(kind: Kind, live_form: dict[str, Any], desired_form: dict[str, Any],
             live: dict[str, Any], written: dict[str, Any]) -> list[Change]:
    """Only fields the desired object manages are compared; equal forms cost nothing more.
    Write-only fields (inputs Statsig expands or never returns) count only when the live
    object echoes a value in them (an expanded metric tag answers [])."""
    desired_form = {name: value for name, value in chosen_twins(kind, written, desired_form).items()
                    if name not in kind.write_only or live.get(name) not in (None, [], "", {})}
    live_form = {name: value for name, value in chosen_twins(kind, written, live_form).items()
                 if name in desired_form}
    return [] if live_form == desired_form else diff(kind, live_form, desired_form)


def lifecycle_steps(obj: DesiredObject, live: dict[str, Any] | None,
                    fields_step: Step | None) -> tuple[list[Step], list[Step]]:
    """The lifecycle actions taking the object from its live status to the YAML's:
    those that go before its field update, and those that go after."""
    kind, lifecycle = obj.kind, obj.kind.lifecycle
    if lifecycle is None:
        return [], []
    if fields_step is not None and fields_step.action == "replace":
        live = None  # re-created: its moves start where a new object starts, with new group ids
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
        if transition.setting and obj.settings.get(transition.setting):
            body = {**(body or {}), transition.setting: True}
        move = Step(transition.action, kind.name, obj.id, [Change(lifecycle.field, status, transition.to)],
                    [ApiRequest("PUT", f"{kind.path(obj.id)}/{transition.action}", body)], expect_status=status,
                    live=LiveVersion.of(live) if live is not None else None)
        move.touches = [f"{ref.target}.{obj.body[ref.field]}" for ref in kind.references
                        if transition.also_changes and ref.field == transition.also_changes
                        and isinstance(obj.body.get(ref.field), str)]
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
    """Items naming a group by name (`groupID: Test`), or the field itself (controlGroupID),
    get the id of `obj`'s group."""
    ids = {group.get("name"): group.get("id") for group in obj.get("groups") or []}
    if isinstance(body.get(group_field), str):
        return {**body, group_field: ids.get(body[group_field], body[group_field])}
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
        if name in kind.group_refs:
            value = with_group_ids({name: value}, name, live)[name]
        if name in kind.switch_maps and isinstance(value, dict):
            value = {**{key: False for key, on in (live.get(name) or {}).items() if on is True}, **value}
        if value is None and name in kind.empty_is_none and not _takes_null(kind, name):
            value = ""  # Statsig folds "" and null here; this DTO only takes the string
        body[name] = value
    return body


def _takes_null(kind: Kind, name: str) -> bool:
    schema = spec.component(kind.partial_update_dto).get("properties", {}).get(name, {})
    return "null" in str(schema.get("type")) or any("null" in str(branch.get("type"))
                                                   for branch in schema.get("anyOf", []) + schema.get("oneOf", []))


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
            for plain, json5 in keyed.twins.items():
                # a JSON5 text written in the console (comments and all) survives a re-send
                # as long as it still says what the YAML's value says
                same = match.get(plain) == item.get(plain, keyed.item_defaults.get(plain))
                if json5 not in item and match.get(json5) and same:
                    item[json5] = match[json5]
        out.append(item)
    return out
