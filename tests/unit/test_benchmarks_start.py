"""The benchmarks run on demand, never in the suite; this only holds that they start (a
script that does not even parse was committed once, and found only when run)."""
import subprocess
import sys

from tests.conftest import REPO


def test_the_benchmark_scripts_start():
    for script in ("run.py", "test_cases.py"):
        result = subprocess.run([sys.executable, str(REPO / "benchmarks" / script), "--help"],
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        assert "usage:" in result.stdout
