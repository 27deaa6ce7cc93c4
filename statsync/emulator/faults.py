"""Switchable faults: latency, 5xx answers, dropped connections, scripted failures.

A dropped connection is either *before* the request is handled (nothing
happened) or *after* a mutation was committed (it happened, but the client never
hears so) — the second is what makes a blindly retried create dangerous.
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

import httpx

MUTATIONS = ("POST", "PATCH", "PUT", "DELETE")


class ConnectionDropped(httpx.RemoteProtocolError):
    """Raised inside the app to cut the connection.

    Under uvicorn the response has already started, so the socket is closed
    mid-response; in-process (httpx.ASGITransport) the exception reaches the client
    as the transport error a real drop would be.
    """

    def __init__(self) -> None:
        super().__init__("server disconnected without sending a complete response (emulated fault)")


@dataclass
class Scripted:
    """"Fail the Nth `METHOD path` with STATUS" (or drop it before/after commit)."""

    method: str
    path: str  # under /console/v1, e.g. /gates or /gates/{id}
    nth: int
    outcome: str  # an HTTP status ("503") or "drop-before" / "drop-after"
    seen: int = 0

    @classmethod
    def parse(cls, text: str) -> "Scripted":
        match = re.fullmatch(r"\s*(GET|POST|PATCH|PUT|DELETE)\s+(/\S+)\s+#?(\d+)\s+(\d{3}|drop-before|drop-after)\s*",
                             text, re.IGNORECASE)
        if not match:
            raise ValueError(f"cannot read fault {text!r}: expected 'METHOD /path N STATUS|drop-before|drop-after', "
                             f"e.g. 'POST /gates 3 503'")
        method, path, nth, outcome = match.groups()
        return cls(method.upper(), path.removeprefix("/console/v1"), int(nth), outcome.lower())


@dataclass
class Decision:
    latency: float = 0.0  # seconds
    status: int | None = None  # answer with this error status instead
    drop: str | None = None  # "before" | "after"


@dataclass
class Faults:
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    error_rate: float = 0.0  # share of requests answered 500/502/503/504
    drop_rate: float = 0.0  # share of mutations whose connection is dropped
    drop_after_share: float = 0.5  # of the drops, the share that happen after commit
    scripted: list[Scripted] = field(default_factory=list)
    seed: int | None = None

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def script(self, text: str) -> None:
        self.scripted.append(Scripted.parse(text))

    def decide(self, method: str, template: str) -> Decision:
        decision = Decision(latency=self._latency())
        matching = [rule for rule in self.scripted if rule.method == method and rule.path == template]
        for rule in matching:  # every rule counts every matching request
            rule.seen += 1
        due = next((rule for rule in matching if rule.seen == rule.nth), None)
        if due is not None:
            if due.outcome.startswith("drop-"):
                decision.drop = due.outcome.removeprefix("drop-")
            else:
                decision.status = int(due.outcome)
            return decision
        if self.error_rate and self._random.random() < self.error_rate:
            decision.status = self._random.choice((500, 502, 503, 504))
        elif self.drop_rate and method in MUTATIONS and self._random.random() < self.drop_rate:
            decision.drop = "after" if self._random.random() < self.drop_after_share else "before"
        return decision

    def _latency(self) -> float:
        if not (self.latency_ms or self.jitter_ms):
            return 0.0
        jitter = self._random.uniform(-self.jitter_ms, self.jitter_ms) if self.jitter_ms else 0.0
        return max(0.0, self.latency_ms + jitter) / 1000
