"""Write schemas/*.json from the kind declarations and the spec extract.

Usage: python tools/gen_schemas.py   (tests/unit/test_schemas.py fails when stale)
"""
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from statsync.schemas import all_schemas  # noqa: E402


def render(schema: dict) -> str:
    return json.dumps(schema, indent=2, sort_keys=False) + "\n"


def main() -> int:
    out = ROOT / "schemas"
    out.mkdir(exist_ok=True)
    for name, schema in all_schemas().items():
        (out / name).write_text(render(schema))
        print(f"wrote schemas/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
