"""Kinds are data: each Statsig object kind statsync manages is declared once here.

The loader, schema builder, validator, normaliser, planner, executor and emulator
all read these declarations; adding a kind should be mostly one new module.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable


@dataclass(frozen=True)
class KeyedList:
    """A list whose items have an identity (rules by name, groups by name).

    The server gives each item ids of its own (`server_ids`); statsync matches
    desired items to live items by `key` and echoes those ids back on update so
    the server keeps the item's history.
    """

    key: str
    server_ids: tuple[str, ...]
    # server-managed item fields that must be copied from live into updates
    # (omitting them may, for instance, cancel a scheduled rollout)
    carried: tuple[str, ...] = ()
    # item fields whose false or empty value is a value, not "unset" (isProduction: false)
    values: tuple[str, ...] = ()
    # what the server gives an item field left out (a config rule's returnValue: {})
    item_defaults: dict[str, Any] = field(default_factory=dict)
    # JSON field → its JSON5 twin in each item (see Kind.json5_twins)
    twins: dict[str, str] = field(default_factory=dict)
    # the item field (statsync's, never sent) naming the live item's old key, so a
    # rename keeps the item's server ids (a rule's salt): see `identity`
    renamed_from: str = ""


@dataclass(frozen=True)
class Reference:
    """Where an object names another object.

    `field` is a top-level field holding an id or a list of them (`targetingGateID`,
    `tags`); or, with `condition_types`, rule conditions of those types hold ids in
    `targetValue`; or `rule_field` of each rule holds them. The target kind's `builtins`
    always exist and need no object (`userID`). A reference to a singleton kind names one
    of its entries.
    """

    target: str
    field: str | None = None
    condition_types: tuple[str, ...] = ()
    # a field of each rule holding names (a rule's `environments`)
    rule_field: str | None = None
    # the condition field holding the name (default: targetValue; `unit_id` conditions: customID)
    condition_field: str = "targetValue"
    # in a list of items at this dotted path (`overrides.overrides`), `item_field` holds the
    # name, for the items whose `when` field has the given value (type: gate)
    items: str | None = None
    item_field: str | None = None
    when: tuple[str, str] | None = None
    # item fields whose values, joined by "::", are the name (a metric's {name, type})
    item_parts: tuple[str, ...] = ()
    # the field holds the target's address (a release pipeline's opaque id) where the YAML
    # writes its identity (the name): sent as the address, read back as the identity
    by_address: bool = False
    # checked, read and waited for only where that can be: where the repository holds objects
    # of the target kind (listing teams needs Enterprise: a project that does not keep its
    # teams in git names them freely and is never asked for the list), and waited for only
    # where waiting closes no cycle (a team's default holdout may hold the team's own
    # experiment; Statsig takes them in some order, statsync cannot know which)
    loose: bool = False


@dataclass(frozen=True)
class IdList:
    """Ids held by the object but read and written through endpoints of their own
    (an id-list segment's members), in chunks, never through the object's body."""

    field: str  # the YAML field holding the ids
    file_field: str  # or: a text file of ids, one a line, relative to the YAML file
    endpoint: str  # GET (paged) / PATCH (add) under the object's path
    reset: str  # POST: replace the whole list
    request_dto: str  # the spec's body for adding, whose maxItems sets the chunk size
    when: tuple[str, str]  # (field, value): objects of this kind that hold such a list


@dataclass(frozen=True)
class SubResource:
    """A field kept at an endpoint of its own (an object's overrides): read with a GET
    of path + endpoint, replaced whole with a POST there. Managed only when set."""

    endpoint: str
    dto: str  # the spec's schema of what GET answers, which the YAML field follows
    # A field of list items holding a group by name that Statsig wants by id (experiment
    # overrides' groupID): translated with the object's live groups when sent.
    group_field: str | None = None
    # Sent as a step of its own, after the objects it names: a layer's overrides name
    # experiments, which can only be created once the layer exists.
    separate: bool = False
    # Item fields an answer may carry under another name (answered → as written), read
    # as the written one: both readings converge, whichever Statsig gives.
    item_aliases: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Transition:
    """One lifecycle endpoint: `PUT /<kind>/{id}/<action>` moving `from_` → `to`."""

    action: str
    from_: tuple[str, ...]
    to: str
    # request body: None (no body), "{}" (an empty object the endpoint requires),
    # or "decision" (make_decision / abandon: built from the desired object)
    body: str | None = None
    # runs before the object's field update (leaving a read-only state), not after
    before_update: bool = False
    # a move only ever taken when it is the last one asked for, never on the way
    # elsewhere (shipping a group, abandoning, resetting are the user's own call)
    final_only: bool = False
    # a field naming another object this move changes too (shipping a group rewrites the
    # experiment's layer): that object's later steps expect its new version
    also_changes: str | None = None
    # a body flag the object's statsync settings may switch on (`statsync: {forceArchive:
    # true}` sends {"forceArchive": true}, ArchiveSchemaDto): Statsig's own name for it
    setting: str | None = None


@dataclass(frozen=True)
class Lifecycle:
    """A kind's statuses: which the YAML may ask for and how to get there.

    The status field is managed only when a document sets it: an experiment
    someone started in the console is never reset because a file is silent.
    """

    field: str
    statuses: tuple[str, ...]
    transitions: tuple[Transition, ...]
    initial: str  # the status a new object starts in
    # statuses a create may ask for directly: one request instead of create, then a move
    created_in: tuple[str, ...] = ()
    read_only: tuple[str, ...] = ()  # statuses in which Statsig refuses field updates
    # the status `isEnabled: false` puts an object in, when the kind has isEnabled
    disabled: str | None = None
    # The values each status gives fields (a move there sets them: a launched gate answers
    # isEnabled false). Such fields belong to the status, not the file — never compared
    # where the YAML asks for a status, nor while the live status is beyond the isEnabled
    # switch between `initial` and `disabled`. A status not listed (archived) leaves them be.
    status_fields: dict[str, dict[str, Any]] = field(default_factory=dict)
    # other fields that belong to a transition rather than to the object's fields
    inputs: tuple[str, ...] = ()
    # status → fields Statsig will not let change in it ("groups" of a running experiment)
    locked: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # status → numbers that may only grow in it ("allocation" of a running experiment)
    only_increase: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # (from, to) pairs statsync refuses, with the reason shown to the user
    forbidden: dict[tuple[str, str], str] = field(default_factory=dict)
    # the status of a live object that answers none (an autotune: isStarted and winner)
    status_of: Callable[[dict[str, Any]], str | None] | None = None
    # the list a decision's launchedGroupID names an item of, by name or id
    groups_field: str = "groups"


@dataclass(frozen=True)
class Kind:
    name: str  # as written in YAML `kind:`
    plural: str  # directory name used by `import`, and in messages
    # The live field the YAML `id` is: Statsig's `id` for most kinds; `name` for kinds
    # Statsig addresses by name (tags, unit ID types).
    identity: str = field(default="id", kw_only=True)
    title: str
    collection: str  # API path under /console/v1
    create_dto: str  # component names in the Console API spec
    partial_update_dto: str
    response_dto: str
    # Fields a YAML document may hold besides kind/id/statsync, with a short doc
    # for editors. Types, enums and ranges come from the spec's DTOs.
    fields: dict[str, str]
    # What Statsig fills in when a field is omitted on create; omitted fields
    # compare against these, so server-filled defaults never show as diffs.
    defaults: dict[str, Any] = field(default_factory=dict)
    # The display name defaults to the id (sent on create where `name` is required).
    name_defaults_to_id: bool = True
    # Other fields whose value, when a file leaves them out, is the id (a parameter
    # store's displayName, which its create DTO requires).
    id_defaults: tuple[str, ...] = ()
    keyed_lists: dict[str, KeyedList] = field(default_factory=dict)
    # Unordered lists of scalars, compared sorted.
    set_fields: tuple[str, ...] = ()
    # Fields where null, "" and absent mean the same thing to Statsig.
    empty_is_none: tuple[str, ...] = ()
    # Numbers Statsig stores with two decimals (dotted, list items implied).
    decimal_fields: tuple[str, ...] = ()
    # Free-form JSON values: compared exactly, never rounded or sorted.
    json_fields: tuple[str, ...] = ()
    # Spec fields hidden from YAML, dotted (list items implied): server-owned.
    hidden: tuple[str, ...] = ()
    references: tuple[Reference, ...] = ()
    # Fields sent on every PATCH, because the spec declares a default for them
    # on the partial-update DTO that the server might apply when omitted.
    always_sent: tuple[str, ...] = ()
    # Keyed lists whose item sizes must sum to 100.
    sums_to_100: tuple[str, ...] = ()
    # GET /<kind>/{id}/versions exists (full snapshots, for drift forensics).
    has_versions: bool = False
    # Live fields Statsig owns (audit, derived, lifecycle mirrors): never desired
    # state, so import leaves them out. Any other live field the YAML schema
    # cannot hold is reported as unrepresentable.
    server_fields: tuple[str, ...] = ()
    # Live values of server-owned state statsync does not model yet; an object in
    # another state is reported by import rather than silently flattened.
    representable_states: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    lifecycle: Lifecycle | None = None
    # Fields Statsig may not echo back (inputs it expands server-side, answered as []):
    # compared only when the live object carries a value in them.
    write_only: tuple[str, ...] = ()
    # Schema enums narrower than the spec's, for values statsync cannot act on.
    enums: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Server overlays: live values that mean what the YAML says (a TEMPORARY gate
    # Statsig marks STALE is still the gate the YAML describes).
    aliases: dict[str, dict[Any, Any]] = field(default_factory=dict)
    # False when Statsig has no update endpoint for the object itself (segments):
    # fields in `field_endpoints` are set through their own endpoint (POSTing the
    # new value to path + suffix); any other change means delete and re-create.
    patchable: bool = True
    field_endpoints: dict[str, str] = field(default_factory=dict)
    # Endpoint suffix → the key another documented body shape wraps the body in; tried
    # once on a 400 (see `shapes`).
    body_alternates: dict[str, str] = field(default_factory=dict)
    # A name-addressed kind whose path may take the server id instead: used when the
    # name is refused (see `shapes`).
    addressed_by_id_too: bool = False
    # Statsig derives the id from the name ("A Layer" → "a_layer") and takes no id on
    # create: statsync sends the YAML id as the name.
    id_from_name: bool = False
    id_list: IdList | None = None
    # One object per project that always exists (the environment list): read with a
    # GET of the collection, written by POSTing it whole, never created or deleted.
    # Its YAML id is the kind's name; references name its entries.
    singleton: bool = False
    # (list, flag): entries of the list with the flag set are Statsig's to keep (the
    # production environment): never removed, renamed or unflagged; their other fields
    # (review flags) are the team's.
    fixed_entries: tuple[str, str] | None = None
    # Fields statsync adds that no DTO declares (a file of ids), with their JSON Schema.
    own_fields: dict[str, dict[str, Any]] = field(default_factory=dict)
    sub_resources: dict[str, SubResource] = field(default_factory=dict)
    # Ids of objects Statsig creates and owns itself (an experiment's implicit
    # `statsig::<id>_layer`): never read as managed, pruned, imported or referenced.
    implicit: tuple[str, ...] = ()
    # Objects every project has, which Statsig provides and no one can delete (userID):
    # referenced freely, never read as managed or unmanaged, pruned, imported or declared,
    # even when a list answers them.
    builtins: tuple[str, ...] = ()
    # List field → the field that, while set, makes the server grow the list on its own (a
    # global holdout takes in every new gate; metric tags add their metrics): live members
    # the YAML does not list are not drift, and are kept.
    grows: dict[str, str] = field(default_factory=dict)
    # Rules across objects, each called as check(obj, repository objects by (kind, id)) and
    # returning Problems (a layer's overrides name groups of its own experiments, say).
    checks: tuple[Callable[..., list], ...] = ()
    # Top-level fields naming one of the object's groups (an experiment's controlGroupID):
    # written by name in YAML, sent by the group's id (a new object's: from its create answer).
    group_refs: tuple[str, ...] = ()
    # JSON field → its JSON5 text twin (defaultValue → defaultValueJson5). A YAML writes
    # either, not both: the one it writes is sent as written and compared; the server
    # derives the other. Item twins (a rule's returnValueJson5) are on the KeyedList.
    json5_twins: dict[str, str] = field(default_factory=dict)
    # Fields holding JSON as text (a config's schema): compared as parsed JSON.
    json_text_fields: tuple[str, ...] = ()
    # Objects of boolean switches where a switch left out is off (a role's permissions):
    # compared without the off ones; sent with every switch live has on and the YAML leaves
    # out as false, which means the same whether Statsig merges the object or replaces it.
    switch_maps: tuple[str, ...] = ()
    # Object fields (dotted) → properties the spec leaves out that Statsig's own artefacts
    # show the API takes and answers (a role's newer permissions): the YAML schema allows them.
    beyond_spec: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Dotted fields (list items implied) guarding how changes are made, with their guarded
    # value: a plan moving one away from it (a review requirement switched off) says so in
    # its summary, where the pull request's reviewer reads it.
    safeguards: dict[str, Any] = field(default_factory=dict)
    # Set fields → the values whose arrival grants power (a key's `omni_read_write` scope):
    # a plan adding one says so in its summary like a switched-off safeguard, so a pull
    # request cannot widen what a key may do without the reviewer reading it.
    grants: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Fields a create/update DTO takes that statsync deliberately does not manage, and why
    # (the field-coverage table lists them; a DTO field in no category fails a test).
    unmanaged: dict[str, str] = field(default_factory=dict)

    # The id is these fields joined by "::" when Statsig creates the object (a metric's
    # `<name>::<type>`): a new object sends them, taken from the id, and no id; the first
    # is also the display name's default. Statsig keeps the id when the name changes later.
    id_parts: tuple[str, ...] = ()
    # How the object itself is updated: "PATCH" (changed fields) or "POST" (a full update:
    # every update-DTO field the object has, the document's over the live ones, so nothing
    # the document leaves out is reset whichever way Statsig reads a field left out).
    update_method: str = "PATCH"
    # Where the list is read, when not the collection itself (`/metrics/list`: GET /metrics
    # reads a metric's values).
    list_path: str | None = None

    # The live field that is the object's address when the YAML id is another field (a key's
    # secret beside its description): requests are written with the YAML id and the client
    # swaps in the address, learned from the list, when it sends them.
    address: str | None = None
    # The address is a secret (a key): it is taken out of every live object as it is read
    # and lives only in the client's memory — never in a plan, journal, report or file.
    secret_address: bool = False
    # False when statsync must never create or delete such objects (keys: made and revoked
    # in the console): a document naming none live is refused, pruning passes them over.
    creatable: bool = True
    deletable: bool = True
    # Dotted paths of lists of targeting rules other than `rules` (a release pipeline's
    # phases.rules): normalised as a gate's rules are (null environments, condition order).
    nested_rules: tuple[str, ...] = ()
    # The /audit_logs actionTypes recorded for this kind's objects: who changed an object
    # that answers no modifier and has no versions (a tag, a team) is read from them.
    audit_actions: tuple[str, ...] = ()
    # Fields an answer names otherwise than requests do (a key's primaryTargetApp is the
    # targetAppID it was sent): answered name → the name the YAML writes.
    answered_as: dict[str, str] = field(default_factory=dict)
    # List fields sent as values and answered as objects holding them (a team's members:
    # emails sent, {email, firstName, …} answered): field → the item key the YAML writes.
    answered_items: dict[str, str] = field(default_factory=dict)

    @property
    def answered_otherwise(self) -> bool:
        """Whether live objects need reading into the YAML's terms (`addresses.learn`)."""
        return self.address is not None or bool(self.answered_as) or bool(self.answered_items)

    def is_implicit(self, object_id: str) -> bool:
        from fnmatch import fnmatchcase

        return any(fnmatchcase(object_id, pattern) for pattern in self.implicit)

    def path(self, object_id: str | None = None) -> str:
        from urllib.parse import quote

        if object_id is None or self.singleton:  # a singleton's address is its collection
            return self.collection
        return f"{self.collection}/{quote(object_id, safe='')}"


# Rule lists are shared by gates and dynamic configs.
RULE_LIST = KeyedList(key="name", server_ids=("id", "baseID"),
                      carried=("completedAutomatedRollouts", "pendingAutomatedRollouts"), renamed_from="previousName")
RULE_SERVER_FIELDS = ("rules.id", "rules.baseID", "rules.completedAutomatedRollouts",
                      "rules.pendingAutomatedRollouts")
GATE_CONDITIONS = Reference(target="gate", condition_types=("passes_gate", "fails_gate"))
SEGMENT_CONDITIONS = Reference(target="segment", condition_types=("passes_segment", "fails_segment"))
TAGS = Reference(target="tag", field="tags")
TARGET_APPS = Reference(target="target_app", field="targetApps")
# Rules name environments: per rule (`environments`) and in environment_tier conditions.
ENVIRONMENTS = Reference(target="environments", rule_field="environments", condition_types=("environment_tier",))
# Overrides in the shape gates and holdouts share (OverrideDto): environments by name.
OVERRIDES = SubResource(endpoint="/overrides", dto="OverrideDto")
OVERRIDE_ENVIRONMENTS = Reference(target="environments", items="overrides.environmentOverrides",
                                  item_field="environment")
# `unit_id` conditions say which unit ID type they test in `customID`.
CONDITION_UNIT_ID_TYPES = Reference(target="unit_id_type", condition_types=("unit_id",), condition_field="customID")
UNIT_ID_TYPE = Reference(target="unit_id_type", field="idType")
# A gate's or config's release pipeline: by name in YAML, by the pipeline's id in Statsig.
RELEASE_PIPELINE = Reference(target="release_pipeline", field="releasePipelineID", by_address=True)
# The owning team, by name (Enterprise; `teamID` is its opaque id, left as written).
TEAM = Reference(target="team", field="team", loose=True)
# What gates and dynamic configs share: targeting rules and their surroundings.
RULED_FIELDS = ("name", "description", "isEnabled", "idType", "tags", "targetApps", "rules", "team", "teamID",
                "releasePipelineID")
# No idType default: an omitted idType is the project's default unit type
# (`SettingsProjectContractDto.default_unit_type`, EVIDENCE.md finding 4), which need not
# be userID; statsync leaves it to Statsig and does not compare it.
RULED_DEFAULTS = {"description": None, "isEnabled": True, "tags": [], "targetApps": [],
                  "rules": []}

AUDIT_FIELDS = ("id", "createdTime", "creatorID", "creatorName", "creatorEmail", "lastModifiedTime",
                "lastModifierID", "lastModifierName", "lastModifierEmail", "version", "owner", "activeReview",
                "holdoutIDs", "reviewSettings.allowedReviewers")

COMMON_FIELD_DOCS = {
    "name": "Display name shown in the console. Defaults to the id.",
    "description": "Free-text description shown in the console.",
    "idType": "Unit ID type this object evaluates on (userID, stableID or a custom unit ID type).",
    "tags": "Tag names (tags must exist in the project).",
    "targetApps": "Target apps this object is evaluated for.",
    "team": "Owning team (Enterprise).",
    "teamID": "Owning team id (Enterprise).",
    "rules": "Ordered rules: the first rule whose conditions all match decides.",
    "isEnabled": "Whether rules are evaluated. When false, everyone gets the default.",
    "releasePipelineID": "Release pipeline that rolls changes out.",
    "overrides": "Units forced past or out of rules, whatever the rules say. Managed only when set; replaced "
                 "whole through the overrides endpoint.",
}


def _registry() -> dict[str, Kind]:
    from statsync.kinds import (autotune, dynamic_config, environments, experiment, gate, holdout, key, layer, metric,
                                metric_source, param_store, project_settings, release_pipeline, review_settings, role,
                                role_settings, segment, tag, target_app, team, team_settings, unit_id_type)

    kinds = (project_settings.KIND, review_settings.KIND, role.KIND, role_settings.KIND, team_settings.KIND,
             environments.KIND, unit_id_type.KIND, tag.KIND, target_app.KIND, metric_source.KIND, metric.KIND,
             release_pipeline.KIND, segment.KIND, gate.KIND, dynamic_config.KIND, layer.KIND, experiment.KIND,
             autotune.KIND, holdout.KIND, param_store.KIND, team.KIND, key.KIND)
    return {kind.name: kind for kind in kinds}


@lru_cache(maxsize=1)
def all_kinds() -> dict[str, Kind]:
    """Every kind, in dependency order: a kind only references kinds before it."""
    return _registry()


def get(name: str) -> Kind:
    return all_kinds()[name]
