"""End-to-end fixtures: a `statsync emulator` process on a free loopback port."""
import pytest

from tests.e2e.served import ServedEmulator


@pytest.fixture
def served(tmp_path):
    emulator = ServedEmulator(tmp_path / "state.json", tmp_path / "emulator.log")
    yield emulator
    emulator.stop()
