"""What statsync shows never carries a control character from the live project or a file:
a modifier's name, a description or an error message written by someone in the console
could otherwise move the cursor and erase the plan line above it — the one an operator is
about to approve — set the terminal's title, or write to its clipboard (OSC 52)."""
from __future__ import annotations

import re

import click
from hypothesis import given
from hypothesis import strategies as st

from statsync.cli import fail
from statsync.config import load_project
from statsync.drift import drift_report
from statsync.render import printable
from statsync.render import drift as drift_render
from statsync.render.markdown import render_plan as render_markdown
from statsync.render.text import render_plan
from tests.conftest import client_for, plan_apply, run, write

HOSTILE = "\x1b[1A\x1b[2K\x1b]0;title\x07\x1b]52;c;ZXZpbA==\x07\x9b2J\u202eevil\r\x00"
# anything a terminal acts on, but the colour codes statsync writes itself
ACTED_ON = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
OUR_STYLE = re.compile("\x1b\\[(?:0|1|22|3[1-7]|39)m")

GATE = "kind: gate\nid: checkout\ndescription: The checkout\n"


def _acted_on(text: str) -> list[str]:
    return ACTED_ON.findall(OUR_STYLE.sub("", text))


def test_a_console_users_name_and_text_reach_no_terminal_raw(emulator, tmp_path):
    repo = write(tmp_path, GATE)
    plan_apply(emulator, repo)
    emulator.console_edit("gates", "checkout", {"description": f"The checkout {HOSTILE}"},
                          name=f"Mallory{HOSTILE}", email="mallory@example.com")
    plan, _ = plan_apply(emulator, repo, apply=False)
    assert plan.has_changes  # the file puts the description back: the live one is shown
    for shown in (render_plan(plan, color=False), render_plan(plan, color=True), render_markdown(plan)):
        assert _acted_on(shown) == [], shown
        assert "Mallory\\x1b[1A\\x1b[2K" in shown  # there, as escapes a reader can see
    assert OUR_STYLE.search(render_plan(plan, color=True))  # statsync's own colours stay

    async def report():
        async with client_for(emulator) as client:
            return await drift_report(load_project((str(repo),)), client, "t")
    drifted = run(report())
    for shown in (drift_render.render_text(drifted), drift_render.render_markdown(drifted)):
        assert _acted_on(shown) == [] and "Mallory\\x1b" in shown, shown


def test_an_error_message_from_the_server_is_shown_escaped(capsys):
    fail(f"PATCH /console/v1/gates/checkout: 400 {HOSTILE}")
    err = capsys.readouterr().err
    assert _acted_on(err) == [] and "\\x1b]52;c;" in err


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=80), st.sampled_from(["red", "green", "cyan", None]))
def test_printable_escapes_every_control_and_keeps_everything_else(text, colour):
    styled = click.style(text, fg=colour, bold=colour == "cyan") if colour else text
    shown = printable(styled, styled=True)
    assert _acted_on(shown) == []
    if not ACTED_ON.search(text):
        assert shown == styled  # text with nothing to fear is shown exactly as it is
    if colour:
        assert shown.startswith(styled[:5]) and shown.endswith("\x1b[0m")


def test_the_command_line_shows_a_hostile_live_project_escaped_and_its_json_parses_back(examples, monkeypatch):
    """Through the CLI, as an operator runs it: text output escapes what the server wrote;
    JSON output escapes it as JSON does (\\u009b), so a parser reads back exactly the text."""
    import json

    from click.testing import CliRunner

    from statsync.cli import main

    runner = CliRunner()
    assert runner.invoke(main, ["apply", str(examples), "--target", "local", "--auto-approve"]).exit_code == 0
    state_file = examples / ".statsync" / "local.json"
    state = json.loads(state_file.read_text())
    [gate] = [obj for obj in state["collections"]["gates"] if obj["id"] == "employees"]
    gate["description"], gate["lastModifierName"] = f"Edited {HOSTILE}", f"Mallory{HOSTILE}"
    state_file.write_text(json.dumps(state))

    text = runner.invoke(main, ["drift", str(examples), "--target", "local"])
    assert "employees" in text.output and "Mallory\\x1b[1A" in text.output
    assert _acted_on(text.output) == []
    as_json = runner.invoke(main, ["drift", str(examples), "--target", "local", "--format", "json"])
    assert _acted_on(as_json.output) == []
    [drifted] = [d for d in json.loads(as_json.output)["drifted"] if d["address"] == "gate.employees"]
    assert drifted["lastModifierName"] == f"Mallory{HOSTILE}"  # the same text, read back whole
    plan = runner.invoke(main, ["plan", str(examples), "--target", "local", "--format", "markdown"])
    assert "employees" in plan.output and _acted_on(plan.output) == []
