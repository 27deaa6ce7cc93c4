"""A new kind costs its declaration and its emulator entity (#16): outside `kinds/` and
`emulator/`, no module branches on a kind by name. Fails naming the module, line and kind."""
import ast
from pathlib import Path

from statsync.kinds import all_kinds

PACKAGE = Path(__file__).resolve().parents[2] / "statsync"
# Modules that speak Statsig's SDK vocabulary rather than the Console's kinds: they
# translate a gate, an experiment, a layer into what an SDK evaluates (compile), run and
# explain that evaluation (testing, explain), or ask Statsig questions about particular
# kinds on purpose (probe). Naming kinds is their job; each is one module with one job.
EVALUATION = {"compile.py", "testing.py", "explain.py", "probe.py"}


def _kind_names_in(tree: ast.AST) -> list[tuple[int, str]]:
    """String constants naming a kind where code decides by kind: compared with a `.name`
    or `kind`, tested for membership, or used as an index into the kind registry."""
    kinds = set(all_kinds())
    found = []

    def names_kind(node: ast.AST) -> bool:
        text = ast.unparse(node)
        return text.endswith(".name") or "kind" in text.lower()

    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and any(names_kind(part) for part in [node.left, *node.comparators]):
            for part in ast.walk(node):
                if isinstance(part, ast.Constant) and part.value in kinds:
                    found.append((part.lineno, part.value))
        elif isinstance(node, ast.Subscript) and "kinds" in ast.unparse(node.value):
            if isinstance(node.slice, ast.Constant) and node.slice.value in kinds:
                found.append((node.lineno, node.slice.value))
        elif isinstance(node, ast.Call) and ast.unparse(node.func).endswith("Choice"):
            for part in ast.walk(node):
                if isinstance(part, ast.Constant) and part.value in kinds:
                    found.append((part.lineno, part.value))
    return found


def test_no_module_outside_kinds_and_emulator_branches_on_a_kind():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] in ("kinds", "emulator") or relative.name in EVALUATION:
            continue
        for line, kind in _kind_names_in(ast.parse(path.read_text())):
            offenders.append(f"statsync/{relative}:{line}: names kind {kind!r}")
    assert offenders == [], "\n".join(offenders)


def test_the_check_sees_what_it_is_meant_to_see():
    caught = _kind_names_in(ast.parse(
        "if obj.kind.name == 'holdout': pass\n"
        "x = [o for o in objs if o.kind.name in ('layer', 'experiment')]\n"
        "k = all_kinds()['gate']\n"
        "rules = rule.get('environments')\n"))  # a field named like a kind is not a kind
    assert sorted(caught) == [(1, "holdout"), (2, "experiment"), (2, "layer"), (3, "gate")]
