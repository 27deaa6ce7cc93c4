"""#16: keys' metadata is managed, and a key's secret appears nowhere — not in any command's
output (with -v), a saved plan, the journal, an imported file, or the emulator's log."""
import json

import httpx

from tests.e2e.served import statsync
from tests.e2e.test_saved_plans_and_drift import KEY, cli


def _key(served, description: str, type_: str, **fields) -> str:
    answer = httpx.post(f"{served.url}/console/v1/keys", headers={"STATSIG-API-KEY": KEY},
                        json={"description": description, "type": type_, **fields})
    answer.raise_for_status()
    return answer.json()["data"]["key"]


def _everything_written(root) -> str:
    return "\n".join(path.read_text(errors="replace") for path in root.rglob("*") if path.is_file())


def test_key_metadata_is_applied_and_no_secret_leaves_the_client(served, tmp_path):
    server = _key(served, "Checkout service", "SERVER", environments=["production"])
    console = _key(served, "CI deploys", "CONSOLE", scopes=["omni_read_write"])
    assert server.startswith("secret-") and console.startswith("console-")
    repo = tmp_path / "repo"
    (repo / "keys").mkdir(parents=True)
    doc = repo / "keys" / "checkout.yaml"
    doc.write_text("kind: key\nid: Checkout service\nenvironments: [production, staging]\n"
                   "scopes: [client_download_config_specs]\n")
    outputs = []

    def run(*args):
        result = cli(served, *args) if args[0] != "show" else statsync(*args)  # show is offline
        outputs.append(result.stdout + result.stderr)
        return result

    plan = tmp_path / "plan.json"
    assert run("plan", str(repo), "-v", "--out", str(plan)).returncode == 0
    assert "~ key Checkout service" in outputs[-1]
    assert run("plan", str(repo), "--format", "json").returncode == 0
    assert run("plan", str(repo), "--format", "markdown").returncode == 0
    assert run("show", str(plan)).returncode == 0
    applied = run("apply", str(repo), "--plan", str(plan), "--auto-approve", "-v")
    assert applied.returncode == 0, applied.stderr
    assert "PATCH " in applied.stderr and "/keys/<secret> → 200" in applied.stderr  # traced, masked
    live = {k["description"]: k for k in httpx.get(f"{served.url}/console/v1/keys",
                                                   headers={"STATSIG-API-KEY": KEY}).json()["data"]}
    assert sorted(live["Checkout service"]["environments"]) == ["production", "staging"]
    assert live["Checkout service"]["scopes"] == ["client_download_config_specs"]
    assert live["CI deploys"]["scopes"] == ["omni_read_write"]  # a key the repository does not name: untouched
    assert run("plan", str(repo), "--prune").returncode == 0 and "No changes" in outputs[-1]
    httpx.patch(f"{served.url}/console/v1/keys/{server}", headers={"STATSIG-API-KEY": KEY},
                json={"scopes": []}).raise_for_status()
    assert run("drift", str(repo), "-v").returncode == 2
    assert run("import", "--kind", "key", "--out", str(tmp_path / "imported")).returncode == 0
    assert "Checkout service" in _everything_written(tmp_path / "imported")
    assert run("pull", str(repo)).returncode == 0
    assert "client_download_config_specs" not in doc.read_text()
    assert run("plan", str(repo)).returncode == 0 and "No changes" in outputs[-1]

    written = _everything_written(tmp_path)  # plan file, journal, imported files, the emulator's log
    for secret in (server, console):
        assert secret not in written and all(secret not in output for output in outputs)
        assert secret[8:30] not in written  # not even a part of it
    assert json.loads(plan.read_text())["steps"][0]["requests"][0]["path"] == "/keys/Checkout%20service"


def test_a_key_the_project_does_not_have_is_refused_not_created(served, tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "k.yaml").write_text("kind: key\nid: Nobody made me\nscopes: []\n")
    result = cli(served, "plan", str(repo))
    assert result.returncode == 1
    assert "no live key has the description 'Nobody made me': statsync never creates keys" in result.stderr


def test_two_keys_with_one_description_are_refused_and_neither_is_changed(served, tmp_path):
    first = _key(served, "Shared", "SERVER", scopes=["omni_read_only"])
    second = _key(served, "Shared", "SERVER", scopes=["omni_read_only"])
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "k.yaml").write_text("kind: key\nid: Shared\nscopes: []\n")
    result = cli(served, "apply", str(repo), "--auto-approve")
    assert result.returncode == 1
    assert "failed update key.Shared: more than one live key has the description 'Shared'" in result.stdout
    live = httpx.get(f"{served.url}/console/v1/keys", headers={"STATSIG-API-KEY": KEY}).json()["data"]
    assert [k["scopes"] for k in live if k["description"] == "Shared"] == [["omni_read_only"]] * 2
    assert first not in result.stderr + result.stdout and second not in result.stderr + result.stdout
