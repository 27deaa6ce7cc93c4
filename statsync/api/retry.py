"""When and how long to retry a failed request.

Retried: 429 (after its Retry-After), 500, 502, 503, 504, timeouts and dropped
connections — with jittered exponential backoff, within a total time budget.
Statsig has no idempotency keys, so a create whose outcome is unknown is checked
with a GET before it is sent again (see ConsoleClient.request).
"""
from __future__ import annotations

import random
from dataclasses import dataclass

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 10  # tries per request, the first included
    connect_attempts: int = 3  # when the API cannot be reached at all, give up sooner
    base_delay: float = 0.5  # seconds before the first retry
    max_delay: float = 30.0  # cap on one backoff
    budget_seconds: float = 300.0  # total time one request may spend retrying

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Full jitter: uniform in [base/2, min(max, base * 2^attempt)] (attempt counts from 1)."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return rng.uniform(min(ceiling, self.base_delay) / 2, ceiling)


NO_RETRIES = RetryPolicy(attempts=1, connect_attempts=1)


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After in seconds (Statsig sends seconds; HTTP dates are not expected)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
