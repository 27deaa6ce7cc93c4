"""Run a Plan's steps against the Console API in dependency order.

Independent steps run together, up to a limit; a step starts as soon as the
steps it depends on are done. Before an update or delete the object is read
again, and if someone changed it since the plan was made the step is skipped as
a conflict naming who changed it: nothing a person did in the console is
silently overwritten. A failed step skips every step that depends on it, and
both are reported, never hidden.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Callable

from statsync.api.client import ConsoleClient
from statsync import shapes
from statsync.errors import StatsyncError
from statsync.journal import Journal
from statsync.kinds import all_kinds
from statsync.lifecycle import answered_status
from statsync.plan import Plan, Step
from statsync.steps import with_group_ids

OUTCOMES = ("applied", "pending_review", "conflict", "failed", "skipped")


@dataclass
class Outcome:
    step: Step
    status: str  # one of OUTCOMES
    error: str = ""
    duration: float = 0.0
    requests: int = 0
    # applied, but another writer wrote between this step's check and its write (the
    # answer's version skipped one): their change may be lost, so the run fails, naming it
    raced: str = ""

    @property
    def ok(self) -> bool:
        return self.status in ("applied", "pending_review")

    def record(self) -> dict:
        step = self.step
        return {"type": "step", "address": step.address, "action": step.action, "kind": step.kind, "id": step.id,
                "requests": [f"{r.method} {r.path}" for r in step.requests], "outcome": self.status,
                "error": self.error, "duration": round(self.duration, 3), **({"raced": self.raced} if self.raced else {})}


OnOutcome = Callable[[Outcome], None]


@dataclass
class ApplyOptions:
    parallelism: int = 4
    check_conflicts: bool = True
    journal: Journal | None = None
    on_outcome: OnOutcome | None = None
    deadline: float | None = None  # time.monotonic() after which no step starts
    # steps failing in a row because the API could not be reached, after which none starts
    breaker: int = 3
    interrupted: asyncio.Event | None = None  # set on Ctrl-C: steps in flight finish, no other starts


class _Stop:
    """Why no further step may start: the run's deadline, or the circuit breaker."""

    def __init__(self, options: ApplyOptions):
        self.options = options
        self.unreachable_in_a_row = 0
        self.tripped = ""

    def record(self, outcome: "Outcome") -> None:
        if outcome.status == "failed" and outcome.error.startswith("cannot reach the Console API"):
            self.unreachable_in_a_row += 1
            if self.unreachable_in_a_row >= self.options.breaker and not self.tripped:
                self.tripped = (f"not started: the Console API could not be reached for "
                                f"{self.unreachable_in_a_row} steps in a row")
        elif outcome.status != "skipped":
            self.unreachable_in_a_row = 0

    def reason(self) -> str:
        if self.tripped:
            return self.tripped
        if self.options.interrupted is not None and self.options.interrupted.is_set():
            return "not started: interrupted (Ctrl-C)"
        if self.options.journal is not None and self.options.journal.failed:
            # without its record a step's outcome could be lost: a full disk stops the run
            return f"not started: {self.options.journal.failed}"
        if self.options.deadline is not None and time.monotonic() >= self.options.deadline:
            return "not started: the run's deadline (--deadline) passed"
        return ""


async def execute(plan: Plan, client: ConsoleClient, options: ApplyOptions | None = None) -> list[Outcome]:
    options = options or ApplyOptions()
    steps = {step.address: step for step in plan.steps}
    waiting = {address: {dep for dep in step.depends_on if dep in steps} for address, step in steps.items()}
    outcomes: dict[str, Outcome] = {}
    limit = asyncio.Semaphore(options.parallelism)
    running: dict[asyncio.Task, str] = {}

    touched: set[str] = set()  # objects this run has already changed

    stop = _Stop(options)

    async def run(step: Step) -> Outcome:
        async with limit:
            if stop.reason():  # decided when the step would start, not when it was queued
                outcome = Outcome(step, "skipped", stop.reason())
                journal(outcome)
                return outcome
            outcome = await _run_step(step, client, options.check_conflicts, step.object_address in touched)
            stop.record(outcome)  # at once, so the next step in line sees it
            if outcome.status == "applied":
                touched.update((step.object_address, *step.touches))
            journal(outcome)  # before the next step in line may start: a full disk stops it
            return outcome

    def journal(outcome: Outcome) -> None:
        if options.journal:
            options.journal.write(outcome.record())

    def finish(outcome: Outcome) -> None:
        outcomes[outcome.step.address] = outcome
        if options.on_outcome:
            options.on_outcome(outcome)

    while waiting or running:
        for address in [a for a, deps in waiting.items() if deps <= outcomes.keys()]:
            del waiting[address]
            failed = [dep for dep in steps[address].depends_on if dep in outcomes and not outcomes[dep].ok]
            if failed:
                skipped = Outcome(steps[address], "skipped", f"depends on {', '.join(failed)}, which did not apply")
                journal(skipped)
                finish(skipped)
            else:
                running[asyncio.create_task(run(steps[address]))] = address
        if not running:
            continue
        done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            del running[task]
            finish(task.result())
    ordered = [outcomes[step.address] for step in plan.steps]
    if options.journal:
        counts = {status: sum(1 for o in ordered if o.status == status) for status in OUTCOMES}
        options.journal.write({"type": "summary", **counts, "requests": client.request_count,
                               "retries": client.retries})
    return ordered


async def _run_step(step: Step, client: ConsoleClient, check_conflicts: bool, touched: bool) -> Outcome:
    started = time.monotonic()
    sent_before = client.request_count
    kind = all_kinds()[step.kind]

    raced = ""

    def outcome(status: str, error: str = "") -> Outcome:
        return Outcome(step, status, error, time.monotonic() - started, client.request_count - sent_before, raced)

    expected = None  # the version read just before writing: each write of ours adds exactly one
    try:
        if check_conflicts and (step.live is not None or step.expect_status is not None):
            current = await shapes.get(client, kind, step.id)
            if current is None:
                if step.action == "delete":
                    return outcome("applied")  # already gone: the goal is met
                return outcome("conflict", f"{step.object_address} was deleted in the console after the plan was made")
            status = answered_status(kind, current) if step.expect_status is not None else None
            if status is not None and status == step.changes[-1].after and not step.requests[0].body:
                # already where this move goes (an unarchive that landed elsewhere than
                # declared, say); a move with inputs (which group ships) is never assumed done
                return outcome("applied")
            if step.expect_status is not None and status != step.expect_status:
                return outcome("conflict", status_conflict(step, current, kind.lifecycle.field))
            # an earlier step of this run changed the version itself; the status check covers lifecycle steps
            if step.live is not None and not touched and not step.live.matches(current, kind, step.id):
                return outcome("conflict", conflict_message(step, current))
            expected = current.get("version") if isinstance(current.get("version"), int) else None
        pending, current = False, None
        for request in step.requests:
            creates = step.action in ("create", "replace") and request.path == kind.path() and request.method == "POST"
            created_at = kind.path(step.id) if creates else None
            body = request.body
            if request.group_field:
                current = current or await client.get(kind.path(step.id))
                body = with_group_ids(body, request.group_field, current or {})
            answer = await shapes.send(client, kind, request.method, request.path, body, created_at=created_at,
                                       object_id=step.id)
            if creates and isinstance(answer.get("data"), dict):
                current = answer["data"]  # the new object, with the ids Statsig gave its groups
            pending = pending or _review_pending(answer)
            if request.path == kind.path(step.id) and request.method in ("PATCH", "POST") and not pending:
                expected, raced = _versioned(step, answer, expected, raced)
            else:
                expected = None  # an endpoint of its own may or may not count a version: no claim
    except StatsyncError as exc:
        if step.is_lifecycle and await _reached(step, client, kind):
            return outcome("applied")  # an attempt whose answer was lost had already moved it
        return outcome("failed", str(exc))
    return outcome("pending_review" if pending else "applied")


def _versioned(step: Step, answer: dict, expected: int | None, raced: str) -> tuple[int | None, str]:
    """The version after this write, and a note when it is more than one past the version
    read just before: someone wrote in between, and this write may have undone it. The
    emulator counts one version a write ⚠ unproven for Statsig (`statsync probe` asks)."""
    data = answer.get("data") if isinstance(answer, dict) else None
    version = data.get("version") if isinstance(data, dict) else None
    if not isinstance(version, int) or expected is None:
        return None, raced
    if version > expected + 1 and not raced:
        raced = (f"{step.object_address}: another writer changed it between this run's check and its write "
                 f"(version {expected} → {version}, one write expected); their change may be overwritten — "
                 f"see the object's history in the console")
    return version, raced


async def _reached(step: Step, client: ConsoleClient, kind) -> bool:
    """Lifecycle moves are not idempotent: a retried start answers 400 when the first
    one went through. The object's status says whether it did."""
    try:
        current = await shapes.get(client, kind, step.id)
    except StatsyncError:
        return False
    return current is not None and answered_status(kind, current) == step.changes[-1].after


def conflict_message(step: Step, current: dict) -> str:
    who = current.get("lastModifierName") or "someone"
    email = current.get("lastModifierEmail")
    return (f"{step.address} changed since the plan was made (version {step.live.version} → "
            f"{current.get('version')}, by {who}{f' <{email}>' if email else ''}); not overwritten — "
            f"plan again to see their change")


def status_conflict(step: Step, current: dict, field: str) -> str:
    who = current.get("lastModifierName") or "someone"
    return (f"{step.object_address} is {current.get(field)!r}, not {step.expect_status!r} as planned "
            f"(last changed by {who}); {step.action} not sent — plan again")


def _review_pending(answer: dict) -> bool:
    """With x-respect-review-settings, a change that needs review comes back as an
    active review on the object instead of being applied."""
    review = (answer.get("data") or {}).get("activeReview") if isinstance(answer.get("data"), dict) else None
    return bool(review) and str(review.get("reviewStatus", "")).lower() in ("pending", "pending_review", "open")
