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
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Callable

MUTATIONS = ("POST", "PATCH", "PUT", "DELETE")


@dataclass(frozen=True)
class Limits:
    requests: int = 100
    request_seconds: float = 10.0
    mutations: int = 900
    mutation_seconds: float = 900.0
    # a little slack for clocks (requests are already dated by their answers)
    margin_seconds: float = 0.05

    def estimate_seconds(self, requests: int, mutations: int) -> float:
        """Rough lower bound on how long this many requests take at these limits."""
        def windows(count: int, limit: int, seconds: float) -> float:
            return max(0, (count - 1) // limit) * seconds
        return max(windows(requests, self.requests, self.request_seconds),
                   windows(mutations, self.mutations, self.mutation_seconds))


@dataclass
class _Window:
    """Requests in the last `seconds`: those done (by completion time) and those in flight."""

    limit: int
    seconds: float
    sent: deque = field(default_factory=deque)  # completion times, oldest first
    in_flight: int = 0

    def wait(self, now: float, margin: float) -> float | None:
        """0 if one more request fits now; seconds to wait; None to wait for one in flight."""
        while self.sent and self.sent[0] <= now - self.seconds - margin:
            self.sent.popleft()
        over = len(self.sent) + self.in_flight - self.limit
        if over < 0:
            return 0.0
        if over < len(self.sent):
            return self.sent[over] + self.seconds + margin - now
        return None


class Pacer:
    """Lets a request start only when it fits every window (no limits: never waits).

    Statsig counts a request when it arrives, which is somewhere between our
    send and our receipt of the answer. A request is therefore counted from
    the moment it starts (in flight) and dated when its answer arrives: never
    earlier than Statsig's own count, so the windows cannot overflow however the
    network delays vary, at the cost of about one round trip per window.

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
        self._turn = asyncio.Lock()  # one waiter at a time keeps the order fair
        self._done = asyncio.Event()  # set whenever an in-flight request finishes
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
            times = saved.get(key) if isinstance(saved.get(key), list) else []  # a damaged file is an empty budget
            recent = sorted(t for t in times if isinstance(t, (int, float)) and now - window.seconds < t <= now)
            window.sent.extend(recent[-window.limit:])

    @asynccontextmanager
    async def slot(self, method: str):
        """Hold a place in every window for one request, from start to answer."""
        if self.limits is None:
            yield
            return
        windows = [self._all] + ([self._mutations] if method in MUTATIONS else [])
        async with self._turn:
            while True:
                now = self._clock()
                waits = [window.wait(now, self.limits.margin_seconds) for window in windows]
                if all(wait == 0 for wait in waits):
                    break
                if any(wait is None for wait in waits):
                    self._done.clear()
                    await self._done.wait()  # a request in flight must finish first
                    continue
                wait = max(waits)
                self.waiting_until = now + wait
                self.waited += wait
                await self._sleep(wait)
            self.waiting_until = None
            for window in windows:
                window.in_flight += 1
        try:
            yield
        finally:
            finished = self._clock()
            for window in windows:
                window.in_flight -= 1
                _insert(window.sent, finished)
            self._done.set()

    async def acquire(self, method: str) -> None:
        """Record a request that is sent and answered at once (for tests and simple callers)."""
        async with self.slot(method):
            pass


def _insert(times: deque, value: float) -> None:
    """Keep completion times ordered: answers can arrive out of order."""
    if not times or times[-1] <= value:
        times.append(value)
        return
    items = sorted([*times, value])
    times.clear()
    times.extend(items)
