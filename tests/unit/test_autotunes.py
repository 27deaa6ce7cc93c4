"""Autotunes: created from their name, variants matched by name and keeping their ids,
and a lifecycle (start, make_decision, reset) read from isStarted and winner, since the
API answers no status."""
import pytest

from statsync.errors import InvalidConfig
from tests.conftest import plan_apply, write

AUTOTUNE = """kind: autotune
id: button_color
description: Which colour gets the most clicks.
variants:
  - {name: red, json: {color: red}}
  - {name: blue, json: {color: blue}}
successEvent: click
explorationWindow: 24hr
attributionWindow: 2hr
winnerThreshold: 95%
"""


def _moves(emulator) -> list[tuple[str, str]]:
    return [(r.method, r.path.removeprefix("/console/v1")) for r in emulator.log if r.method != "GET"]


def test_an_autotune_is_created_from_its_name_and_a_variant_keeps_its_id(emulator, tmp_path):
    plan, outcomes = plan_apply(emulator, write(tmp_path, AUTOTUNE))
    assert plan.steps[0].requests[0].body["name"] == "button_color" and "id" not in plan.steps[0].requests[0].body
    red_id = emulator.store.get("autotunes", "button_color")["variants"][0]["id"]
    assert not plan_apply(emulator, write(tmp_path, AUTOTUNE), apply=False)[0].has_changes

    changed = write(tmp_path, AUTOTUNE.replace("{color: red}", "{color: crimson}"))
    plan, _ = plan_apply(emulator, changed)
    [step] = plan.steps
    assert [c.path for c in step.changes] == ["variants[red].json.color"]
    # the variant's id is echoed, so Statsig keeps it (and what it learned about it)
    assert step.requests[0].body["variants"][0]["id"] == red_id
    assert emulator.store.get("autotunes", "button_color")["variants"][0] == {
        "name": "red", "json": {"color": "crimson"}, "id": red_id}
    assert not plan_apply(emulator, changed, apply=False)[0].has_changes


def test_start_decision_and_reset_are_the_endpoints_and_each_next_plan_is_empty(emulator, tmp_path):
    plan_apply(emulator, write(tmp_path, AUTOTUNE))
    live = emulator.store.get("autotunes", "button_color")
    blue_id = live["variants"][1]["id"]
    emulator.log.clear()
    started = write(tmp_path, AUTOTUNE + "status: active\n")
    plan_apply(emulator, started)
    assert _moves(emulator) == [("PUT", "/autotunes/button_color/start")]
    assert live["isStarted"] is True
    assert not plan_apply(emulator, started, apply=False)[0].has_changes

    emulator.log.clear()
    decided = write(tmp_path, AUTOTUNE + "status: decision_made\nlaunchedGroupID: blue\ndecisionReason: Blue won.\n")
    plan, _ = plan_apply(emulator, decided)
    assert _moves(emulator) == [("PUT", "/autotunes/button_color/make_decision")]
    # the variant named, sent by its id
    assert plan.steps[0].requests[0].body == {"id": blue_id, "decisionReason": "Blue won."}
    assert live["winner"] == {"id": blue_id, "name": "blue"}
    assert not plan_apply(emulator, decided, apply=False)[0].has_changes

    emulator.log.clear()
    plan_apply(emulator, write(tmp_path, AUTOTUNE + "status: setup\n"))
    assert _moves(emulator) == [("PUT", "/autotunes/button_color/reset")]
    assert live["isStarted"] is False and live["winner"] is None


def test_a_decision_naming_no_variant_is_refused_with_the_variants_there_are(emulator, tmp_path):
    plan_apply(emulator, write(tmp_path, AUTOTUNE + "status: active\n"))
    wrong = write(tmp_path, AUTOTUNE + "status: decision_made\nlaunchedGroupID: green\n")
    with pytest.raises(InvalidConfig, match=r"launchedGroupID 'green' names none of the live autotune's "
                                            r"variants \('red', 'blue'\)"):
        plan_apply(emulator, wrong, apply=False)


def test_fewer_than_two_variants_is_said_at_its_line(emulator, tmp_path):
    one = AUTOTUNE.replace("  - {name: blue, json: {color: blue}}\n", "")
    with pytest.raises(InvalidConfig, match=r"objects.yaml:5:3: variants: .*is too short"):
        plan_apply(emulator, write(tmp_path, one), apply=False)
