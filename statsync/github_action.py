"""The GitHub Action's engine: run statsync, then report to the pull request or an issue.

`action.yml` runs `python -m statsync.github_action`. Inputs arrive as INPUT_*
environment variables (as GitHub passes them); the event, repository and API
come from GitHub's own variables, so tests fake them all and no network is used.

* plan: posts the Markdown plan as one sticky comment on the pull request,
  updating it on every push instead of adding another; saves the plan file.
* apply: applies the reviewed plan file (refusing objects whose files or live state
  changed since the review). Without it, it fails and says so on the pull request:
  a fresh plan nobody reviewed is applied only with `allow-unreviewed: true`.
* drift: opens, updates or closes one issue labelled `statsync-drift`.
Outputs: `has_changes` (true/false) and `plan_file`.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import httpx

from statsync.render.markdown import MARKER

DRIFT_LABEL = "statsync-drift"


@dataclass
class Inputs:
    command: str
    path: str
    target: str
    api_url: str
    plan_file: str
    comment: bool
    drift_issue: bool
    allow_unreviewed: bool = False
    pull_request: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "Inputs":
        def get(name: str, default: str = "") -> str:
            return env.get(f"INPUT_{name.upper().replace('-', '_')}", default).strip() or default
        command = get("command", "plan")
        if command not in ("plan", "apply", "drift"):
            raise SystemExit(f"statsync action: unknown command {command!r} (plan, apply or drift)")
        return cls(command, get("path", "."), get("target"), get("api-url"), get("plan-file", "statsync-plan.json"),
                   get("comment", "true").lower() == "true", get("drift-issue", "false").lower() == "true",
                   get("allow-unreviewed", "false").lower() == "true", get("pull-request"))


class GitHub:
    """The few REST calls the action needs, against GITHUB_API_URL."""

    def __init__(self, env: Mapping[str, str], transport: httpx.BaseTransport | None = None):
        self.repo = env["GITHUB_REPOSITORY"]
        token = env.get("INPUT_GITHUB_TOKEN") or env.get("GITHUB_TOKEN", "")
        self.http = httpx.Client(base_url=env.get("GITHUB_API_URL", "https://api.github.com"), transport=transport,
                                 headers={"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json",
                                          "X-GitHub-Api-Version": "2022-11-28"}, timeout=30)

    def _pages(self, path: str, params: dict | None = None):
        page = 1
        while True:
            response = self.http.get(path, params={**(params or {}), "per_page": 100, "page": page})
            response.raise_for_status()
            items = response.json()
            yield from items
            if len(items) < 100:
                return
            page += 1

    def upsert_comment(self, number: int, body: str) -> str:
        """Update statsync's comment on the pull request, or post it: returns "updated" or "created"."""
        for comment in self._pages(f"/repos/{self.repo}/issues/{number}/comments"):
            if MARKER in (comment.get("body") or ""):
                self.http.patch(f"/repos/{self.repo}/issues/comments/{comment['id']}", json={"body": body}).raise_for_status()
                return "updated"
        self.http.post(f"/repos/{self.repo}/issues/{number}/comments", json={"body": body}).raise_for_status()
        return "created"

    def comment(self, number: int, body: str) -> None:
        self.http.post(f"/repos/{self.repo}/issues/{number}/comments", json={"body": body}).raise_for_status()

    def upsert_drift_issue(self, title: str, body: str, drift: bool) -> str:
        """One open issue while there is drift: created, updated, or closed once in sync."""
        existing = next(iter(self._pages(f"/repos/{self.repo}/issues", {"labels": DRIFT_LABEL, "state": "open"})), None)
        if existing is None:
            if not drift:
                return "none"
            self.http.post(f"/repos/{self.repo}/issues",
                           json={"title": title, "body": body, "labels": [DRIFT_LABEL]}).raise_for_status()
            return "created"
        number = existing["number"]
        if drift:
            self.http.patch(f"/repos/{self.repo}/issues/{number}", json={"body": body}).raise_for_status()
            return "updated"
        self.http.post(f"/repos/{self.repo}/issues/{number}/comments", json={"body": body}).raise_for_status()
        self.http.patch(f"/repos/{self.repo}/issues/{number}", json={"state": "closed"}).raise_for_status()
        return "closed"


def _statsync(args: list[str], env: Mapping[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "statsync", *args], capture_output=True, text=True,
                          env={**env, "NO_COLOR": "1"})


def _connection(inputs: Inputs) -> list[str]:
    args = []
    if inputs.target:
        args += ["--target", inputs.target]
    if inputs.api_url:
        args += ["--api-url", inputs.api_url]
    return args


def _pull_request_number(env: Mapping[str, str], given: str = "") -> int | None:
    if given.isdigit():
        return int(given)  # the merged pull request, named by the apply workflow
    path = env.get("GITHUB_EVENT_PATH")
    if not path or not Path(path).exists():
        return None
    event = json.loads(Path(path).read_text())
    pull = event.get("pull_request") or {}
    return pull.get("number") or (event.get("number") if "pull_request" in env.get("GITHUB_EVENT_NAME", "") else None)


def _output(env: Mapping[str, str], **values: str) -> None:
    path = env.get("GITHUB_OUTPUT")
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            for key, value in values.items():
                handle.write(f"{key}={value}\n")


def _summary(env: Mapping[str, str], text: str) -> None:
    path = env.get("GITHUB_STEP_SUMMARY")
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(text)


def _commit(env: Mapping[str, str]) -> str:
    """The commit a run is about: the pull request's head (GITHUB_SHA is the merge commit
    there), else GITHUB_SHA; short, as GitHub shows it."""
    path = env.get("GITHUB_EVENT_PATH")
    head = ""
    if path and Path(path).exists():
        head = ((json.loads(Path(path).read_text()).get("pull_request") or {}).get("head") or {}).get("sha", "")
    return (head or env.get("GITHUB_SHA", ""))[:7]


def _at(env: Mapping[str, str]) -> str:
    commit = _commit(env)
    return f" at `{commit}`" if commit else ""


def run(env: Mapping[str, str], transport: httpx.BaseTransport | None = None) -> int:
    inputs = Inputs.from_env(env)
    child_env = dict(env)
    if env.get("INPUT_API_KEY"):
        child_env["STATSIG_CONSOLE_API_KEY"] = env["INPUT_API_KEY"]
    if inputs.command == "plan":
        return _plan(env, inputs, child_env, transport)
    if inputs.command == "drift":
        return _drift(env, inputs, child_env, transport)
    if Path(inputs.plan_file).exists():
        args = ["apply", inputs.path, *_connection(inputs), "--plan", inputs.plan_file]
    elif inputs.allow_unreviewed:
        args = ["apply", inputs.path, *_connection(inputs), "--auto-approve"]
    else:
        return _refuse_unreviewed(env, inputs, transport)
    return _apply(env, inputs, _statsync([*args, "--format", "json"], child_env), transport)


def _relay(result: subprocess.CompletedProcess) -> None:
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)


def _plan(env: Mapping[str, str], inputs: Inputs, child_env: dict, transport) -> int:
    """Plan, run the targeting tests, and keep one sticky comment saying the result for this
    commit: the errors when the plan fails, never the last good plan left standing."""
    result = _statsync(["plan", inputs.path, *_connection(inputs), "--format", "markdown",
                        "--out", inputs.plan_file, "--detailed-exitcode"], child_env)
    _relay(result)
    failed = result.returncode not in (0, 2)
    _output(env, has_changes=str(result.returncode == 2).lower(), plan_file=inputs.plan_file)
    if failed:
        comment = (f"{MARKER}\n### :x: statsync plan failed{_at(env)}\n\nNothing can be applied from this commit "
                   f"until the plan succeeds.\n\n```\n{_tail(result.stderr)}\n```\n")
        Path(inputs.plan_file).unlink(missing_ok=True)  # an earlier run's plan is not this commit's
        tests_failed = True
    else:
        section, tests_failed = _targeting_tests(inputs, child_env)
        body = result.stdout.replace(MARKER + "\n", "", 1)
        comment = f"{MARKER}\n<sub>statsync plan{_at(env)}</sub>\n\n{body}{section}"
    _summary(env, comment.replace(MARKER + "\n", ""))
    number = _pull_request_number(env)
    if inputs.comment and number is not None:
        print(f"statsync: {GitHub(env, transport).upsert_comment(number, comment)} the plan comment on #{number}")
    return 1 if failed or tests_failed else 0


def _drift(env: Mapping[str, str], inputs: Inputs, child_env: dict, transport) -> int:
    result = _statsync(["drift", inputs.path, *_connection(inputs), "--format", "markdown"], child_env)
    _relay(result)
    if result.returncode not in (0, 2):
        _output(env, has_changes="false", plan_file=inputs.plan_file)
        return 1
    changes = result.returncode == 2
    _output(env, has_changes=str(changes).lower(), plan_file=inputs.plan_file)
    _summary(env, result.stdout)
    if inputs.drift_issue:
        title = f"statsync: drift on {inputs.target or inputs.api_url or 'Statsig'}"
        print(f"statsync: drift issue {GitHub(env, transport).upsert_drift_issue(title, result.stdout, changes)}")
    return 0


def _apply(env: Mapping[str, str], inputs: Inputs, result: subprocess.CompletedProcess, transport) -> int:
    """Report an apply: `has_changes` is whether anything was applied; the merged pull
    request (`pull-request:`) gets a comment with the outcome, good or bad."""
    sys.stderr.write(result.stderr)
    try:
        report = json.loads(result.stdout)
    except ValueError:  # refused before applying anything (a stale plan, a safety threshold)
        report = None
    applied = bool(report and report["applied_changes"])
    ok = result.returncode == 0 and report is not None and report["ok"]
    _output(env, has_changes=str(applied).lower(), plan_file=inputs.plan_file)
    if report is not None:
        counts = ", ".join(f"{n} {status.replace('_', ' ')}" for status, n in report["summary"].items() if n)
        lines = [f"### {':white_check_mark:' if ok else ':x:'} statsync apply to `{report['target']}`{_at(env)}: "
                 f"{counts or 'nothing to apply'}", ""]
        lines += [f"- `{step['address']}` {step['action']}: **{step['outcome']}**"
                  + (f": {step['error']}" if step["error"] else "") for step in report["steps"]]
        lines += [f"- :x: {error}" for error in report["errors"]]
    else:
        lines = [f"### :x: statsync apply{_at(env)} refused; nothing was applied", "", "```", _tail(result.stderr),
                 "```", "", "Plan again on main, review that plan, and apply it (README: one merge workflow)."]
    message = "\n".join(lines) + "\n"
    print(message)
    _summary(env, message)
    number = _pull_request_number(env, inputs.pull_request)
    if inputs.comment and number is not None:
        GitHub(env, transport).comment(number, message)
    return 0 if ok else 1


def _tail(text: str, lines: int = 40) -> str:
    """The end of an error output, for a comment (statsync never prints the key)."""
    kept = text.strip().splitlines()[-lines:]
    return "\n".join(kept).replace("```", "` ` `")


def _targeting_tests(inputs: Inputs, env: Mapping[str, str]) -> tuple[str, bool]:
    """`statsync test` beside every plan: a Markdown section for the comment, and whether any case failed."""
    result = _statsync(["test", inputs.path, "--format", "json"], env)
    try:
        report = json.loads(result.stdout)
    except ValueError:  # the repository did not even load: the plan above already says why
        sys.stderr.write(result.stderr)
        return "", result.returncode != 0
    if not report["cases"]:
        return "", False
    from statsync.render.tests import markdown

    return "\n" + markdown(report), report["failed"] > 0


def _refuse_unreviewed(env: Mapping[str, str], inputs: Inputs, transport: httpx.BaseTransport | None) -> int:
    """No reviewed plan: apply nothing, and say so where the team will see it."""
    message = (f"statsync: no reviewed plan at {inputs.plan_file}; nothing was applied. A plan nobody reviewed is "
               f"never applied: re-run the plan job for this commit, or set allow-unreviewed: true to apply a "
               f"fresh plan.")
    print(f"::error::{message}")
    _output(env, has_changes="false", plan_file=inputs.plan_file)
    _summary(env, message + "\n")
    number = _pull_request_number(env, inputs.pull_request)
    if number is not None and inputs.comment:
        GitHub(env, transport).comment(number, f":no_entry: {message}\n")
    return 1


def main() -> None:  # pragma: no cover - exercised through run() in tests
    sys.exit(run(os.environ))


if __name__ == "__main__":  # pragma: no cover
    main()
