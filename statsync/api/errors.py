"""Failures talking to the Console API, as one-line messages.

Messages name the request (method and path) and Statsig's own message; they
never carry headers, so the API key cannot leak through them.
"""
from __future__ import annotations

from statsync.errors import StatsyncError


class ApiError(StatsyncError):
    """Statsig answered with an error status."""

    def __init__(self, method: str, path: str, status: int, message: str):
        self.method, self.path, self.status, self.api_message = method, path, status, message
        super().__init__(f"{method} {path}: {status} {message}".rstrip())


class AuthError(ApiError):
    """401/403: the key is missing, wrong, or lacks the permission."""

    def __init__(self, method: str, path: str, status: int, message: str):
        super().__init__(method, path, status, message)
        hint = ("the Console API key was rejected; check STATSIG_CONSOLE_API_KEY (or the target's api_key_env)"
                if status == 401 else "the Console API key lacks permission for this request")
        self.args = (f"{hint}: {method} {path}: {status} {message}".rstrip(),)


class IncompleteList(StatsyncError):
    """A list read whose pages do not add up to the total the answer gave."""


class ConnectionFailed(StatsyncError):
    """The API could not be reached at all (DNS, refused connection, timeout)."""

    def __init__(self, url: str, reason: str):
        self.reason = reason
        super().__init__(f"cannot reach the Console API at {url}: {reason}")
