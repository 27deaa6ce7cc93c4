"""#14 end to end: the documented workflow — plan on each pull request from the same
base, apply each reviewed plan on merge, one after the other — converges, and applies
nothing a plan did not show."""
import json
import shutil


from tests.conftest import EXAMPLES
from tests.e2e.served import statsync
from tests.e2e.test_saved_plans_and_drift import mutations

ENV = {"STATSIG_CONSOLE_API_KEY": "console-e2e-pull-requests"}


def checkout(tmp_path, name, served):
    """A working copy of the repository: statsync.yaml names the target `emu`."""
    repo = tmp_path / name
    shutil.copytree(EXAMPLES, repo, ignore=shutil.ignore_patterns(".statsync"))
    settings = repo / "statsync.yaml"
    settings.write_text(settings.read_text().replace("targets:\n", f"targets:\n  emu:\n    api_url: {served.url}\n"))
    return repo


def edit(repo, relative, old, new):
    path = repo / relative
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new))


def run(repo, *args):
    return statsync(*args, env=ENV, cwd=repo, timeout=120)


def planned_requests(plan_file):
    return sorted((r["method"], "/console/v1" + r["path"]) for step in json.loads(plan_file.read_text())["steps"]
                  for r in step["requests"])


def two_pull_requests(tmp_path, served, *edits):
    """main applied; then two branches from it, each with one edit (file, old, new), each
    planned on its pull request: (main, {"pr1": (branch, plan file), "pr2": …})."""
    main = checkout(tmp_path, "main", served)
    assert run(main, "apply", "--target", "emu", "--auto-approve").returncode == 0
    branches = {}
    for name, (relative, old, new) in zip(("pr1", "pr2"), edits):
        branch, plan = checkout(tmp_path, name, served), tmp_path / f"{name}.json"
        edit(branch, relative, old, new)
        assert run(branch, "plan", "--target", "emu", "--out", str(plan)).returncode == 0
        branches[name] = (branch, plan)
    return main, branches


def test_two_pull_requests_from_one_base_merged_in_a_row_both_apply(served, tmp_path):
    main, branches = two_pull_requests(tmp_path, served,
                                       ("gates/employees.yaml", "Everyone with", "Anyone with"),
                                       ("gates/new_checkout.yaml", "passPercentage: 25", "passPercentage: 30"))
    (first, _), (second, _) = branches["pr1"], branches["pr2"]
    plans = {name: plan for name, (_, plan) in branches.items()}

    # merged one after the other; each merge applies its reviewed plan with no other argument
    for name, branch, changed in (("pr1", first, "gates/employees.yaml"), ("pr2", second, "gates/new_checkout.yaml")):
        shutil.copy(branch / changed, main / changed)
        before = len(mutations(served))
        result = run(main, "apply", "--plan", str(plans[name]))
        assert result.returncode == 0, result.stdout + result.stderr
        assert sorted(tuple(m) for m in mutations(served)[before:]) == planned_requests(plans[name])
    assert run(main, "plan", "--target", "emu", "--detailed-exitcode").returncode == 0  # live equals main


def test_two_pull_requests_changing_one_object_the_second_is_refused_until_planned_again(served, tmp_path):
    main, branches = two_pull_requests(tmp_path, served,
                                       ("gates/new_checkout.yaml", "passPercentage: 25", "passPercentage: 30"),
                                       ("gates/new_checkout.yaml", "passPercentage: 25", "passPercentage: 50"))
    (first, _), (second, _) = branches["pr1"], branches["pr2"]
    shutil.copy(first / "gates/new_checkout.yaml", main / "gates/new_checkout.yaml")
    assert run(main, "apply", "--plan", str(tmp_path / "pr1.json")).returncode == 0
    shutil.copy(second / "gates/new_checkout.yaml", main / "gates/new_checkout.yaml")  # the later merge wins in git
    before = len(mutations(served))
    refused = run(main, "apply", "--plan", str(tmp_path / "pr2.json"))
    assert refused.returncode == 1 and len(mutations(served)) == before
    assert "gate.new_checkout: changed live since the plan was made" in refused.stderr
    # the documented recovery: plan main again, review, apply that plan
    assert run(main, "plan", "--target", "emu", "--out", str(tmp_path / "main.json")).returncode == 0
    assert run(main, "apply", "--plan", str(tmp_path / "main.json")).returncode == 0
    assert run(main, "plan", "--target", "emu", "--detailed-exitcode").returncode == 0


def test_an_exported_statsig_api_url_does_not_beat_a_named_target(served, tmp_path):
    """The target names where its key goes; an exported URL is for runs without one."""
    main = checkout(tmp_path, "main", served)
    result = statsync("plan", "--target", "emu", env={**ENV, "STATSIG_API_URL": "http://127.0.0.1:9"},
                      cwd=main, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "GET /console/v1/gates" in served.output
    both = statsync("plan", "--target", "emu", "--api-url", served.url, env=ENV, cwd=main)
    assert both.returncode == 1
    assert both.stderr.strip() == "error: --api-url and --target emu both say where to send the key; give one"
