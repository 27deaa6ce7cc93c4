"""Apply against the served emulator with faults on: it converges, never duplicates,
never exceeds the rate limit, and survives being killed halfway."""
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.e2e.served import ServedEmulator, statsync

KEY = "console-e2e-faults-key"
ENV = {"STATSIG_CONSOLE_API_KEY": KEY}


def write_project(root: Path, gates: int, configs: int, settings: str = "") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "statsync.yaml").write_text(settings)
    docs = []
    for i in range(gates):
        rules = [{"name": "Staff", "passPercentage": 100,
                  "conditions": [{"type": "email", "operator": "str_contains_any", "targetValue": ["@example.com"]}]},
                 {"name": "Rollout", "passPercentage": (i * 7) % 100, "conditions": [{"type": "public"}]}]
        if i % 10 and i >= 10:  # most gates build on an earlier one
            rules[0]["conditions"].append({"type": "passes_gate", "targetValue": f"gate_{i - i % 10:04}"})
        docs.append({"kind": "gate", "id": f"gate_{i:04}", "description": f"gate {i}", "rules": rules})
    for i in range(configs):
        docs.append({"kind": "dynamic_config", "id": f"config_{i:04}", "defaultValue": {"size": i, "on": True},
                     "rules": [{"name": "Big", "passPercentage": 50, "conditions": [
                         {"type": "passes_gate", "targetValue": f"gate_{i % gates:04}"}], "returnValue": {"size": 10 * i}}]})
    (root / "objects.yaml").write_text("".join("---\n" + json.dumps(doc) + "\n" for doc in docs))
    return root


def log_times(emulator: ServedEmulator) -> list[float]:
    return [float(m.group(1)) for m in re.finditer(r"^(\d+\.\d+) [A-Z]+ ", emulator.output, re.M)]


def max_in_window(times: list[float], seconds: float) -> int:
    best, start = 0, 0
    for end, at in enumerate(times):
        while times[start] <= at - seconds:
            start += 1
        best = max(best, end - start + 1)
    return best


def test_300_objects_converge_under_5xx_429_and_drops(tmp_path):
    limits = "rate_limit: {requests_per_10s: 200, mutations_per_15m: 5000}\napply: {parallelism: 8}\n"
    project = write_project(tmp_path / "repo", gates=200, configs=100, settings=limits)
    scripted = [arg for n in (5, 40, 41, 90) for arg in ("--fault", f"POST /gates {n} 429")]
    emulator = ServedEmulator(tmp_path / "state.json", tmp_path / "emulator.log", "--seed", "5",
                              "--error-rate", "0.2", "--drop-rate", "0.1", "--rate-limit",
                              "--requests-per-10s", "200", "--mutations-per-15m", "5000", *scripted)
    try:
        url = ["--api-url", emulator.url]
        first = statsync("apply", str(project), *url, "--auto-approve", "--allow-creates", "300", env=ENV, timeout=600)
        assert first.returncode == 0, first.stdout[-3000:] + first.stderr
        assert re.search(r"Apply finished: 300 applied \(\d+ API requests, \d+ retried, after \d+ read\(s\) to plan\)",
                         first.stdout)
        # change a quarter of them, still under faults: no change is lost
        text = (project / "objects.yaml").read_text()
        (project / "objects.yaml").write_text(re.sub(r'"description": "gate (\d*[05])"', r'"description": "gate \1 v2"', text))
        second = statsync("apply", str(project), *url, "--auto-approve", env=ENV, timeout=600)
        assert second.returncode == 0, second.stdout[-3000:] + second.stderr
        assert "Apply finished: 40 applied" in second.stdout
        clean = statsync("plan", str(project), *url, "--detailed-exitcode", env=ENV, timeout=300)
        assert clean.returncode == 0, clean.stdout[-2000:]
    finally:
        emulator.stop()
    state = json.loads((tmp_path / "state.json").read_text())["collections"]
    assert sorted(g["id"] for g in state["gates"]) == [f"gate_{i:04}" for i in range(200)]
    assert len(state["dynamic_configs"]) == 100
    assert sum(g["description"].endswith(" v2") for g in state["gates"]) == 40
    output = emulator.output
    assert "[injected]" in output and "[drop-after]" in output and "[drop-before]" in output
    assert "[429]" not in output  # the client paced itself: the rate limiter never had to refuse
    assert max_in_window(log_times(emulator), 10) <= 200


def test_an_apply_killed_halfway_converges_when_run_again(tmp_path):
    project = write_project(tmp_path / "repo", gates=80, configs=0, settings="apply: {parallelism: 1}\n")
    emulator = ServedEmulator(tmp_path / "state.json", tmp_path / "emulator.log", "--latency-ms", "40")
    try:
        env = {**os.environ, **ENV, "NO_COLOR": "1"}
        run = subprocess.Popen([sys.executable, "-m", "statsync", "apply", str(project), "--api-url", emulator.url,
                                "--auto-approve", "--allow-creates", "80"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, env=env)
        deadline = time.monotonic() + 60
        while emulator.output.count("POST /console/v1/gates 201") < 25 and time.monotonic() < deadline:
            time.sleep(0.05)
        run.send_signal(signal.SIGKILL)
        run.wait()
        created = emulator.output.count("POST /console/v1/gates 201")
        assert 25 <= created < 80
        journal = next((project / ".statsync" / "journal").glob("*.ndjson")).read_text().splitlines()
        steps = [json.loads(line) for line in journal if '"type": "step"' in line]
        assert 20 <= len(steps) < 80 and "summary" not in journal[-1]  # it died mid-run, with a true account so far

        again = statsync("apply", str(project), "--api-url", emulator.url, "--auto-approve", env=ENV, timeout=300)
        assert again.returncode == 0, again.stdout[-2000:] + again.stderr
        assert statsync("plan", str(project), "--api-url", emulator.url, "--detailed-exitcode",
                        env=ENV).returncode == 0
    finally:
        emulator.stop()
    state = json.loads((tmp_path / "state.json").read_text())["collections"]
    assert sorted(g["id"] for g in state["gates"]) == [f"gate_{i:04}" for i in range(80)]


def test_the_api_key_never_appears_in_output_logs_plans_or_journals(tmp_path, examples):
    secret = "console-" + "fakeSuperSecret" + "KeyValue1234567890"  # a marker to search for, built not tracked
    emulator = ServedEmulator(tmp_path / "state.json", tmp_path / "emulator.log", "--drop-rate", "0.3", "--seed", "2")
    outputs = []
    try:
        env = {"STATSIG_CONSOLE_API_KEY": secret}
        url = ["--api-url", emulator.url]
        outputs.append(statsync("apply", str(examples), *url, "--auto-approve", env=env))
        path = examples / "gates" / "employees.yaml"
        path.write_text(path.read_text().replace("Everyone", "Anyone"))
        outputs.append(statsync("plan", str(examples), *url, "-t", "nope", env=env))
        outputs.append(statsync("plan", str(examples), *url, "--detailed-exitcode", env=env))
        outputs.append(statsync("apply", str(examples), *url, "--auto-approve", env=env))
        outputs.append(statsync("plan", str(examples), "--api-url", "http://127.0.0.1:9", env=env))
    finally:
        emulator.stop()
    pinned = ServedEmulator(tmp_path / "pinned.json", tmp_path / "pinned.log", "--api-key", "console-other")
    try:
        rejected = statsync("plan", str(examples), "--api-url", pinned.url, env={"STATSIG_CONSOLE_API_KEY": secret})
        assert rejected.returncode == 1
        outputs.append(rejected)
    finally:
        pinned.stop()
    texts = [o.stdout + o.stderr for o in outputs] + [emulator.output, pinned.output]
    texts += [p.read_text() for p in (examples / ".statsync").rglob("*") if p.is_file()]
    texts += [(tmp_path / "state.json").read_text()]
    assert len(texts) > 8
    for text in texts:
        assert secret not in text and "SuperSecretKeyValue" not in text
