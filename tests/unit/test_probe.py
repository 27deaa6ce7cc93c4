"""`statsync probe` (#12 item 6): asks what the docs leave unproven, cleans up after
itself, records redacted fixtures, and says where the emulator's reading disagrees."""
import json
from dataclasses import fields
from pathlib import Path

import pytest

from statsync import probe
from statsync.emulator.app import Emulator
from statsync.emulator.readings import QUESTIONS, Readings
from tests.conftest import TEST_KEY, client_for, run

FIXTURES = Path(__file__).parents[1] / "fixtures" / "statsig" / "probe"
OTHER = Readings(**{question.name: question.other for question in QUESTIONS})


def probed(emulator, allow_writes=False, only=()):
    async def go():
        async with client_for(emulator) as client:
            return await probe.run(client, "test", allow_writes, only)
    return run(go())


def probe_objects(emulator) -> list[str]:
    return [f"{name}/{key}" for name, objects in emulator.store.collections.items() for key in objects
            if key.startswith(probe.PREFIX) or key.startswith(f"statsig::{probe.PREFIX}")]


@pytest.mark.parametrize("readings, verdict", [(Readings(), "agree"), (OTHER, "**disagree**")],
                         ids=["emulator-as-is", "every-reading-switched"])
def test_the_probe_answers_every_question_cleans_up_and_reports(readings, verdict):
    """Against the emulator as a stand-in: its own readings agree; an emulator answering
    every question the other way (a Statsig that behaves otherwise) disagrees on each."""
    emulator = Emulator(seed=3, check_responses=readings == Readings(), readings=readings)
    findings, left = probed(emulator)
    assert left == [] and probe_objects(emulator) == []  # everything it made is gone
    assert {finding.question: finding.answer for finding in findings} == {
        question.name: getattr(readings, question.name) for question in QUESTIONS}
    table, disagree = probe.report(findings)
    rows = [line for line in table.splitlines()[2:]]
    assert len(rows) == len(QUESTIONS) and all(f"| {verdict} |" in row for row in rows)
    assert disagree == (0 if verdict == "agree" else len(QUESTIONS))


def test_fixtures_are_redacted_and_load_back(tmp_path):
    emulator = Emulator(seed=3, check_responses=True)
    findings, _ = probed(emulator)
    paths = probe.write(findings, tmp_path)
    text = "".join(path.read_text() for path in paths)
    assert TEST_KEY not in text and "Console API" not in text.replace("console-api", "")
    assert '"creatorName": "<redacted>"' in text

    def personal(value):  # every value of a field naming a person, anywhere in the fixtures
        if isinstance(value, dict):
            return [v for k, v in value.items() if k in probe.PERSONAL] + [x for v in value.values() for x in personal(v)]
        return [x for v in value for x in personal(v)] if isinstance(value, list) else []
    assert all(value in ("<redacted>", None, "", []) for value in personal([json.loads(p.read_text()) for p in paths]))
    assert [probe.Finding.load(path).answer for path in paths] == [finding.answer for finding in findings]


def test_a_project_holding_what_the_probe_did_not_create_is_refused_unless_told():
    emulator = Emulator(seed=3)
    emulator.console_create("gates", {"id": "production_flag"})
    with pytest.raises(probe.ProbeRefused, match="production_flag.*--i-understand-this-writes"):
        probed(emulator)
    assert [record.method for record in emulator.log] == ["GET"] * len(probe.WRITES)  # read only
    findings, left = probed(emulator, allow_writes=True, only=("dynamic_config_status",))
    assert [f.answer for f in findings] == ["present"] and left == []
    assert list(emulator.store.collection("gates")) == ["production_flag"]  # never touched


@pytest.mark.parametrize("fixture", sorted(FIXTURES.glob("*.json")), ids=lambda path: path.stem)
def test_the_emulator_replays_every_fixture_when_set_to_its_reading(fixture):
    """Each fixture under tests/fixtures/statsig/probe names its source (spec examples
    today; probe runs against Statsig later). Set to the reading a fixture shows, the
    emulator gives the same answer to the same question."""
    finding = probe.Finding.load(fixture)
    assert finding.source and finding.exchanges
    emulator = Emulator(seed=3, readings=Readings(**{finding.question: finding.answer}))
    [replayed], left = probed(emulator, only=(finding.question,))
    assert replayed.answer == finding.answer and left == []


def test_every_reading_is_a_question_with_a_probe():
    assert {field.name for field in fields(Readings)} == set(probe.PROBES)


def test_the_cli_documents_the_safety_rule_runs_on_local_and_reports_disagreement(cli, tmp_path, monkeypatch):
    help_text = cli("probe", "--help").output
    assert "refuses a project holding any object" in help_text and "--i-understand-this-writes" in help_text
    monkeypatch.chdir(tmp_path)
    result = cli("probe", "--target", "local", "--out", "found")
    assert result.exit_code == 0, result.output
    assert f"{len(QUESTIONS)} agree, 0 disagree, 0 unsettled." in result.output
    assert sorted(path.name for path in (tmp_path / "found").iterdir()) == sorted(
        [f"{question.name}.json" for question in QUESTIONS] + ["report.md"])
    # a fixture that disagrees with the emulator's reading is reported as such, exit 1
    recorded = json.loads((tmp_path / "found" / "launched_gate_enable.json").read_text())
    (tmp_path / "found" / "launched_gate_enable.json").write_text(json.dumps({**recorded, "answer": "stays_launched"}))
    result = cli("probe", "--report-from", "found")
    assert result.exit_code == 1
    assert "| PATCH {isEnabled: true} on a launched gate | unlaunches | stays_launched | **disagree** |" in result.output


def test_an_unknown_question_is_refused_not_an_empty_success(cli):
    result = cli("probe", "--target", "local", "--only", "segment_rule_body")
    assert result.exit_code == 1 and "no such question: segment_rule_body" in result.output
