"""Open a client for the chosen target: `local` (embedded emulator) or a real API."""
from __future__ import annotations

import hashlib
import json
import os
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator

import httpx

from statsync.api.client import ConsoleClient
from statsync.api.paths import DEFAULT_API_URL
from statsync.config import DEFAULT_KEY_ENV, LOCAL_TARGET, Project
from statsync import secrets
from statsync.errors import StatsyncError

LOCAL_KEY = "console-local-emulator"


@asynccontextmanager
async def open_target(project: Project, target: str | None, api_url: str | None,
                      respect_review_settings: bool = False,
                      allow_hosts: tuple[str, ...] = ()) -> AsyncIterator[tuple[str, ConsoleClient]]:
    """Yield (target name, client). The local emulator's state is saved on exit.

    Where the key goes: --api-url, else the named target's api_url, else STATSIG_API_URL,
    else Statsig. A URL from a file (the target's) must pass `secrets.check_destination`;
    so must every other, since a saved plan may name one too."""
    if target == LOCAL_TARGET:
        from statsync.emulator.app import Emulator

        emulator = Emulator(state=project.state_dir / "local.json")
        transport = httpx.ASGITransport(app=emulator.app)
        try:
            async with ConsoleClient("http://local.statsync", LOCAL_KEY, transport=transport,
                                     respect_review_settings=respect_review_settings) as client:
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
        url, key_env, name = config.api_url, config.api_key_env, target
        secrets.check_key_env(key_env, f"{where}: targets.{target}")
        chosen_by = f"{where}: targets.{target}.api_url"
    else:
        url = api_url or os.environ.get("STATSIG_API_URL") or DEFAULT_API_URL
        key_env, name = DEFAULT_KEY_ENV, url
        chosen_by = "--api-url" if api_url else "STATSIG_API_URL" if os.environ.get("STATSIG_API_URL") else "default"
    secrets.check_destination(url, chosen_by, secrets.allowed_hosts(allow_hosts))
    key = os.environ.get(key_env, "").strip()
    if not key:
        raise StatsyncError(f"{key_env} is not set: export a Statsig Console API key "
                            f"(or use --target local to try statsync without an account)")
    secrets.check_key(key, key_env)
    async with ConsoleClient(url, key, limits=project.limits, clock=time.time,
                             respect_review_settings=respect_review_settings) as client:
        budget = _budget_file(project, url)
        client.pacer.remember(_read_json(budget))
        try:
            yield name, client
        finally:
            _write_json(budget, client.pacer.sent_times())


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
