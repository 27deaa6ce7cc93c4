"""Apply under faults, repeated: the figures #13 asks to keep true.

1. For each seed, 200 gates are created against `statsync emulator` answering 30 % of
   requests with a 5xx and dropping 10 % of mutations' connections (half before the
   change is committed, half after). Counted: duplicates (a gate created twice: a 400
   "already in use" answered to a retried create, or more gates than the files hold),
   lost (a gate the files hold that is not live after the apply and one re-run), and
   whether the re-run's plan is empty.
2. N times, an apply of 80 gates at 40 ms latency is killed with SIGKILL part-way; the
   next apply must converge at once (its plan after is empty).

Usage: python benchmarks/faults.py [--seeds 5] [--creates 200] [--kills 10]
Takes about three minutes on the 2-core machine.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.run import Served  # noqa: E402

ENV = {**os.environ, "STATSIG_CONSOLE_API_KEY": "console-benchmark-faults", "NO_COLOR": "1"}


def project(root: Path, gates: int) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "statsync.yaml").write_text("rate_limit: false\napply: {parallelism: 8}\n")
    docs = [{"kind": "gate", "id": f"gate_{i:04}", "description": f"gate {i}",
             "rules": [{"name": "Rollout", "passPercentage": i % 100, "conditions": [{"type": "public"}]}]}
            for i in range(gates)]
    (root / "objects.yaml").write_text("".join("---\n" + json.dumps(doc) + "\n" for doc in docs))
    return root


def cli(*args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "statsync", *args], capture_output=True, text=True, env=ENV,
                          timeout=timeout)


def faulty_creates(work: Path, seed: int, creates: int) -> dict:
    repo = project(work / f"seed{seed}", creates)
    served = Served(work / f"seed{seed}.json", work / f"seed{seed}.log", "--seed", str(seed),
                    "--error-rate", "0.3", "--drop-rate", "0.1")
    try:
        first = cli("apply", str(repo), "--api-url", served.url, "--auto-approve", "--allow-creates", str(creates))
        rerun = cli("apply", str(repo), "--api-url", served.url, "--auto-approve")
        after = cli("plan", str(repo), "--api-url", served.url, "--detailed-exitcode")
        faults = sum(1 for _, _, _, status in served.requests() if status.startswith("5") or status == "0")
    finally:
        served.stop()
    live = json.loads((work / f"seed{seed}.json").read_text())["collections"].get("gates", {})
    ids = [gate["id"] for gate in live.values()] if isinstance(live, dict) else [gate["id"] for gate in live]
    wanted = {f"gate_{i:04}" for i in range(creates)}
    return {"seed": seed, "faults_injected": faults, "first_apply_exit": first.returncode,
            "duplicates": len(ids) - len(set(ids)) + first.stdout.count("already in use")
            + rerun.stdout.count("already in use"),
            "lost": len(wanted - set(ids)), "converged_after_rerun": after.returncode == 0}


def killed_apply(work: Path, trial: int) -> dict:
    repo = project(work / f"kill{trial}", 80)
    (repo / "statsync.yaml").write_text("rate_limit: false\napply: {parallelism: 1}\n")
    served = Served(work / f"kill{trial}.json", work / f"kill{trial}.log", "--latency-ms", "40")
    try:
        run = subprocess.Popen([sys.executable, "-m", "statsync", "apply", str(repo), "--api-url", served.url,
                                "--auto-approve", "--allow-creates", "80"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, env=ENV)
        target = 10 + (trial * 7) % 60  # killed at a different point each time
        deadline = time.monotonic() + 60
        while served.log.read_text().count("POST /console/v1/gates 201") < target and time.monotonic() < deadline:
            time.sleep(0.02)
        run.send_signal(signal.SIGKILL)
        run.wait()
        again = cli("apply", str(repo), "--api-url", served.url, "--auto-approve")
        after = cli("plan", str(repo), "--api-url", served.url, "--detailed-exitcode")
    finally:
        served.stop()
    return {"trial": trial, "killed_after_creates": target, "rerun_exit": again.returncode,
            "converged_on_first_rerun": again.returncode == 0 and after.returncode == 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--creates", type=int, default=200)
    parser.add_argument("--kills", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as root:
        work = Path(root)
        runs = [faulty_creates(work, seed, args.creates) for seed in range(1, args.seeds + 1)]
        kills = [killed_apply(work, trial) for trial in range(args.kills)]
    summary = {"creates_per_seed": args.creates, "seeds": args.seeds,
               "duplicates": sum(r["duplicates"] for r in runs), "lost": sum(r["lost"] for r in runs),
               "converged": f"{sum(r['converged_after_rerun'] for r in runs)}/{len(runs)}",
               "sigkills_converged_on_first_rerun": f"{sum(k['converged_on_first_rerun'] for k in kills)}/{len(kills)}",
               "runs": runs, "kills": kills}
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
