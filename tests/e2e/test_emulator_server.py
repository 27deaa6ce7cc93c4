"""`statsync emulator` as a process: flags for faults and limits, isolation, restarts."""
import time

import httpx
import pytest

from tests.e2e.served import ServedEmulator, statsync

KEY = {"STATSIG-API-KEY": "console-e2e"}


@pytest.fixture
def start(tmp_path):
    started = []

    def _start(*flags, name="emu"):
        emulator = ServedEmulator(tmp_path / f"{name}.json", tmp_path / f"{name}.log", *flags)
        started.append(emulator)
        return emulator
    yield _start
    for emulator in started:
        emulator.stop()


def test_two_emulators_with_two_state_files_do_not_interfere(start, tmp_path):
    one, two = start(name="one"), start(name="two")
    httpx.post(f"{one.url}/console/v1/gates", json={"id": "only_in_one"}, headers=KEY).raise_for_status()
    httpx.post(f"{two.url}/console/v1/gates", json={"id": "only_in_two"}, headers=KEY).raise_for_status()
    ids = lambda emu: [g["id"] for g in httpx.get(f"{emu.url}/console/v1/gates", headers=KEY).json()["data"]]
    assert ids(one) == ["only_in_one"] and ids(two) == ["only_in_two"]
    one.stop(), two.stop()
    assert "only_in_two" not in (tmp_path / "one.json").read_text()
    assert "only_in_one" not in (tmp_path / "two.json").read_text()


def test_rate_limit_flag_answers_429_with_retry_after(start):
    emulator = start("--rate-limit", "--requests-per-10s", "3")
    codes = [httpx.get(f"{emulator.url}/console/v1/gates", headers=KEY) for _ in range(4)]
    assert [r.status_code for r in codes] == [200, 200, 200, 429]
    assert 1 <= int(codes[-1].headers["Retry-After"]) <= 10
    assert codes[-1].json()["status"] == 429
    assert "[429]" in emulator.output


def test_latency_flag_slows_every_answer(start):
    emulator = start("--latency-ms", "150")
    started = time.monotonic()
    httpx.get(f"{emulator.url}/console/v1/gates", headers=KEY)
    assert time.monotonic() - started >= 0.15


def test_scripted_drop_after_commit_cuts_the_connection_but_keeps_the_change(start):
    emulator = start("--fault", "POST /gates 1 drop-after", "--fault", "POST /gates 2 503")
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(f"{emulator.url}/console/v1/gates", json={"id": "half_done"}, headers=KEY)
    second = httpx.post(f"{emulator.url}/console/v1/gates", json={"id": "not_done"}, headers=KEY)
    assert second.status_code == 503
    assert httpx.get(f"{emulator.url}/console/v1/gates/half_done", headers=KEY).status_code == 200
    assert httpx.get(f"{emulator.url}/console/v1/gates/not_done", headers=KEY).status_code == 404
    assert "dropped" in emulator.output and "Traceback" not in emulator.output


def test_error_rate_with_a_seed_is_reproducible(start):
    def codes(emulator):
        return [httpx.get(f"{emulator.url}/console/v1/gates", headers=KEY).status_code for _ in range(20)]
    first = codes(start("--error-rate", "0.5", "--seed", "11", name="a"))
    second = codes(start("--error-rate", "0.5", "--seed", "11", name="b"))
    assert first == second and 200 in first and any(code >= 500 for code in first)


def test_bad_fault_spec_is_a_one_line_usage_error():
    result = statsync("emulator", "--fault", "sometimes fail")
    # 1, not click's 2: statsync's 2 means "changes" (#14)
    assert result.returncode == 1 and "expected 'METHOD /path N STATUS" in result.stderr
    assert "Traceback" not in result.stderr


def test_port_in_use_is_a_one_line_error(start):
    emulator = start()
    port = emulator.url.rsplit(":", 1)[1]
    result = statsync("emulator", "--port", port, timeout=20)
    assert result.returncode == 1
    assert result.stderr.strip().startswith(f"error: cannot listen on 127.0.0.1:{port}")


def test_corrupt_state_file_is_a_one_line_error(tmp_path):
    state = tmp_path / "broken.json"
    state.write_text("{not json")
    result = statsync("emulator", "--port", "0", "--state", str(state), timeout=20)
    assert result.returncode == 1 and result.stderr.startswith(f"error: {state}: not an emulator state file")
