"""The emulator's readings of what Statsig's documentation leaves unproven.

Each reading is one question from EVIDENCE.md's "still unproven" table, the answer the
emulator gives today, and the other answer Statsig's own artefacts allow. A reading can
be switched (`Emulator(readings=Readings(segment_rules_body="object"))`), so tests show
statsync works under either answer, and `statsync probe` reports, for each question,
what the emulator assumes beside what a real project answered.
"""
from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Question:
    name: str  # the Readings field
    question: str
    today: str  # the emulator's default reading
    other: str  # the answer the other evidence shows
    evidence: str


QUESTIONS = (
    Question("segment_rules_body", "POST /segments/{id}/conditional body", "array", "object",
             "spec `SegmentRulesDto` and legacy-docs: a bare array; TF-code `internal/segment_client.go` sends "
             "{\"rules\": [...]} (untested)"),
)


@dataclass(frozen=True)
class Readings:
    # "array": a bare list of rules; "object": {"rules": [...]}; the other shape is a 400
    segment_rules_body: str = "array"

    def __post_init__(self) -> None:
        for question in QUESTIONS:
            value = getattr(self, question.name)
            if value not in (question.today, question.other):
                raise ValueError(f"{question.name} is {question.today!r} or {question.other!r}, not {value!r}")


assert {field.name for field in fields(Readings)} == {question.name for question in QUESTIONS}
