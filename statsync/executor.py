"""Run a Plan's steps against the Console API in dependency order.

Steps whose dependencies are done run together (bounded); a failed step skips
every step that depends on it, and both are reported, never hidden.
"""
from __future__ import annotations

import asyncio
import graphlib
import time
from dataclasses import dataclass
from typing import Callable

from statsync.api.client import ConsoleClient
from statsync.errors import StatsyncError
from statsync.plan import Plan, Step

CONCURRENCY = 4


@dataclass
class Outcome:
    step: Step
    status: str  # applied | failed | skipped
    error: str = ""
    duration: float = 0.0


OnOutcome = Callable[[Outcome], None]


async def execute(plan: Plan, client: ConsoleClient, on_outcome: OnOutcome | None = None) -> list[Outcome]:
    steps = {step.address: step for step in plan.steps}
    sorter = graphlib.TopologicalSorter({address: set(step.depends_on) & steps.keys()
                                         for address, step in steps.items()})
    sorter.prepare()
    outcomes: dict[str, Outcome] = {}
    limit = asyncio.Semaphore(CONCURRENCY)

    async def run(step: Step) -> Outcome:
        failed = [dep for dep in step.depends_on if dep in outcomes and outcomes[dep].status != "applied"]
        if failed:
            return Outcome(step, "skipped", f"depends on {', '.join(failed)}, which did not apply")
        async with limit:
            started = time.monotonic()
            try:
                for request in step.requests:
                    await client.request(request.method, request.path, request.body)
            except StatsyncError as exc:
                return Outcome(step, "failed", str(exc), time.monotonic() - started)
            return Outcome(step, "applied", duration=time.monotonic() - started)

    while sorter.is_active():
        ready = sorter.get_ready()
        for outcome in await asyncio.gather(*(run(steps[address]) for address in ready)):
            outcomes[outcome.step.address] = outcome
            if on_outcome:
                on_outcome(outcome)
            sorter.done(outcome.step.address)
    return [outcomes[step.address] for step in plan.steps]
