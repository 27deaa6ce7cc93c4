"""Statsig-like rate limits: sliding windows answered with 429 and Retry-After.

Statsig documents roughly 100 requests per 10 s and 900 mutations per 15 min per
project; its newer docs say rejected attempts count too (DIGEST §18.4), so they
do here.
"""
from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass, field

from statsync.emulator.faults import MUTATIONS


@dataclass
class Window:
    limit: int
    seconds: float
    hits: deque = field(default_factory=deque)

    def expire(self, now: float) -> None:
        while self.hits and self.hits[0] <= now - self.seconds:
            self.hits.popleft()

    def full(self) -> bool:
        return len(self.hits) > self.limit

    def free_at(self) -> float:
        """When the window next has room for one more attempt."""
        return self.hits[len(self.hits) - self.limit] + self.seconds


@dataclass
class RateLimit:
    requests: int = 100
    request_seconds: float = 10.0
    mutations: int = 900
    mutation_seconds: float = 900.0
    clock: callable = time.monotonic

    def __post_init__(self) -> None:
        self._all = Window(self.requests, self.request_seconds)
        self._mutations = Window(self.mutations, self.mutation_seconds)

    def check(self, method: str) -> int:
        """Record one attempt; return 0 if allowed, else the Retry-After seconds."""
        now = self.clock()
        windows = [self._all] + ([self._mutations] if method in MUTATIONS else [])
        for window in windows:
            window.expire(now)
            window.hits.append(now)  # rejected attempts count against the window too
        full = [window for window in windows if window.full()]
        if not full:
            return 0
        return max(1, math.ceil(max(window.free_at() for window in full) - now))
