"""Progress during apply: one line per finished step, and the rate-limit wait.

On a terminal a status line shows steps done and any wait for Statsig's rate
limit, redrawn in place; elsewhere (CI logs) waits are reported as plain lines,
at most every 10 seconds.
"""
from __future__ import annotations

import asyncio
import sys
import time
from contextlib import asynccontextmanager

import click

from statsync.render import printable

MARKS = {"applied": ("✓", "green"), "pending_review": ("…", "cyan"), "conflict": ("!", "magenta"),
         "failed": ("✗", "red"), "skipped": ("-", "yellow")}


class Progress:
    def __init__(self, total: int, pacer, color: bool, stream=None):
        self.total, self.done, self.pacer, self.color = total, 0, pacer, color
        self.stream = stream or sys.stdout
        self.live = color  # redraw a status line only on a terminal
        self._last_wait_note = 0.0

    def step_done(self, outcome) -> None:
        self.done += 1
        symbol, colour = MARKS[outcome.status]
        mark = click.style(symbol, fg=colour) if self.color else outcome.status
        detail = f": {outcome.error}" if outcome.error else ""
        self._clear()
        click.echo(printable(f"[{self.done}/{self.total}] {mark} {outcome.step.action} {outcome.step.address}"
                             f"{detail}", styled=self.color), file=self.stream)

    @asynccontextmanager
    async def running(self):
        task = asyncio.create_task(self._watch())
        try:
            yield self
        finally:
            task.cancel()
            self._clear()

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(0.5)
            wait = self.pacer.remaining_wait()
            if wait <= 0.5:
                continue
            text = f"[{self.done}/{self.total}] waiting {wait:.0f}s for Statsig's rate limit"
            if self.live:
                self.stream.write("\r" + text + "\x1b[K")
                self.stream.flush()
            elif time.monotonic() - self._last_wait_note >= 10:
                self._last_wait_note = time.monotonic()
                click.echo(text, file=self.stream)

    def _clear(self) -> None:
        if self.live:
            self.stream.write("\r\x1b[K")
            self.stream.flush()

    def summary(self, outcomes, client, reads: int = 0) -> str:
        """The outcome, the requests the steps made (checks and writes: what the plan
        announced), and the `reads` made before they started, to plan them."""
        counts = {status: sum(1 for o in outcomes if o.status == status) for status in MARKS}
        parts = [f"{counts['applied']} applied"]
        parts += [f"{counts[s]} {s.replace('_', ' ')}" for s in ("pending_review", "conflict", "failed", "skipped")
                  if counts[s]]
        retries = f", {client.retries} retried" if client.retries else ""
        made = client.request_count - reads
        planning = f", after {reads} read(s) to plan" if reads else ""
        return f"Apply finished: {', '.join(parts)} ({made} API requests{retries}{planning})."
