"""`statsync test` at scale: N cases over an N-object repository (compile + evaluate).

Target (#15): 1,000 cases over 1,000 objects in < 3 s wall on the 2-core machine.
Usage: python benchmarks/test_cases.py [--objects 1000] [--cases 1000]
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.project import objects, write  # noqa: E402


def cases(docs: list[dict], count: int, seed: int = 3) -> list[dict]:
    """Test documents: one per gate or config tested, cases spread over them."""
    rng = random.Random(seed)
    subjects = [d for d in docs if d["kind"] in ("gate", "dynamic_config")]
    tests: dict[str, dict] = {}
    for index in range(count):
        subject = subjects[index % len(subjects)]
        test = tests.setdefault(subject["id"], {"kind": "test", "id": f"t_{subject['id']}",
                                                "subject": f"{subject['kind']} {subject['id']}", "cases": []})
        user = {"userID": f"u{index}", "country": rng.choice(["US", "CA", "MX", "DE", "FR", "JP"]),
                "appVersion": f"{rng.randint(1, 9)}.{rng.randint(0, 9)}.0"}
        if rng.random() < 0.3:
            user["email"] = f"u{index}@example.com"
        # whatever it yields: the benchmark measures, it does not judge
        test["cases"].append({"user": user, "expect": {"pass": {"probability": 0.5}} if subject["kind"] == "gate"
                              else {"value_includes": {}}})
    return list(tests.values())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--objects", type=int, default=1000)
    parser.add_argument("--cases", type=int, default=1000)
    args = parser.parse_args()
    from statsync.loader import load_paths
    from statsync.testing import load_tests, run_tests
    from statsync.validate import check_references, desired_objects

    docs = objects(args.objects)
    with tempfile.TemporaryDirectory() as root:
        write(Path(root), docs + cases(docs, args.cases))
        started = time.perf_counter()
        documents = load_paths([Path(root)])
        loaded = time.perf_counter()
        found = desired_objects(documents)
        check_references(found)
        tests = load_tests(documents, found)
        validated = time.perf_counter()
        results, _, _ = run_tests(tests, found)
        done = time.perf_counter()
    print(f"{len(results)} cases over {len(found)} objects: {done - started:.2f} s wall "
          f"(load {loaded - started:.2f} s, validate {validated - loaded:.2f} s, compile + evaluate "
          f"{done - validated:.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
