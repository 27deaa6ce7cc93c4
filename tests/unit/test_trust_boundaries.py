"""#13: a pull request's files cannot read the machine (the hostile cases, one line each)."""
import os

import pytest

from statsync.errors import InvalidConfig
from statsync.loader import load_paths
from statsync.validate import desired_objects

SEGMENT = "kind: segment\nid: partners\ntype: id_list\nidsFile: {path}\n"


def _repo(tmp_path, ids_file: str):
    repo = tmp_path / "repo"
    (repo / "segments").mkdir(parents=True)
    (repo / "statsync.yaml").write_text("{}\n")
    (repo / "segments" / "partners.yaml").write_text(SEGMENT.format(path=ids_file))
    return repo


@pytest.mark.parametrize("ids_file, reason", [
    ("/proc/self/environ", "outside the repository"),
    ("../../../../../../etc/passwd", "outside the repository"),
    ("/dev/zero", "outside the repository"),
    ("link.txt", "outside the repository"),  # a symlink pointing out
    ("fifo", "not a regular file"),
])
def test_ids_files_stay_inside_the_repository(tmp_path, monkeypatch, ids_file, reason):
    monkeypatch.setenv("STATSIG_CONSOLE_API_KEY", "console-secret-that-must-not-leak")
    repo = _repo(tmp_path, ids_file)
    outside = tmp_path / "secret.txt"
    outside.write_text("console-secret-that-must-not-leak\n")
    (repo / "segments" / "link.txt").symlink_to(outside)
    os.mkfifo(repo / "segments" / "fifo")
    with pytest.raises(InvalidConfig) as refused:
        desired_objects(load_paths([repo]))
    [problem] = refused.value.problems
    assert reason in str(problem) and "partners.yaml:4:10: idsFile" in str(problem)
    assert "console-secret" not in str(problem)


def test_an_ids_file_inside_the_repository_is_read(tmp_path):
    repo = _repo(tmp_path, "../data/partners.txt")
    (repo / "data").mkdir()
    (repo / "data" / "partners.txt").write_text("acme\n# a comment\nglobex\n")
    [segment] = desired_objects(load_paths([repo]))
    assert segment.body["ids"] == ["acme", "globex"]


def test_a_yaml_file_linked_in_from_elsewhere_gains_no_wider_root(tmp_path):
    """The root is found from where the YAML stands in the repository, not where its
    symlink points: a linked-in segment cannot read files beside its real location."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "statsync.yaml").write_text("{}\n")
    (elsewhere / "secret.txt").write_text("console-secret-that-must-not-leak\n")
    (elsewhere / "partners.yaml").write_text(SEGMENT.format(path="../../elsewhere/secret.txt"))
    repo = tmp_path / "repo"
    (repo / "segments").mkdir(parents=True)
    (repo / "statsync.yaml").write_text("{}\n")
    (repo / "segments" / "partners.yaml").symlink_to(elsewhere / "partners.yaml")
    with pytest.raises(InvalidConfig, match="outside the repository"):
        desired_objects(load_paths([repo]))
