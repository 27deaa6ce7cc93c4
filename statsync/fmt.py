"""`statsync fmt`: every object document in import's canonical layout.

The layout is import's: kind, id, name, description, then the schema's field order,
`statsync:` settings last; conditions and short lists on one line. Only the body of
each document is rewritten (see `writeback.rewrite`): file headers, `---` separators,
and comments between documents stay as they are. Two things are never traded for a
layout: a document with comments inside it is left alone (its comments would be
lost), and a document whose formatted text would not read back to exactly the same
values is left alone too.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from statsync.importer import _field_order, _readable, dump
from statsync.kinds import all_kinds
from statsync.loader import _Loader, find_files, load_text
from statsync.writeback import document_spans


@dataclass
class Formatted:
    changed: list[Path] = field(default_factory=list)  # files whose layout differs (rewritten unless --check)
    left: list[str] = field(default_factory=list)  # "file:line: why" for documents left as they are


def canonical_layout(data: dict) -> dict:
    """A document's own values in import's order and styles."""
    kind = all_kinds()[data["kind"]]
    out: dict[str, Any] = {"kind": data["kind"], "id": data["id"]}
    order = [name for name in _field_order(kind) if name in data]
    rest = [name for name in data if name not in out and name not in order and name != "statsync"]
    for name in order:
        out[name] = _readable(kind, name, data[name]) if name in kind.fields else data[name]
    for name in rest:
        out[name] = data[name]
    if "statsync" in data:
        out["statsync"] = data["statsync"]
    return out


def format_files(paths: list[Path], write: bool) -> Formatted:
    result = Formatted()
    kinds = all_kinds()
    for path in find_files(paths):
        text = path.read_text(encoding="utf-8")
        documents = load_text(text, str(path))
        spans = document_spans(text)
        comments = _comment_positions(text)
        bodies: dict[int, str] = {}
        for index, (document, (start, end)) in enumerate(zip(documents, spans)):
            data = document.data
            if not isinstance(data, dict) or data.get("kind") not in kinds or "id" not in data:
                continue  # a test, or not statsync's: as it is
            line = text.count("\n", 0, start) + 1
            body = dump(canonical_layout(data), [], header=False)
            if body == text[start:end]:
                continue
            if _any_between(comments, start, end):
                result.left.append(f"{path}:{line}: not formatted: the comments inside this document would be lost")
                continue
            if [d.data for d in load_text(body, str(path))] != [data]:
                result.left.append(f"{path}:{line}: not formatted: the layout would change a value")
                continue
            bodies[index] = body
        if bodies:
            result.changed.append(path)
            if write:
                from statsync.writeback import rewrite

                rewrite(path, bodies)
    return result


def _comment_positions(text: str) -> list[int]:
    """Offsets of every `#` that starts a comment: outside every scalar the scanner saw."""
    scalars = [(token.start_mark.index, token.end_mark.index) for token in yaml.scan(text, Loader=_Loader)
               if isinstance(token, yaml.ScalarToken)]
    starts = [start for start, _ in scalars]
    out = []
    index = text.find("#")
    while index != -1:
        at = bisect.bisect_right(starts, index) - 1
        if at < 0 or not (scalars[at][0] <= index < scalars[at][1]):
            out.append(index)
        index = text.find("#", index + 1)
    return out


def _any_between(positions: list[int], start: int, end: int) -> bool:
    at = bisect.bisect_left(positions, start)
    return at < len(positions) and positions[at] < end
