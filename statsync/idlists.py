"""Id lists: ids an object holds outside its body (an id-list segment's members).

They can run to hundreds of thousands, so they are never diffed or shown one by
one: a plan says how many come and go, and sends them in chunks of the most the
spec allows per request. Adding is a PATCH; when ids leave, the list is reset
to the desired ids (the spec declares no body for removing some).
"""
from __future__ import annotations

import os
import stat
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from statsync import spec
from statsync.kinds import IdList, Kind

if TYPE_CHECKING:  # statsync.diff brings deepdiff; validation, which imports this module, never diffs
    from statsync.diff import Change

PREVIEW = 3  # ids named in a plan line; the rest are counted


def holds_ids(kind: Kind, body: dict[str, Any]) -> bool:
    """Whether this object is one with an id list (a segment of type id_list)."""
    if kind.id_list is None:
        return False
    name, value = kind.id_list.when
    return body.get(name, kind.defaults.get(name)) == value


MAX_IDS_FILE = 64 * 1024 * 1024  # far above the largest list Statsig takes in a few requests


class OutsideRepository(ValueError):
    """A file reference that would read something other than a repository file."""


def repository_root(yaml_file: Path) -> Path:
    """The repository a YAML file belongs to: the nearest directory above it holding `.git`
    or `statsync.yaml`, else the file's own directory. Found from where the file stands, not
    where a symlink points: a YAML linked in from elsewhere gains no wider root."""
    start = Path(os.path.abspath(yaml_file)).parent
    for directory in (start, *start.parents):
        if (directory / ".git").exists() or (directory / "statsync.yaml").exists():
            return directory
    return start


def read_file(path: Path, root: Path) -> list[str]:
    """Ids from a text file inside `root`: one a line, blank lines and `#` comments skipped.

    A pull request's files are untrusted: the reference may not leave the repository
    (`../../etc/passwd`, an absolute path, a symlink pointing out) nor name a device,
    FIFO or /proc file, whose contents would go into the plan and to Statsig."""
    resolved = path.resolve()
    if not resolved.is_relative_to(root.resolve()):
        raise OutsideRepository("it is outside the repository; ids files must live in it")
    mode = resolved.stat().st_mode
    if not stat.S_ISREG(mode):
        raise OutsideRepository("it is not a regular file")
    if resolved.stat().st_size > MAX_IDS_FILE:
        raise OutsideRepository(f"it is larger than {MAX_IDS_FILE // (1024 * 1024)} MiB")
    ids = []
    for line in resolved.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            ids.append(line)
    return ids


@lru_cache(maxsize=None)
def chunk_size(id_list: IdList) -> int:
    return spec.component(id_list.request_dto)["properties"][id_list.field].get("maxItems", 1000)


def _chunks(ids: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def requests(id_list: IdList, live: list[str] | None, desired: list[str]) -> list[tuple[str, str, dict]]:
    """(method, path suffix, body) turning the live ids (None: a new object) into the desired."""
    wanted = sorted(set(desired))
    have = set(live or [])
    size = chunk_size(id_list)
    if have - set(wanted):
        first, *rest = list(_chunks(wanted, size)) or [[]]
        return [("POST", id_list.reset, {id_list.field: first}),
                *(("PATCH", id_list.endpoint, {id_list.field: chunk}) for chunk in rest)]
    added = [unit for unit in wanted if unit not in have]
    return [("PATCH", id_list.endpoint, {id_list.field: chunk}) for chunk in _chunks(added, size)]


def change(id_list: IdList, live: list[str] | None, desired: list[str]) -> Change | None:
    """One plan line: how many ids, and which come and go (the first few named)."""
    from statsync.diff import Change

    have, wanted = set(live or []), set(desired)
    added, removed = sorted(wanted - have), sorted(have - wanted)
    if not added and not removed:
        return None
    parts = [f"+{len(added)} ({_preview(added)})" if added else "", f"-{len(removed)} ({_preview(removed)})"
             if removed else ""]
    return Change(id_list.field, f"{len(have)} ids", f"{len(wanted)} ids: " + ", ".join(p for p in parts if p))


def _preview(ids: list[str]) -> str:
    shown = ", ".join(ids[:PREVIEW])
    return shown + (f" and {len(ids) - PREVIEW} more" if len(ids) > PREVIEW else "")
