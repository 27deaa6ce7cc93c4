"""The emulator's readings of what Statsig's documentation leaves unproven.

Each reading is one question from EVIDENCE.md's "still unproven" table, the answer the
emulator gives today, and the other answer Statsig's own artefacts allow. A reading can
be switched (`Emulator(readings=Readings(segment_rules_body="object"))`), so tests show
statsync works under either answer, and `statsync probe` reports, for each question,
what the emulator assumes beside what a real project answered.
"""
from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Question:
    name: str  # the Readings field
    question: str
    today: str  # the emulator's default reading
    other: str  # the answer the other evidence allows
    evidence: str


QUESTIONS = (
    Question("segment_rules_body", "POST /segments/{id}/conditional body", "array", "object",
             "spec `SegmentRulesDto` and legacy-docs: a bare array; TF-code `internal/segment_client.go` sends "
             "{\"rules\": [...]} (untested)"),
    Question("experiment_override_key", "GET /experiments/{id}/overrides items name the gate or segment by",
             "id", "name", "POST takes `id` (spec `ExperimentOverridesDto`); the spec's and legacy-docs' GET "
                           "examples answer `name`"),
    Question("dynamic_config_status", "a dynamic config's `status` in answers", "present", "absent",
             "the spec's DynamicConfigDto declares it; no dynamic config example in the spec carries it"),
    Question("launched_gate_enable", "PATCH {isEnabled: true} on a launched gate", "unlaunches", "stays_launched",
             "no artefact: the spec's launch example answers isEnabled false (so true is not the launch's value)"),
    Question("environment_tier_operator", "an environment_tier condition sent without `operator`", "as_sent",
             "any", "legacy-docs `docs/console-api/rules.mdx` writes none; the SDK payload stores `any`"),
    Question("target_app_path", "a target app's path parameter", "name", "id",
             "the spec names it `{id}` and its example shows an opaque id beside the name; only tags and unit "
             "ID types are proven by name (TF-test)"),
    Question("version_per_write", "how far one PATCH moves an object's `version`", "one", "more",
             "no artefact; statsync reports a write whose answer is more than one version past the one it read as "
             "another writer's"),
    Question("builtins_listed", "userID and stableID in GET /unit_id_types", "unlisted", "listed",
             "migrations `src/statsig.ts` special-cases userID"),
    Question("metric_archive_answer", "what a metric answers once PUT /metrics/{id}/schedule_archive is taken",
             "silent", "hidden",
             "docs `metrics/archiving-metrics.md`: a 24-hour grace period that can be undone, then the metric "
             "leaves catalogue search; the spec's metric declares no archive state, only `isHidden`"),
)


@dataclass(frozen=True)
class Readings:
    # "array": a bare list of rules; "object": {"rules": [...]}; the other shape is a 400
    segment_rules_body: str = "array"
    # "name": the GET answers an override's gate or segment as `name` where POST took `id`
    experiment_override_key: str = "id"
    # "absent": answers leave a dynamic config's status out (isEnabled still says it)
    dynamic_config_status: str = "present"
    # "stays_launched": a launched gate keeps its launch (and isEnabled false) when PATCHed true
    launched_gate_enable: str = "unlaunches"
    # "any": a tier condition without an operator is stored with "any"
    environment_tier_operator: str = "as_sent"
    # "id": a target app is found by its server id only; its name in a path is a 404
    target_app_path: str = "name"
    # "more": each write moves `version` by two (as if the server counted something else too)
    version_per_write: str = "one"
    # "listed": the built-in unit ID types come first in the list
    builtins_listed: str = "unlisted"
    # "hidden": a metric scheduled for archive (or archived) answers isHidden: true
    metric_archive_answer: str = "silent"

    def __post_init__(self) -> None:
        for question in QUESTIONS:
            value = getattr(self, question.name)
            if value not in (question.today, question.other):
                raise ValueError(f"{question.name} is {question.today!r} or {question.other!r}, not {value!r}")

    def answer(self, payload: dict, method: str, template: str) -> dict:
        """An answer as a server with these readings would give it (a copy when changed)."""
        data = payload.get("data") if isinstance(payload, dict) else None
        if self.dynamic_config_status == "absent" and template.startswith("/dynamic_configs") and data is not None:
            strip = (lambda obj: {k: v for k, v in obj.items() if k != "status"} if isinstance(obj, dict) else obj)
            payload = {**payload, "data": [strip(obj) for obj in data] if isinstance(data, list) else strip(data)}
        if self.experiment_override_key == "name" and template == "/experiments/{id}/overrides" \
                and isinstance(data, dict):
            items = [{("name" if key == "id" else key): value for key, value in item.items()}
                     for item in data.get("overrides") or []]
            payload = {**payload, "data": {**data, "overrides": items}}
        if self.builtins_listed == "listed" and method == "GET" and template == "/unit_id_types" \
                and isinstance(data, list) and (payload.get("pagination") or {}).get("pageNumber", 1) == 1:
            builtins = [{"name": name, "description": ""} for name in ("userID", "stableID")]
            pagination = dict(payload.get("pagination") or {})
            if isinstance(pagination.get("totalItems"), int):
                pagination["totalItems"] += len(builtins)
            payload = {**payload, "data": builtins + data, "pagination": pagination}
        return payload


TODAY = Readings()
assert {field.name for field in fields(Readings)} == {question.name for question in QUESTIONS}
