"""YAML files → documents that remember where every value came from.

PyYAML's composer keeps a start mark on every node; we build plain Python values
from the node tree ourselves so each mapping value and list item gets a
file:line:column, and so duplicate keys are errors instead of silent overwrites.
"""
from __future__ import annotations

import math
import os
import re
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

import yaml

from statsync import bulk
from statsync.errors import InvalidConfig, Mark, Problem

if TYPE_CHECKING:
    from statsync.cache import LoadCache

try:  # the C loader is several times faster on large repositories
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader

CONFIG_FILE = "statsync.yaml"
YAML_SUFFIXES = (".yaml", ".yml")

FieldPath = tuple[str | int, ...]
_PLAIN_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")
_INT, _FLOAT, _STR = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:str"
_DECIMAL = re.compile(r"[-+]?(0|[1-9][0-9]*)")
_TRAILING_ZERO = re.compile(r"[-+]?[0-9]+\.[0-9]*0")  # 1.10, 4.20: a version that would lose its zero
# Nesting deeper than this is refused before Python's recursion limit is near; statsync's
# objects nest a dozen levels, a config's JSON value rarely more than a few dozen.
MAX_DEPTH = 100
# Values that aliases may add to one document: enough for any sane reuse, and a "billion
# laughs" of a few hundred bytes is refused instead of filling memory.
MAX_ALIAS_VALUES = 100_000


@dataclass
class Document:
    """One YAML document: its data and where every value in it came from.

    A large repository has over a million values and keys, and a dictionary from each
    one's path to a (line, column) pair was half of `validate`'s memory. So positions are
    kept in the order the values were built — depth first, a mapping before its entries, a
    key before its value — one packed integer each, and a path is found again by walking
    `data` in that order, once, when a message first needs a Mark (never for a valid repository).
    `data` keeps the shape it was loaded with (a scalar may be replaced by a scalar).
    """

    file: str
    data: Any
    marks: array = field(default_factory=lambda: array("Q"))  # every value, in build order
    key_marks: array = field(default_factory=lambda: array("Q"))  # every mapping key, in build order
    # its kind's schema passed it, this run or (statsync/cache.py) an earlier one with the same bytes and statsync
    schema_checked: bool = field(default=False, compare=False)

    # path → index into marks, and key path → index into key_marks: worked out by one walk
    # of `data` the first time a message needs a mark (a valid repository never asks)
    _paths: tuple[dict, dict] | None = field(default=None, init=False, repr=False, compare=False)

    def mark(self, path: Iterable[str | int] = (), key: bool = False) -> Mark:
        """The mark of `path`'s value (or key), or of its nearest existing ancestor."""
        if self._paths is None:
            self._paths = _build_order(self.data)
        values, keys = self._paths
        path = tuple(path)
        if key and keys.get(path, len(self.key_marks)) < len(self.key_marks):
            return _unpacked(self.file, self.key_marks[keys[path]])
        while path and path not in values:
            path = path[:-1]
        index = values.get(path, 0)
        # (past the end only if someone reshaped `data`: the document's start, never a traceback)
        return _unpacked(self.file, self.marks[index] if index < len(self.marks) else self.marks[0])


def _build_order(data: Any) -> tuple[dict[FieldPath, int], dict[FieldPath, int]]:
    """Every value's path and every key's path, numbered in the order _Builder kept them."""
    values: dict[FieldPath, int] = {}
    keys: dict[FieldPath, int] = {}

    def walk(value: Any, path: FieldPath) -> None:
        values[path] = len(values)
        if isinstance(value, dict):
            for name, item in value.items():
                keys[(*path, name)] = len(keys)
                walk(item, (*path, name))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, (*path, index))

    walk(data, ())
    return values, keys


# A position as one integer: the 0-based line above _COLUMN_BITS, the 0-based column below.
_COLUMN_BITS = 32


def _unpacked(file: str, packed: int) -> Mark:
    return Mark(file, (packed >> _COLUMN_BITS) + 1, (packed & ((1 << _COLUMN_BITS) - 1)) + 1)


def _mark(file: str, node: yaml.Node) -> Mark:
    return Mark(file, node.start_mark.line + 1, node.start_mark.column + 1)


class _Builder:
    """Node tree → Python values, recording marks and rejecting duplicate keys."""

    def __init__(self, file: str):
        self.file = file
        self.marks = array("Q")
        self.key_marks = array("Q")
        self.problems: list[Problem] = []
        self._scalars = yaml.constructor.SafeConstructor()
        self._scalar_constructors = yaml.constructor.SafeConstructor.yaml_constructors
        self._built: set[int] = set()  # collection nodes built once: building one again is an alias
        self._sizes: dict[int, int] = {}
        self._alias_values = 0

    def build(self, node: yaml.Node, depth: int = 0, in_target_value: bool = False, value: bool = True) -> Any:
        """`node` as a Python value, `depth` levels down, inside a condition's `targetValue`
        or not; `value`: it is one of the document's values (not a mapping key), so its
        position is kept. (No path is built: positions are found again by walking the data.)"""
        if value:
            start = node.start_mark
            self.marks.append(start.line << _COLUMN_BITS | start.column)
        if depth > MAX_DEPTH:
            self.problems.append(Problem(_mark(self.file, node), f"nested deeper than {MAX_DEPTH} levels"))
            return None
        if node.tag == _STR and node.__class__ is yaml.ScalarNode:
            return node.value  # most values: text, without the constructor's bookkeeping
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            if node.tag not in _PLAIN_TAGS:
                self.problems.append(Problem(_mark(self.file, node), f"unsupported YAML tag {node.tag}"))
                return None
            if id(node) in self._built:
                self._alias_values += self._size(node)
                if self._alias_values > MAX_ALIAS_VALUES:
                    self.problems.append(Problem(_mark(self.file, node), (
                        f"aliases of the anchor here expand this document past {MAX_ALIAS_VALUES} values; "
                        f"refused (a YAML alias bomb?)")))
                    raise _Abandon()
            self._built.add(id(node))
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            seen: dict[Any, yaml.Node] = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    self.problems.append(Problem(_mark(self.file, key_node), "merge keys (<<) are not supported"))
                    continue
                if key_node.tag == _STR and key_node.__class__ is yaml.ScalarNode and depth < MAX_DEPTH:
                    key = key_node.value  # a plain text key, as build() would make it
                else:
                    key = self.build(key_node, depth + 1, in_target_value, value=False)
                if not isinstance(key, (str, int, float, bool)) or key is None:
                    self.problems.append(Problem(_mark(self.file, key_node), "mapping keys must be plain strings"))
                    continue
                if key in seen:
                    first = _mark(self.file, seen[key])
                    self.problems.append(Problem(
                        _mark(self.file, key_node),
                        f"duplicate key {key!r} (first defined at line {first.line}, column {first.column})"))
                    continue
                seen[key] = key_node
                start = key_node.start_mark
                self.key_marks.append(start.line << _COLUMN_BITS | start.column)
                out[key] = self.build(value_node, depth + 1, in_target_value or key == "targetValue")
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, depth + 1, in_target_value) for item in node.value]
        construct = self._scalar_constructors.get(node.tag)
        if construct is None:
            return self._scalars.construct_object(node, deep=True)  # raises a marked error
        value = construct(self._scalars, node)
        if node.tag in (_INT, _FLOAT) and not node.style:  # plain (the C loader says "", Python None)
            reading = _yaml11_reading(node.value, value, in_target_value)
            if reading:
                self.problems.append(Problem(_mark(self.file, node), reading))
        return value

    def _size(self, node: yaml.Node, depth: int = 0) -> int:
        """Values under a node, aliases counted each time (memoised: a bomb is sized cheaply)."""
        if not isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) or depth > MAX_DEPTH:
            return 1
        if id(node) not in self._sizes:
            items = [v for pair in node.value for v in pair] if isinstance(node, yaml.MappingNode) else node.value
            self._sizes[id(node)] = 1 + sum(self._size(item, depth + 1) for item in items)
        return self._sizes[id(node)]


class _Abandon(Exception):
    """Stop building a document whose problem is already recorded."""


def _yaml11_reading(text: str, value: Any, in_target_value: bool) -> str:
    """Why an unquoted number would not mean what it says, or ''. YAML 1.1 (PyYAML) reads
    0x10 as 16, 017 as 15, 1:30 as 90 and 1_000 as 1000; a version 1.10 becomes 1.1."""
    quoted = f'"{text}"'
    if isinstance(value, float) and (math.isinf(value) or math.isnan(value)):
        return f"{text} is not a finite number (JSON cannot carry it); quote it ({quoted}) if you mean text"
    if isinstance(value, int) and not _DECIMAL.fullmatch(text):
        return (f"YAML reads {text} as the number {value}; quote it ({quoted}) to keep the text, "
                f"or write {value}")
    if isinstance(value, float) and ("_" in text or ":" in text):
        return (f"YAML reads {text} as the number {value:g}; quote it ({quoted}) to keep the text, "
                f"or write {value:g}")
    if isinstance(value, float) and in_target_value and _TRAILING_ZERO.fullmatch(text) \
            and repr(value) != text.lstrip("+"):
        return (f"YAML reads {text} as the number {value!r}, which compares differently from the text "
                f"(a version 1.10 is not 1.1); quote it ({quoted})")
    return ""


def load_file(path: Path, display: str | None = None, cache: LoadCache | None = None) -> list[Document]:
    """Every document in one YAML file. Raises InvalidConfig on bad YAML."""
    name = display or str(path)
    try:
        content = path.read_bytes()
        if cache is not None and (kept := cache.take(path, content, name)) is not None:
            return kept
        # as read_text reads it: UTF-8, and \r\n or \r ends a line like \n
        text = content.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError as exc:
        raise InvalidConfig([Problem(Mark(name, 1, 1), f"not UTF-8 text ({exc.reason})")]) from None
    except OSError as exc:
        raise InvalidConfig([Problem(None, f"{name}: cannot read: {exc.strerror}")]) from None
    documents = load_text(text, name)
    if cache is not None:
        cache.offer(path, content, documents)
    return documents


def load_text(text: str, name: str) -> list[Document]:
    documents: list[Document] = []
    problems: list[Problem] = []
    try:
        for node in yaml.compose_all(text, Loader=_Loader):
            if node is None:
                continue
            builder = _Builder(name)
            try:
                data = builder.build(node)
            except yaml.constructor.ConstructorError as exc:
                problems.append(_yaml_problem(name, exc, text))
                continue
            except _Abandon:
                problems.extend(builder.problems)
                continue
            problems.extend(builder.problems)
            documents.append(Document(name, data, builder.marks, builder.key_marks))
    except yaml.MarkedYAMLError as exc:
        problems.append(_yaml_problem(name, exc, text))
    except yaml.YAMLError as exc:  # pragma: no cover - unmarked errors are rare
        problems.append(Problem(Mark(name, 1, 1), str(exc)))
    if problems:
        raise InvalidConfig(problems)
    return documents


def _yaml_problem(name: str, exc: yaml.MarkedYAMLError, text: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    where = Mark(name, mark.line + 1, mark.column + 1) if mark else Mark(name, 1, 1)
    what = exc.problem or exc.context or "invalid YAML"
    if mark is not None and 0 <= mark.index < len(text) and text[mark.index] == "\t":
        what = "tab character; YAML indentation must use spaces"
    return Problem(where, f"invalid YAML: {what}")


def find_files(paths: Iterable[Path]) -> list[Path]:
    """YAML files under `paths` (recursively), sorted, skipping statsync.yaml and dot-dirs."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            for candidate in sorted(path.rglob("*")):
                relative = candidate.relative_to(path)
                if any(part.startswith(".") for part in relative.parts):
                    continue
                if candidate.suffix in YAML_SUFFIXES and candidate.name != CONFIG_FILE and candidate.is_file():
                    found.append(candidate)
        elif path.exists():
            found.append(path)
        else:
            raise InvalidConfig([Problem(None, f"{path}: no such file or directory")])
    return found


@dataclass(frozen=True)
class Skipped:
    """A file that holds statsync objects but is not loaded, and why."""

    path: Path
    reason: str
    objects: tuple[tuple[str, str], ...]  # (kind, id) of the documents in it


# never statsync's: version control and statsync's own state
_NOT_OURS = (".git", ".statsync")


def skipped_files(paths: Iterable[Path], kinds: Iterable[str]) -> list[Skipped]:
    """Files `find_files` passes over that hold statsync documents: an upper-case
    extension, a hidden directory, a symlinked directory. Listed so nobody thinks they
    are managed, and so pruning never deletes what they describe."""
    kinds = set(kinds)
    out = []
    for root in paths:
        if not root.is_dir():
            continue
        for directory, subdirs, files in os.walk(root, followlinks=False):
            here = Path(directory)
            relative = here.relative_to(root)
            hidden = any(part.startswith(".") for part in relative.parts)
            if any(part in _NOT_OURS for part in relative.parts):
                subdirs[:] = []
                continue
            for name in subdirs:
                if (here / name).is_symlink():
                    for file in sorted((here / name).rglob("*")):
                        _consider(file, "in a symlinked directory, which is not followed", kinds, out)
            for name in sorted(files):
                file = here / name
                if hidden:
                    _consider(file, "in a hidden directory", kinds, out)
                elif file.suffix not in YAML_SUFFIXES and file.suffix.lower() in YAML_SUFFIXES:
                    _consider(file, f"its extension {file.suffix} is not lower-case .yaml or .yml", kinds, out)
    return out


def _consider(file: Path, reason: str, kinds: set[str], out: list[Skipped]) -> None:
    if file.suffix.lower() not in YAML_SUFFIXES or not file.is_file() or file.stat().st_size > 16 * 2**20:
        return
    try:
        documents = load_file(file)
    except (InvalidConfig, OSError):
        return  # not readable as YAML: it never was a statsync file
    objects = tuple((d.data["kind"], str(d.data.get("id"))) for d in documents
                    if isinstance(d.data, dict) and d.data.get("kind") in kinds)
    if objects:
        out.append(Skipped(file, reason, objects))


@dataclass
class OnlyOurs:
    """Pass over YAML files that are not statsync's — docker-compose files, Kubernetes
    manifests, Helm templates — when statsync.yaml does not say where objects live, so
    `statsync validate .` works in any repository. A file is statsync's when one of its
    documents names a statsync kind, or nearly does (`kind: gat` is a typo to report,
    not a stranger to ignore); a file that is not even YAML is statsync's only when a
    line of it says so. Files named one by one are always checked."""

    kinds: frozenset[str]
    passed_over: list[Path] = field(default_factory=list)

    def names_ours(self, kind: Any) -> bool:
        if not isinstance(kind, str):
            return False
        import difflib

        return kind in self.kinds or bool(difflib.get_close_matches(kind, self.kinds, n=1, cutoff=0.75))

    def ours(self, documents: list[Document]) -> bool:
        return any(isinstance(d.data, dict) and self.names_ours(d.data.get("kind")) for d in documents)

    def ours_text(self, path: Path) -> bool:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return True  # the read error is ours to report
        return any(self.names_ours(match.group(1).strip("\"'"))
                   for match in re.finditer(r"^kind:[ \t]*(\S+)", text, re.MULTILINE))


@bulk.phase
def load_paths(paths: Iterable[Path], only_ours: OnlyOurs | None = None,
               cache: LoadCache | None = None) -> list[Document]:
    """Every document under `paths`; all files' problems are collected before raising.
    With `only_ours`, files found in directories that are not statsync's are passed over
    (and listed in it). With `cache` (validate only), unchanged files are taken from it."""
    paths = list(paths)
    named = {path for path in paths if not path.is_dir()}
    documents: list[Document] = []
    problems: list[Problem] = []
    for path in find_files(paths):
        judge = only_ours if only_ours is not None and path not in named else None
        try:
            loaded = load_file(path, cache=cache)
        except InvalidConfig as exc:
            if judge is not None and not judge.ours_text(path):
                judge.passed_over.append(path)
                continue
            problems.extend(exc.problems)
            continue
        if judge is not None and loaded and not judge.ours(loaded):
            judge.passed_over.append(path)
            continue
        documents.extend(loaded)
    if problems:
        raise InvalidConfig(problems)
    return documents
