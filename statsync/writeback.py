"""Write live objects back into the repository: `statsync pull`, and `import` into a
repository that already holds some of them.

An object is rewritten where it already lives — its own document in its own file,
multi-document files included — and nowhere else, so a file never ends up with a
second copy of an id. The other documents of the file, the comments above each
document and the file's header are kept byte for byte; the rewritten document is
import's canonical form (comments inside it are not kept: the live values replace
it). Its `statsync:` settings and its id-list file name are carried over. An object
that lives nowhere yet gets import's own file, `<dir>/<kind plural>/<id>.yaml`.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from statsync.importer import Unrepresentable, document, dump, file_stem
from statsync.kinds import Kind
from statsync.errors import StatsyncError
from statsync.loader import Document, _Loader
from statsync.plan import LiveObjects

_CONTENT_LINE = re.compile(r"^[ \t]*[^ \t#\r\n]", re.MULTILINE)


@dataclass(frozen=True)
class Place:
    """Where a document lives: its file, its position among the file's documents, and
    what it says now."""

    file: Path
    index: int
    data: dict


def places(documents: list[Document]) -> dict[tuple[str, str], Place]:
    """(kind, id) → where its document is, for every object document loaded."""
    out: dict[tuple[str, str], Place] = {}
    counts: dict[str, int] = {}
    for doc in documents:
        index = counts.get(doc.file, 0)
        counts[doc.file] = index + 1
        if isinstance(doc.data, dict) and isinstance(doc.data.get("kind"), str) and "id" in doc.data:
            out.setdefault((doc.data["kind"], str(doc.data["id"])), Place(Path(doc.file), index, doc.data))
    return out


def existing_places(directory: Path, live: LiveObjects, target: str) -> tuple[dict[tuple[str, str], Place], set[str]]:
    """The objects already kept under `directory` (other YAML passed over), and the
    addresses among them whose documents do not plan to zero changes against `live`."""
    from statsync.kinds import all_kinds
    from statsync.loader import OnlyOurs, load_paths
    from statsync.plan import PlanOptions, build_plan
    from statsync.validate import desired_objects

    if not directory.is_dir():
        return {}, set()
    documents = load_paths([directory], OnlyOurs(frozenset(all_kinds())))
    where = places(documents)
    try:
        plan = build_plan(desired_objects(documents), live, target, PlanOptions())
    except StatsyncError:  # files that do not validate: every object in them differs
        return where, {f"{kind}.{object_id}" for kind, object_id in where}
    return where, {step.object_address for step in plan.steps}


def document_spans(text: str) -> list[tuple[int, int]]:
    """Each document's body as character offsets: from its first key to its last content
    line (comments after it belong to what follows and are kept)."""
    spans = []
    for node in yaml.compose_all(text, Loader=_Loader):
        if node is None:
            continue
        start, end = node.start_mark.index, node.end_mark.index
        last = None
        for last in _CONTENT_LINE.finditer(text, start, end):
            pass
        if last is not None:
            line_end = text.find("\n", last.start(), end)
            end = end if line_end == -1 else line_end + 1
        spans.append((start, end))
    return spans


def rewrite(file: Path, bodies: dict[int, str]) -> None:
    """Replace documents of `file` by index with new YAML bodies, atomically."""
    text = file.read_text(encoding="utf-8")
    spans = document_spans(text)
    for index in sorted(bodies, reverse=True):
        start, end = spans[index]
        body = bodies[index] if bodies[index].endswith("\n") else bodies[index] + "\n"
        text = text[:start] + body + text[end:]
    tmp = file.with_name(file.name + ".statsync-tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, file)


@dataclass
class Written:
    address: str
    file: Path
    new_file: bool


def pulled_document(kind: Kind, live: dict, kept: dict | None) -> tuple[dict, list[Unrepresentable], dict[str, str]]:
    """The document for `live`, carrying over what belongs to the repository, not to
    Statsig: the `statsync:` settings and where an id list's members are kept. Returns
    the document, what it cannot represent, and id-list files to write (name → text)."""
    doc, problems = document(kind, live)
    extra: dict[str, str] = {}
    if kept is not None and kind.id_list is not None and isinstance(live.get(kind.id_list.field), list):
        ids = live[kind.id_list.field]
        if kind.id_list.file_field in kept:
            # the file is written beside the document: a name from the repository is kept only
            # if it stays there (`../../.bashrc` in a file under review is not a place to write)
            name = kept[kind.id_list.file_field]
            if not _plain_file_name(name):
                name = doc.get(kind.id_list.file_field) or f"{live[kind.identity]}.ids.txt"
            doc[kind.id_list.file_field] = name
            extra[name] = "".join(f"{unit}\n" for unit in ids)
        else:  # the repository kept them inline
            doc.pop(kind.id_list.file_field, None)
            doc[kind.id_list.field] = list(ids)
    elif kind.id_list is not None and kind.id_list.file_field in doc:
        extra[doc[kind.id_list.file_field]] = "".join(f"{unit}\n" for unit in live[kind.id_list.field])
    if kept is not None and isinstance(kept.get("statsync"), dict):
        doc["statsync"] = kept["statsync"]
    return doc, problems, extra


def home(kind: Kind, where: dict[tuple[str, str], Place], root: Path) -> Path:
    """Where a new object of `kind` goes: beside the repository's other objects of its
    kind, else in `<root>/<kind plural>/` as import lays a repository out."""
    files = sorted(place.file for (name, _), place in where.items() if name == kind.name)
    return files[0].parent if files else root / kind.plural


def _plain_file_name(name: object) -> bool:
    """A file name in the document's own directory: no separators, not hidden, not `..`."""
    return (isinstance(name, str) and bool(name) and "/" not in name and "\\" not in name
            and not name.startswith(".") and "\x00" not in name)


def write_back(objects: list[tuple[Kind, dict]], where: dict[tuple[str, str], Place], root: Path
               ) -> tuple[list[Written], list[Unrepresentable]]:
    """Write each live object into the document that holds it, or a new file (see `home`).
    Objects with anything unrepresentable are not written; returned instead."""
    written: list[Written] = []
    refused: list[Unrepresentable] = []
    bodies: dict[Path, dict[int, str]] = {}
    for kind, live in objects:
        object_id = str(live[kind.identity])
        place = where.get((kind.name, object_id))
        doc, problems, extra = pulled_document(kind, live, place.data if place else None)
        if problems:
            refused += problems
            continue
        address = f"{kind.name}.{object_id}"
        if place is not None:
            bodies.setdefault(place.file, {})[place.index] = dump(doc, [], header=False)
            directory = place.file.parent
            written.append(Written(address, place.file, False))
        else:
            path = home(kind, where, root) / f"{file_stem(object_id)}.yaml"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(dump(doc, []), encoding="utf-8")
            directory = path.parent
            written.append(Written(address, path, True))
        for name, text in extra.items():
            (directory / name).write_text(text, encoding="utf-8")
    for file, replaced in bodies.items():
        rewrite(file, replaced)
    return written, refused

