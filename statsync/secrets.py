"""The Console API key: where it may be sent, which variables it may be read from,
and keeping it out of every line statsync prints.

A pull request's files (statsync.yaml, a saved plan) are not trusted to choose
where the key goes: they may name a target, but its host must be Statsig's API,
loopback, or a host the operator allowed outside the repository (`--allow-host`
or STATSYNC_ALLOW_HOSTS). The key travels over https only, except to loopback.
`api_key_env` may name only variables matching STATSIG_* unless the operator
allows more (STATSYNC_ALLOW_KEY_ENVS), so a file cannot have CI's GitHub token
sent as a Statsig key.
"""
from __future__ import annotations

import ipaddress
import os
import re
from fnmatch import fnmatchcase
from urllib.parse import urlsplit

from statsync.errors import StatsyncError

# the Console API: the spec's base URL, and the one Statsig's Terraform provider uses (DIGEST §1)
STATSIG_HOSTS = ("statsigapi.net", "api.statsig.com")
ALLOW_HOSTS_ENV = "STATSYNC_ALLOW_HOSTS"
ALLOW_KEY_ENVS_ENV = "STATSYNC_ALLOW_KEY_ENVS"
DEFAULT_KEY_ENVS = ("STATSIG_*",)
# Statsig's key shapes (console-, secret-, client-), so an echo of another key is hidden too
KEY_PATTERN = re.compile(r"\b(console|secret|client)-[A-Za-z0-9]{16,}")


class Refused(StatsyncError):
    """The key would go somewhere the operator did not choose."""


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def allowed_hosts(flags: tuple[str, ...] = ()) -> set[str]:
    """Statsig's hosts, plus those the operator allowed by flag or environment (never by a file)."""
    extra = [h.strip().lower() for h in os.environ.get(ALLOW_HOSTS_ENV, "").split(",") if h.strip()]
    return {*STATSIG_HOSTS, *(h.lower() for h in flags), *extra}


def check_destination(url: str, where: str, allowed: set[str]) -> None:
    """Refuse a URL the key must not be sent to; `where` names who chose it."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("https", "http") or not host:
        raise Refused(f"{where}: {url!r} is not an http(s) URL")
    loopback = _is_loopback(host)
    if parts.scheme != "https" and not loopback:
        raise Refused(f"{where}: refusing to send the API key over plain http to {host}; use https "
                      f"(plain http is allowed only to loopback)")
    if not loopback and host not in allowed:
        raise Refused(f"{where}: refusing to send the API key to {host}: not Statsig's API. Allow it outside "
                      f"the repository with --allow-host {host} or {ALLOW_HOSTS_ENV}={host}")
    if parts.username or parts.password:
        raise Refused(f"{where}: a URL with credentials in it is not accepted")


def check_key_env(name: str, where: str) -> None:
    """`api_key_env` may name only variables the operator allows (default STATSIG_*)."""
    patterns = [*DEFAULT_KEY_ENVS, *(p.strip() for p in os.environ.get(ALLOW_KEY_ENVS_ENV, "").split(",") if p.strip())]
    if not any(fnmatchcase(name, pattern) for pattern in patterns):
        raise Refused(f"{where}: api_key_env {name!r} is not a Statsig key variable; only STATSIG_* may be "
                      f"read unless {ALLOW_KEY_ENVS_ENV} allows it")


def check_key(key: str, env_name: str) -> None:
    """A key a header can carry: printable ASCII, no whitespace (a pasted newline would
    otherwise end up in an exception text, with the key)."""
    if not key.isascii() or not key.isprintable() or any(c.isspace() for c in key):
        raise StatsyncError(f"{env_name} holds characters an HTTP header cannot carry (a newline, a space or "
                            f"non-ASCII text); set it to the key alone")


def redact(text: str, key: str | None = None) -> str:
    """The text with the key, and anything shaped like a Statsig key, replaced."""
    if key:
        text = text.replace(key, "[redacted]")
    return KEY_PATTERN.sub(lambda m: f"{m.group(1)}-[redacted]", text)
