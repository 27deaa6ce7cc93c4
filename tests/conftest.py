"""Shared fixtures: an in-process emulator, a client bound to it, the CLI, paths."""
from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from statsync.api.client import ConsoleClient
from statsync.cli import main
from statsync.emulator.app import Emulator

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples" / "configs"
OFFICIAL_SPEC = REPO.parent / "shared" / "statsig-console-api" / "openapi.json"
TEST_KEY = "console-test-key-not-a-secret"


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


@pytest.fixture
def cli():
    runner = CliRunner()

    def invoke(*args: str, env: dict | None = None, input: str | None = None):
        return runner.invoke(main, list(args), env=env, input=input, catch_exceptions=False)

    return invoke
