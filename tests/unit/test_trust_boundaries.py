"""#13: a pull request's files cannot read the machine (the hostile cases, one line each)."""
import os

import httpx
import pytest

from statsync.errors import InvalidConfig
from statsync.loader import load_paths
from statsync.validate import desired_objects

SEGMENT = "kind: segment\nid: partners\ntype: id_list\nidsFile: {path}\n"


def _repo(tmp_path, ids_file: str):
    repo = tmp_path / "repo"
    (repo / "segments").mkdir(parents=True)
    (repo / "statsync.yaml").write_text("{}\n")
    (repo / "segments" / "partners.yaml").write_text(SEGMENT.format(path=ids_file))
    return repo


@pytest.mark.parametrize("ids_file, reason", [
    ("/proc/self/environ", "outside the repository"),
    ("../../../../../../etc/passwd", "outside the repository"),
    ("/dev/zero", "outside the repository"),
    ("link.txt", "outside the repository"),  # a symlink pointing out
    ("fifo", "not a regular file"),
])
def test_ids_files_stay_inside_the_repository(tmp_path, monkeypatch, ids_file, reason):
    monkeypatch.setenv("STATSIG_CONSOLE_API_KEY", "console-secret-that-must-not-leak")
    repo = _repo(tmp_path, ids_file)
    outside = tmp_path / "secret.txt"
    outside.write_text("console-secret-that-must-not-leak\n")
    (repo / "segments" / "link.txt").symlink_to(outside)
    os.mkfifo(repo / "segments" / "fifo")
    with pytest.raises(InvalidConfig) as refused:
        desired_objects(load_paths([repo]))
    [problem] = refused.value.problems
    assert reason in str(problem) and "partners.yaml:4:10: idsFile" in str(problem)
    assert "console-secret" not in str(problem)


def test_an_ids_file_inside_the_repository_is_read(tmp_path):
    repo = _repo(tmp_path, "../data/partners.txt")
    (repo / "data").mkdir()
    (repo / "data" / "partners.txt").write_text("acme\n# a comment\nglobex\n")
    [segment] = desired_objects(load_paths([repo]))
    assert segment.body["ids"] == ["acme", "globex"]


def test_a_yaml_file_linked_in_from_elsewhere_gains_no_wider_root(tmp_path):
    """The root is found from where the YAML stands in the repository, not where its
    symlink points: a linked-in segment cannot read files beside its real location."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "statsync.yaml").write_text("{}\n")
    (elsewhere / "secret.txt").write_text("console-secret-that-must-not-leak\n")
    (elsewhere / "partners.yaml").write_text(SEGMENT.format(path="../../elsewhere/secret.txt"))
    repo = tmp_path / "repo"
    (repo / "segments").mkdir(parents=True)
    (repo / "statsync.yaml").write_text("{}\n")
    (repo / "segments" / "partners.yaml").symlink_to(elsewhere / "partners.yaml")
    with pytest.raises(InvalidConfig, match="outside the repository"):
        desired_objects(load_paths([repo]))


# --- the key goes only where the operator says -------------------------------------------

# shaped like a Statsig key (console- and 16+ letters or digits), built here so that no
# key-looking literal is tracked in the repository
SECRET = "console-" + "FAKE" + "0123456789" * 2
ANOTHER = "console-" + "ALSOFAKE" + "9876543210"


def _project(tmp_path, target_yaml: str):
    repo = tmp_path / "repo"
    (repo / "gates").mkdir(parents=True)
    (repo / "statsync.yaml").write_text(f"targets:\n  production:\n{target_yaml}")
    (repo / "gates" / "g.yaml").write_text("kind: gate\nid: my_gate\n")
    return repo


class Recorder:
    """Every request any httpx client makes in the test, wherever it was going."""

    def __init__(self, monkeypatch):
        import httpx

        self.seen: list[str] = []
        real = httpx.AsyncHTTPTransport.handle_async_request

        async def record(transport, request):
            self.seen.append(str(request.url))
            return await real(transport, request)
        monkeypatch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", record)


@pytest.mark.parametrize("target_yaml, extra_env, expected", [
    ("    api_url: https://collector.example\n", {},
     "statsync.yaml: targets.production.api_url: refusing to send the API key to collector.example: "
     "not Statsig's API. Allow it outside the repository with --allow-host collector.example"),
    ("    api_url: http://statsigapi.net\n", {},
     "refusing to send the API key over plain http to statsigapi.net"),
    ("    api_url: http://collector.example\n", {"STATSYNC_ALLOW_HOSTS": "collector.example"},
     "refusing to send the API key over plain http to collector.example"),
    ("    api_url: https://statsigapi.net\n    api_key_env: INPUT_GITHUB_TOKEN\n", {"INPUT_GITHUB_TOKEN": "ghs_x"},
     "statsync.yaml: targets.production: api_key_env 'INPUT_GITHUB_TOKEN' is not a Statsig key variable"),
    ("    api_url: https://user:pw@statsigapi.net\n", {}, "a URL with credentials in it is not accepted"),
])
def test_a_pull_requests_statsync_yaml_cannot_send_the_key_elsewhere(tmp_path, monkeypatch, target_yaml,
                                                                    extra_env, expected):
    from click.testing import CliRunner

    from statsync.cli import main

    repo = _project(tmp_path, target_yaml)
    recorder = Recorder(monkeypatch)
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(main, ["plan", "--target", "production"],
                                env={"STATSIG_CONSOLE_API_KEY": SECRET, **extra_env})
    assert result.exit_code == 1 and result.exception is None or isinstance(result.exception, SystemExit)
    [line] = result.output.strip().splitlines()
    assert expected in line and SECRET not in result.output
    assert recorder.seen == []  # refused before any connection


def test_a_host_allowed_by_the_operator_is_used(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from statsync.cli import main

    repo = _project(tmp_path, "    api_url: https://statsig-proxy.internal.example\n")
    recorder = Recorder(monkeypatch)
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(main, ["plan", "--target", "production", "--allow-host",
                                       "statsig-proxy.internal.example"], env={"STATSIG_CONSOLE_API_KEY": SECRET})
    assert "cannot reach the Console API at https://statsig-proxy.internal.example" in result.output
    assert recorder.seen and all(url.startswith("https://statsig-proxy.internal.example/") for url in recorder.seen)


def test_a_saved_plan_cannot_point_the_key_at_another_host(tmp_path, monkeypatch):
    import json

    from click.testing import CliRunner

    from statsync.cli import main

    repo = _project(tmp_path, "    api_url: https://statsigapi.net\n")
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"format_version": 1, "target": "https://collector.example", "steps": [],
                                "options": {"paths": [], "config": None}}))
    recorder = Recorder(monkeypatch)
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(main, ["apply", "--plan", str(plan)], env={"STATSIG_CONSOLE_API_KEY": SECRET})
    assert result.exit_code == 1
    assert "refusing to send the API key to collector.example" in result.output and recorder.seen == []


@pytest.mark.parametrize("key", ["console-abc\nInjected: header", "console-clé", "console-a b"])
def test_a_key_a_header_cannot_carry_is_one_line_without_the_key(tmp_path, monkeypatch, key):
    from click.testing import CliRunner

    from statsync.cli import main

    repo = _project(tmp_path, "    api_url: https://statsigapi.net\n")
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(main, ["plan", "--target", "production"], env={"STATSIG_CONSOLE_API_KEY": key})
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "error: STATSIG_CONSOLE_API_KEY holds characters an HTTP header cannot carry (a newline, a space or "
        "non-ASCII text); set it to the key alone"]


# --- answers are checked, and never echo the key -------------------------------------------

def _client(handler):
    import httpx

    from statsync.api.client import ConsoleClient
    from statsync.api.retry import RetryPolicy

    return ConsoleClient("https://statsigapi.net", SECRET, transport=httpx.MockTransport(handler),
                         retry=RetryPolicy(attempts=2, base_delay=0.001, max_delay=0.001))


def _request(handler, method="POST", path="/gates", body=None):
    import asyncio

    async def go():
        async with _client(handler) as client:
            return await client.request(method, path, body or {"id": "g"})
    return asyncio.run(go())


@pytest.mark.parametrize("answer, expected", [
    (lambda r: __import__("httpx").Response(200, text="<html>Sign in</html>", headers={"content-type": "text/html"}),
     "POST /gates: 200 answered 200 with text/html, not the Console API's JSON"),
    (lambda r: __import__("httpx").Response(301, headers={"location": "https://collector.example/gates"}),
     "POST /gates: 301 answered with a redirect to https://collector.example/gates; not followed"),
    (lambda r: __import__("httpx").Response(200, json=["not", "an", "envelope"]),
     "POST /gates: 200 answered 200 without the Console API's envelope"),
])
def test_an_answer_that_is_not_the_api_is_an_error_not_an_applied_change(answer, expected):
    from statsync.api.errors import ApiError

    with pytest.raises(ApiError) as failed:
        _request(answer)
    assert str(failed.value).startswith(expected)


@pytest.mark.parametrize("status, body", [
    (401, {"message": f"Invalid key {SECRET}"}),
    (500, f"upstream said: headers={{'STATSIG-API-KEY': '{SECRET}'}}\nand another {ANOTHER}"),
])
def test_error_bodies_that_echo_the_key_are_redacted(status, body):
    import httpx

    from statsync.api.errors import ApiError

    def answer(request):
        return httpx.Response(status, json=body) if isinstance(body, dict) else httpx.Response(status, text=body)
    with pytest.raises(ApiError) as failed:
        _request(answer, method="GET", path="/gates")
    text = str(failed.value)
    assert SECRET not in text and ANOTHER not in text and "[redacted]" in text
    assert "\n" not in text


# --- hostile input ends in one line ----------------------------------------------------------

def _validate_text(tmp_path, text):
    from click.testing import CliRunner

    from statsync.cli import main

    path = tmp_path / "objects.yaml"
    path.write_text(text)
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    return [line.replace(f"{path}:", "") for line in result.output.strip().splitlines()]


def test_an_alias_bomb_is_refused_naming_the_anchor(tmp_path):
    text = 'kind: gate\nid: bomb_gate\na: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for previous, name in zip("abcdefgh", "bcdefghi"):
        text += f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]\n"
    assert len(text) < 600  # 9^9 values once expanded
    lines = _validate_text(tmp_path, text)
    assert lines[0].endswith("aliases of the anchor here expand this document past 100000 values; refused "
                             "(a YAML alias bomb?)")
    assert lines[-1] == "1 problem found."


def test_aliases_within_reason_still_work(tmp_path):
    from statsync.loader import load_text

    [document] = load_text("a: &c {type: public}\nb: [*c, *c]\n", "f.yaml")
    assert document.data == {"a": {"type": "public"}, "b": [{"type": "public"}, {"type": "public"}]}


@pytest.mark.parametrize("depth, expected", [
    (995, "3:104: nested deeper than 100 levels"),
    (100_000, "3:1003: invalid YAML: exceeded maximum nesting depth"),
])
def test_deep_nesting_is_one_line(tmp_path, depth, expected):
    lines = _validate_text(tmp_path, "kind: gate\nid: deep_gate\nx: " + "[" * depth + "]" * depth + "\n")
    assert lines == [expected, "1 problem found."]


def test_yaml_1_1_readings_that_change_a_value_are_errors_suggesting_quotes(tmp_path):
    lines = _validate_text(tmp_path, """kind: gate
id: numbers_gate
rules:
  - name: r
    passPercentage: .inf
    conditions:
      - type: app_version
        operator: version_gt
        targetValue: [1.10, 0x10, 017, 1:30, 1_000, "1.10", 4.2, 12]
""")
    assert lines == [
        '5:21: .inf is not a finite number (JSON cannot carry it); quote it (".inf") if you mean text',
        '9:23: YAML reads 1.10 as the number 1.1, which compares differently from the text (a version 1.10 is '
        'not 1.1); quote it ("1.10")',
        '9:29: YAML reads 0x10 as the number 16; quote it ("0x10") to keep the text, or write 16',
        '9:35: YAML reads 017 as the number 15; quote it ("017") to keep the text, or write 15',
        '9:40: YAML reads 1:30 as the number 90; quote it ("1:30") to keep the text, or write 90',
        '9:46: YAML reads 1_000 as the number 1000; quote it ("1_000") to keep the text, or write 1000',
        "6 problems found.",
    ]


@pytest.mark.parametrize("kind", ["tag", "unit_id_type", "target_app"])
@pytest.mark.parametrize("name", [".", "..", "a/b", "a\\\\b"])
def test_names_of_name_addressed_kinds_must_be_path_segments(tmp_path, kind, name):
    lines = _validate_text(tmp_path, f'kind: {kind}\nid: "{name}"\n')
    assert lines[0].startswith("2:5: id: ") and "cannot be a name: Statsig addresses it in a URL path" in lines[0]


@pytest.mark.parametrize("name", ["../../outside", ".hidden", "a/b", "..", "tab\there"])
def test_import_writes_only_inside_out_whatever_the_live_name(tmp_path, name):
    from statsync.importer import write_all

    out = tmp_path / "out"
    live = {"tag": {name: {"name": name, "description": "", "isCore": False}}}
    result = write_all(live, out, lenient=True)
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert all(p.resolve().is_relative_to((out / "tags").resolve()) for p in written)
    if name == ".hidden":  # a valid name, in a file the loader will not skip as hidden
        assert [p.name for p in written] == ["hidden-" + __import__("hashlib").sha256(b".hidden").hexdigest()[:8]
                                             + ".yaml"] and not result.not_round_tripping
    else:  # a name statsync could not address: reported, never written
        assert written == [] and result.skipped == [f"tag.{name}"]


# --- skips are visible, and never pruned ----------------------------------------------------

def test_objects_in_skipped_files_are_listed_and_never_pruned(emulator, tmp_path):
    from click.testing import CliRunner

    from statsync.cli import main
    from tests.conftest import plan_apply

    everything = tmp_path / "everything"
    everything.mkdir()
    (everything / "all.yaml").write_text("".join(f"---\nkind: gate\nid: {name}\n" for name in
                                                 ("kept_gate", "upper_gate", "hidden_gate", "linked_gate")))
    plan_apply(emulator, everything)

    repo = tmp_path / "repo"
    (repo / "gates").mkdir(parents=True)
    (repo / "gates" / "kept.yaml").write_text("kind: gate\nid: kept_gate\n")
    (repo / "gates" / "upper.YAML").write_text("kind: gate\nid: upper_gate\n")
    (repo / ".drafts").mkdir()
    (repo / ".drafts" / "hidden.yaml").write_text("kind: gate\nid: hidden_gate\n")
    (repo / ".github").mkdir()
    (repo / ".github" / "ci.yml").write_text("on: push\njobs: {}\n")  # not statsync's: not listed
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "linked.yaml").write_text("kind: gate\nid: linked_gate\n")
    (repo / "linked").symlink_to(shared, target_is_directory=True)

    plan, _ = plan_apply(emulator, repo, apply=False, prune=True)
    assert plan.steps == []  # nothing deleted
    assert {(k.address, k.reason) for k in plan.kept} == {
        ("gate.upper_gate", f"its file {repo}/gates/upper.YAML was skipped (its extension .YAML is not lower-case "
                            f".yaml or .yml)"),
        ("gate.hidden_gate", f"its file {repo}/.drafts/hidden.yaml was skipped (in a hidden directory)"),
        ("gate.linked_gate", f"its file {repo}/linked/linked.yaml was skipped (in a symlinked directory, which is "
                             f"not followed)"),
    }
    result = CliRunner().invoke(main, ["validate", str(repo)])
    assert result.exit_code == 0
    warnings = [line for line in result.output.splitlines() if line.startswith("warning: skipped")]
    assert len(warnings) == 3 and all("not managed: gate." in w for w in warnings)
    assert not any("ci.yml" in w for w in warnings)


# --- concurrent writers are reported, never silently overwritten --------------------------

def test_a_write_after_ours_is_found_by_the_verification_read_naming_the_editor(emulator, tmp_path):
    import httpx

    from statsync.config import load_project
    from statsync.workflow import apply_plan, make_plan, plan_options, verify_applied
    from tests.conftest import TEST_KEY, client_for, run, write

    repo = write(tmp_path, "kind: gate\nid: raced_gate\ndescription: ours\n---\nkind: gate\nid: calm_gate\n")
    project = load_project((str(repo),))

    async def go():
        async with client_for(emulator) as client:
            options = plan_options(project)
            outcomes = await apply_plan(await make_plan(project, client, "t", options), client)
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator.app),
                                         base_url="http://emulator.test") as console:
                await console.patch("/console/v1/gates/raced_gate", json={"description": "theirs"},
                                    headers={"STATSIG-API-KEY": TEST_KEY,
                                             "X-Emulator-Console-User": "Grace Hopper <grace@example.com>"})
            return await verify_applied(project, client, "t", options, outcomes)
    assert run(go()) == ["gate.raced_gate: changed by Grace Hopper after this apply wrote it, version 2: "
                         "description; not overwritten — plan again to see their change"]


def test_a_write_between_our_check_and_our_write_is_reported_not_silently_lost(emulator, tmp_path):
    """The check-then-write window is one round trip: a console edit landing in it is
    overwritten by our PATCH (the verification read then sees the file's value and cannot
    tell). The PATCH's answer can: its version is two past the one just read."""
    from statsync.config import load_project
    from statsync.workflow import apply_plan, make_plan
    from tests.conftest import client_for, run, write

    repo = write(tmp_path, "kind: gate\nid: raced_gate\ndescription: ours\n")
    emulator.console_create("gates", {"id": "raced_gate", "description": "before"})
    project = load_project((str(repo),))
    inner = emulator.app

    async def between(scope, receive, send):  # a console edit lands just before our PATCH is handled
        if scope.get("method") == "PATCH" and scope.get("path") == "/console/v1/gates/raced_gate":
            emulator.console_edit("gates", "raced_gate", {"description": "theirs"}, name="Grace Hopper")
        await inner(scope, receive, send)

    async def go():
        async with client_for(emulator) as client:
            client._http._transport = httpx.ASGITransport(app=between)
            return await apply_plan(await make_plan(project, client, "t"), client)
    [outcome] = run(go())
    assert outcome.status == "applied" and outcome.raced == (
        "gate.raced_gate: another writer changed it between this run's check and its write (version 1 → 3, one "
        "write expected); their change may be overwritten — see the object's history in the console")
    assert outcome.record()["raced"] == outcome.raced  # journaled


def test_an_apply_alone_is_not_called_a_race(emulator, tmp_path):
    from tests.conftest import plan_apply, write

    emulator.console_create("gates", {"id": "calm", "description": "before"})
    repo = write(tmp_path, "kind: gate\nid: calm\ndescription: ours\nstatus: Launched\n")
    plan, outcomes = plan_apply(emulator, repo)
    assert [step.action for step in plan.steps] == ["update", "launch"]
    assert all(outcome.ok and not outcome.raced for outcome in outcomes)


def test_a_second_apply_to_the_same_target_from_this_machine_is_refused(examples):
    from click.testing import CliRunner

    from statsync.cli import main
    from statsync.lock import apply_lock

    with apply_lock(examples / ".statsync", "local"):
        result = CliRunner().invoke(main, ["apply", str(examples), "--target", "local", "--auto-approve"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"error: another apply to local is running on this machine (pid {__import__('os').getpid()}); "
        f"nothing was applied — wait for it to finish"]
    again = CliRunner().invoke(main, ["apply", str(examples), "--target", "local", "--auto-approve"])
    assert again.exit_code == 0, again.output  # the lock went with its holder


# --- bounded time ------------------------------------------------------------------------------

def _independent_creates(count: int):
    from statsync.plan import ApiRequest, Plan, Step

    return Plan("t", [Step("create", "gate", f"gate_{i}", [], [ApiRequest("POST", "/gates", {"id": f"gate_{i}"})])
                      for i in range(count)])


def test_no_step_starts_after_the_deadline_and_each_says_so(emulator, tmp_path):
    import time

    from statsync.executor import ApplyOptions, execute
    from statsync.journal import Journal
    from tests.conftest import client_for, run

    journal = Journal(tmp_path / "journal", "t")

    async def go():
        async with client_for(emulator) as client:
            return await execute(_independent_creates(5), client,
                                 ApplyOptions(journal=journal, deadline=time.monotonic() - 1))
    outcomes = run(go())
    journal.close()
    assert {(o.status, o.error) for o in outcomes} == {("skipped", "not started: the run's deadline (--deadline) passed")}
    records = [line for line in journal.path.read_text().splitlines() if '"type": "step"' in line]
    assert len(records) == 5 and all("deadline" in line for line in records)


def test_the_circuit_breaker_stops_starting_steps_after_repeated_unreachable_failures():
    import asyncio

    import httpx

    from statsync.api.client import ConsoleClient
    from statsync.api.retry import RetryPolicy
    from statsync.executor import ApplyOptions, execute

    def unreachable(request):
        raise httpx.ConnectError("connection refused")

    async def go():
        client = ConsoleClient("https://statsigapi.net", SECRET, transport=httpx.MockTransport(unreachable),
                               retry=RetryPolicy(attempts=1, connect_attempts=1))
        async with client:
            return await execute(_independent_creates(8), client, ApplyOptions(parallelism=1, breaker=3))
    outcomes = asyncio.run(go())
    assert [o.status for o in outcomes] == ["failed"] * 3 + ["skipped"] * 5
    assert outcomes[-1].error == "not started: the Console API could not be reached for 3 steps in a row"


def test_a_full_disk_stops_the_run_with_whole_journal_lines_and_one_line_saying_so(emulator, tmp_path):
    """#13: disk full mid-apply was a traceback and a truncated journal line."""
    import errno
    import json

    from statsync.config import load_project
    from statsync.executor import ApplyOptions
    from statsync.journal import Journal
    from statsync.workflow import apply_plan, make_plan
    from tests.conftest import client_for, run, write

    repo = write(tmp_path, "".join(f"---\nkind: gate\nid: gate_{n}\n" for n in range(6)))
    journal = Journal(tmp_path / "journal", "t")
    real, writes = journal._file, []

    class FillsUp:  # the disk fills during the third step's record, part of it already written
        def write(self, data):
            writes.append(data)
            if len(writes) == 3:
                real.write(data[: len(data) // 2])
                raise OSError(errno.ENOSPC, "No space left on device")
            return real.write(data)

        def __getattr__(self, name):
            return getattr(real, name)
    journal._file = FillsUp()

    async def go():
        async with client_for(emulator) as client:
            plan = await make_plan(load_project((str(repo),)), client, "t")
            return await apply_plan(plan, client, ApplyOptions(parallelism=1, journal=journal))
    outcomes = run(go())
    journal.close()
    assert journal.failed == f"cannot write the journal {journal.path}: No space left on device"
    assert [o.status for o in outcomes] == ["applied"] * 3 + ["skipped"] * 3
    assert outcomes[-1].error == f"not started: {journal.failed}"
    lines = journal.path.read_text().splitlines()
    assert [json.loads(line)["type"] for line in lines] == ["start", "step", "step"]  # whole lines only
