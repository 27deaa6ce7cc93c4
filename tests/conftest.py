"""Shared fixtures: an in-process emulator, a client bound to it, the CLI, paths."""
from __future__ import annotations

import asyncio
import atexit
import os
import re
import shutil
import tempfile
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from statsync.api.client import ConsoleClient
from statsync.cli import main
from statsync.emulator.app import Emulator

# validate's cache (statsync/cache.py) lives in a directory of this run's own, for every test and
# every statsync a test starts, never in the user's ~/.cache
os.environ["STATSYNC_CACHE_DIR"] = _CACHE = tempfile.mkdtemp(prefix="statsync-test-cache-")
atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples" / "configs"
OFFICIAL_SPEC = REPO.parent / "shared" / "statsig-console-api" / "openapi.json"
TEST_KEY = "console-test-key-not-a-secret"
# Objects in examples/configs, counted from the files, not by statsync (tests are not objects).
EXAMPLE_OBJECTS = sum(len(re.findall(r"^kind: (?!test$)", path.read_text(), re.MULTILINE))
                      for path in EXAMPLES.rglob("*.yaml"))
EXAMPLE_TESTS = sum(len(re.findall(r"^kind: test$", path.read_text(), re.MULTILINE)) for path in EXAMPLES.rglob("*.yaml"))
# every project already has its singletons (the environment list, the settings) and its
# first keys: the examples' ones match a new project's, so they are neither created nor updated
EXAMPLE_SINGLETONS = sum(len(re.findall(r"^kind: (environments|\w+_settings|key)$", path.read_text(), re.MULTILINE))
                         for path in EXAMPLES.rglob("*.yaml"))
EXAMPLE_CREATES = EXAMPLE_OBJECTS - EXAMPLE_SINGLETONS
# steps of the first apply: the creates (checkout_button_color is created running, with no
# start of its own), then the layer's overrides (a step of their own)
EXAMPLE_STEPS = EXAMPLE_CREATES + 1


@pytest.fixture(autouse=True)
def _not_in_github_actions(monkeypatch):
    """The suite may run in GitHub Actions; output is checked as a terminal user sees it."""
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)


@pytest.fixture
def emulator() -> Emulator:
    # check_responses: any response that breaks the official spec becomes a 500
    return Emulator(seed=7, check_responses=True)


def client_for(emulator: Emulator, key: str = TEST_KEY) -> ConsoleClient:
    return ConsoleClient("http://emulator.test", key, transport=httpx.ASGITransport(app=emulator.app))


def run(coro):
    return asyncio.run(coro)


@pytest.fixture
def examples(tmp_path: Path) -> Path:
    """A private copy of examples/configs that a test may edit."""
    target = tmp_path / "configs"
    shutil.copytree(EXAMPLES, target, ignore=shutil.ignore_patterns(".statsync"))
    return target


def nothing_applied(state: dict) -> bool:
    """A saved emulator project holds only what a new project starts with (its keys)."""
    from statsync.emulator.entities import NEW_PROJECT_KEYS
    collections = state["collections"]
    return (all(objects == [] for name, objects in collections.items() if name != "keys")
            and sorted(key["description"] for key in collections.get("keys", []))
            == sorted(description for description, _ in NEW_PROJECT_KEYS))


SAFETY = {"max_deletes": 5, "max_changed_percent": 100, "min_managed": 10}


def write(tmp_path: Path, text: str) -> Path:
    """A repository holding `text` as its one YAML file."""
    repo = tmp_path / "repo"
    repo.mkdir(exist_ok=True)
    (repo / "objects.yaml").write_text(text)
    return repo


def plan_apply(emulator: Emulator, repo: Path, apply: bool = True, allow_replace: bool = False, prune: bool = False):
    """(plan, outcomes) for the repository against the emulator, applied unless told not to."""
    from statsync.config import load_project
    from statsync.plan import check_safety
    from statsync.workflow import apply_plan, make_plan, plan_options

    project = load_project((str(repo),))

    async def go():
        async with client_for(emulator) as client:
            plan = await make_plan(project, client, "t", plan_options(project, prune=prune))
            if apply:
                check_safety(plan, SAFETY, allow_replace=allow_replace)
                return plan, await apply_plan(plan, client)
            return plan, []
    return run(go())


@pytest.fixture
def cli():
    runner = CliRunner()

    def invoke(*args: str, env: dict | None = None, input: str | None = None):
        return runner.invoke(main, list(args), env=env, input=input, catch_exceptions=False)

    return invoke
