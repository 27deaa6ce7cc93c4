"""`statsync fmt`: import's layout, never a value or a comment lost."""
from statsync.loader import load_paths

MESSY = """# Checkout flags. This header stays.
kind: gate
description: Kill switch.
id: kill_checkout
rules:
- conditions: [{targetValue: ['@example.com'], operator: str_contains_any, type: email}]
  passPercentage: 100
  name: Staff
---
# between the documents: stays too
id: with_comment
kind: gate
description: Keeps its comment.   # a comment inside the document
"""


def values(path):
    return [document.data for document in load_paths([path])]


def test_fmt_check_lists_without_writing_then_fmt_writes_the_canonical_layout(cli, tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "gates.yaml").write_text(MESSY)
    before = values(repo)
    check = cli("fmt", str(repo), "--check")
    assert check.exit_code == 1 and f"would format {repo}/gates.yaml" in check.output
    assert (repo / "gates.yaml").read_text() == MESSY  # --check changes nothing
    assert f"note: {repo}/gates.yaml:11: not formatted: the comments inside this document would be lost" \
        in check.output
    written = cli("fmt", str(repo))
    assert written.exit_code == 0 and f"formatted {repo}/gates.yaml" in written.output
    text = (repo / "gates.yaml").read_text()
    assert text.startswith("# Checkout flags. This header stays.\nkind: gate\nid: kill_checkout\n"
                           "description: Kill switch.\nrules:\n  - name: Staff\n    passPercentage: 100\n"
                           "    conditions:\n      - {type: email, operator: str_contains_any, "
                           "targetValue: [\"@example.com\"]}\n---\n# between the documents: stays too\n")
    assert text.endswith(MESSY[MESSY.index("id: with_comment"):])  # the commented document, untouched
    assert values(repo) == before  # the same values, to the last one
    assert cli("fmt", str(repo), "--check").exit_code == 0


def test_fmt_keeps_every_value_of_the_examples(cli, examples):
    before = values(examples)
    assert cli("fmt", str(examples)).exit_code == 0
    assert values(examples) == before
    again = cli("fmt", str(examples), "--check")
    assert again.exit_code == 0 and "Every file is in the canonical layout." in again.output
    assert cli("validate", str(examples)).exit_code == 0
