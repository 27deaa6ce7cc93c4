"""Client-side pacing that matches Statsig's documented rate limits.

Statsig allows roughly 100 requests per 10 s and 900 mutations per 15 min per
project (DIGEST §18.4) and counts rejected attempts too, so a client that waits
for 429s to slow down keeps being rejected. statsync instead keeps its own
sliding windows, with a small margin for clock and network skew, and waits
before sending rather than after failing.
"""
from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Callable

MUTATIONS = ("POST", "PATCH", "PUT", "DELETE")


@dataclass(frozen=True)
class Limits:
    requests: int = 100
    request_seconds: float = 10.0
    mutations: int = 900
    mutation_seconds: float = 900.0
    # extra spacing so arrival-time jitter never pushes the server's window over
    margin_seconds: float = 0.25

    def estimate_seconds(self, requests: int, mutations: int) -> float:
        """Rough lower bound on how long this many requests take at these limits."""
        def windows(count: int, limit: int, seconds: float) -> float:
            return max(0, (count - 1) // limit) * seconds
        return max(windows(requests, self.requests, self.request_seconds),
                   windows(mutations, self.mutations, self.mutation_seconds))


@dataclass
class _Window:
    limit: int
    seconds: float
    sent: deque = field(default_factory=deque)

    def wait(self, now: float, margin: float) -> float:
        while self.sent and self.sent[0] <= now - self.seconds - margin:
            self.sent.popleft()
        if len(self.sent) < self.limit:
            return 0.0
        return self.sent[len(self.sent) - self.limit] + self.seconds + margin - now


class Pacer:
    """Awaits until a request fits every window, then records it (no limits: never waits).

    The windows can be saved and loaded (`sent_times`/`remember`), so that back-to-back
    runs — a plan, then an apply — share one budget as they share Statsig's; the
    clock is then wall time.
    """

    def __init__(self, limits: Limits | None, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], object] = asyncio.sleep):
        self.limits = limits
        self._clock, self._sleep = clock, sleep
        if limits is not None:
            self._all = _Window(limits.requests, limits.request_seconds)
            self._mutations = _Window(limits.mutations, limits.mutation_seconds)
        self._lock = asyncio.Lock()
        self.waited = 0.0  # seconds spent waiting for the budget, for progress and benchmarks
        self.waiting_until: float | None = None  # set while a request waits, for progress display

    def remaining_wait(self) -> float:
        """Seconds until a waiting request may go (0 when none waits)."""
        return max(0.0, self.waiting_until - self._clock()) if self.waiting_until else 0.0

    def sent_times(self) -> dict[str, list[float]]:
        """Recent request times, to carry the budget over to the next run."""
        if self.limits is None:
            return {}
        return {"requests": list(self._all.sent), "mutations": list(self._mutations.sent)}

    def remember(self, saved: dict[str, list[float]]) -> None:
        if self.limits is None:
            return
        now = self._clock()
        for window, key in ((self._all, "requests"), (self._mutations, "mutations")):
            recent = sorted(t for t in saved.get(key, []) if isinstance(t, (int, float)) and now - window.seconds < t <= now)
            window.sent.extend(recent[-window.limit:])

    async def acquire(self, method: str) -> None:
        if self.limits is None:
            return
        windows = [self._all] + ([self._mutations] if method in MUTATIONS else [])
        async with self._lock:  # one waiter at a time keeps the windows exact
            while True:
                now = self._clock()
                wait = max(window.wait(now, self.limits.margin_seconds) for window in windows)
                if wait <= 0:
                    break
                self.waiting_until = now + wait
                self.waited += wait
                await self._sleep(wait)
            self.waiting_until = None
            for window in windows:
                window.sent.append(self._clock())
