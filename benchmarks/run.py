"""statsync benchmarks: reads per plan, plan wall time, CPU per phase and memory, the
per-object peer's read beside statsync's, apply throughput.

Run:  .venv/bin/python benchmarks/run.py            (N = 100, 1,000, 10,000; ~10 minutes)
      .venv/bin/python benchmarks/run.py --sizes 100,1000 --latency-ms 50 --repeat 1
      .venv/bin/python benchmarks/run.py --sizes 10000 --against e4cfeca   (this tree against a
            revision, validate and plan CPU interleaved in the same minutes: how to judge a change)

Everything runs against `statsync emulator` over a real loopback socket with
added latency and Statsig's rate limits switched on. CPU figures are medians of
--repeat runs. Prints a table and writes benchmarks/results/latest.json.
"""
from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import math
import os
import platform
import pstats
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import project  # noqa: E402

from statsync.api.client import READ_CONCURRENCY, ConsoleClient  # noqa: E402
from statsync.api.pacing import Limits  # noqa: E402
from statsync.emulator.app import Emulator  # noqa: E402
from statsync.emulator.entities import ENTITIES  # noqa: E402
from statsync.kinds import all_kinds  # noqa: E402

KEY = "console-benchmark"
COLLECTION = {name: kind.plural for name, kind in all_kinds().items()}


def seed_state(docs: list[dict], path: Path) -> None:
    """The live project, as if it had been applied: built by the emulator's own create logic."""
    emulator = Emulator(state=None, seed=1)
    for doc in docs:
        body = {k: v for k, v in doc.items() if k not in ("kind",)}
        body.setdefault("name", body["id"])
        ENTITIES[COLLECTION[doc["kind"]]].create(emulator.store, body)  # as the Console API key would
    emulator.store.save(path)


class Served:
    def __init__(self, state: Path, log: Path, *flags: str):
        self.log = log
        self.handle = open(log, "w")
        self.process = subprocess.Popen([sys.executable, "-m", "statsync", "emulator", "--port", "0", "--state",
                                         str(state), *flags], stdout=self.handle, stderr=subprocess.STDOUT,
                                        env={**os.environ, "PYTHONUNBUFFERED": "1"})
        deadline = time.monotonic() + 60
        while not (match := re.search(r"listening on (\S+)", log.read_text())):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(log.read_text())
            time.sleep(0.05)
        self.url = match.group(1)

    def requests(self) -> list[tuple[float, str, str, str]]:
        return [(float(t), m, p, s) for t, m, p, s in
                re.findall(r"^(\d+\.\d+) (GET|POST|PATCH|PUT|DELETE) (\S+) (\S+)", self.log.read_text(), re.M)]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.handle.close()


# Runs statsync in the child and, at exit, reports the child's own peak (VmHWM: this
# process's address space only). rusage cannot say it: a forked child's maxrss starts at
# the benchmark's own size, which the generated projects make large.
_MEASURED = ("import atexit, runpy, sys\n"
             "def peak():\n"
             "    try:\n"
             "        status = open('/proc/self/status').read()\n"
             "        sys.stderr.write('\\nSTATSYNC_PEAK_KB ' + status.split('VmHWM:')[1].split()[0] + '\\n')\n"
             "    except OSError:\n"
             "        pass\n"
             "atexit.register(peak)\n"
             "sys.argv = ['statsync', *sys.argv[1:]]\n"
             "runpy.run_module('statsync', run_name='__main__')\n")


def run_cli(*args: str, env: dict, python: str = sys.executable) -> tuple[subprocess.CompletedProcess, float, float, float]:
    """(result, wall s, cpu s, peak MB) of one statsync command in a child process; CPU
    from os.wait4 (this child's alone), peak from the child itself (see _MEASURED).
    `python`: the interpreter whose statsync runs (another revision's, for --against); it
    runs outside the working tree, so `-c` does not find this tree's statsync first."""
    started = time.monotonic()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen([python, "-c", _MEASURED, *args], stdout=out, stderr=err, text=True,
                                 env={**os.environ, "NO_COLOR": "1", **env}, cwd=tempfile.gettempdir())
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.monotonic() - started
        out.seek(0), err.seek(0)
        stderr = err.read()
        found = re.search(r"\nSTATSYNC_PEAK_KB (\d+)\n$", stderr)
        peak_kb = int(found.group(1)) if found else usage.ru_maxrss
        stderr = stderr[:found.start()] if found else stderr
        result = subprocess.CompletedProcess(child.args, os.waitstatus_to_exitcode(status), out.read(), stderr)
    return result, wall, usage.ru_utime + usage.ru_stime, peak_kb / 1024


REPEAT = 3  # each CPU figure is the median of this many runs (--repeat); the machine's speed drifts


def _repeat(times: int) -> None:
    global REPEAT
    REPEAT = max(1, times)


def median_cli(*args: str, env: dict, between: float = 0.0) -> tuple[subprocess.CompletedProcess, float, float, float]:
    """run_cli REPEAT times: the first run's result and the median wall, CPU and peak. `between`:
    seconds to wait before each further run (a rate-limited emulator's window to empty)."""
    runs = []
    for index in range(REPEAT):
        if index and between:
            time.sleep(between)
        runs.append(run_cli(*args, env=env))
    median = lambda values: sorted(values)[len(values) // 2]  # noqa: E731
    return runs[0][0], median([r[1] for r in runs]), median([r[2] for r in runs]), median([r[3] for r in runs])


async def timed_read(url: str, kinds: set[str]) -> float:
    """Wall time of statsync's live read alone (what a plan spends on the network),
    from a new client: connections included, one-time imports and warm-up not."""
    from statsync.workflow import read_live

    async with ConsoleClient(url, KEY, limits=Limits()) as client:
        await read_live(client, kinds)  # warm-up
    await asyncio.sleep(10.5)  # the emulator's 10 s window empties again
    async with ConsoleClient(url, KEY, limits=Limits()) as client:
        started = time.monotonic()
        await read_live(client, kinds)
        return time.monotonic() - started


def read_lower_bound(pages: dict[str, int], latency: float, limits: Limits) -> float:
    """Fastest possible live read: every kind's first page at once (the total is unknown
    until then), the rest READ_CONCURRENCY at a time, and Statsig's request window."""
    rest = sum(pages.values()) - len(pages)
    latency_bound = (1 + math.ceil(rest / READ_CONCURRENCY)) * latency
    rate_bound = ((sum(pages.values()) - 1) // limits.requests) * limits.request_seconds
    return max(latency_bound, rate_bound)


def plan_benchmark(size: int, work: Path, latency_ms: float) -> dict:
    docs = project.objects(size)
    repo = work / f"repo_{size}"
    project.write(repo, docs)
    state = work / f"state_{size}.json"
    seed_state(docs, state)
    served = Served(state, work / f"emulator_{size}.log", "--latency-ms", str(latency_ms), "--rate-limit")
    env = {"STATSIG_CONSOLE_API_KEY": KEY}
    try:
        result, *_ = run_cli("plan", str(repo), "--api-url", served.url, "--detailed-exitcode", env=env)
        if result.returncode != 0:
            raise RuntimeError(f"plan of an in-sync project: exit {result.returncode}\n{result.stdout[-2000:]}{result.stderr}")
        reads = [r for r in served.requests() if r[1] == "GET"]  # one plan's reads
        time.sleep(10.5)  # the emulator's 10 s window empties: no run waits on a 429
        _, wall, cpu, peak = median_cli("plan", str(repo), "--api-url", served.url, "--detailed-exitcode", env=env,
                                        between=10.5)
        time.sleep(10.5)  # let the emulator's 10 s window empty before the timed reads
        read_wall = asyncio.run(timed_read(served.url, set(project.counts(size))))
        rate_limited = sum(1 for r in served.requests() if r[3] == "429")
        # the emulator answers one request at a time: its own time per page (JSON encoding of
        # 100 objects) is part of what a real, parallel Statsig would not add
        durations = [float(d) for d in re.findall(r" GET \S+ 200 ([0-9.]+)ms", served.log.read_text())]
        service = sum(max(0.0, d - latency_ms) for d in durations[-len(reads):]) / 1000
    finally:
        served.stop()
    counts = project.counts(size)
    # a plan reads the kinds the repository holds or references: here gates, configs, experiments
    # (the environment names its rules use are in use live already, so that list is not read)
    pages = {kind: max(1, math.ceil(count / 100)) for kind, count in counts.items()}
    lower = read_lower_bound(pages, latency_ms / 1000, Limits())
    row = {"objects": size, "read_requests": len(reads), "expected_read_requests": sum(pages.values()),
           "baseline_gets": size, "fewer_requests_ratio": round(size / len(reads), 1),
           "read_wall_s": round(read_wall, 3), "read_lower_bound_s": round(lower, 3),
           "read_ratio_to_bound": round(read_wall / lower, 2),
           "emulator_service_s": round(service, 3),
           "read_ratio_to_bound_with_emulator": round(read_wall / (lower + service), 2),
           "plan_wall_s": round(wall, 2),
           "plan_cpu_s": round(cpu, 2), "plan_peak_mb": round(peak), "rate_limited": rate_limited}
    return row, repo, docs, state


def cpu_memory_at_scale(size: int, repo: Path, docs: list[dict], state: Path, work: Path, latency_ms: float) -> dict:
    # every figure is a cold one (CI's, a fresh clone's) but `validate_warm`: validate again with
    # every file unchanged since the last validate, as an editor or pre-commit runs it (statsync/cache.py)
    env = {"STATSIG_CONSOLE_API_KEY": KEY, "STATSYNC_CACHE": "off"}
    validate, v_wall, v_cpu, v_peak = median_cli("validate", str(repo), env=env)
    assert validate.returncode == 0, validate.stderr
    warm_env = {"STATSYNC_CACHE": "on", "STATSYNC_CACHE_DIR": str(work / f"cache_{size}")}
    run_cli("validate", str(repo), env=warm_env)  # fills the cache
    warm, w_wall, w_cpu, w_peak = median_cli("validate", str(repo), env=warm_env)
    assert warm.returncode == 0 and warm.stdout == validate.stdout, warm.stderr
    changed_repo = work / f"repo_{size}_changed"
    project.write(changed_repo, project.change(docs, 0.10))
    served = Served(state, work / f"emulator_{size}_changed.log", "--latency-ms", str(latency_ms), "--rate-limit")
    try:
        result, c_wall, c_cpu, c_peak = median_cli("plan", str(changed_repo), "--api-url", served.url,
                                                   "--detailed-exitcode", env=env, between=10.5)
        assert result.returncode == 2, result.stderr
        changed = int(re.search(r"(\d+) to update", result.stdout).group(1))
    finally:
        served.stop()
    return {"validate_cpu_s": round(v_cpu, 2), "validate_wall_s": round(v_wall, 2), "validate_peak_mb": round(v_peak),
            "validate_warm_cpu_s": round(w_cpu, 2), "validate_warm_wall_s": round(w_wall, 2),
            "validate_warm_peak_mb": round(w_peak),
            "plan_10pct_changed_cpu_s": round(c_cpu, 2), "plan_10pct_changed_wall_s": round(c_wall, 2),
            "plan_10pct_changed_peak_mb": round(c_peak), "changed_objects": changed}


def _live_of(state: Path) -> dict:
    stored = json.loads(state.read_text())["collections"]
    # the benchmark's kinds (gates, configs, experiments): a new project's keys and the rest
    # are not read by a plan of this repository
    kind_of = {kind.plural: name for name, kind in all_kinds().items() if name in project.SPLIT}
    return {kind_of[c]: {o["id"]: o for o in objs} for c, objs in stored.items() if c in kind_of}


def plan_phases(repo: Path, state: Path) -> dict:
    """CPU seconds of each phase of a no-change plan, run in a child as the CLI runs it
    (one command per process: statsync/bulk.py). The read's CPU is measured on the wire,
    in `timed_read`; here the live pages are decoded from their JSON text as the client would."""
    script = f"""
import json, sys, time
sys.path.insert(0, {str(ROOT)!r}); sys.path.insert(0, {str(ROOT / "benchmarks")!r})
from run import _live_of
from statsync import bulk, normalize, plan as planning, steps
from statsync.config import load_project
from statsync.plan import build_plan
from statsync.render.text import render_plan
from statsync.validate import check_references, desired_objects
bulk.one_command().__enter__()  # this child is one command, as the CLI's process is
spent = {{"normalise": 0.0}}
canonical = normalize.canonical
def timed(*args, **kwargs):
    started = time.process_time()
    try:
        return canonical(*args, **kwargs)
    finally:
        spent["normalise"] += time.process_time() - started
steps.canonical = planning.canonical = timed
clock = time.process_time
t0 = clock(); documents = load_project(({str(repo)!r},)).documents()
t1 = clock(); desired = desired_objects(documents); check_references(desired)
t2 = clock(); text = json.dumps(_live_of(__import__("pathlib").Path({str(state)!r})))
t3 = clock(); live = bulk.phase(json.loads)(text)
t4 = clock(); plan = build_plan(desired, live, "bench")
t5 = clock(); render_plan(plan, color=False)
t6 = clock()
assert not plan.has_changes
print(json.dumps({{"load": t1 - t0, "validate": t2 - t1, "decode": t4 - t3, "normalise": spent["normalise"],
                  "diff": t5 - t4 - spent["normalise"], "render": t6 - t5}}))
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return {phase: round(seconds, 2) for phase, seconds in json.loads(result.stdout).items()}


def profile_plan(repo: Path, state: Path) -> str:
    """Where plan's own time goes (YAML, validation, normalisation, diff): top functions.
    Run last among the CPU figures: like the CLI, it freezes what it loads (statsync/bulk.py),
    or the collector's passes would be billed to whichever function allocated next."""
    from statsync import bulk
    from statsync.config import load_project
    from statsync.plan import build_plan
    from statsync.workflow import load_desired

    live = _live_of(state)
    profiler = cProfile.Profile()
    with bulk.one_command():
        profiler.enable()
        desired = load_desired(load_project((str(repo),)))
        plan = build_plan(desired, live, "bench")
        profiler.disable()
    assert not plan.has_changes
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(12)
    lines = [line for line in out.getvalue().splitlines() if re.match(r"\s+\d", line)]
    return "\n".join(_machine_free(line) for line in lines)


def _machine_free(line: str) -> str:
    """Paths as a reader elsewhere knows them: `yaml/__init__.py`, `statsync/plan.py`."""
    line = re.sub(r"\S*/site-packages/", "", line)
    line = re.sub(r"\S*/lib/python3\.\d+/", "", line)  # the standard library
    return line.replace(f"{ROOT}/", "")


def scaled_limits(window_scale: float) -> Limits:
    """Statsig's limits with their windows scaled, so a run of hours takes seconds."""
    return Limits(requests=100, request_seconds=10 * window_scale, mutations=900, mutation_seconds=900 * window_scale,
                  margin_seconds=0.25 * window_scale)


def serve_scaled(state: Path, log: Path, latency_ms: float, limits: Limits):
    """An emulator enforcing `limits` (windows scaled): (process, log handle, url)."""
    script = (f"from statsync.emulator.server import serve; from statsync.emulator.faults import Faults; "
              f"from statsync.emulator.ratelimit import RateLimit; "
              f"serve('127.0.0.1', 0, {str(state)!r}, faults=Faults(latency_ms={latency_ms}), "
              f"rate_limit=RateLimit({limits.requests}, {limits.request_seconds}, {limits.mutations}, "
              f"{limits.mutation_seconds}))")
    handle = open(log, "w")
    process = subprocess.Popen([sys.executable, "-c", script], stdout=handle, stderr=subprocess.STDOUT,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"}, cwd=ROOT)
    while not (match := re.search(r"listening on (\S+)", log.read_text())):
        if process.poll() is not None:
            raise RuntimeError(log.read_text())
        time.sleep(0.05)
    return process, handle, match.group(1)


# Terraform refreshes resources 10 at a time (its -parallelism default); the Statsig
# provider's Read is one GET per resource (TF-code: resource_*.go).
PEER_PARALLELISM = 10


async def per_object_read(url: str, docs: list[dict], limits: Limits) -> float:
    """Wall time of the per-object peer's refresh: one GET per object, PEER_PARALLELISM at
    a time, paced by the same client and limits as statsync's read (so no 429 either)."""
    kinds = all_kinds()
    gate = asyncio.Semaphore(PEER_PARALLELISM)
    async with ConsoleClient(url, KEY, limits=limits) as client:
        async def one(doc: dict) -> None:
            async with gate:
                assert await client.get(kinds[doc["kind"]].path(doc["id"])) is not None
        started = time.monotonic()
        await asyncio.gather(*(one(doc) for doc in docs))
        return time.monotonic() - started


async def peer_side_by_side(work: Path, size: int, latency_ms: float, window_scale: float) -> dict:
    """statsync's paged read and the per-object peer's, of one project, against one served
    emulator with Statsig's windows scaled by `window_scale` (both read under the same limits)."""
    from statsync.workflow import read_live

    limits = scaled_limits(window_scale)
    docs = project.objects(size, seed=7)
    state = work / f"state_peer_{size}.json"
    seed_state(docs, state)
    process, handle, url = serve_scaled(state, work / f"emulator_peer_{size}.log", latency_ms, limits)
    try:
        async with ConsoleClient(url, KEY, limits=limits) as client:
            started = time.monotonic()
            live = await read_live(client, set(project.counts(size)))
            ours = time.monotonic() - started
        assert sum(map(len, live.values())) == size
        await asyncio.sleep(limits.request_seconds + 0.5)  # the server's window empties
        theirs = await per_object_read(url, docs, limits)
    finally:
        process.terminate()
        process.wait()
        handle.close()
    return {"objects": size, "window_scale": window_scale, "statsync_read_s": round(ours, 2),
            "per_object_read_s": round(theirs, 2), "ratio": round(theirs / ours, 1)}


def per_object_bound(size: int, latency: float, limits: Limits) -> float:
    """Fastest possible one-GET-per-object read at Statsig's real limits."""
    return max(math.ceil(size / PEER_PARALLELISM) * latency, ((size - 1) // limits.requests) * limits.request_seconds)


async def apply_throughput(work: Path, latency_ms: float, mutations: int, window_scale: float) -> dict:
    """Apply `mutations` updates against windows scaled down by `window_scale`, so a run
    that would take hours at Statsig's 900 mutations / 15 min takes seconds."""
    from statsync.config import load_project
    from statsync.executor import ApplyOptions, execute
    from statsync.workflow import make_plan

    limits = scaled_limits(window_scale)
    docs = project.objects(mutations, seed=5)
    repo = work / "repo_apply"
    project.write(repo, docs)
    state = work / "state_apply.json"
    seed_state(docs, state)
    project.write(repo, project.change(docs, 1.0))  # every object changes: one PATCH each
    log = work / "emulator_apply.log"
    process, handle, url = serve_scaled(state, log, latency_ms, limits)
    try:
        proj = load_project((str(repo),))
        async with ConsoleClient(url, KEY, limits=limits) as client:
            plan = await make_plan(proj, client, "bench")
            reads = client.request_count
            started = time.monotonic()
            outcomes = await execute(plan, client, ApplyOptions(parallelism=16))
            elapsed = time.monotonic() - started
    finally:
        process.terminate()
        process.wait()
        handle.close()
    text = log.read_text()
    applied = sum(1 for o in outcomes if o.status == "applied")
    # Each update is a conflict-check GET and a PATCH; the request window binds when
    # 2 × updates / 100 windows outlast the mutation window. The plan's own reads
    # came first and count in the window too.
    requests = 2 * len(plan.steps) + reads
    by_requests = (math.ceil(requests / limits.requests) - 1) * limits.request_seconds
    by_mutations = (math.ceil(applied / limits.mutations) - 1) * limits.mutation_seconds
    best = max(by_requests, by_mutations)
    return {"mutations": applied, "apply_s": round(elapsed, 2), "window_scale": window_scale,
            "allowed_requests_per_s": round(limits.requests / limits.request_seconds, 1),
            "achieved_requests_per_s": round(applied * 2 / elapsed, 1),
            "best_possible_s": round(best, 2), "rate_efficiency": round(best / elapsed, 2) if best else None,
            "http_429": len(re.findall(r" 429 [0-9.]+ms", text))}


def against(revision: str, size: int, work: Path, latency_ms: float, times: int) -> dict:
    """This tree against `revision`, interleaved in the same minutes (this machine's speed
    drifts ±30 % within a day, so figures from different hours cannot judge a change):
    validate (cache off) and a no-change plan at `size` objects, `times` runs each, medians."""
    tree = work / "against"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-f", str(tree), revision],
                   check=True, capture_output=True)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(tree / ".venv")], check=True)
        subprocess.run([str(tree / ".venv" / "bin" / "pip"), "install", "--quiet", "-e", str(tree)], check=True)
        docs = project.objects(size)
        repo, state = work / f"against_repo_{size}", work / f"against_state_{size}.json"
        project.write(repo, docs)
        seed_state(docs, state)
        served = Served(state, work / "against_emulator.log", "--latency-ms", str(latency_ms), "--rate-limit")
        env = {"STATSIG_CONSOLE_API_KEY": KEY, "STATSYNC_CACHE": "off"}
        pythons = {"this tree": sys.executable, revision: str(tree / ".venv" / "bin" / "python")}
        runs: dict[str, dict[str, list[float]]] = {label: {"validate": [], "plan": []} for label in pythons}
        try:
            for _ in range(times):
                for label, python in pythons.items():
                    result, _, cpu, _ = run_cli("validate", str(repo), env=env, python=python)
                    assert result.returncode == 0, result.stderr
                    runs[label]["validate"].append(cpu)
                    time.sleep(10.5)  # the emulator's 10 s window empties: no plan waits on a 429
                    result, _, cpu, _ = run_cli("plan", str(repo), "--api-url", served.url, "--detailed-exitcode",
                                                env=env, python=python)
                    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
                    runs[label]["plan"].append(cpu)
        finally:
            served.stop()
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], capture_output=True)
    median = lambda values: sorted(values)[len(values) // 2]  # noqa: E731
    out = {"objects": size, "revision": revision, "runs": times}
    for figure in ("validate", "plan"):
        ours, theirs = median(runs["this tree"][figure]), median(runs[revision][figure])
        out[figure] = {"this_tree_cpu_s": round(ours, 2), "revision_cpu_s": round(theirs, 2),
                       "ratio": round(ours / theirs, 2) if theirs else None}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--apply-mutations", type=int, default=500)
    parser.add_argument("--window-scale", type=float, default=0.1,
                        help="apply benchmark: Statsig's windows (10 s, 15 min) multiplied by this")
    parser.add_argument("--repeat", type=int, default=REPEAT, help="runs per CPU figure (the median is kept)")
    parser.add_argument("--peer-sizes", default="100,1000",
                        help="sizes read both ways (statsync's pages, the peer's one GET per object), windows scaled")
    parser.add_argument("--peer-window-scale", type=float, default=0.1)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "latest.json"))
    parser.add_argument("--against", metavar="REV",
                        help="only compare validate and plan CPU with revision REV (a git worktree of it, its own "
                             "virtual environment), interleaved, at the largest of --sizes, --repeat runs each")
    args = parser.parse_args()
    _repeat(args.repeat)
    sizes = [int(s) for s in args.sizes.split(",")]
    work = Path(tempfile.mkdtemp(prefix="statsync-bench-"))
    if args.against:
        try:
            compared = against(args.against, max(sizes), work, args.latency_ms, REPEAT)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        print(json.dumps(compared, indent=2))
        for figure in ("validate", "plan"):
            c = compared[figure]
            print(f"{figure} at N={compared['objects']}: this tree {c['this_tree_cpu_s']} s CPU, "
                  f"{args.against} {c['revision_cpu_s']} s → {c['ratio']}× (medians of {compared['runs']}, interleaved)")
        return 0
    results = {"machine": {"python": platform.python_version(), "platform": platform.platform(),
                           "cpus": os.cpu_count()}, "latency_ms": args.latency_ms, "plans": []}
    largest = None
    for size in sizes:
        row, repo, docs, state = plan_benchmark(size, work, args.latency_ms)
        results["plans"].append(row)
        largest = (size, repo, docs, state)
        print(f"plan N={size}: {row}", flush=True)
    size, repo, docs, state = largest
    results["at_scale"] = {"objects": size, **cpu_memory_at_scale(size, repo, docs, state, work, args.latency_ms)}
    print(f"scale N={size}: {results['at_scale']}", flush=True)
    results["phases"] = plan_phases(repo, state)
    print(f"phases N={size}: {results['phases']}", flush=True)
    results["profile_top"] = profile_plan(repo, state)
    results["peer"] = [asyncio.run(peer_side_by_side(work, peer, args.latency_ms, args.peer_window_scale))
                       for peer in (int(s) for s in args.peer_sizes.split(",") if s)]
    largest_row = results["plans"][-1]
    results["peer_bound"] = {"objects": size, "statsync_read_s": largest_row["read_wall_s"],
                             "per_object_lower_bound_s": round(per_object_bound(size, args.latency_ms / 1000, Limits()))}
    print(f"peer: {results['peer']} {results['peer_bound']}", flush=True)
    results["apply"] = asyncio.run(apply_throughput(work, args.latency_ms, args.apply_mutations, args.window_scale))
    print(f"apply: {results['apply']}", flush=True)
    shutil.rmtree(work, ignore_errors=True)
    report(results)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {args.out}")
    return 0


def report(results: dict) -> None:
    print(f"\nstatsync benchmarks — {results['machine']['platform']}, {results['machine']['cpus']} CPUs, "
          f"Python {results['machine']['python']}, {results['latency_ms']:.0f} ms latency, Statsig rate limits on\n")
    print(f"{'objects':>8} {'reads':>6} {'per-object':>10} {'fewer':>6} {'read s':>7} {'bound s':>8} {'ratio':>6} "
          f"{'+emu s':>7} {'ratio':>6} {'plan s':>7} {'cpu s':>6} {'MB':>5} {'429s':>5}")
    for r in results["plans"]:
        print(f"{r['objects']:>8} {r['read_requests']:>6} {r['baseline_gets']:>10} {r['fewer_requests_ratio']:>5}× "
              f"{r['read_wall_s']:>7} {r['read_lower_bound_s']:>8} {r['read_ratio_to_bound']:>5}× "
              f"{r['emulator_service_s']:>7} {r['read_ratio_to_bound_with_emulator']:>5}× {r['plan_wall_s']:>7} "
              f"{r['plan_cpu_s']:>6} {r['plan_peak_mb']:>5} {r['rate_limited']:>5}")
    s = results["at_scale"]
    print(f"\nN={s['objects']}: validate {s['validate_cpu_s']} s CPU, {s['validate_peak_mb']} MB "
          f"(again, files unchanged: {s['validate_warm_cpu_s']} s, {s['validate_warm_peak_mb']} MB); "
          f"plan with 10% changed ({s['changed_objects']} updates) {s['plan_10pct_changed_cpu_s']} s CPU, "
          f"{s['plan_10pct_changed_peak_mb']} MB")
    print(f"\nphases of a no-change plan at N={s['objects']} (CPU s): " +
          ", ".join(f"{phase} {seconds}" for phase, seconds in results["phases"].items()))
    print(f"\nthe per-object peer (one GET per object, {PEER_PARALLELISM} at a time, same client and limits; "
          f"windows × {results['peer'][0]['window_scale'] if results['peer'] else '-'}):")
    for p in results["peer"]:
        print(f"{p['objects']:>8} objects: statsync {p['statsync_read_s']} s, per object {p['per_object_read_s']} s "
              f"→ {p['ratio']}× longer")
    b = results["peer_bound"]
    print(f"{b['objects']:>8} objects at Statsig's limits: statsync {b['statsync_read_s']} s, per object at least "
          f"{b['per_object_lower_bound_s']} s")
    a = results["apply"]
    print(f"apply: {a['mutations']} updates in {a['apply_s']} s (best possible {a['best_possible_s']} s at the "
          f"scaled limits → efficiency {a['rate_efficiency']}), {a['http_429']} × 429")
    print("\nwhere plan's time goes (top functions by own time):\n" + results["profile_top"])


if __name__ == "__main__":
    sys.exit(main())
