"""What an offline `statsync validate` imports: it runs on every pre-commit and editor save,
where importing the HTTP stack, asyncio and deepdiff was most of its wall time (0.40 s → 0.27 s
for examples/configs). A top-level import that brings one of them back fails here."""
import json
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "configs"
NOT_FOR_OFFLINE_VALIDATE = ("asyncio", "httpx", "deepdiff", "statsync.api.client", "statsync.workflow",
                            "statsync.plan", "statsync.render.text", "statsync.emulator.app")

_PROBE = """
import json, sys
from statsync.cli import main
code = 0
try:
    main(["validate", sys.argv[1]])
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def _modules_after(*args: str) -> tuple[int, set[str]]:
    done = subprocess.run([sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, check=True)
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    return answer["code"], set(answer["modules"])


def test_offline_validate_imports_no_network_or_diff_stack():
    code, modules = _modules_after(str(EXAMPLES))
    assert code == 0
    assert "statsync.validate" in modules  # the probe did run a validation
    assert not modules & set(NOT_FOR_OFFLINE_VALIDATE), sorted(modules & set(NOT_FOR_OFFLINE_VALIDATE))


def test_a_bad_repository_is_reported_without_them_too(tmp_path):
    (tmp_path / "gate.yaml").write_text("kind: gate\nid: g\nrules: [{name: r, passPercentage: 101}]\n")
    code, modules = _modules_after(str(tmp_path))
    assert code == 1
    assert not modules & set(NOT_FOR_OFFLINE_VALIDATE), sorted(modules & set(NOT_FOR_OFFLINE_VALIDATE))
