"""How Statsig's server treats each kind: ids, defaults, rule and group ids, versions.

This is the emulator's model of the *server*, written from DIGEST.md and the
spec's examples. It is kept apart from the client's kind declarations on
purpose: a wrong assumption in statsync then shows up as a diff in tests
instead of being mirrored by the emulator.

Where the digest marks a behaviour "verify", the emulator takes the reading that
is hardest on a client (see README, "Emulator fidelity").
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable

import json5

from statsync import spec
from statsync.emulator.store import Store
from statsync.emulator.readings import TODAY

VERSIONS_KEPT = 50
API_USER = {"id": "emulatorConsoleApiKey00", "name": "CONSOLE API", "email": None}


class BadRequest(Exception):
    """Answered with 400 and Statsig's {status, message} body."""


def derive_id(name: str) -> str:
    """Statsig's derivation: lower-case, spaces to underscores ("A Gate" → "a_gate")."""
    return name.strip().lower().replace(" ", "_")


def _audit(store: Store, obj: dict, actor: dict, created: bool) -> None:
    now = store.now()
    if created:
        obj.update(createdTime=now, creatorID=actor["id"], creatorName=actor["name"], creatorEmail=actor["email"],
                   version=0)
    step = 2 if _reading(store, "version_per_write") == "more" and not created else 1
    obj.update(lastModifiedTime=now, lastModifierID=actor["id"], lastModifierName=actor["name"],
               lastModifierEmail=actor["email"], version=obj.get("version", 0) + step)
    # every version is kept, for GET /<kind>/{id}/versions (newest first)
    snapshot = {key: copy.deepcopy(value) for key, value in obj.items() if not key.startswith("_")}
    obj["_versions"] = [snapshot, *obj.get("_versions", [])][:VERSIONS_KEPT]


def _rule_id(base_id: str, pass_percentage: float) -> str:
    # Partial rollouts carry the percentage in the rule id, so the id changes
    # with passPercentage while baseID stays (DIGEST §8.1).
    if pass_percentage in (0, 100):
        return base_id
    return f"{base_id}:{pass_percentage:.2f}:1"


def _reading(store: Store, name: str) -> str:
    return getattr(store.readings or TODAY, name)


def _conditions(store: Store, conditions: list[dict]) -> list[dict]:
    out = []
    for condition in conditions:
        condition = dict(condition)
        if condition.get("type") == "environment_tier" and not condition.get("operator") \
                and _reading(store, "environment_tier_operator") == "any":
            condition["operator"] = "any"
        # Statsig echoes a scalar environment_tier target as a list (DIGEST §19.2).
        if condition.get("type") == "environment_tier" and isinstance(condition.get("targetValue"), str):
            condition["targetValue"] = [condition["targetValue"]]
        out.append(condition)
    return out


def _rules(store: Store, incoming: list[dict], existing: list[dict], dynamic_config: bool) -> list[dict]:
    # A rule is known by its ids, and names must be unique: legacy-docs
    # (`docs/console-api/openapi/gates.js` history) show Statsig answering "Duplicate rule
    # name(s) given" and "A provided rule ID does not match an existing rule ID"
    # (EVIDENCE.md finding 11). A rule sent without ids is a new rule: a new baseID, the
    # salt of its rollout, as in the SDK payload (`eval_proj_dcs.json`).
    names = [rule.get("name") for rule in incoming]
    duplicates = sorted({str(name) for name in names if names.count(name) > 1})
    if duplicates:
        raise BadRequest(f"Duplicate rule name(s) given: {', '.join(duplicates)}")
    known = {rule["baseID"] for rule in existing}
    out = []
    for rule in incoming:
        sent = rule.get("baseID") or str(rule.get("id") or "").split(":", 1)[0] or None
        if sent is not None and sent not in known:
            raise BadRequest("A provided rule ID does not match an existing rule ID")
        base_id = sent or store.new_id()
        percentage = rule.get("passPercentage", 100)
        built = {
            "name": rule["name"],
            "passPercentage": percentage,
            "conditions": _conditions(store, rule.get("conditions", [])),
            "environments": rule.get("environments"),
            "id": _rule_id(base_id, percentage),
            "baseID": base_id,
        }
        for carried in ("completedAutomatedRollouts", "pendingAutomatedRollouts"):
            if carried in rule:
                built[carried] = rule[carried]
        if dynamic_config:
            built["returnValue"], built["returnValueJson5"] = _json_twins(rule, "returnValue", "returnValueJson5", {})
            if rule.get("variants"):
                built["variants"] = rule["variants"]  # ⚠ unproven: stored as sent, ids not given
        out.append(built)
    return out


def _json_twins(body: dict, plain: str, twin: str, default: Any, minify: bool = False) -> tuple[Any, str]:
    """A JSON value and its JSON5 text: the text is kept verbatim and the JSON parsed from
    it (TF-test `dynamic_config_full.tf`); sent both, they must agree (the DTO's rule);
    sent only JSON, the text is derived."""
    if body.get(twin) is not None:
        try:
            value = _joined_surrogates(json5.loads(body[twin]))
        except ValueError as exc:
            raise BadRequest(f"Invalid request. {twin} is not valid JSON5: {exc}") from None
        if plain in body and body[plain] is not None and _as_json(body[plain]) != value:
            raise BadRequest(f"Invalid request. {twin} must parse to the same JSON as {plain}.")
        return (json.dumps(value, separators=(",", ":")) if minify else value), body[twin]
    value = body.get(plain, default)
    if minify:
        return value, value
    return value, json.dumps(value, indent=2)


def _joined_surrogates(value: Any) -> Any:
    """json5 leaves an escaped pair ("\\ud800\\udc00") as two lone surrogates; JSON joins them."""
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, dict):
        return {_joined_surrogates(key): _joined_surrogates(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_joined_surrogates(item) for item in value]
    return value


def _as_json(value: Any) -> Any:
    try:
        return json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return value


def _groups(store: Store, incoming: list[dict], existing: list[dict]) -> list[dict]:
    # Groups keep their id only when the client echoes it; without ids the server
    # treats them as new groups (Terraform provider's experience, DIGEST §4.3).
    known = {group["id"] for group in existing}
    out = []
    for group in incoming:
        group = dict(group)
        if group.get("id") not in known:
            group["id"] = store.new_id()
        out.append(group)
    return out


@dataclass(frozen=True)
class Entity:
    """The server's behaviour for one collection."""

    collection: str
    label: str  # "Gate", for messages
    response_dto: str  # the spec's schema of this object as the API shows it
    defaults: Callable[[str], dict[str, Any]]  # id → defaults filled on create
    finish: Callable[[Store, dict, dict, dict | None], None]  # (store, obj, body, previous)
    # PATCH DTO defaults the server applies when the field is omitted (⚠ verify
    # in the digest; the emulator applies them, which is the hard case).
    patch_defaults: dict[str, Any] = field(default_factory=dict)
    # Kinds Statsig addresses by name (tags, unit ID types) rather than by id.
    by_name: bool = False
    # ...of which these also get an opaque server id
    server_id: bool = False
    # fields accepted on requests but never returned (kept privately)
    write_only: tuple[str, ...] = ()
    # Whether objects carry audit fields (version, modifier, times).
    audited: bool = True
    create_status: int = 201
    # what Statsig refuses beyond the request schema: (store, body) on create,
    # (previous, updated) on update
    check_create: Callable[[Store, dict], None] | None = None
    check_change: Callable[[dict, dict], None] | None = None
    # what else changes when an object is created or deleted (implicit layers, global holdouts)
    on_create: Callable[[Store, dict], None] | None = None
    on_delete: Callable[[Store, dict], None] | None = None
    # `…/{id}/overrides`: what it answers when nothing is set (None: no such endpoint),
    # and what Statsig refuses in them (store, object, new overrides)
    empty_overrides: dict | None = None
    check_overrides: Callable[[Store, dict, dict], None] | None = None
    # where the list is read when not at the collection (`metrics/list`)
    list_path: str | None = None
    # the query parameter without which the list leaves out objects answered `isHidden: true`
    # (`GET /metrics/list?showHiddenMetrics=true`: the spec's "Should hidden metrics be returned";
    # ⚠ unproven that leaving it out hides them, the reading hardest on a client)
    shows_hidden: str | None = None
    # the id Statsig makes for a new object, (store, body) → id, when not derived from the name
    make_id: Callable[[Store, dict], str] | None = None
    # the field Statsig makes as the object's address, when it has no id (a key's secret)
    address: str | None = None

    def create(self, store: Store, body: dict, actor: dict = API_USER) -> dict:
        if self.by_name:
            return self._create_named(store, body)
        if self.address is not None:
            return self._create_addressed(store, body)
        object_id = body.get("id") if self.make_id is None else self.make_id(store, body)
        if object_id is None:
            if not body.get("name"):
                raise BadRequest("Invalid request. Please check the request input and try again. name is required")
            object_id = derive_id(body["name"])
        if store.get(self.collection, object_id) is not None:
            raise BadRequest(f"Name is already in use. A {self.label.lower()} with id {object_id} already exists.")
        if self.check_create is not None:
            self.check_create(store, body)
        obj = {"id": object_id, **self.defaults(object_id)}
        obj.update(copy.deepcopy(_writable(body)))
        obj.setdefault("name", object_id)
        self.finish(store, obj, body, None)
        self.conform(obj)
        _audit(store, obj, actor, created=True)
        store.put(self.collection, obj)
        if self.on_create is not None:
            self.on_create(store, obj)
        return obj

    def delete(self, store: Store, object_id: str) -> None:
        if self.on_delete is not None:
            self.on_delete(store, store.get(self.collection, object_id))
        store.delete(self.collection, object_id)

    def _create_named(self, store: Store, body: dict) -> dict:
        name = body["name"]
        if not name.strip():
            raise BadRequest("Invalid request. name must not be empty.")
        if store.get(self.collection, name) is not None or name in BUILTIN_NAMES.get(self.collection, ()):
            raise BadRequest(f"Name is already in use. A {self.label.lower()} named {name} already exists.")
        obj = {**self.defaults(name), **copy.deepcopy(body), "_key": name}
        if self.server_id:
            obj["id"] = store.new_id()  # an opaque server id besides the name
        self.finish(store, obj, body, None)
        self._hide_write_only(obj)
        store.put(self.collection, obj)
        return obj

    def _create_addressed(self, store: Store, body: dict) -> dict:
        """An object whose address Statsig makes (a key's secret, a team's id), stored under it."""
        if self.check_create is not None:
            self.check_create(store, body)
        address = self.make_id(store, body)
        obj = {**self.defaults(address), **copy.deepcopy(body), self.address: address, "_key": address}
        self.finish(store, obj, body, None)
        self.conform(obj)
        store.put(self.collection, obj)
        return obj

    def _hide_write_only(self, obj: dict) -> None:
        for name in self.write_only:
            if name in obj:
                obj["_" + name] = obj.pop(name)

    def update(self, store: Store, obj: dict, body: dict, partial: bool, actor: dict = API_USER) -> dict:
        previous = copy.deepcopy(obj)
        if self.by_name:  # the name is the object's address: a body's name renames nothing (⚠ unproven)
            body = {key: value for key, value in body.items() if key != "name"}
        if partial:
            body = {**self.patch_defaults, **body}
            updated = {**obj, **copy.deepcopy(_writable(body))}
        else:
            # A full update replaces every writable field; omitted optional
            # fields go back to their defaults (the undocumented case, read strictly).
            # the server's fields and the emulator's own (`_key`, an id list, overrides) stay
            # — and so do fields the full update's DTO does not take (set at creation only)
            taken = _full_update_fields(self.collection)
            kept = {key: value for key, value in obj.items()
                    if key in _SERVER_FIELDS or key == "id" or key.startswith("_")
                    or (taken is not None and key not in taken)}
            updated = {**self.defaults(obj.get("_key", obj.get("id"))), "name": obj.get("name"), **kept,
                       **copy.deepcopy(_writable(body))}
        self.check_update(previous, updated)
        self.finish(store, updated, body, previous)
        self._hide_write_only(updated)
        self.conform(updated)
        if self.audited and _comparable(updated) != _comparable(previous):
            _audit(store, updated, actor, created=False)
        obj.clear()
        obj.update(updated)
        return obj

    def conform(self, obj: dict) -> None:
        """Some request fields accept null where the response does not (isAnalysisOnly,
        say): the server then leaves the field out rather than answer with null."""
        dto = spec.component(self.response_dto)
        for name in [key for key, value in obj.items() if value is None]:
            schema = dto.get("properties", {}).get(name, {})
            if name not in dto.get("required", []) and not _allows_null(schema):
                del obj[name]

    def touch(self, store: Store, obj: dict, actor: dict = API_USER) -> None:
        """Record a change made outside update() (a lifecycle action)."""
        _audit(store, obj, actor, created=False)

    def check_update(self, previous: dict, updated: dict) -> None:
        if self.check_change is not None:
            self.check_change(previous, updated)


def _allows_null(schema: dict) -> bool:
    kind = schema.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    return any(_allows_null(branch) for key in ("oneOf", "anyOf") for branch in schema.get(key, []))


def _check_group_sizes(groups: list[dict]) -> None:
    from decimal import Decimal

    total = sum(Decimal(str(group.get("size", 0))) for group in groups)
    if groups and total != 100:
        raise BadRequest(f"Invalid request. Group sizes must add up to 100 (they add up to {total}).")


def _check_experiment_create(store: Store, body: dict) -> None:
    if body.get("status", "setup") not in ("setup", "active"):
        raise BadRequest("Invalid request. An experiment can only be created in status setup or active.")
    if body.get("layerID") and store.get("layers", body["layerID"]) is None:
        raise BadRequest(f"Invalid request. Layer {body['layerID']} does not exist.")


def _check_experiment_update(previous: dict, updated: dict) -> None:
    """What Statsig forbids once an experiment runs (DIGEST §17.1)."""
    if previous.get("status") != "active":
        return
    def shape(groups):
        return [{k: v for k, v in group.items() if k != "id"} for group in groups or []]
    if shape(updated.get("groups")) != shape(previous.get("groups")):
        raise BadRequest("Groups of a running experiment cannot be edited. Reset the experiment first.")
    if (updated.get("allocation") or 0) < (previous.get("allocation") or 0):
        raise BadRequest("Allocation of a running experiment can only be increased. Reset the experiment first.")


_SERVER_FIELDS = {
    "createdTime", "creatorID", "creatorName", "creatorEmail", "lastModifiedTime", "lastModifierID",
    "lastModifierName", "lastModifierEmail", "version", "holdoutIDs", "checksPerHour", "typeReason",
    "layerID", "startTime", "endTime", "decisionTime", "healthCheckStatus", "inlineTargetingRulesJSON",
    "status", "launchedGroupID", "decisionReason",
}
_CLIENT_ONLY = {"creatorID", "creatorEmail", "owner", "id"}


def _writable(body: dict) -> dict:
    return {key: value for key, value in body.items() if key not in _CLIENT_ONLY}


def _comparable(obj: dict) -> dict:
    return {key: value for key, value in obj.items()
            if key not in ("lastModifiedTime", "lastModifierID", "lastModifierName", "lastModifierEmail", "version")}


def _target_apps(obj: dict) -> None:
    if isinstance(obj.get("targetApps"), str):
        obj["targetApps"] = [obj["targetApps"]]


def _finish_gate(store: Store, obj: dict, body: dict, previous: dict | None) -> None:
    _target_apps(obj)
    _check_release_pipeline(store, obj)
    obj["rules"] = _rules(store, obj.get("rules", []), (previous or {}).get("rules", []), dynamic_config=False)
    settings = obj.get("reviewSettings") or {}
    obj["reviewSettings"] = {"requiredReview": settings.get("requiredReview", False), "allowedReviewers": []}
    status = (previous or {}).get("status", "In Progress")
    # isEnabled is the switch between In Progress and Disabled; a launched gate already
    # answers false, so only a change of it moves the status. PATCHing true on a launched
    # gate un-launches it (⚠ unproven: the reading hardest on a client; `statsync probe`).
    switched = previous is None or obj["isEnabled"] != previous.get("isEnabled")
    if status == "Launched" and switched and _reading(store, "launched_gate_enable") == "stays_launched":
        obj["isEnabled"] = False  # the other reading: the launch stands
    elif status != "Archived" and switched:
        status = "In Progress" if obj["isEnabled"] else "Disabled"
    obj["status"] = status


def _finish_dynamic_config(store: Store, obj: dict, body: dict, previous: dict | None) -> None:
    _target_apps(obj)
    _check_release_pipeline(store, obj)
    obj["rules"] = _rules(store, obj.get("rules", []), (previous or {}).get("rules", []), dynamic_config=True)
    if {"defaultValue", "defaultValueJson5"} & set(body) or previous is None:
        obj["defaultValue"], obj["defaultValueJson5"] = _json_twins(body, "defaultValue", "defaultValueJson5",
                                                                    obj.get("defaultValue", {}))
    if {"schema", "schemaJson5"} & set(body):
        # stored minified, the readable text in schemaJson5 (spec examples)
        obj["schema"], obj["schemaJson5"] = _json_twins(body, "schema", "schemaJson5", None, minify=True)
        _check_schema_object(obj["schema"])
    if (previous or {}).get("status") != "Archived":
        obj["status"] = "Enabled" if obj["isEnabled"] else "Disabled"


def _expand_metric_tags(store: Store, obj: dict) -> None:
    """Metric tags are not stored: the metrics carrying them join the metric list and the
    tags answer `[]` (TF-test `tests/test_resources/experiment_full.tf`: "Metric tags
    cannot actually be assigned. Associated metrics are exploded from the tags and set on
    primaryMetrics/secondaryMetrics"; `tests/experiment_resource_test.go` asserts
    `primary_metric_tags.# == 0`). Metrics are the store's `metrics` collection
    (`{name, type, tags}`), empty unless a test puts some there."""
    for tags, metrics in (("primaryMetricTags", "primaryMetrics"), ("secondaryMetricTags", "secondaryMetrics")):
        wanted = set(obj.get(tags) or [])
        listed = list(obj.get(metrics) or [])
        for metric in store.collection("metrics").values():
            entry = {"name": metric["name"], "type": metric["type"]}
            if wanted & set(metric.get("tags", [])) and entry not in listed:
                listed.append(entry)
        obj[metrics], obj[tags] = listed, []


def _finish_experiment(store: Store, obj: dict, body: dict, previous: dict | None) -> None:
    _target_apps(obj)
    _expand_metric_tags(store, obj)
    _check_group_sizes(obj.get("groups", []))
    obj["groups"] = _groups(store, obj.get("groups", []), (previous or {}).get("groups", []))
    if previous is None:
        obj["layerID"] = body.get("layerID") or f"statsig::{obj['id']}_layer"
        if obj.get("status") == "active":  # created running
            obj["startTime"] = store.now()
    control = obj.get("controlGroupID")
    if control and control not in {group["id"] for group in obj["groups"]}:
        if "controlGroupID" in body:
            raise BadRequest(f"Invalid request. controlGroupID {control} is not a group of this experiment.")
        del obj["controlGroupID"]  # its group went: ⚠ unproven which group Statsig then calls control
    # The console echoes an absent targeting gate as "" (DIGEST §4.3).
    if obj.get("targetingGateID") is None:
        obj["targetingGateID"] = ""


def _experiment_created(store: Store, experiment: dict) -> None:
    """An experiment outside a named layer gets one of its own, which Statsig lists with
    the layers (DIGEST §6.1); global holdouts take it in."""
    _join_global_holdouts(store, "experiments", experiment)
    layer_id = experiment["layerID"]
    if layer_id.startswith("statsig::") and store.get("layers", layer_id) is None:
        layer = {"id": layer_id, **_layer_defaults(layer_id), "name": layer_id, "isImplicitLayer": True,
                 "idType": experiment.get("idType", "userID")}
        _audit(store, layer, API_USER, created=True)
        store.put("layers", layer)


def _delete_experiment(store: Store, experiment: dict) -> None:
    _leave_holdouts(store, "experimentIDs", experiment["id"])
    if str(experiment.get("layerID", "")).startswith("statsig::"):
        store.delete("layers", experiment["layerID"])


def _check_layer_delete(store: Store, layer: dict) -> None:
    # Undocumented (DIGEST §6.1 ⚠): read strictly, a layer with experiments in it stays.
    inside = sorted(e["id"] for e in store.collection("experiments").values() if e.get("layerID") == layer["id"])
    if inside:
        raise BadRequest(f"Invalid request. Layer {layer['id']} still has experiments: {', '.join(inside)}.")
    _leave_holdouts(store, "layerIDs", layer["id"])


def ship_decision(store: Store, experiment: dict, actor: dict = API_USER) -> None:
    """Shipping a group rewrites the defaults of the layer's parameters to that group's
    values (DIGEST §6.3): a lifecycle action on one object changes another."""
    layer = store.get("layers", experiment.get("layerID") or "")
    group = next((g for g in experiment.get("groups", []) if g["id"] == experiment.get("launchedGroupID")), None)
    if layer is None or layer.get("isImplicitLayer") or group is None:
        return
    values = group.get("parameterValues") or {}
    # a rewrite even where the values already agree: a new layer version either way (the
    # reading hardest on a client, whose later steps on the layer must expect it)
    layer["parameters"] = [{**p, "defaultValue": values[p["name"]]} if p["name"] in values else p
                           for p in layer.get("parameters", [])]
    _audit(store, layer, actor, created=False)


def _finish_layer(store: Store, obj: dict, body: dict, previous: dict | None) -> None:
    _target_apps(obj)


def _layer_defaults(object_id: str) -> dict:
    return {"description": "", "idType": "userID", "parameters": [], "targetApps": [], "tags": [], "holdoutIDs": [],
            "isImplicitLayer": False, "team": None}


MEMBERS = {"gateIDs": "gates", "experimentIDs": "experiments", "layerIDs": "layers"}


def _check_members(store: Store, updated: dict) -> None:
    for field_name, collection in MEMBERS.items():
        missing = [i for i in updated.get(field_name) or [] if store.get(collection, i) is None]
        if missing:
            raise BadRequest(f"Invalid request. {field_name}: {', '.join(missing)} not found.")
    gate = updated.get("targetingGateID")
    if gate and store.get("gates", gate) is None:
        raise BadRequest(f"Invalid request. targetingGateID: gate {gate} not found.")


def _finish_holdout(store: Store, obj: dict, body: dict, previous: dict | None) -> None:
    _check_members(store, obj)
    # After an update Statsig echoes no targeting gate as "" (DIGEST §7.3).
    if previous is not None and obj.get("targetingGateID") is None:
        obj["targetingGateID"] = ""
    # members show the holdout in their read-only holdoutIDs
    for field_name, collection in MEMBERS.items():
        before, after = set((previous or {}).get(field_name) or []), set(obj.get(field_name) or [])
        for member_id in before | after:
            member = store.get(collection, member_id)
            if member is None:
                continue
            ids = [h for h in member.get("holdoutIDs") or [] if h != obj["id"]]
            member["holdoutIDs"] = ids + [obj["id"]] if member_id in after else ids


def _join_global_holdouts(store: Store, collection: str, obj: dict) -> None:
    """A global holdout takes in every new gate and experiment with its unit ID type,
    by itself (DIGEST §7.3). Not a change anyone made, so no new version."""
    field_name = next(name for name, members in MEMBERS.items() if members == collection)
    for holdout in store.collection("holdouts").values():
        if holdout.get("isGlobal") and holdout.get("isEnabled") and holdout.get("idType") == obj.get("idType"):
            holdout[field_name] = [*holdout.get(field_name, []), obj["id"]]
            obj["holdoutIDs"] = [*obj.get("holdoutIDs", []), holdout["id"]]


def _leave_holdouts(store: Store, field_name: str, member_id: str) -> None:
    for holdout in store.collection("holdouts").values():
        if member_id in holdout.get(field_name, []):
            holdout[field_name] = [m for m in holdout[field_name] if m != member_id]
        if holdout.get("targetingGateID") == member_id and field_name == "gateIDs":
            holdout["targetingGateID"] = ""


def _holdout_defaults(object_id: str) -> dict:
    return {"description": "", "idType": "userID", "isEnabled": True, "isGlobal": False, "passPercentage": 0,
            "gateIDs": [], "experimentIDs": [], "layerIDs": [], "targetingGateID": None, "monitoringMetrics": [],
            "tags": [], "targetApps": [], "team": None}


def _finish_segment(store: Store, obj: dict, body: dict, previous: dict | None) -> None:
    obj["rules"] = _rules(store, obj.get("rules", []), (previous or {}).get("rules", []), dynamic_config=False)


def set_segment_rules(store: Store, obj: dict, rules: list[dict], actor: dict = API_USER) -> None:
    """POST /segments/{id}/conditional: the whole rule list, for rule-based segments only."""
    if obj.get("type") != "rule_based":
        raise BadRequest("Segment must be of type 'rule_based'.")
    obj["rules"] = _rules(store, rules, obj.get("rules", []), dynamic_config=False)
    _audit(store, obj, actor, created=False)


def set_ids(store: Store, obj: dict, ids: list[str], mode: str, actor: dict = API_USER) -> None:
    """PATCH adds, DELETE removes, POST …/reset replaces an id-list segment's ids; the
    segment's `count` follows (DIGEST §5.1)."""
    current = obj.get("_ids", [])
    if mode == "add":
        present = set(current)
        updated = current + [unit for unit in dict.fromkeys(ids) if unit not in present]
    elif mode == "remove":
        gone = set(ids)
        updated = [unit for unit in current if unit not in gone]
    else:
        updated = list(dict.fromkeys(ids))
    if updated != current:
        obj["_ids"] = updated
        obj["count"] = len(updated)
        _audit(store, obj, actor, created=False)


# What GET …/overrides answers when nothing is set (DIGEST §8.6).
_UNIT_OVERRIDES = {"passingUserIDs": [], "failingUserIDs": [], "environmentOverrides": []}


def overrides(obj: dict, collection: str) -> dict:
    return {**copy.deepcopy(ENTITIES[collection].empty_overrides), **copy.deepcopy(obj.get("_overrides", {}))}


def set_overrides(store: Store, collection: str, obj: dict, body: dict | None, mode: str,
                  actor: dict = API_USER) -> dict:
    """POST replaces, PATCH adds to, DELETE clears an object's overrides."""
    if mode == "clear":
        updated: dict = {}
    elif mode == "add":
        updated = overrides(obj, collection)
        for key, value in body.items():
            updated[key] = [*updated.get(key, []), *value] if isinstance(value, list) else value
    else:
        updated = copy.deepcopy(body)
    check = ENTITIES[collection].check_overrides
    if check is not None:
        check(store, obj, updated)
    obj["_overrides"] = updated
    _audit(store, obj, actor, created=False)
    return overrides(obj, collection)


def _check_experiment_overrides(store: Store, experiment: dict, value: dict) -> None:
    """Overrides force units into a group by the group's id, for a gate or segment that exists."""
    groups = {group["id"] for group in experiment.get("groups", [])}
    for item in [*value.get("overrides", []), *value.get("userIDOverrides", [])]:
        if item.get("groupID") not in groups:
            raise BadRequest(f"Invalid request. {item.get('groupID')} is not a group id of {experiment['id']}.")
    for item in value.get("overrides", []):
        collection = {"gate": "gates", "segment": "segments"}[item["type"]]
        if store.get(collection, item["id"]) is None:
            raise BadRequest(f"Invalid request. {item['type']} {item['id']} does not exist.")


def _check_layer_overrides(store: Store, layer: dict, value: dict) -> None:
    """Layer overrides send units to a group of an experiment in this layer, by names."""
    for item in [*value.get("conditionalOverrides", []), *value.get("idOverrides", [])]:
        experiment = store.get("experiments", item.get("experimentName") or "")
        if experiment is None or experiment.get("layerID") != layer["id"]:
            raise BadRequest(f"Invalid request. {item.get('experimentName')} is not an experiment in layer "
                             f"{layer['id']}.")
        if item.get("groupName") not in [group.get("name") for group in experiment.get("groups", [])]:
            raise BadRequest(f"Invalid request. {item.get('groupName')} is not a group of {experiment['id']}.")
    for item in value.get("conditionalOverrides", []):
        collection = {"gate": "gates", "segment": "segments"}.get(item["type"])
        if collection is None or store.get(collection, item["name"]) is None:
            raise BadRequest(f"Invalid request. {item['type']} {item['name']} does not exist.")


DEFAULT_ENVIRONMENTS = (("development", False), ("staging", False), ("production", True))


@dataclass(frozen=True)
class Singleton:
    """The server's behaviour for one object a project always has (the environment list,
    the settings): `GET` reads it whole, `POST` replaces it whole. Stored only once changed,
    so reading leaves the state as it was."""

    collection: str  # path under /console/v1 ("settings/reviews")
    label: str  # "Review settings", for messages
    response_dto: str
    initial: Callable[[], dict[str, Any]]  # what a new project answers
    # what Statsig refuses or changes on a write: (store, current, body) → the value kept
    accept: Callable[[Store, dict, dict], dict] = lambda store, current, body: {**current, **body}

    def read(self, store: Store) -> dict:
        found = store.get(self.collection, STORED_AS)
        return {key: value for key, value in (found or self.initial()).items() if key != "id"}

    def write(self, store: Store, body: dict) -> dict:
        kept = self.accept(store, self.read(store), copy.deepcopy(body))
        store.put(self.collection, {**kept, "id": STORED_AS})
        return self.read(store)


STORED_AS = "list"  # the key the environment list was always stored under: old state files still read


def _initial_environments() -> dict:
    """Every project starts with three environments (DIGEST §12)."""
    return {"environments": [{"name": name, "id": f"0.{index + 1}", "isProduction": production,
                              "requiresReview": False, "requiresReleasePipeline": False}
                             for index, (name, production) in enumerate(DEFAULT_ENVIRONMENTS)]}


def environments(store: Store) -> dict:
    """The project's environment list (DIGEST §12)."""
    return SINGLETONS["environments"].read(store)


def set_environments(store: Store, entries: list[dict]) -> dict:
    return SINGLETONS["environments"].write(store, {"environments": entries})


def _accept_environments(store: Store, current: dict, body: dict) -> dict:
    """POST /environments: the whole list. Entries keep their id; one without an id is new;
    the production environment can be neither removed nor renamed, but its review flags
    are the team's (TF-test `tests/test_resources/environments.tf` sets production's
    `requires_review` and `requires_release_pipeline` through the API and plans empty)."""
    entries = body["environments"]
    by_id = {entry["id"]: entry for entry in current["environments"]}
    names = [entry["name"] for entry in entries]
    if len(set(names)) != len(names):
        raise BadRequest("Invalid request. Environment names must be unique.")
    updated = []
    for entry in entries:
        if entry.get("id") is not None and entry["id"] not in by_id:
            raise BadRequest(f"Invalid request. Environment id {entry['id']} does not exist.")
        updated.append({**entry, "id": entry.get("id") or store.new_id()})
    for production in (entry for entry in current["environments"] if entry["isProduction"]):
        kept = next((entry for entry in updated if entry["id"] == production["id"]), None)
        if kept is None or kept["name"] != production["name"] or not kept.get("isProduction"):
            raise BadRequest("Invalid request. The production environment cannot be removed or renamed.")
    if sum(1 for entry in updated if entry["isProduction"]) != 1:
        raise BadRequest("Invalid request. A project has exactly one production environment.")
    return {"environments": updated}


def _accept_settings(dto: str) -> Callable[[Store, dict, dict], dict]:
    """A settings POST: the fields the DTO requires must be there (the request schema
    already says so); an optional field left out keeps its value — ⚠ unproven (the spec
    does not say; TF-test `settings_project_sparse.tf` leaves default_unit_type out and
    plans empty, which either reading satisfies)."""
    def accept(store: Store, current: dict, body: dict) -> dict:
        declared = spec.component(dto).get("properties", {})
        return {**current, **{key: value for key, value in body.items() if key in declared}}
    return accept


# The settings a new project answers. Values as the spec's GET examples and TF-tests write
# them: default_unit_type is `user_id` there (settings_project.tf round-trips it), not `userID`.
SINGLETONS: dict[str, Singleton] = {
    singleton.collection: singleton
    for singleton in (
        Singleton("environments", "Environments", "EnvironmentsContractDto", _initial_environments,
                  _accept_environments),
        Singleton("settings/project", "Project settings", "SettingsProjectContractDto",
                  lambda: {"name": "Emulated Project", "visibility": "CLOSED", "default_unit_type": "user_id"},
                  _accept_settings("SettingsProjectContractDto")),
        Singleton("settings/reviews", "Review settings", "SettingsReviewsContractDto",
                  lambda: {"is_config_review_required": False, "is_metric_review_required": False,
                           "is_metric_review_required_on_verified_only": False},
                  _accept_settings("SettingsReviewsContractDto")),
        Singleton("settings/roles", "Role settings", "SettingsRolesContractDto",
                  lambda: {"default_project_role": "Member"}, _accept_settings("SettingsRolesContractDto")),
        Singleton("settings/teams", "Team settings", "SettingsTeamsContractDto",
                  lambda: {"require_teams_on_configs": False}, _accept_settings("SettingsTeamsContractDto")),
    )
}


def _segment_defaults(object_id: str) -> dict:
    return {"description": "", "idType": "userID", "tags": [], "rules": [], "isEnabled": True, "count": 0,
            "holdoutIDs": [], "team": None}


def _gate_defaults(object_id: str) -> dict:
    return {
        "description": "", "idType": "userID", "isEnabled": True, "status": "In Progress", "rules": [],
        "tags": [], "targetApps": [], "holdoutIDs": [], "type": "TEMPORARY", "typeReason": "NONE",
        "checksPerHour": 0, "team": None, "measureMetricLifts": True, "monitoringMetrics": [],
        "reviewSettings": {"requiredReview": False, "allowedReviewers": []},
    }


def _dynamic_config_defaults(object_id: str) -> dict:
    return {
        "description": "", "idType": "userID", "isEnabled": True, "status": "Enabled", "rules": [],
        "defaultValue": {}, "defaultValueJson5": "{}", "tags": [], "targetApps": [], "holdoutIDs": [],
        "team": None,
    }


def _experiment_defaults(object_id: str) -> dict:
    return {
        "description": "", "hypothesis": "", "idType": "userID", "status": "setup", "allocation": 100,
        "duration": 14, "targetingGateID": "", "defaultConfidenceInterval": "95", "bonferroniCorrection": False,
        "decisionReason": None, "launchedGroupID": None, "tags": [], "targetApps": [], "holdoutIDs": [],
        "primaryMetrics": [], "secondaryMetrics": [], "inlineTargetingRulesJSON": "{}",
        "startTime": None, "endTime": None, "decisionTime": None, "healthCheckStatus": "WAITING", "team": None,
        "groups": [
            {"name": "Control", "size": 50, "parameterValues": {}},
            {"name": "Test", "size": 50, "parameterValues": {}},
        ],
    }


def _metric_defaults(object_id: str) -> dict:
    """What a new metric answers for fields left out (spec list examples: description "",
    flags false, tags [], directionality increase; lineage from its events)."""
    return {"description": "", "directionality": "increase", "isPermanent": False, "isReadOnly": False,
            "isHidden": False, "isVerified": False, "tags": [], "unitTypes": [], "team": None,
            "lineage": {"events": [], "metrics": []}}


def _finish_metric(store: Store, obj: dict, body: dict, previous: dict | None) -> None:
    if isinstance(obj.get("tags"), str):  # the create DTO takes one tag as a string
        obj["tags"] = [obj["tags"]]
    if previous is not None:  # what only creation sets stays as created (the update DTO lacks it)
        for name in ("type", "metricEvents", "metricComponentMetrics", "rollupTimeWindow", "customRollUpStart",
                     "customRollUpEnd", "funnelEventList", "funnelCountDistinct"):
            if name in previous:
                obj[name] = previous[name]
    obj["lineage"] = {"events": [event.get("name") for event in obj.get("metricEvents") or []],
                      "metrics": [f"{m.get('name')}::{m.get('type')}" for m in obj.get("metricComponentMetrics") or []]}


def _metric_source_defaults(name: str) -> dict:
    return {"description": "", "tags": [], "isReadOnly": False, "isVerified": False}


@lru_cache(maxsize=None)
def _full_update_fields(collection: str) -> frozenset[str] | None:
    """What `POST /{collection}/{id}` takes, from the spec (None: no such update)."""
    if not spec.has_operation("POST", f"/{collection}/{{id}}"):
        return None
    schema = spec.operation("POST", f"/{collection}/{{id}}")["request"] or {}
    if "$ref" in schema:
        schema = spec.component(schema["$ref"].rsplit("/", 1)[-1])
    return frozenset(schema.get("properties", {}))


def _check_schema_object(schema: Any) -> None:
    """A config's schema is a JSON Schema: an object (⚠ unproven that Statsig refuses other
    JSON with a 400; statsync's own validation asks for an object already)."""
    if schema in (None, ""):
        return
    try:
        parsed = json5.loads(schema) if isinstance(schema, str) else schema
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise BadRequest("Invalid request. schema must be a JSON object (a JSON Schema).")


def _check_release_pipeline(store: Store, obj: dict) -> None:
    """releasePipelineID names a pipeline by its id (ExternalGateDto; ⚠ unproven that
    Statsig refuses an unknown one with a 400)."""
    pipeline = obj.get("releasePipelineID")
    if pipeline and store.get("release_pipelines", pipeline) is None:
        raise BadRequest(f"Invalid request. Release pipeline {pipeline} does not exist.")


def _finish_release_pipeline(store: Store, obj: dict, body: dict, previous: dict | None) -> None:
    """Phases and their rules get ids, kept when the client echoes them (like a gate's rules)."""
    old = {phase.get("id"): phase for phase in (previous or {}).get("phases", [])}
    phases = _groups(store, obj.get("phases") or [], (previous or {}).get("phases", []))
    for phase in phases:
        phase["rules"] = _groups(store, phase.get("rules") or [], old.get(phase["id"], {}).get("rules", []))
        for rule in phase["rules"]:
            rule.setdefault("environments", None)  # answered null when unset (the spec's examples)
    obj["phases"] = phases
    obj.setdefault("createdTime", store.now())


def _autotune_defaults(autotune_id: str) -> dict:
    """AutotuneExperimentDto's required fields a create may leave out (it answers no status:
    isStarted and winner say where an autotune is)."""
    return {"description": "", "successEventValue": "", "idType": "userID", "isStarted": False, "winner": None,
            "tags": [], "targetApps": [], "holdoutIDs": []}


def _finish_autotune(store: Store, obj: dict, body: dict, previous: dict | None) -> None:
    if len(obj.get("variants") or []) < 2:
        raise BadRequest("Invalid request. An autotune needs at least two variants.")
    # variants keep their id when the client echoes it, like an experiment's groups
    obj["variants"] = _groups(store, obj["variants"], (previous or {}).get("variants", []))


def _param_store_defaults(name: str) -> dict:
    """ParamStoreDto's required fields (the spec's examples: creator and modifier ids)."""
    return {"displayName": name, "description": "", "parameters": [], "creatorID": API_USER["id"],
            "lastModifierID": API_USER["id"]}


def _finish_param_store(store: Store, obj: dict, body: dict, previous: dict | None) -> None:
    obj["createdTime"] = previous["createdTime"] if previous else store.now()


def _team_defaults(team_id: str) -> dict:
    """A new team as the spec's create example answers it, fields not sent filled in."""
    return {"description": "", "members": [], "admins": [], "defaultGateMetrics": [],
            "defaultExperimentPrimaryMetrics": [], "defaultExperimentSecondaryMetrics": [],
            "defaultHoldoutMetrics": [], "changeTeamConfigs": "anyone", "reviewApproval": "anyone",
            "defaultTargetApplications": []}


_KEY_PREFIXES = {"SERVER": "secret", "CLIENT": "client", "CONSOLE": "console"}


def _new_key(store: Store, body: dict) -> str:
    """A key's secret, shaped like Statsig's (`secret-…`, `client-…`, `console-…`)."""
    return f"{_KEY_PREFIXES.get(body.get('type'), 'key')}-{store.new_id(43)}"


# Every new Statsig project comes with a server secret key and a client key (docs, "API
# keys"); their descriptions here are ⚠ unproven (the console's labels for them).
NEW_PROJECT_KEYS = (("Server Secret Key", "SERVER"), ("Client API Key", "CLIENT"))


def new_project_keys(store: Store) -> None:
    """A project's first keys, made once (a state file that has keys keeps its own)."""
    if "keys" in store.collections:
        return
    for description, key_type in NEW_PROJECT_KEYS:
        ENTITIES["keys"].create(store, {"description": description, "type": key_type, "scopes": []})


def _finish_key(store: Store, obj: dict, body: dict, previous: dict | None) -> None:
    for sent, answered in (("targetAppID", "primaryTargetApp"), ("secondaryTargetAppIDs", "secondaryTargetApps")):
        if sent in obj:
            obj[answered] = obj.pop(sent)


def _finish_role(store: Store, obj: dict, body: dict, previous: dict | None) -> None:
    """A PATCH's permissions merge into the role's: switches it leaves out keep their value
    (⚠ unproven; TF-code always sends every permission, so either reading converges)."""
    if previous is not None and isinstance(body.get("permissions"), dict):
        obj["permissions"] = {**previous.get("permissions", {}), **body["permissions"]}


def _finish_team(store: Store, obj: dict, body: dict, previous: dict | None) -> None:
    """Members and admins are sent as emails and answered as users (TeamDto: {email,
    firstName, lastName, role}, role the user's project role: "Member" here ⚠ unproven)."""
    for name in ("members", "admins"):
        if isinstance(obj.get(name), list):
            obj[name] = [user if isinstance(user, dict) else
                         {"email": user, "firstName": "", "lastName": "", "role": "Member"} for user in obj[name]]


def _check_team_create(store: Store, body: dict) -> None:
    if not str(body.get("name") or "").strip():
        raise BadRequest("Invalid request. name must not be empty.")
    if any(team.get("name") == body["name"] for team in store.collections.get("users/teams", {}).values()):
        raise BadRequest(f"A team named {body['name']} already exists.")  # ⚠ unproven wording


def _no_finish(store: Store, obj: dict, body: dict, previous: dict | None) -> None:
    pass


# Unit ID types every project has; they are not listed and cannot be created again.
BUILTIN_NAMES = {"unit_id_types": ("userID", "stableID"), "roles": ("Admin", "Member", "Read Only")}

ENTITIES: dict[str, Entity] = {
    entity.collection: entity
    for entity in (
        Entity("unit_id_types", "Unit ID type", "UnitIdTypeContractDto", defaults=lambda name: {"description": ""},
               finish=_no_finish, by_name=True, audited=False),
        Entity("segments", "Segment", "SegmentDto", defaults=_segment_defaults, finish=_finish_segment),
        # addressed by the secret itself (KeyDto `key`, DIGEST §15); a PATCH's targetAppID and
        # secondaryTargetAppIDs are answered as primaryTargetApp / secondaryTargetApps (spec examples)
        Entity("keys", "Key", "KeyDto", defaults=lambda key: {"scopes": [], "status": "active"}, finish=_finish_key,
               audited=False, create_status=200, address="key", make_id=_new_key),
        # `<name>::<type>` (spec list examples), kept on rename; POST /metrics/{id} is a full update
        Entity("metrics", "Metric", "ExternalMetricDefinitionContractDto", defaults=_metric_defaults,
               finish=_finish_metric, list_path="list", make_id=lambda store, body: f"{body['name']}::{body['type']}",
               shows_hidden="showHiddenMetrics"),
        Entity("metrics/metric_source", "Metric source", "MetricSourceContractDto", defaults=_metric_source_defaults,
               finish=_no_finish, by_name=True, list_path="list", audited=False),
        # by an opaque id Statsig makes (`/users/teams/{id}`, TeamDto `id`); spec only
        Entity("users/teams", "Team", "TeamDto", defaults=_team_defaults, finish=_finish_team, audited=False,
               create_status=200, address="id", make_id=lambda store, body: store.new_id(),
               check_create=_check_team_create),
        # by an opaque id Statsig makes, like teams (spec only)
        Entity("release_pipelines", "Release pipeline", "ReleasePipelineDto",
               defaults=lambda pipeline_id: {"phases": [], "creatorID": API_USER["id"],
                                             "lastModifierID": API_USER["id"]},
               finish=_finish_release_pipeline, audited=False, create_status=200, address="id",
               make_id=lambda store, body: store.new_id()),
        # id derived from the name; variants get ids; lifecycle in emulator/lifecycle.py (spec only)
        Entity("autotunes", "Autotune", "AutotuneExperimentDto", defaults=_autotune_defaults,
               finish=_finish_autotune),
        # by name, with an opaque id too (DIGEST §14); POST /param_stores/{name} a full update
        # (⚠ unproven: statsync always sends description and parameters together); no DELETE
        Entity("param_stores", "Parameter store", "ParamStoreDto", defaults=_param_store_defaults,
               finish=_finish_param_store, by_name=True, server_id=True, audited=False, create_status=200,
               write_only=("tags", "targetAppIDs")),
        # by name (TF-code internal/role_client.go); a new role's unset permissions are off ⚠ unproven
        Entity("roles", "Role", "RoleContractDto", defaults=lambda name: {"permissions": {}}, finish=_finish_role,
               by_name=True, audited=False, create_status=201),
        Entity("tags", "Tag", "TagDto", defaults=lambda name: {"description": "", "isCore": False},
               finish=_no_finish, by_name=True, server_id=True, audited=False, create_status=200,
               patch_defaults={"isCore": False}),
        Entity("target_app", "Target app", "TargetAppDto", defaults=lambda name: {}, finish=_no_finish,
               by_name=True, server_id=True, audited=False, create_status=200, write_only=("description",)),
        Entity("gates", "Gate", "ExternalGateDto", defaults=_gate_defaults, finish=_finish_gate,
               on_create=lambda store, gate: _join_global_holdouts(store, "gates", gate),
               on_delete=lambda store, gate: _leave_holdouts(store, "gateIDs", gate["id"]),
               empty_overrides=_UNIT_OVERRIDES),
        Entity("dynamic_configs", "Dynamic config", "DynamicConfigDto", defaults=_dynamic_config_defaults, finish=_finish_dynamic_config,
               patch_defaults={"isEnabled": True}),
        Entity("layers", "Layer", "LayerContractDto", defaults=_layer_defaults, finish=_finish_layer,
               on_delete=_check_layer_delete, empty_overrides={"conditionalOverrides": [], "idOverrides": []},
               check_overrides=_check_layer_overrides),
        Entity("experiments", "Experiment", "ExternalExperimentDto", defaults=_experiment_defaults,
               finish=_finish_experiment, check_create=_check_experiment_create,
               check_change=_check_experiment_update, on_create=_experiment_created,
               on_delete=_delete_experiment, empty_overrides={"overrides": [], "userIDOverrides": []},
               check_overrides=_check_experiment_overrides),
        Entity("holdouts", "Holdout", "HoldoutDto", defaults=_holdout_defaults, finish=_finish_holdout,
               create_status=200, empty_overrides=_UNIT_OVERRIDES),
    )
}
