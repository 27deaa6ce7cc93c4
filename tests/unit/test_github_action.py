"""The GitHub Action's script, with a faked event and a faked GitHub API (no network)."""
import json
import re
import shutil

import httpx
import pytest

from statsync.github_action import DRIFT_LABEL, run
from statsync.render.markdown import MARKER
from tests.conftest import nothing_applied, EXAMPLES, EXAMPLE_CREATES


class FakeGitHub:
    """Just enough of the REST API: issue comments and issues, in memory."""

    def __init__(self):
        self.comments: dict[int, dict] = {}
        self.issues: dict[int, dict] = {}
        self.calls: list[tuple[str, str]] = []
        self.auth: set[str] = set()

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.calls.append((request.method, request.url.path))
        self.auth.add(request.headers.get("authorization", ""))
        parts = request.url.path.strip("/").split("/")  # repos/o/r/issues/...
        body = json.loads(request.content) if request.content else {}
        if parts[3:] == ["issues"] and request.method == "GET":
            label = request.url.params.get("labels")
            found = [i for i in self.issues.values() if i["state"] == "open" and label in i["labels"]]
            return httpx.Response(200, json=found)
        if parts[3:] == ["issues"] and request.method == "POST":
            number = 100 + len(self.issues)
            self.issues[number] = {"number": number, "state": "open", "labels": body["labels"], "body": body["body"],
                                   "title": body["title"]}
            return httpx.Response(201, json=self.issues[number])
        if parts[3] == "issues" and parts[4:5] == ["comments"] and request.method == "PATCH":
            self.comments[int(parts[5])]["body"] = body["body"]
            return httpx.Response(200, json=self.comments[int(parts[5])])
        if parts[3] == "issues" and parts[5:] == ["comments"]:
            number = int(parts[4])
            if request.method == "GET":
                return httpx.Response(200, json=[c for c in self.comments.values() if c["issue"] == number])
            comment_id = 5000 + len(self.comments)
            self.comments[comment_id] = {"id": comment_id, "issue": number, "body": body["body"]}
            return httpx.Response(201, json=self.comments[comment_id])
        if parts[3] == "issues" and len(parts) == 5 and request.method == "PATCH":
            self.issues[int(parts[4])].update(body)
            return httpx.Response(200, json=self.issues[int(parts[4])])
        return httpx.Response(404, json={"message": "Not Found"})


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLES, repo, ignore=shutil.ignore_patterns(".statsync"))
    monkeypatch.chdir(repo)
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"action": "synchronize", "number": 7, "pull_request": {"number": 7}}))
    outputs = tmp_path / "outputs.txt"
    outputs.write_text("")
    env = {"PATH": "/usr/bin:/bin", "GITHUB_REPOSITORY": "acme/flags", "GITHUB_API_URL": "https://api.github.test",
           "GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(event), "GITHUB_OUTPUT": str(outputs),
           "INPUT_GITHUB_TOKEN": "ghs_faketoken", "INPUT_PATH": ".", "INPUT_TARGET": "local"}
    return repo, env, outputs


def outputs_of(path):
    return dict(line.split("=", 1) for line in path.read_text().splitlines())


def test_plan_posts_one_sticky_comment_and_updates_it_on_the_next_push(workspace, capsys):
    repo, env, outputs = workspace
    github = FakeGitHub()
    transport = httpx.MockTransport(github.handler)
    assert run({**env, "INPUT_COMMAND": "plan"}, transport) == 0
    [comment] = github.comments.values()
    assert comment["issue"] == 7 and comment["body"].startswith(MARKER)
    assert f"**{EXAMPLE_CREATES} to create, 0 to update, 0 to delete**" in comment["body"]
    assert outputs_of(outputs)["has_changes"] == "true"
    assert (repo / "statsync-plan.json").exists()
    assert github.auth == {"Bearer ghs_faketoken"}

    # the merge-time apply of the reviewed plan (its result is a comment of its own, and
    # has_changes says something was applied), then the next push's plan: same comment, updated
    assert run({**env, "INPUT_COMMAND": "apply"}, transport) == 0
    assert outputs_of(outputs)["has_changes"] == "true"
    assert run({**env, "INPUT_COMMAND": "plan"}, transport) == 0
    [sticky] = [c for c in github.comments.values() if c["body"].startswith(MARKER)]
    [applied] = [c for c in github.comments.values() if not c["body"].startswith(MARKER)]
    assert "**No changes.**" in sticky["body"]
    assert applied["body"].startswith(f"### :white_check_mark: statsync apply to `local`: {EXAMPLE_CREATES + 1} applied")
    assert "- `gate.new_checkout` create: **applied**" in applied["body"]
    assert ("PATCH", "/repos/acme/flags/issues/comments/5000") in github.calls
    assert outputs_of(outputs)["has_changes"] == "false"
    assert "updated the plan comment on #7" in capsys.readouterr().out
    # applying again: nothing to apply, and has_changes says so
    assert run({**env, "INPUT_COMMAND": "apply", "INPUT_PLAN_FILE": "none.json", "INPUT_ALLOW_UNREVIEWED": "true"},
               transport) == 0
    assert outputs_of(outputs)["has_changes"] == "false"


def test_apply_uses_the_reviewed_plan_and_refuses_if_files_changed(workspace):
    repo, env, outputs = workspace
    transport = httpx.MockTransport(FakeGitHub().handler)
    assert run({**env, "INPUT_COMMAND": "plan"}, transport) == 0
    path = repo / "gates" / "employees.yaml"
    path.write_text(path.read_text().replace("Everyone", "Anyone"))
    assert run({**env, "INPUT_COMMAND": "apply"}, transport) == 1
    state = json.loads((repo / ".statsync" / "local.json").read_text())
    assert nothing_applied(state)  # nothing was applied


def test_apply_without_the_reviewed_plan_applies_nothing_and_says_so_on_the_pull_request(workspace, capsys):
    repo, env, outputs = workspace
    github = FakeGitHub()
    env = {**env, "GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": "", "INPUT_PULL_REQUEST": "12"}
    assert run({**env, "INPUT_COMMAND": "apply", "INPUT_PLAN_FILE": "missing.json"},
               httpx.MockTransport(github.handler)) == 1
    assert not (repo / ".statsync" / "local.json").exists()  # the target was never even opened
    [comment] = github.comments.values()
    assert comment["issue"] == 12 and "no reviewed plan at missing.json; nothing was applied" in comment["body"]
    assert "::error::statsync: no reviewed plan at missing.json" in capsys.readouterr().out
    assert outputs_of(outputs)["has_changes"] == "false"


def test_drift_opens_updates_and_closes_one_issue(workspace):
    repo, env, outputs = workspace
    github = FakeGitHub()
    transport = httpx.MockTransport(github.handler)
    drift = {**env, "INPUT_COMMAND": "drift", "INPUT_DRIFT_ISSUE": "true", "GITHUB_EVENT_NAME": "schedule"}
    assert run(drift, transport) == 0  # nothing is live yet: every object is missing
    [issue] = github.issues.values()
    assert issue["labels"] == [DRIFT_LABEL] and "missing" in issue["body"]
    assert outputs_of(outputs)["has_changes"] == "true"
    assert run(drift, transport) == 0
    assert len(github.issues) == 1  # updated, not a second issue
    assert run({**env, "INPUT_COMMAND": "apply", "INPUT_PLAN_FILE": "none.json", "INPUT_ALLOW_UNREVIEWED": "true"},
               transport) == 0
    assert run(drift, transport) == 0
    assert issue["state"] == "closed" and outputs_of(outputs)["has_changes"] == "false"


def test_no_comment_outside_pull_requests(workspace):
    repo, env, outputs = workspace
    github = FakeGitHub()
    env = {**env, "GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": ""}
    assert run({**env, "INPUT_COMMAND": "plan"}, httpx.MockTransport(github.handler)) == 0
    assert github.calls == []


def test_an_unknown_command_is_refused(workspace):
    _, env, _ = workspace
    with pytest.raises(SystemExit, match="unknown command 'destroy'"):
        run({**env, "INPUT_COMMAND": "destroy"})


def test_action_yml_passes_every_input_to_the_script_and_examples_parse():
    import yaml

    from tests.conftest import REPO

    action = yaml.safe_load((REPO / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    step = next(s for s in action["runs"]["steps"] if s.get("id") == "statsync")
    passed = {name for name in step["env"] if name.startswith("INPUT_")}
    expected = {"INPUT_" + name.upper().replace("-", "_") for name in action["inputs"] if name != "python-version"}
    assert passed == expected
    assert step["run"] == "python -m statsync.github_action"
    assert set(action["outputs"]) == {"has_changes", "plan_file"}
    workflows = sorted((REPO / "examples" / "github").glob("*.yml"))
    assert [w.name for w in workflows] == ["statsync-apply.yml", "statsync-drift.yml", "statsync-plan.yml"]
    for workflow in workflows:
        assert yaml.safe_load(workflow.read_text())["jobs"]
    [hook] = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert hook["entry"] == "statsync validate" and hook["language"] == "python"


def test_the_job_holding_the_key_installs_only_hash_pinned_code_and_examples_pin_by_commit():
    """#13 item 9: GitHub's hardening guide, applied to the Action and the examples."""
    import re
    import tomllib

    import yaml

    from tests.conftest import REPO

    action = yaml.safe_load((REPO / "action.yml").read_text())
    installs = [line.strip() for step in action["runs"]["steps"] for line in str(step.get("run", "")).splitlines()
                if "pip install" in line]
    assert installs == [
        'python -m pip install --quiet --require-hashes --no-deps -r "${{ github.action_path }}/action-requirements.txt"',
        'python -m pip install --quiet --no-deps --no-build-isolation "${{ github.action_path }}"']
    lock = (REPO / "action-requirements.txt").read_text()
    pinned = dict(re.findall(r"^([a-z0-9-]+)==(\S+) \\$", lock, re.MULTILINE))
    requirements = re.findall(r"^[a-z0-9-]+==\S+ \\\n((?:    --hash=sha256:[0-9a-f]{64}(?: \\)?\n)+)", lock, re.MULTILINE)
    assert len(requirements) == len(pinned) and "setuptools" in pinned  # every one hashed; the build backend too
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    names = {re.split(r"[<>=\[ ]", spec, 1)[0].lower().replace("_", "-") for spec in declared}
    assert names <= set(pinned), names - set(pinned)
    files = [REPO / "action.yml", *sorted((REPO / "examples" / "github").glob("*.yml"))]
    uses = [(path.name, use) for path in files for use in re.findall(r"uses: (\S+)", path.read_text())]
    unpinned = [(name, use) for name, use in uses
                if not use.startswith(("statsync/statsync@", "./")) and not re.search(r"@[0-9a-f]{40}$", use)]
    assert uses and unpinned == []
    workflows = {path.stem: yaml.safe_load(path.read_text()) for path in files[1:]}
    for name in ("statsync-plan", "statsync-drift"):  # they run before review: a read-only key
        assert "STATSIG_CONSOLE_READ_ONLY_KEY" in str(workflows[name]) and "STATSIG_CONSOLE_API_KEY" not in str(
            workflows[name])
    assert workflows["statsync-apply"]["jobs"]["apply"]["environment"] == "statsig-production"


def test_plan_runs_the_targeting_tests_and_puts_failures_in_the_comment(workspace):
    repo, env, outputs = workspace
    github = FakeGitHub()
    transport = httpx.MockTransport(github.handler)
    assert run({**env, "INPUT_COMMAND": "plan"}, transport) == 0
    [comment] = github.comments.values()
    from tests.unit.test_statsync_test import EXAMPLE_CASES

    assert f"#### Targeting tests: {EXAMPLE_CASES} passed, 0 failed" in comment["body"]
    gate = repo / "gates" / "employees.yaml"
    gate.write_text(gate.read_text().replace("str_contains_any", "str_contains_none"))
    assert run({**env, "INPUT_COMMAND": "plan"}, transport) == 1
    assert re.search(r"#### Targeting tests: \d+ passed, [1-9]\d* failed", comment["body"])  # counts: test_statsync_test
    assert "**employees_by_email / case 1**: expected pass: true, got false" in comment["body"]


def test_a_failing_plan_replaces_the_sticky_comment_with_its_errors_for_that_commit(workspace, tmp_path):
    repo, env, outputs = workspace
    github = FakeGitHub()
    transport = httpx.MockTransport(github.handler)
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"number": 7, "pull_request": {"number": 7, "head": {"sha": "a1b2c3d4e5f6"}}}))
    assert run({**env, "INPUT_COMMAND": "plan"}, transport) == 0
    [comment] = github.comments.values()
    assert "<sub>statsync plan at `a1b2c3d`</sub>" in comment["body"] and "to create" in comment["body"]
    path = repo / "gates" / "employees.yaml"
    path.write_text(path.read_text() + "passPercentage: 150\n")
    event.write_text(json.dumps({"number": 7, "pull_request": {"number": 7, "head": {"sha": "ffee0011"}}}))
    assert run({**env, "INPUT_COMMAND": "plan"}, transport) == 1
    [comment] = github.comments.values()  # the same comment: the stale plan is gone
    assert comment["body"].startswith(f"{MARKER}\n### :x: statsync plan failed at `ffee001`")
    assert "employees.yaml" in comment["body"] and "to create" not in comment["body"]
    assert not (repo / "statsync-plan.json").exists()  # the last good plan cannot be applied for this commit


def test_a_refused_apply_comments_on_the_merged_pull_request(workspace):
    repo, env, outputs = workspace
    github = FakeGitHub()
    transport = httpx.MockTransport(github.handler)
    assert run({**env, "INPUT_COMMAND": "plan", "INPUT_COMMENT": "false"}, transport) == 0
    path = repo / "gates" / "employees.yaml"
    path.write_text(path.read_text().replace("Everyone", "Anyone"))
    merged = {**env, "GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": "", "GITHUB_SHA": "0123456789",
              "INPUT_PULL_REQUEST": "12", "INPUT_COMMAND": "apply"}
    assert run(merged, transport) == 1
    [comment] = github.comments.values()
    assert comment["issue"] == 12
    assert comment["body"].startswith("### :x: statsync apply at `0123456` refused; nothing was applied")
    assert "gate.employees" in comment["body"]
    assert outputs_of(outputs)["has_changes"] == "false"
