"""The spine end to end over a real socket: emulator process + CLI subprocesses."""
import json
import signal


from tests.conftest import EXAMPLE_STEPS
from tests.e2e.served import ServedEmulator, statsync

KEY = {"STATSIG_CONSOLE_API_KEY": "console-e2e-test-key"}


def test_apply_plan_change_apply_plan_over_http(served, examples):
    url = ["--api-url", served.url]
    applied = statsync("apply", str(examples), *url, "--auto-approve", env=KEY)
    assert applied.returncode == 0, applied.stderr
    assert f"Apply finished: {EXAMPLE_STEPS} applied (" in applied.stdout

    clean = statsync("plan", str(examples), *url, "--detailed-exitcode", env=KEY)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert clean.stdout.startswith("No changes.")

    path = examples / "gates" / "new_checkout.yaml"
    path.write_text(path.read_text().replace("passPercentage: 25", "passPercentage: 30"))
    changed = statsync("plan", str(examples), *url, "--detailed-exitcode", env=KEY)
    assert changed.returncode == 2
    changes = [line.strip() for line in changed.stdout.splitlines() if line.startswith("    ")]
    assert changes == ["~ rules[Canada and Mexico].passPercentage: 25 → 30"]
    assert "\x1b[" not in changed.stdout  # no colour when not a terminal

    assert statsync("apply", str(examples), *url, "--auto-approve", env=KEY).returncode == 0
    assert statsync("plan", str(examples), *url, "--detailed-exitcode", env=KEY).returncode == 0


def test_emulator_logs_each_request_and_saves_state_on_sigterm(tmp_path, examples):
    emulator = ServedEmulator(tmp_path / "state.json", tmp_path / "emulator.log")
    try:
        assert statsync("apply", str(examples), "--api-url", emulator.url, "--auto-approve", env=KEY).returncode == 0
    finally:
        code = emulator.stop(signal.SIGTERM)
    assert code == 0
    assert "POST /console/v1/gates 201" in emulator.output
    assert "state saved to" in emulator.output
    state = json.loads((tmp_path / "state.json").read_text())
    assert sorted(obj["id"] for obj in state["collections"]["gates"]) == [
        "checkout_v3", "employees", "new_checkout", "search_v2", "search_v2_killswitch"]

    # a restart from the state file serves the same objects: the plan is still empty
    again = ServedEmulator(tmp_path / "state.json", tmp_path / "emulator2.log")
    try:
        plan = statsync("plan", str(examples), "--api-url", again.url, "--detailed-exitcode", env=KEY)
        assert plan.returncode == 0, plan.stdout + plan.stderr
    finally:
        again.stop(signal.SIGINT)
