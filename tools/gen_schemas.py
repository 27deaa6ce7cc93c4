"""Write schemas/*.json and docs/field-coverage.md from the kind declarations and the spec extract.

Usage: python tools/gen_schemas.py   (tests/unit/test_schemas.py fails when stale)
"""
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from statsync.coverage import render_markdown  # noqa: E402
from statsync.schemas import all_schemas  # noqa: E402


def render(schema: dict) -> str:
    return json.dumps(schema, indent=2, sort_keys=False) + "\n"


def main() -> int:
    out = ROOT / "schemas"
    out.mkdir(exist_ok=True)
    for name, schema in all_schemas().items():
        (out / name).write_text(render(schema))
        print(f"wrote schemas/{name}")
    (ROOT / "docs").mkdir(exist_ok=True)
    (ROOT / "docs" / "field-coverage.md").write_text(render_markdown())
    print("wrote docs/field-coverage.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
