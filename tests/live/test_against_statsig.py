"""The end-to-end path against a real, throw-away Statsig project (`pytest -m live`).

Skipped unless STATSYNC_LIVE_API_KEY holds a Console API key for a project that holds
nothing else (STATSYNC_LIVE_API_URL, default https://statsigapi.net). Every object these
tests create has an id starting `statsync_probe_`, and is deleted after."""
from __future__ import annotations

import asyncio
import os
import secrets
from pathlib import Path

import pytest

from tests.e2e.served import statsync

KEY = os.environ.get("STATSYNC_LIVE_API_KEY", "")
URL = os.environ.get("STATSYNC_LIVE_API_URL", "https://statsigapi.net")
pytestmark = [pytest.mark.live, pytest.mark.skipif(not KEY, reason="needs STATSYNC_LIVE_API_KEY (a throw-away project)")]
ENV = {"STATSIG_CONSOLE_API_KEY": KEY}

REPO = """\
kind: gate
id: {prefix}_gate
description: statsync live test
rules:
  - name: Canada 40%
    passPercentage: 40
    conditions: [{{type: country, operator: any, targetValue: [CA]}}]
---
kind: dynamic_config
id: {prefix}_config
defaultValueJson5: |
  // kept as written
  {{title: "Checkout"}}
---
kind: segment
id: {prefix}_segment
type: rule_based
rules:
  - name: Canadians
    passPercentage: 100
    conditions: [{{type: country, operator: any, targetValue: [CA]}}]
"""


def test_the_probe_settles_every_question_and_cleans_up(tmp_path: Path):
    result = statsync("probe", "--api-url", URL, "--out", str(tmp_path / "found"), env=ENV, timeout=600)
    assert "could not delete" not in result.stderr, result.stderr
    assert "unsettled" not in (tmp_path / "found" / "report.md").read_text().replace("| verdict |", "")
    assert KEY not in "".join(path.read_text() for path in (tmp_path / "found").iterdir())


def test_apply_then_plan_is_empty_and_a_rename_keeps_the_rules_salt(tmp_path: Path):
    prefix = f"statsync_probe_{secrets.token_hex(3)}"
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "objects.yaml").write_text(REPO.format(prefix=prefix))
    try:
        applied = statsync("apply", str(repo), "--api-url", URL, "--auto-approve", env=ENV, timeout=600)
        assert applied.returncode == 0, applied.stderr
        again = statsync("plan", str(repo), "--api-url", URL, "--detailed-exitcode", env=ENV, timeout=600)
        assert again.returncode == 0 and "No changes" in again.stdout, again.stdout + again.stderr
        renamed = REPO.format(prefix=prefix).replace("  - name: Canada 40%\n",
                                                     "  - name: Canada rollout\n    previousName: Canada 40%\n")
        (repo / "objects.yaml").write_text(renamed)
        plan = statsync("plan", str(repo), "--api-url", URL, env=ENV, timeout=600)
        assert "(renamed" in plan.stdout, plan.stdout
        assert statsync("apply", str(repo), "--api-url", URL, "--auto-approve", env=ENV, timeout=600).returncode == 0
        after = statsync("plan", str(repo), "--api-url", URL, "--detailed-exitcode", env=ENV, timeout=600)
        assert after.returncode == 0, after.stdout
    finally:
        asyncio.run(delete(f"/gates/{prefix}_gate", f"/dynamic_configs/{prefix}_config", f"/segments/{prefix}_segment"))


async def delete(*paths: str) -> None:
    """Exactly what the test made, nothing else (never a prune of the whole project)."""
    from statsync.api.client import ConsoleClient
    from statsync.api.errors import ApiError

    async with ConsoleClient(URL, KEY) as client:
        for path in paths:
            try:
                await client.request("DELETE", path)
            except ApiError as exc:
                if exc.status != 404:
                    raise
