"""validate's cache (statsync/cache.py): an unchanged file is taken back exactly as it was read
— values, every position, which documents passed their schemas — and anything else is read
afresh: an edit, another statsync, a damaged or forged entry. Plans never use it."""
from __future__ import annotations

import marshal
import os
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from statsync import cache
from statsync.cli import main
from statsync.errors import InvalidConfig
from statsync.loader import find_files, load_paths
from statsync.validate import desired_objects
from tests.conftest import EXAMPLES, EXAMPLE_OBJECTS, TEST_KEY


@pytest.fixture
def cache_dir(tmp_path, monkeypatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv(cache.DIRECTORY_ENV, str(directory))
    monkeypatch.delenv(cache.DISABLE_ENV, raising=False)
    return directory


@pytest.fixture
def repo(tmp_path) -> Path:
    target = tmp_path / "configs"
    shutil.copytree(EXAMPLES, target, ignore=shutil.ignore_patterns(".statsync"))
    return target


def _read(paths, directory: Path) -> tuple[list, cache.LoadCache]:
    kept = cache.LoadCache(directory)
    try:
        documents = load_paths(paths, cache=kept)
        try:
            desired_objects(documents)
        except InvalidConfig:
            pass
    finally:
        kept.save()
    return documents, kept


def _every_mark(document) -> list:
    from statsync.loader import _build_order

    values, keys = _build_order(document.data)
    return [document.mark(path) for path in values] + [document.mark(path, key=True) for path in keys]


def test_an_unchanged_file_comes_back_exactly_as_it_was_read(repo, cache_dir):
    first, cold = _read([repo], cache_dir)
    second, warm = _read([repo], cache_dir)
    assert cold.hits == 0 and warm.hits == len(find_files([repo])) > 10
    assert len(first) == len(second)
    for fresh, kept in zip(first, second):
        assert kept.file == fresh.file and kept.data == fresh.data
        assert list(kept.marks) == list(fresh.marks) and list(kept.key_marks) == list(fresh.key_marks)
        assert _every_mark(kept) == _every_mark(fresh)
        # what the schema passed is remembered; a targeting test is never a schema's
        assert kept.schema_checked == fresh.schema_checked == (fresh.data.get("kind") != "test")


def test_an_edited_file_is_read_afresh_and_its_new_problem_named(repo, cache_dir):
    runner = CliRunner()
    assert runner.invoke(main, ["validate", str(repo)]).exit_code == 0
    gate = repo / "gates" / "new_checkout.yaml"
    gate.write_text(gate.read_text().replace("passPercentage: 25", "passPercentage: 250"))
    result = runner.invoke(main, ["validate", str(repo)])
    assert result.exit_code == 1
    line = next(n for n, text in enumerate(gate.read_text().splitlines(), 1) if "passPercentage: 250" in text)
    assert f"new_checkout.yaml:{line}:" in result.output and "250" in result.output
    # and the same problem again on the next run: a document that failed is never remembered as passing
    again = runner.invoke(main, ["validate", str(repo)])
    assert again.exit_code == 1 and again.output == result.output


def test_a_schema_failure_is_not_remembered_as_a_pass(repo, cache_dir):
    gate = repo / "gates" / "new_checkout.yaml"
    gate.write_text(gate.read_text().replace("passPercentage: 25", "passPercentage: 250"))
    _read([gate], cache_dir)
    (kept,), warm = _read([gate], cache_dir)
    assert warm.hits == 1 and kept.schema_checked is False
    with pytest.raises(InvalidConfig, match="250"):
        desired_objects([kept])


def test_another_statsync_reads_afresh(repo, cache_dir, monkeypatch):
    _read([repo], cache_dir)
    monkeypatch.setattr(cache, "code_digest", lambda: b"another statsync")
    _, warm = _read([repo], cache_dir)
    assert warm.hits == 0


@pytest.mark.parametrize("damage", ["truncated", "garbage", "payload", "empty"])
def test_a_damaged_entry_is_a_miss(repo, cache_dir, damage):
    gate = repo / "gates" / "new_checkout.yaml"
    (fresh,), _ = _read([gate], cache_dir)
    (entry,) = (cache_dir / f"load-{cache.FORMAT}").iterdir()
    content = entry.read_bytes()
    if damage == "truncated":
        entry.write_bytes(content[: len(content) // 2])
    elif damage == "garbage":
        entry.write_bytes(b"\x00\xff" * 100)
    elif damage == "empty":
        entry.write_bytes(b"")
    else:  # a flipped byte inside the documents: the payload's digest no longer matches
        form, code, source, digest, clean, payload = marshal.loads(content)
        payload = payload.replace(b"new_checkout", b"new_chuckout")
        entry.write_bytes(marshal.dumps((form, code, source, digest, clean, payload)))
    (again,), warm = _read([gate], cache_dir)
    assert warm.hits == 0 and again.data == fresh.data


def test_a_plan_never_takes_a_file_from_the_cache(repo, cache_dir, tmp_path, monkeypatch):
    """A forged entry (one validate would take: right format, bytes and code digests) changes
    nothing a plan says: plans and applies read every file afresh."""
    gate = repo / "gates" / "new_checkout.yaml"
    _read([gate], cache_dir)
    (entry,) = (cache_dir / f"load-{cache.FORMAT}").iterdir()
    form, code, source, _, clean, payload = marshal.loads(entry.read_bytes())
    honest = b"New checkout flow, staged rollout"  # the gate's description
    forged = payload.replace(honest, b"FORGED" + honest[len(b"FORGED"):])  # same length: still marshal
    assert forged != payload
    entry.write_bytes(marshal.dumps((form, code, source, cache._digest(forged), clean, forged)))
    (taken,), warm = _read([gate], cache_dir)
    assert warm.hits == 1 and taken.data["description"].startswith("FORGED")  # the forgery is well made

    monkeypatch.setenv("STATSIG_CONSOLE_API_KEY", TEST_KEY)
    runner = CliRunner()
    applied = runner.invoke(main, ["apply", str(repo), "--target", "local", "--auto-approve"])
    assert applied.exit_code == 0, applied.output
    state = (repo / ".statsync" / "local.json").read_text()
    assert "FORGED" not in state and honest.decode() in state


def test_switched_off_or_unwritable_it_stays_out_of_the_way(repo, tmp_path, monkeypatch):
    runner = CliRunner()
    monkeypatch.setenv(cache.DISABLE_ENV, "off")
    monkeypatch.setenv(cache.DIRECTORY_ENV, str(tmp_path / "off"))
    assert runner.invoke(main, ["validate", str(repo)]).exit_code == 0
    assert not (tmp_path / "off").exists()

    monkeypatch.delenv(cache.DISABLE_ENV)
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the cache directory would be")
    monkeypatch.setenv(cache.DIRECTORY_ENV, str(blocker / "cache"))
    result = runner.invoke(main, ["validate", str(repo)])
    assert result.exit_code == 0 and f"{EXAMPLE_OBJECTS} object(s) valid" in result.output


def test_it_lives_in_the_users_cache_directory_not_the_repository(monkeypatch, tmp_path):
    monkeypatch.delenv(cache.DIRECTORY_ENV, raising=False)
    monkeypatch.delenv(cache.DISABLE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.directory() == tmp_path / "xdg" / "statsync"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache.directory() == tmp_path / "home" / ".cache" / "statsync"


def test_entries_not_written_for_a_month_are_forgotten(repo, tmp_path, cache_dir):
    gate = repo / "gates" / "new_checkout.yaml"
    _read([gate], cache_dir)
    entries = cache_dir / f"load-{cache.FORMAT}"
    (old,) = entries.iterdir()
    month_ago = time.time() - (cache.KEEP_DAYS + 1) * 86400
    os.utime(old, (month_ago, month_ago))
    _read([gate], cache_dir)  # a hit writes nothing: nothing is pruned yet
    assert old.exists()
    _read([repo / "gates" / "employees.yaml"], cache_dir)  # a run that writes prunes the stale one
    assert not old.exists() and len(list(entries.iterdir())) == 1
    (_,), warm = _read([gate], cache_dir)
    assert warm.hits == 0  # read afresh, and kept again
    assert len(list(entries.iterdir())) == 2


def test_without_a_home_directory_there_is_no_cache_and_no_failure(repo, monkeypatch):
    """Some CI containers run with no HOME and no password entry: Path.home() raises."""
    for name in (cache.DIRECTORY_ENV, cache.DISABLE_ENV, "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)

    def no_home():
        raise RuntimeError("Could not determine home directory.")
    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    assert cache.directory() is None
    result = CliRunner().invoke(main, ["validate", str(repo)])
    assert result.exit_code == 0 and f"{EXAMPLE_OBJECTS} object(s) valid" in result.output
