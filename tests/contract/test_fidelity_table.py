"""README's emulator fidelity table cites its evidence for every reading (#12 item 7),
names the probe question of every switchable reading, and says what each probe fixture
shows, so a reading cannot be added, or a fixture recorded, without the table saying so."""
import re

from statsync.emulator.readings import QUESTIONS, TODAY
from statsync.probe import Finding
from tests.conftest import REPO

SOURCES = ("TF-test", "TF-code", "spec", "legacy-docs", "SDK", "migrations", "docs", "⚠ unproven")


def table() -> list[list[str]]:
    text = (REPO / "README.md").read_text()
    start = text.index("| behaviour | emulator's reading | evidence |")
    rows = text[start:text.index("\n\n", start)].splitlines()[2:]
    return [[cell.strip() for cell in row.strip().strip("|").split(" | ")] for row in rows]


def test_every_reading_cites_a_source_or_says_it_is_unproven():
    rows = table()
    assert len(rows) > 30 and all(len(row) == 3 for row in rows)
    uncited = [row[0] for row in rows if not any(source in row[2] for source in SOURCES)]
    assert uncited == []


def test_every_switchable_reading_names_its_probe_and_every_fixture_its_verdict():
    evidence = {row[0]: row[2] for row in table()}
    for question in QUESTIONS:
        [cell] = [cell for cell in evidence.values() if f"probe: `{question.name}`" in cell]
        fixture = REPO / "tests" / "fixtures" / "statsig" / "probe" / f"{question.name}.json"
        if fixture.exists():
            verdict = "agrees" if Finding.load(fixture).answer == getattr(TODAY, question.name) else "disagrees"
            assert re.search(rf"fixture:.*\({verdict}\)", cell), (question.name, cell)
        else:
            assert "fixture:" not in cell, question.name
