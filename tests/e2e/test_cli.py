"""The CLI as a user meets it: the local target, exit codes, one-line errors."""
import json
import subprocess
import sys
import socket

import pytest

from statsync.importer import default_kinds
from tests.conftest import nothing_applied, EXAMPLE_CREATES, EXAMPLE_OBJECTS, EXAMPLE_TESTS
from tests.e2e.served import statsync

KEY = {"STATSIG_CONSOLE_API_KEY": "console-e2e-test-key"}


def test_readme_quickstart_on_the_local_target(examples):
    applied = statsync("apply", str(examples), "--target", "local", "--auto-approve")
    assert applied.returncode == 0, applied.stderr
    state = json.loads((examples / ".statsync" / "local.json").read_text())
    assert len(state["collections"]["experiments"]) == 2
    plan = statsync("plan", str(examples), "--target", "local", "--detailed-exitcode")
    assert plan.returncode == 0 and "No changes" in plan.stdout


def test_validate_reports_ok_and_problems(examples):
    ok = statsync("validate", str(examples))
    assert ok.returncode == 0 and ok.stdout.strip() == f"{EXAMPLE_OBJECTS} object(s) valid, {EXAMPLE_TESTS} test(s)."
    (examples / "gates" / "broken.yaml").write_text("kind: gate\nid: broken_gate\nrules:\n  - name: R\n    passPercentage: 150\n    conditions: []\n")
    bad = statsync("validate", str(examples))
    assert bad.returncode == 1
    assert bad.stderr.splitlines()[0] == f"{examples}/gates/broken.yaml:5:21: rules[0].passPercentage: 150 is greater than the maximum of 100"
    assert "Traceback" not in bad.stderr


def test_plan_without_detailed_exitcode_exits_0_with_changes(examples):
    result = statsync("plan", str(examples), "--target", "local")
    assert result.returncode == 0 and f"{EXAMPLE_CREATES} to create" in result.stdout


def test_apply_refuses_without_a_terminal_or_auto_approve(examples):
    result = statsync("apply", str(examples), "--target", "local")
    assert result.returncode == 1
    assert "stdin is not a terminal (use --auto-approve)" in result.stderr
    state = json.loads((examples / ".statsync" / "local.json").read_text())
    assert nothing_applied(state)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("env, args, expected", [
    ({"STATSIG_CONSOLE_API_KEY": ""}, [], "error: STATSIG_CONSOLE_API_KEY is not set"),
    (KEY, ["--api-url", "http://127.0.0.1:{port}"], "error: cannot reach the Console API at http://127.0.0.1:{port}"),
    (KEY, ["--target", "staging"], "error: unknown target 'staging'"),
])
def test_connection_problems_are_one_line_errors(examples, env, args, expected):
    port = _free_port()
    args = [a.format(port=port) for a in args]
    result = statsync("plan", str(examples), *args, env=env)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(expected.format(port=port)), result.stderr


def plan_against_served(tmp_path, examples, secret: str, *emulator_flags: str):
    """`statsync plan` of the examples against a served emulator started with `emulator_flags`."""
    from tests.e2e.served import ServedEmulator

    served = ServedEmulator(tmp_path / "s.json", tmp_path / "e.log", *emulator_flags)
    try:
        return statsync("plan", str(examples), "--api-url", served.url, env={"STATSIG_CONSOLE_API_KEY": secret})
    finally:
        served.stop()


def test_a_rejected_key_is_a_one_line_error_that_does_not_echo_the_key(tmp_path, examples):
    secret = "console-wrong-but-secret-123"
    result = plan_against_served(tmp_path, examples, secret, "--api-key", "console-the-right-one")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    [line] = lines
    assert line.startswith("error: the Console API key was rejected") and "401" in line
    assert secret not in result.stdout + result.stderr


def test_reference_to_a_gate_missing_everywhere_is_reported_at_plan_time(examples):
    path = examples / "experiments" / "search_ranking.yaml"
    path.write_text(path.read_text() + "targetingGateID: no_such_gate\n")
    result = statsync("plan", str(examples), "--target", "local")
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == (
        f"{path}:22:18: targetingGateID: gate 'no_such_gate' does not exist in the repository or the live project")


def test_help_explains_commands_and_exit_codes():
    result = statsync("plan", "--help")
    assert result.returncode == 0
    assert "--detailed-exitcode" in result.stdout and "2 changes" in result.stdout
    assert statsync("--version").stdout.startswith("statsync, version")


def test_import_writes_files_that_plan_to_no_changes(examples, tmp_path):
    assert statsync("apply", str(examples), "--target", "local", "--auto-approve").returncode == 0
    out = tmp_path / "imported"
    config = str(examples / "statsync.yaml")
    result = statsync("import", "--config", config, "--target", "local", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (f"Imported from local with {len(default_kinds())} list request(s): {EXAMPLE_CREATES} written, "
                                     "0 unchanged, 0 kept, 0 not representable.")  # one page for each kind
    written = {p.relative_to(out).as_posix() for p in out.rglob("*.yaml")}
    assert {"dynamic_configs/checkout_settings.yaml", "dynamic_configs/mobile_home.yaml",
            "autotunes/checkout_cta.yaml", "param_stores/checkout.yaml"} <= written  # <kind plural>/<id>.yaml
    plan = statsync("plan", str(out), "--config", config, "--target", "local", "--detailed-exitcode")
    assert plan.returncode == 0, plan.stdout
    again = statsync("import", "--config", config, "--target", "local", "--out", str(out), "--kind", "gate")
    assert "0 written, 4 unchanged" in again.stdout


def test_validate_online_resolves_references_against_live_objects(examples):
    (examples / "gates" / "employees.yaml").rename(examples / "employees.yaml.off")
    offline = statsync("validate", str(examples))
    assert offline.returncode == 1 and "gate 'employees' does not exist in the repository" in offline.stderr
    online = statsync("validate", str(examples), "--target", "local")
    assert online.returncode == 1 and "does not exist in the repository or the live project" in online.stderr
    (examples / "employees.yaml.off").rename(examples / "gates" / "employees.yaml")
    assert statsync("apply", str(examples), "--target", "local", "--auto-approve").returncode == 0
    (examples / "gates" / "employees.yaml").unlink()  # now only live
    (examples / "tests" / "employees.yaml").unlink()  # a test's subject is compiled from the repository
    result = statsync("validate", str(examples), "--target", "local")
    assert result.returncode == 0 and result.stdout.strip() == \
        f"{EXAMPLE_OBJECTS - 1} object(s) valid, {EXAMPLE_TESTS - 1} test(s)."


def test_a_missing_path_is_reported_before_anything_else():
    result = statsync("plan", "no/such/dir", env={"STATSIG_CONSOLE_API_KEY": ""})
    assert result.returncode == 1 and result.stderr.strip() == "error: no/such/dir: no such file or directory"


def test_a_file_statsync_cannot_write_is_a_one_line_error(examples, tmp_path):
    assert statsync("apply", str(examples), "--target", "local", "--auto-approve").returncode == 0
    blocker = tmp_path / "not_a_dir"
    blocker.write_text("")
    result = statsync("import", "--config", str(examples / "statsync.yaml"), "--target", "local",
                      "--out", str(blocker / "out"))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"error: {blocker}") and "Not a directory" in line


def test_usage_errors_exit_1_never_2_which_means_changes(examples):
    result = statsync("plan", str(examples), "--detailed-exitcode", "--no-such-flag")
    assert result.returncode == 1 and "No such option '--no-such-flag'" in result.stderr


@pytest.mark.parametrize("env, args, coloured", [
    ({"FORCE_COLOR": "1"}, [], True),
    ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, [], False),
    ({"FORCE_COLOR": "1"}, ["--no-color"], False),
    ({"FORCE_COLOR": "1", "NO_COLOR": ""}, [], True),  # an empty NO_COLOR does not count (no-color.org)
])
def test_colour_follows_no_color_force_color_and_the_flag(examples, env, args, coloured):
    import os

    base = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    result = subprocess.run([sys.executable, "-m", "statsync", "plan", str(examples), "--target", "local", *args],
                            capture_output=True, text=True, env={**base, **env}, timeout=60)
    assert result.returncode == 0, result.stderr
    assert ("\x1b[" in result.stdout) == coloured


def test_a_closed_stdout_ends_quietly(examples):
    for number in range(200):  # a plan longer than a pipe's buffer
        (examples / "gates" / f"many_{number}.yaml").write_text(
            f"kind: gate\nid: many_{number}\ndescription: {'x' * 900}\n")
    errors = examples.parent / "stderr.txt"
    with open(errors, "wb") as stderr:
        process = subprocess.Popen([sys.executable, "-m", "statsync", "plan", str(examples), "--target", "local"],
                                   stdout=subprocess.PIPE, stderr=stderr)
        assert process.stdout.read(10) == b"statsync w"
        process.stdout.close()
        process.wait(timeout=60)
    # like `git log | head`: the reader chose to stop; that is neither a traceback nor a failure worth reporting
    assert b"Traceback" not in errors.read_bytes() and b"Exception ignored" not in errors.read_bytes()


def test_a_silent_server_fails_within_the_timeout_with_one_line(examples):
    import threading
    import time

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)  # accepts, never answers
    port = listener.getsockname()[1]
    accepted = []
    threading.Thread(target=lambda: [accepted.append(listener.accept()) for _ in range(64)], daemon=True).start()
    started = time.monotonic()
    result = statsync("plan", str(examples), "--api-url", f"http://127.0.0.1:{port}", "--timeout", "3", env=KEY)
    elapsed = time.monotonic() - started
    listener.close()
    assert result.returncode == 1 and elapsed < 20
    assert result.stderr.strip().splitlines()[-1].startswith(
        f"error: cannot reach the Console API at http://127.0.0.1:{port}: timed out")


def test_retries_are_shown_on_stderr_without_the_key(tmp_path, examples):
    secret = "console-retries-secret-0123456789"
    result = plan_against_served(tmp_path, examples, secret, "--fault", "GET /gates 1 503")
    assert result.returncode == 0, result.stderr
    assert "note: retrying GET /gates in " in result.stderr and "(attempt 2): 503" in result.stderr
    assert secret not in result.stdout + result.stderr


def test_validate_as_json_and_as_github_annotations(examples):
    ok = statsync("validate", str(examples), "--format", "json")
    assert ok.returncode == 0
    assert json.loads(ok.stdout) == {"valid": True, "objects": EXAMPLE_OBJECTS, "tests": EXAMPLE_TESTS, "problems": []}
    (examples / "gates" / "broken.yaml").write_text("kind: gate\nid: broken_gate\nrules:\n  - name: R\n"
                                                    "    passPercentage: 150\n    conditions: []\n")
    bad = statsync("validate", str(examples), "--format", "json", env={"GITHUB_ACTIONS": "true"})
    assert bad.returncode == 1
    [problem] = json.loads(bad.stdout)["problems"]  # JSON stays parseable: no annotations in it
    assert problem == {"file": f"{examples}/gates/broken.yaml", "line": 5, "column": 21,
                       "path": "rules[0].passPercentage", "message": "150 is greater than the maximum of 100"}
    plain = statsync("validate", str(examples), env={"GITHUB_ACTIONS": "true"})
    assert (f"::error file={str(examples).replace(':', '%3A')}/gates/broken.yaml,line=5,col=21::"
            f"rules[0].passPercentage: 150 is greater than the maximum of 100") in plain.stdout.splitlines()


def test_failing_targeting_cases_are_annotated_in_github_actions(examples):
    gate = examples / "gates" / "employees.yaml"
    gate.write_text(gate.read_text().replace("str_contains_any", "str_contains_none"))
    result = statsync("test", str(examples), env={"GITHUB_ACTIONS": "true"})
    assert result.returncode == 1
    assert (f"::error file={examples}/tests/employees.yaml,line=6,col=5::employees_by_email / case 1: expected pass: "
            f"true, got false (rule 'default' decided)") in result.stdout.splitlines()


def test_verbose_traces_every_request_and_retry_and_never_the_key(tmp_path, examples):
    from tests.e2e.served import ServedEmulator

    secret = "console-verbose-secret-0123456789"
    served = ServedEmulator(tmp_path / "s.json", tmp_path / "e.log", "--fault", "GET /gates 1 503")
    try:
        loud = statsync("plan", str(examples), "-v", "--api-url", served.url, env={"STATSIG_CONSOLE_API_KEY": secret})
        quiet = statsync("plan", str(examples), "--api-url", served.url, env={"STATSIG_CONSOLE_API_KEY": secret})
    finally:
        served.stop()
    assert quiet.returncode == 0 and "http:" not in quiet.stderr
    assert loud.returncode == 0, loud.stderr
    traced = [line for line in loud.stderr.splitlines() if line.startswith("http: ")]
    # one line per attempt: the retried read shows twice, its 503 then its 200
    assert f"http: GET {served.url}/console/v1/gates?page=1&limit=100 → 200 in" in loud.stderr
    assert any(line.startswith(f"http: GET {served.url}/console/v1/gates") and "→ 503" in line for line in traced)
    assert "note: retrying GET /gates" in loud.stderr
    assert len(traced) >= 10  # every kind's read
    assert secret not in loud.stdout + loud.stderr


def test_other_yaml_in_the_repository_is_passed_over_unless_paths_are_declared(examples):
    (examples / "docker-compose.yml").write_text('version: "3"\nservices:\n  web:\n    image: nginx\n')
    (examples / "k8s").mkdir()
    (examples / "k8s" / "service.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata: {name: web}\n")
    (examples / "k8s" / "chart.yaml").write_text("{{ if .Values.enabled }}\nkind: Deployment\n{{ end }}\n")
    ok = statsync("validate", str(examples))
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == f"{EXAMPLE_OBJECTS} object(s) valid, {EXAMPLE_TESTS} test(s)."
    assert "passed over 3 YAML file(s) that are not statsync's" in ok.stderr
    listed = statsync("validate", str(examples), "-v")
    assert f"note:   {examples}/k8s/service.yaml" in listed.stderr.splitlines()
    plan = statsync("plan", str(examples), "--target", "local")
    assert plan.returncode == 0 and f"{EXAMPLE_CREATES} to create" in plan.stdout
    # a near-miss of a statsync kind, or a statsync file that is not YAML, is still reported
    (examples / "broken.yaml").write_text("kind: gate\nid: [\n")
    broken = statsync("validate", str(examples))
    assert broken.returncode == 1 and f"{examples}/broken.yaml:3:1: invalid YAML" in broken.stderr
    (examples / "broken.yaml").unlink()
    (examples / "typo.yaml").write_text("kind: gat\nid: typo\n")
    typo = statsync("validate", str(examples))
    assert typo.returncode == 1
    assert f"{examples}/typo.yaml:1:7: kind: unknown kind 'gat' (did you mean 'gate'?)" in typo.stderr
    assert "docker-compose" not in typo.stderr + broken.stderr
    # where statsync.yaml declares `paths:`, every YAML file there must be statsync's
    (examples / "typo.yaml").unlink()
    (examples / "gates" / "values.yaml").write_text("replicas: 3\n")
    declared = statsync("validate", cwd=examples)
    assert declared.returncode == 1 and "gates/values.yaml:1:1: missing `kind`" in declared.stderr


def test_a_directory_without_statsync_objects_says_so(tmp_path):
    (tmp_path / "docker-compose.yml").write_text("services: {}\n")
    for command in (("validate",), ("plan", "--target", "local")):
        result = statsync(*command, str(tmp_path))
        assert result.returncode == 0
        assert f"warning: no statsync objects found in {tmp_path}" in result.stderr


def test_ctrl_c_during_apply_finishes_the_steps_in_flight_and_says_what_is_left(tmp_path, examples):
    import os
    import signal
    from tests.e2e.served import ServedEmulator

    served = ServedEmulator(tmp_path / "s.json", tmp_path / "e.log", "--latency-ms", "300")
    try:
        env = {**os.environ, **KEY, "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"}
        env.pop("GITHUB_ACTIONS", None)
        apply = subprocess.Popen([sys.executable, "-m", "statsync", "apply", str(examples), "--api-url", served.url,
                                  "--auto-approve", "--parallelism", "2"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        lines = []
        for line in apply.stdout:  # the progress: interrupt once two steps are done
            lines.append(line)
            if line.startswith("[2/"):
                apply.send_signal(signal.SIGINT)
                break
        rest, stderr = apply.communicate(timeout=60)
        output = "".join(lines) + rest
        assert apply.returncode == 130, stderr
        assert "interrupted: finishing the steps in flight, starting no more" in stderr
        applied = [line.split()[-1] for line in output.splitlines() if " applied create " in line]
        not_started = [line for line in output.splitlines() if "] skipped " in line]
        assert len(applied) >= 2 and any("not started: interrupted (Ctrl-C)" in line for line in not_started)
        assert f"Interrupted: {len(applied)} step(s) applied, {len(not_started)} not started" in stderr
        # the journal closed with a summary; what was applied is live, the rest plans as creates
        [journal] = (examples / ".statsync" / "journal").glob("*.ndjson")
        summary = json.loads(journal.read_text().splitlines()[-1])
        assert summary["type"] == "summary" and summary["applied"] == len(applied)
        plan = statsync("plan", str(examples), "--api-url", served.url, "--format", "json", env=KEY)
        left = {step["address"] for step in json.loads(plan.stdout)["steps"]}
        assert not left & set(applied)
        assert len(applied) + len({a.split(":")[0] for a in left}) >= EXAMPLE_CREATES
    finally:
        served.stop()
