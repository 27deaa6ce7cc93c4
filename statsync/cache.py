"""Loaded files kept between runs of `statsync validate`, for editors and pre-commit.

Reading YAML is most of what `validate` costs on a large repository (PyYAML takes ~1.8 s
for 10,000 objects; unmarshalling what it built takes 0.03 s), and an editor or a pre-commit
hook validates the same unchanged files again and again. So `validate` keeps, per file, the
documents it built (values and positions) and whether each passed its kind's schema, and
takes them back while the file's bytes and statsync itself are unchanged.

Trust: an entry stands in for a file, so only statsync may have written it. The cache lives
in the user's cache directory (STATSYNC_CACHE_DIR, else $XDG_CACHE_HOME/statsync, else
~/.cache/statsync) — never inside the repository, whose files a pull request controls, and
never chosen by statsync.yaml. Commands that plan or change Statsig never use it: they read
every file afresh. A damaged, foreign or stale entry is a miss, never an error; a cache that
cannot be written is skipped silently.

One entry per file path (its name is a digest of the absolute path), so an edited file
overwrites its own entry; entries not written for KEEP_DAYS (files validated once, in a
directory since gone) are removed whenever a run writes entries.
"""
from __future__ import annotations

import hashlib
import marshal
import os
import sys
import tempfile
import time
from array import array
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from statsync.loader import Document

FORMAT = 1
KEEP_DAYS = 30
DISABLE_ENV, DIRECTORY_ENV = "STATSYNC_CACHE", "STATSYNC_CACHE_DIR"


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=20).digest()


@lru_cache(maxsize=1)
def code_digest() -> bytes:
    """What decides how a file reads and which schema it meets: statsync's source and data
    files (kinds, schemas, the Console API spec), PyYAML, the schema validators and Python.
    Any change is a miss."""
    from importlib.util import find_spec

    import yaml

    digest = hashlib.blake2b(digest_size=20)
    digest.update(f"{FORMAT} {sys.version} {yaml.__version__} {yaml.__with_libyaml__}".encode())
    for name in ("jsonschema", "fastjsonschema"):  # their installed files, not their metadata (40 ms to read)
        spec = find_spec(name)
        found = os.stat(spec.origin) if spec is not None and spec.origin else None
        digest.update(f" {name} {found.st_size} {found.st_mtime_ns}".encode() if found else f" {name} -".encode())
    package = Path(__file__).resolve().parent
    for path in sorted(p for suffix in ("*.py", "*.json") for p in package.rglob(suffix)):
        digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.digest()


def directory() -> Path | None:
    """Where entries live, or None when the cache is switched off (STATSYNC_CACHE=off)."""
    if os.environ.get(DISABLE_ENV, "").lower() in ("0", "off", "false", "no"):
        return None
    chosen = os.environ.get(DIRECTORY_ENV)
    if chosen:
        return Path(chosen)
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]) / "statsync"
    try:
        return Path.home() / ".cache" / "statsync"
    except RuntimeError:  # no HOME and no password entry (some CI containers): no cache, no failure
        return None


class LoadCache:
    """Per-file documents for one command: `take` an unchanged file's at load time, `offer`
    what was read afresh, `save` at the end — with which documents their schemas passed."""

    def __init__(self, root: Path):
        self.root = root / f"load-{FORMAT}"
        self.hits = 0
        self._pending: dict[Path, tuple[bytes, bytes, list[Document]]] = {}

    def take(self, path: Path, content: bytes, name: str) -> list[Document] | None:
        """The documents `path` held when it had exactly `content`, named `name`; None on a miss."""
        from statsync.loader import Document

        try:
            stored = marshal.loads((self.root / _entry_name(path)).read_bytes())
            form, code, source, payload_digest, clean, payload = stored
            if (form, code, source) != (FORMAT, code_digest(), _digest(content)) \
                    or _digest(payload) != payload_digest:
                return None
            documents = []
            documents = [Document(name, data, array("Q", marks), array("Q", key_marks), schema_checked=bool(checked))
                         for (data, marks, key_marks), checked in zip(marshal.loads(payload), clean, strict=True)]
        except (OSError, EOFError, ValueError, TypeError):
            return None  # no entry, or one this statsync did not write whole
        self.hits += 1
        return documents

    def offer(self, path: Path, content: bytes, documents: list[Document]) -> None:
        """Documents just built from `content`: serialised now, before anyone may reshape them."""
        try:
            payload = marshal.dumps([(d.data, d.marks.tobytes(), d.key_marks.tobytes()) for d in documents])
        except ValueError:
            return  # a value marshal cannot carry (a YAML timestamp): this file is always read afresh
        self._pending[path] = (_digest(content), payload, documents)

    def save(self) -> None:
        """Write the files read afresh this run, with which documents their schemas passed."""
        if not self._pending:
            return
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            for path, (source, payload, documents) in self._pending.items():
                clean = [d.schema_checked for d in documents]
                entry = marshal.dumps((FORMAT, code_digest(), source, _digest(payload), clean, payload))
                _write_whole(self.root / _entry_name(path), entry)
            _forget_old(self.root)
        except OSError:
            pass  # a read-only or full disk: the next run reads the files again
        self._pending.clear()


def _forget_old(root: Path) -> None:
    """Remove entries written more than KEEP_DAYS ago (an unchanged file's entry is written
    again the first run after: one read afresh a month)."""
    oldest = time.time() - KEEP_DAYS * 86400
    with os.scandir(root) as entries:
        for entry in entries:
            try:
                if entry.is_file(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_mtime < oldest:
                    os.unlink(entry.path)
            except OSError:
                continue  # another run removed or replaced it first


def _write_whole(target: Path, content: bytes) -> None:
    """Another validate running at the same time reads the old entry or the new one, never half."""
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".entry-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _entry_name(path: Path) -> str:
    return hashlib.blake2b(str(path.resolve()).encode(), digest_size=16).hexdigest()


def for_validate() -> LoadCache | None:
    root = directory()
    return LoadCache(root) if root is not None else None
