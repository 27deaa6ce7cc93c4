"""Open a client for the chosen target: `local` (embedded emulator) or a real API."""
from __future__ import annotations

import hashlib
import json
import os
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, AsyncIterator, Callable

from statsync.api.paths import DEFAULT_API_URL
from statsync.config import DEFAULT_KEY_ENV, LOCAL_TARGET, Project
from statsync import secrets
from statsync.errors import StatsyncError

if TYPE_CHECKING:
    from statsync.api.client import ConsoleClient

LOCAL_KEY = "console-local-emulator"
DEFAULT_TIMEOUT = 60.0  # seconds one request may take, retries included
ATTEMPT_TIMEOUT = 20.0  # seconds one attempt may take


@dataclass(frozen=True)
class Connection:
    """What the operator chose on the command line: where to connect and how patiently."""

    target: str | None = None
    api_url: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    allow_hosts: tuple[str, ...] = ()
    on_retry: Callable[[str], None] | None = None
    on_trace: Callable[[str], None] | None = None  # -v: told of every request, key redacted


@asynccontextmanager
async def open_target(project: Project, connection: Connection, respect_review_settings: bool = False
                      ) -> AsyncIterator[tuple[str, ConsoleClient]]:
    """Yield (target name, client). The local emulator's state is saved on exit.

    Where the key goes: --api-url, else the named target's api_url, else STATSIG_API_URL,
    else Statsig. A URL from a file (the target's) must pass `secrets.check_destination`;
    so must every other, since a saved plan may name one too."""
    # the HTTP stack is imported here, not with Connection: offline `validate` never needs it
    import httpx

    from statsync.api.client import ConsoleClient
    from statsync.api.retry import RetryPolicy

    target, api_url, timeout = connection.target, connection.api_url, connection.timeout
    if target == LOCAL_TARGET:
        from statsync.emulator.app import Emulator

        try:
            emulator = Emulator(state=project.state_dir / "local.json")
        except ValueError as exc:  # a damaged state file: say which, and how to start afresh
            raise StatsyncError(f"{exc}; remove it to start the local project afresh") from None
        transport = httpx.ASGITransport(app=emulator.app)
        try:
            async with ConsoleClient("http://local.statsync", LOCAL_KEY, transport=transport,
                                     respect_review_settings=respect_review_settings,
                                     on_trace=connection.on_trace) as client:
                yield LOCAL_TARGET, client
        finally:
            emulator.save()
        return
    where = project.config_file or "statsync.yaml"
    if target is not None:
        if target not in project.targets:
            known = ", ".join([LOCAL_TARGET, *project.targets])
            raise StatsyncError(f"unknown target {target!r}: {where} defines {known}")
        if api_url:
            raise StatsyncError(f"--api-url and --target {target} both say where to send the key; give one")
        config = project.targets[target]
        url, key_env, name, pinned = config.api_url, config.api_key_env, target, config.project_id
        secrets.check_key_env(key_env, f"{where}: targets.{target}")
        chosen_by = f"{where}: targets.{target}.api_url"
    else:
        url = api_url or os.environ.get("STATSIG_API_URL") or DEFAULT_API_URL
        key_env, name, pinned = DEFAULT_KEY_ENV, url, None
        chosen_by = "--api-url" if api_url else "STATSIG_API_URL" if os.environ.get("STATSIG_API_URL") else "default"
    secrets.check_destination(url, chosen_by, secrets.allowed_hosts(connection.allow_hosts))
    key = os.environ.get(key_env, "").strip()
    if not key:
        raise StatsyncError(f"{key_env} is not set: export a Statsig Console API key "
                            f"(or use --target local to try statsync without an account)")
    secrets.check_key(key, key_env)
    # `timeout` bounds one request with its retries; one attempt gets a share of it, so a
    # server that never answers is retried a few times and then reported, not waited on
    retry = RetryPolicy(budget_seconds=timeout)
    async with ConsoleClient(url, key, limits=project.limits, clock=time.time, timeout=min(timeout, ATTEMPT_TIMEOUT),
                             retry=retry, on_retry=connection.on_retry, on_trace=connection.on_trace,
                             respect_review_settings=respect_review_settings) as client:
        budget = _budget_file(project, url)
        client.pacer.remember(_read_json(budget))
        try:
            if pinned is not None:
                await _check_project(client, pinned, name, key_env)
            yield name, client
        finally:
            _write_json(budget, client.pacer.sent_times())


async def _check_project(client: ConsoleClient, pinned: str, target: str, key_env: str) -> None:
    """One request before any other: is the key's project the one the target pins?"""
    answer = await client.request("GET", "/project")
    found = answer.get("data", {}).get("id") if isinstance(answer.get("data"), dict) else None
    if found != pinned:
        raise StatsyncError(f"target {target} is project {pinned!r}, but the key in {key_env} is for project "
                            f"{found!r}; nothing was read or written")


def _budget_file(project: Project, url: str) -> Path:
    """Where the rate-limit budget of one API is kept between runs (never the key)."""
    digest = hashlib.sha256(url.encode()).hexdigest()[:16]
    return project.state_dir / "pacing" / f"{digest}.json"


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_json(path: Path, data: dict) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(data))
        tmp.replace(path)
    except OSError:
        pass  # the budget is an optimisation: losing it only risks a 429, which is retried
