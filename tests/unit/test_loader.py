from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from statsync.errors import InvalidConfig
from statsync.loader import find_files, load_paths, load_text


def test_every_value_and_list_item_remembers_file_line_and_column():
    text = "kind: gate\nid: my_gate\nrules:\n  - name: Rollout\n    passPercentage: 10\n"
    [doc] = load_text(text, "gates/a.yaml")
    assert str(doc.mark(("rules", 0))) == "gates/a.yaml:4:5"
    assert str(doc.mark(("rules", 0, "passPercentage"))) == "gates/a.yaml:5:21"
    assert str(doc.mark(("rules", 0, "passPercentage"), key=True)) == "gates/a.yaml:5:5"
    # a path that does not exist falls back to its nearest ancestor
    assert str(doc.mark(("rules", 0, "conditions", 3))) == "gates/a.yaml:4:5"


def test_several_documents_per_file_keep_their_own_lines():
    docs = load_text("kind: gate\nid: one_gate\n---\nkind: gate\nid: two_gate\n", "f.yaml")
    assert [d.data["id"] for d in docs] == ["one_gate", "two_gate"]
    assert docs[1].mark(("id",)).line == 5


def test_duplicate_keys_are_errors_naming_both_places():
    with pytest.raises(InvalidConfig) as caught:
        load_text("kind: gate\nid: a_gate\nid: b_gate\n", "f.yaml")
    assert str(caught.value) == "f.yaml:3:1: duplicate key 'id' (first defined at line 2, column 1)"


def test_tabs_get_a_message_that_says_so():
    with pytest.raises(InvalidConfig) as caught:
        load_text("kind: gate\nrules:\n\t- name: x\n", "f.yaml")
    assert str(caught.value) == "f.yaml:3:1: invalid YAML: tab character; YAML indentation must use spaces"


def test_malformed_yaml_names_file_and_line():
    with pytest.raises(InvalidConfig) as caught:
        load_text("kind: gate\nrules: [1, 2\nid: x\n", "f.yaml")
    assert str(caught.value).startswith("f.yaml:3:")


def test_python_tags_are_refused_not_executed():
    with pytest.raises(InvalidConfig) as caught:
        load_text("kind: !!python/object/apply:os.system [echo hi]\n", "f.yaml")
    assert "f.yaml:1:7: unsupported YAML tag" in str(caught.value)


def test_directories_are_searched_recursively_skipping_statsync_yaml_and_dot_dirs(tmp_path: Path):
    (tmp_path / "gates" / "deep").mkdir(parents=True)
    (tmp_path / ".statsync").mkdir()
    for name in ("gates/a.yaml", "gates/deep/b.yml", "statsync.yaml", ".statsync/x.yaml", "gates/notes.txt"):
        (tmp_path / name).write_text("{}\n")
    found = [p.relative_to(tmp_path).as_posix() for p in find_files([tmp_path])]
    assert found == ["gates/a.yaml", "gates/deep/b.yml"]


def test_problems_from_all_files_are_reported_together(tmp_path: Path):
    (tmp_path / "a.yaml").write_text("a: 1\na: 2\n")
    (tmp_path / "b.yaml").write_text("b: [\n")
    with pytest.raises(InvalidConfig) as caught:
        load_paths([tmp_path])
    files = [Path(p.mark.file).name for p in caught.value.problems]
    assert files == ["a.yaml", "b.yaml"]


def test_a_missing_path_is_an_error():
    with pytest.raises(InvalidConfig, match="no such file or directory"):
        load_paths([Path("/nonexistent/configs")])


def test_non_utf8_files_are_reported(tmp_path: Path):
    (tmp_path / "bad.yaml").write_bytes(b"kind: gate\nid: \xff\xfe\n")
    with pytest.raises(InvalidConfig, match="not UTF-8"):
        load_paths([tmp_path])


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_hostile_input_never_escapes_as_anything_but_invalid_config(text):
    try:
        load_text(text, "fuzz.yaml")
    except InvalidConfig as exc:
        assert all(str(problem).startswith("fuzz.yaml") for problem in exc.problems)


# Any YAML value statsync reads: nested mappings and lists of text, numbers and booleans.
_values = st.recursive(
    st.one_of(st.text(alphabet="abcxyz :-#'\"é", max_size=6), st.integers(-5, 10**6), st.booleans(), st.none()),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(alphabet="abkz_", min_size=1, max_size=5), inner, max_size=4)),
    max_leaves=25)


def _node_marks(node, path=(), out=None, keys=None):
    """Every value's and key's position, read off PyYAML's own node tree (the oracle)."""
    import yaml

    out, keys = ({} if out is None else out), ({} if keys is None else keys)
    out[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = yaml.safe_load(yaml.serialize(key_node))
            keys[(*path, key)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            _node_marks(value_node, (*path, key), out, keys)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _node_marks(item, (*path, index), out, keys)
    return out, keys


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.text(alphabet="abkz_", min_size=1, max_size=5), _values, min_size=1, max_size=5),
       st.booleans())
def test_every_value_and_key_is_marked_where_yaml_says_it_starts(document, flow):
    """Positions are kept in build order and found again by walking the data (loader.Document):
    each path's mark is the position PyYAML's composer gives that node, a key's too, and a
    path that goes past the data is marked at its deepest part that exists."""
    import yaml

    text = "# leading comment\n" + yaml.safe_dump(document, default_flow_style=flow, allow_unicode=True)
    [loaded] = load_text(text, "doc.yaml")
    assert loaded.data == document
    values, keys = _node_marks(yaml.compose(text))
    for path, (line, column) in values.items():
        mark = loaded.mark(path)
        assert (mark.line, mark.column) == (line, column), path
        beyond = loaded.mark((*path, "no such key", 3))
        assert (beyond.line, beyond.column) == (line, column), path
    for path, (line, column) in keys.items():
        mark = loaded.mark(path, key=True)
        assert (mark.line, mark.column) == (line, column), path


def test_a_document_walks_its_data_once_however_many_messages_it_marks(monkeypatch):
    """A file with thousands of bad values gets a mark per message: walking the data for
    each made a 5,000-rule file take 41 s to report (a pull request could stall CI with one)."""
    from statsync import loader

    walks = []
    real = loader._build_order
    monkeypatch.setattr(loader, "_build_order", lambda data: walks.append(1) or real(data))
    text = "kind: gate\nid: g\nrules:\n" + "".join(f"  - {{name: r{i}, passPercentage: bad}}\n" for i in range(300))
    [document] = load_text(text, "g.yaml")
    marks = [document.mark(("rules", index, "passPercentage")) for index in range(300)]
    assert [(mark.line, mark.column) for mark in marks[:2]] == [(4, 32), (5, 32)] and marks[-1].line == 303
    assert len(walks) == 1
