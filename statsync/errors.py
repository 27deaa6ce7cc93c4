"""Errors a user can cause. Each renders as one line, and the CLI exits 1."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True)
class Mark:
    """A place in a YAML file (1-based line and column, as editors show them)."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class StatsyncError(Exception):
    """A failure to report as one line, without a traceback."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the user's files: where, which field, what."""

    mark: Mark | None
    message: str
    path: str = ""

    def __str__(self) -> str:
        where = f"{self.mark}: " if self.mark else ""
        field = f"{self.path}: " if self.path else ""
        return f"{where}{field}{self.message}"


class InvalidConfig(StatsyncError):
    """The YAML files are invalid; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def display_path(path: Iterable[str | int]) -> str:
    """('rules', 1, 'passPercentage') → 'rules[1].passPercentage'."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
