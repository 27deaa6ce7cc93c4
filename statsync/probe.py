"""`statsync probe`: ask a real Statsig project what its documentation leaves unproven.

Each question in `emulator.readings.QUESTIONS` has a probe here: it creates throw-away
objects (ids start with PREFIX), makes the requests that answer the question, and says
which reading the answers show. Every request and answer is recorded, redacted (no key,
no person's name, email or id), as a fixture the emulator's tests replay; the report
sets each answer beside the emulator's reading. Whatever the probe creates it deletes,
even when a question fails.

Safety: the probe writes. It refuses a project holding anything it did not create
itself (an object whose id does not start with PREFIX in a kind it writes) unless told
`--i-understand-this-writes`.
"""
from __future__ import annotations

import json
import secrets as random_tokens
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable

from statsync.api.client import ConsoleClient
from statsync.api.errors import ApiError
from statsync.emulator.readings import QUESTIONS, TODAY, Question
from statsync.errors import StatsyncError

PREFIX = "statsync_probe_"
# what the probe creates, and so what must hold nothing else
WRITES = ("/gates", "/dynamic_configs", "/segments", "/experiments", "/target_app", "/metrics")
# where a kind is listed when not at its collection (`GET /metrics` reads a metric's values)
LISTED_AT = {"/metrics": "/metrics/list?showHiddenMetrics=true"}
NAMED = ("/target_app",)  # kinds whose objects are addressed by name (and perhaps by id)
# answer fields that name a person: never written to a fixture
PERSONAL = ("creatorID", "creatorName", "creatorEmail", "lastModifierID", "lastModifierName", "lastModifierEmail",
            "owner", "reviewers", "allowedReviewers")


class ProbeRefused(StatsyncError):
    pass


@dataclass
class Exchange:
    method: str
    path: str
    body: Any
    status: int
    answer: Any


@dataclass
class Finding:
    question: str  # the Readings field
    answer: str  # the reading the answers show (or "unsettled: …")
    exchanges: list[Exchange] = field(default_factory=list)
    source: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def load(cls, path: Path) -> "Finding":
        try:
            data = json.loads(path.read_text())
            return cls(data["question"], data["answer"], [Exchange(**e) for e in data.get("exchanges", [])],
                       data.get("source", ""))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise StatsyncError(f"{path}: not a probe fixture ({exc})") from None


class Session:
    """One probe run: requests recorded, objects created remembered for cleanup."""

    def __init__(self, client: ConsoleClient, run_id: str):
        self.client, self.run_id = client, run_id
        self.exchanges: list[Exchange] = []
        self.created: list[list[str]] = []  # each object's paths (name, id), deleted newest first

    def name(self, what: str) -> str:
        return f"{PREFIX}{self.run_id}_{what}"

    async def send(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """(status, answer's data); an error status is an answer here, not an exception."""
        try:
            payload = await self.client.request(method, path, body)
            status, data = self.client.last_status or 200, payload.get("data", payload)
        except ApiError as exc:
            status, data = exc.status, {"message": exc.api_message}
        self.exchanges.append(Exchange(method, path, _redacted(body, self.client), status,
                                       _redacted(data, self.client)))
        return status, data

    async def create(self, collection: str, body: dict) -> dict:
        status, data = await self.send("POST", collection, body)
        if status >= 400 or not isinstance(data, dict):
            raise StatsyncError(f"POST {collection}: {status} {data.get('message') if isinstance(data, dict) else ''}")
        names = [body.get("name")] if collection in NAMED else []
        self.created.append([f"{collection}/{key}" for key in (*names, data.get("id", body.get("id"))) if key])
        return data

    async def cleanup(self) -> list[str]:
        """Delete what this run created, newest first; what could not be deleted."""
        left = []
        for paths in reversed(self.created):
            errors = []
            for path in paths:  # by name, else by id: whichever the server takes
                try:
                    await self.client.request("DELETE", path)
                    break
                except StatsyncError as exc:
                    errors.append(f"{path}: {exc}")
            else:
                if not all(" 404 " in error for error in errors):
                    left.append("; ".join(errors))
        return left


def _redacted(value: Any, client: ConsoleClient) -> Any:
    """No key, and no person: fields naming who made a change are masked."""
    if isinstance(value, dict):
        return {k: ("<redacted>" if k in PERSONAL and v not in (None, "", []) else _redacted(v, client))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_redacted(item, client) for item in value]
    if isinstance(value, str):
        return client.redacted(value)
    return value


# --- the questions ----------------------------------------------------------------

# segment rules take fewer condition types than gates (no `public`)
RULE = {"name": "probe", "passPercentage": 100, "conditions": [{"type": "country", "operator": "any",
                                                                "targetValue": ["CA"]}]}


async def segment_rules_body(session: Session) -> str:
    segment = await session.create("/segments", {"id": session.name("segment"), "name": session.name("segment"),
                                                 "type": "rule_based"})
    path = f"/segments/{segment.get('id')}/conditional"
    if (await session.send("POST", path, [RULE]))[0] < 400:
        return "array"
    status, _ = await session.send("POST", path, {"rules": [RULE]})
    return "object" if status < 400 else f"unsettled: both shapes refused ({status})"


async def experiment_override_key(session: Session) -> str:
    gate = await session.create("/gates", {"id": session.name("override_gate"), "name": session.name("override_gate")})
    experiment = await session.create("/experiments", {"id": session.name("experiment"),
                                                       "name": session.name("experiment")})
    group = (experiment.get("groups") or [{}])[0].get("id")
    path = f"/experiments/{experiment.get('id')}/overrides"
    status, _ = await session.send("POST", path, {"overrides": [{"type": "gate", "id": gate.get("id"),
                                                                 "groupID": group}], "userIDOverrides": []})
    if status >= 400:
        return f"unsettled: the override was refused ({status})"
    _, data = await session.send("GET", path)
    items = (data or {}).get("overrides") or [] if isinstance(data, dict) else []
    if not items:
        return "unsettled: no override answered"
    return "id" if "id" in items[0] else "name" if "name" in items[0] else f"unsettled: keys {sorted(items[0])}"


async def dynamic_config_status(session: Session) -> str:
    config = await session.create("/dynamic_configs", {"id": session.name("config"), "name": session.name("config"),
                                                       "defaultValue": {}})
    _, data = await session.send("GET", f"/dynamic_configs/{config.get('id')}")
    return "present" if isinstance(data, dict) and "status" in data else "absent"


async def launched_gate_enable(session: Session) -> str:
    gate = await session.create("/gates", {"id": session.name("launched"), "name": session.name("launched")})
    path = f"/gates/{gate.get('id')}"
    status, _ = await session.send("PUT", f"{path}/launch")
    if status >= 400:
        return f"unsettled: the launch was refused ({status})"
    await session.send("PATCH", path, {"isEnabled": True})
    _, data = await session.send("GET", path)
    return "stays_launched" if isinstance(data, dict) and data.get("status") == "Launched" else "unlaunches"


async def environment_tier_operator(session: Session) -> str:
    rule = {"name": "tier", "passPercentage": 100,
            "conditions": [{"type": "environment_tier", "targetValue": ["production"]}]}
    gate = await session.create("/gates", {"id": session.name("tier"), "name": session.name("tier"), "rules": [rule]})
    _, data = await session.send("GET", f"/gates/{gate.get('id')}")
    conditions = ((data or {}).get("rules") or [{}])[0].get("conditions") or [{}]
    return "any" if conditions[0].get("operator") == "any" else "as_sent"


async def target_app_path(session: Session) -> str:
    name = session.name("app")
    app = await session.create("/target_app", {"name": name, "description": "statsync probe"})
    if (await session.send("GET", f"/target_app/{name}"))[0] < 400:
        return "name"
    status, _ = await session.send("GET", f"/target_app/{app.get('id')}")
    return "id" if status < 400 else f"unsettled: neither the name nor the id found it ({status})"


async def version_per_write(session: Session) -> str:
    gate = await session.create("/gates", {"id": session.name("versioned"), "name": session.name("versioned")})
    path = f"/gates/{gate.get('id')}"
    _, before = await session.send("GET", path)
    status, after = await session.send("PATCH", path, {"description": "statsync probe: one write"})
    if status >= 400 or not isinstance(after, dict) or not isinstance(after.get("version"), int) \
            or not isinstance((before or {}).get("version"), int):
        return f"unsettled: no version to compare ({status})"
    return "one" if after["version"] == before["version"] + 1 else "more"


async def builtins_listed(session: Session) -> str:
    _, data = await session.send("GET", "/unit_id_types?page=1&limit=100")
    names = {item.get("name") for item in data or [] if isinstance(item, dict)} if isinstance(data, list) else set()
    return "listed" if "userID" in names else "unlisted"


# fields every write moves, whatever it was
_WRITE_MARKS = ("version", "lastModifiedTime", "lastModifierID", "lastModifierName", "lastModifierEmail")


async def metric_archive_answer(session: Session) -> str:
    name = session.name("metric")
    metric = await session.create("/metrics", {"name": name, "type": "event_count_custom",
                                               "metricEvents": [{"name": name}]})
    path = f"/metrics/{metric.get('id')}"
    _, before = await session.send("GET", path)
    status, _ = await session.send("PUT", f"{path}/schedule_archive")
    if status >= 400:
        return f"unsettled: the archive was refused ({status})"
    _, after = await session.send("GET", path)
    await session.send("PUT", f"{path}/cancel_archive")  # within the grace period: undone
    if not isinstance(before, dict) or not isinstance(after, dict):
        return "unsettled: no metric answered"
    changed = sorted(key for key in {*before, *after} if key not in _WRITE_MARKS and before.get(key) != after.get(key))
    if not changed:
        return "silent"
    return "hidden" if changed == ["isHidden"] and after["isHidden"] else f"unsettled: it changed {', '.join(changed)}"


PROBES: dict[str, Callable[[Session], Awaitable[str]]] = {
    "segment_rules_body": segment_rules_body,
    "experiment_override_key": experiment_override_key,
    "dynamic_config_status": dynamic_config_status,
    "launched_gate_enable": launched_gate_enable,
    "environment_tier_operator": environment_tier_operator,
    "target_app_path": target_app_path,
    "version_per_write": version_per_write,
    "builtins_listed": builtins_listed,
    "metric_archive_answer": metric_archive_answer,
}
assert set(PROBES) == {question.name for question in QUESTIONS}


# --- running and reporting ----------------------------------------------------------

def _made_by_statsig(collection: str, object_id: str) -> bool:
    """Metrics Statsig keeps for every project or logged event (`dau::user`): never the user's."""
    from statsync.kinds import all_kinds

    return collection == "/metrics" and all_kinds()["metric"].is_implicit(object_id)


async def foreign_objects(client: ConsoleClient) -> list[str]:
    """Objects in the kinds the probe writes that a probe did not create."""
    found = []
    for collection in WRITES:
        try:
            listed = await client.list(LISTED_AT.get(collection, collection))
        except ApiError as exc:
            if exc.status >= 500:
                raise
            continue  # a kind this project cannot use (target apps are Enterprise): nothing of it to harm
        for obj in listed:
            object_id = str(obj.get("name") if collection in NAMED else obj.get("id") or obj.get("name"))
            if not object_id.startswith(PREFIX) and not object_id.startswith("statsig::") \
                    and not _made_by_statsig(collection, object_id):
                found.append(f"{collection.strip('/')}/{object_id}")
    return found


async def run(client: ConsoleClient, source: str, allow_writes: bool,
              only: tuple[str, ...] = ()) -> tuple[list[Finding], list[str]]:
    """Every probe (or `only` those): findings, and what cleanup could not delete."""
    if not allow_writes:
        foreign = await foreign_objects(client)
        if foreign:
            shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
            raise ProbeRefused(f"refusing to probe: the project holds objects the probe did not create ({shown}); "
                               f"use a throw-away project, or pass --i-understand-this-writes")
    findings, left = [], []
    for question in QUESTIONS:
        if only and question.name not in only:
            continue
        session = Session(client, random_tokens.token_hex(3))
        try:
            answer = await PROBES[question.name](session)
        except StatsyncError as exc:
            answer = f"unsettled: {client.redacted(str(exc))}"
        finally:
            left += await session.cleanup()
        findings.append(Finding(question.name, answer, session.exchanges, source))
    return findings, left


def report(findings: list[Finding]) -> tuple[str, int]:
    """A Markdown table (question, emulator's reading, Statsig's answer, verdict) and how
    many findings disagree with the emulator."""
    by_name = {question.name: question for question in QUESTIONS}
    lines = ["| question | emulator's reading | answered | verdict | evidence before |", "|---|---|---|---|---|"]
    disagree = 0
    for finding in findings:
        question: Question | None = by_name.get(finding.question)
        reading = getattr(TODAY, finding.question, "—") if question else "—"
        if finding.answer.startswith("unsettled"):
            verdict = "unsettled"
        elif finding.answer == reading:
            verdict = "agree"
        else:
            verdict, disagree = "**disagree**", disagree + 1
        lines.append(f"| {question.question if question else finding.question} | {reading} | {finding.answer} | "
                     f"{verdict} | {question.evidence if question else ''} |")
    return "\n".join(lines) + "\n", disagree


def write(findings: list[Finding], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for finding in findings:
        path = out / f"{finding.question}.json"
        path.write_text(finding.to_json())
        paths.append(path)
    return paths
