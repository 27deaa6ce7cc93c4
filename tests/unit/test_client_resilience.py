"""Retries, pacing and create checks: the client survives faults without duplicating anything."""
import asyncio

import httpx
import pytest

from statsync.api.client import ConsoleClient
from statsync.api.errors import ApiError
from statsync.api.pacing import Limits, Pacer
from statsync.api.retry import RetryPolicy
from statsync.emulator.app import Emulator
from tests.conftest import TEST_KEY, run

FAST = RetryPolicy(base_delay=0.01, max_delay=0.05)


def client(emulator, **kwargs):
    return ConsoleClient("http://emu", TEST_KEY, transport=httpx.ASGITransport(app=emulator.app),
                         retry=kwargs.pop("retry", FAST), seed=1, **kwargs)


def send(emulator, method, path, body=None, created_at=None, **kwargs):
    async def go():
        async with client(emulator, **kwargs) as c:
            return await c.request(method, path, body, created_at=created_at), c
    return run(go())


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_retried(status):
    emulator = Emulator()
    emulator.console_create("gates", {"id": "retry_gate"})
    emulator.faults.script(f"PATCH /gates/{{id}} 1 {status}")
    answer, c = send(emulator, "PATCH", "/gates/retry_gate", {"description": "x"})
    assert answer["data"]["description"] == "x" and c.retries == 1


def test_429_waits_for_retry_after():
    emulator = Emulator()
    emulator.faults.script("GET /gates 1 429")

    async def go():
        async with client(emulator) as c:
            started = asyncio.get_running_loop().time()
            await c.request("GET", "/gates")
            return asyncio.get_running_loop().time() - started
    assert run(go()) >= 1.0  # the injected 429 says Retry-After: 1


def test_client_errors_are_not_retried():
    emulator = Emulator()
    with pytest.raises(ApiError) as caught:
        send(emulator, "POST", "/gates", {"id": "x"})  # too short: 400
    assert caught.value.status == 400
    assert [r.path for r in emulator.log] == ["/console/v1/gates"]


def test_a_create_dropped_after_commit_is_found_not_duplicated():
    emulator = Emulator()
    emulator.faults.script("POST /gates 1 drop-after")
    answer, c = send(emulator, "POST", "/gates", {"id": "drop_gate"}, created_at="/gates/drop_gate")
    assert answer["data"]["id"] == "drop_gate"
    assert [(r.method, r.path) for r in emulator.log] == [
        ("POST", "/console/v1/gates"), ("GET", "/console/v1/gates/drop_gate")]  # checked, not re-sent


def test_a_create_dropped_before_commit_is_checked_then_sent_again():
    emulator = Emulator()
    emulator.faults.script("POST /gates 1 drop-before")
    answer, _ = send(emulator, "POST", "/gates", {"id": "drop_gate"}, created_at="/gates/drop_gate")
    assert answer["data"]["id"] == "drop_gate"
    assert [(r.method, r.status) for r in emulator.log] == [("POST", 0), ("GET", 404), ("POST", 201)]
    assert list(emulator.store.collection("gates")) == ["drop_gate"]


def test_a_create_that_fails_with_5xx_after_committing_is_no_false_already_exists():
    emulator = Emulator()
    # the first POST is committed but its answer is lost; the GET check is then
    # made to fail too, so the client re-sends the create and meets "already in use"
    emulator.faults.script("POST /gates 1 drop-after")
    emulator.faults.script("GET /gates/{id} 1 503")
    emulator.faults.script("GET /gates/{id} 2 503")
    answer, _ = send(emulator, "POST", "/gates", {"id": "twice_gate"}, created_at="/gates/twice_gate",
                     retry=RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.01))
    assert answer["data"]["id"] == "twice_gate"
    assert len(emulator.store.collection("gates")) == 1


def test_retries_stop_at_the_budget():
    emulator = Emulator()
    for n in range(1, 10):
        emulator.faults.script(f"GET /gates {n} 503")
    with pytest.raises(ApiError) as caught:
        send(emulator, "GET", "/gates", retry=RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.01))
    assert caught.value.status == 503 and len(emulator.log) == 3


def test_delete_retried_after_a_lost_answer_counts_404_as_done():
    emulator = Emulator()
    emulator.console_create("gates", {"id": "gone_gate"})
    emulator.faults.script("DELETE /gates/{id} 1 drop-after")
    answer, _ = send(emulator, "DELETE", "/gates/gone_gate")
    assert answer == {} and emulator.store.get("gates", "gone_gate") is None


class FakeTime:
    def __init__(self):
        self.now = 0.0

    def clock(self):
        return self.now

    async def sleep(self, seconds):
        self.now += seconds


def test_pacer_never_lets_a_window_overflow():
    fake = FakeTime()
    limits = Limits(requests=10, request_seconds=10, mutations=15, mutation_seconds=60, margin_seconds=0.1)
    pacer = Pacer(limits, clock=fake.clock, sleep=fake.sleep)
    sent = []

    async def go():
        for i in range(40):
            method = "POST" if i % 2 else "GET"
            await pacer.acquire(method)
            sent.append((fake.now, method))
            fake.now += 0.01
    run(go())
    for index, (at, _) in enumerate(sent):
        in_window = [t for t, _ in sent[: index + 1] if t > at - 10]
        assert len(in_window) <= 10
        mutations = [t for t, m in sent[: index + 1] if m == "POST" and t > at - 60]
        assert len(mutations) <= 15
    # and it uses the budget: 40 requests need 3 full waits of the 10 s window,
    # but 20 mutations need one 60 s wait of the mutation window
    assert 60 <= sent[-1][0] <= 75


def test_limits_estimate_how_long_a_plan_takes():
    limits = Limits()
    assert limits.estimate_seconds(50, 50) == 0
    assert limits.estimate_seconds(250, 250) == 20  # two more 10 s windows
    assert limits.estimate_seconds(1000, 1000) == 900  # the 15-minute mutation window binds
