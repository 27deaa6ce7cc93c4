"""The emulator behaves like Statsig's Console API where it matters to a sync tool."""
import httpx
import pytest

from statsync.emulator.app import Emulator
from statsync.emulator.faults import Faults
from statsync.emulator.ratelimit import RateLimit
from tests.conftest import TEST_KEY, run


def call(emulator, method, path, body=None, key=TEST_KEY, params=None):
    async def go():
        transport = httpx.ASGITransport(app=emulator.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://emu") as client:
            headers = {"STATSIG-API-KEY": key} if key else {}
            return await client.request(method, "/console/v1" + path, json=body, headers=headers, params=params)
    return run(go())


def test_ids_are_derived_from_names_and_validated(emulator):
    created = call(emulator, "POST", "/dynamic_configs", {"name": "A Dynamic Config"})
    assert created.status_code == 201 and created.json()["data"]["id"] == "a_dynamic_config"
    bad = call(emulator, "POST", "/gates", {"id": "no spaces allowed"})
    assert bad.status_code == 400 and bad.json()["status"] == 400 and "id" in bad.json()["message"]
    again = call(emulator, "POST", "/dynamic_configs", {"name": "a dynamic config"})
    assert again.status_code == 400 and "already in use" in again.json()["message"]


def test_defaults_are_filled_on_create(emulator):
    gate = call(emulator, "POST", "/gates", {"id": "plain_gate"}).json()["data"]
    assert (gate["isEnabled"], gate["status"], gate["idType"], gate["rules"], gate["version"]) == (
        True, "In Progress", "userID", [], 1)
    experiment = call(emulator, "POST", "/experiments", {"name": "exp one"}).json()["data"]
    assert [g["name"] for g in experiment["groups"]] == ["Control", "Test"]
    assert all(g["id"] for g in experiment["groups"])
    assert experiment["targetingGateID"] == "" and experiment["status"] == "setup"
    assert experiment["layerID"] == "statsig::exp_one_layer"


def test_versions_and_modifiers_change_on_every_change_and_only_then(emulator):
    call(emulator, "POST", "/gates", {"id": "vgate"})
    v2 = call(emulator, "PATCH", "/gates/vgate", {"description": "x"}).json()["data"]
    same = call(emulator, "PATCH", "/gates/vgate", {"description": "x"}).json()["data"]
    assert v2["version"] == 2 and same["version"] == 2
    edited = emulator.console_edit("gates", "vgate", {"description": "y"}, name="Grace Hopper", email="grace@example.com")
    assert edited["version"] == 3
    seen = call(emulator, "GET", "/gates/vgate").json()["data"]
    assert (seen["lastModifierName"], seen["lastModifierEmail"]) == ("Grace Hopper", "grace@example.com")
    assert seen["lastModifiedTime"] > v2["lastModifiedTime"]


def test_rule_id_follows_pass_percentage_while_base_id_stays(emulator):
    rule = {"name": "R", "passPercentage": 10, "conditions": [{"type": "public"}]}
    created = call(emulator, "POST", "/gates", {"id": "rgate", "rules": [rule]}).json()["data"]["rules"][0]
    assert created["id"] == f"{created['baseID']}:10.00:1"
    echoed = {**rule, "passPercentage": 20, "id": created["id"], "baseID": created["baseID"]}
    updated = call(emulator, "PATCH", "/gates/rgate", {"rules": [echoed]}).json()["data"]["rules"][0]
    assert updated["baseID"] == created["baseID"] and updated["id"] == f"{created['baseID']}:20.00:1"
    fresh = call(emulator, "PATCH", "/gates/rgate", {"rules": [rule]}).json()["data"]["rules"][0]
    assert fresh["baseID"] != created["baseID"]  # without the echo it is a new rule


def test_patch_merges_top_level_fields_and_replaces_nested_lists(emulator):
    rules = [{"name": n, "passPercentage": 1, "conditions": []} for n in ("A", "B")]
    call(emulator, "POST", "/gates", {"id": "mgate", "description": "keep", "rules": rules})
    patched = call(emulator, "PATCH", "/gates/mgate", {"rules": rules[1:]}).json()["data"]
    assert patched["description"] == "keep" and [r["name"] for r in patched["rules"]] == ["B"]


def test_patch_without_isEnabled_re_enables_a_dynamic_config(emulator):
    # DynamicConfigPartialUpdateDto declares isEnabled default true; the emulator applies it
    call(emulator, "POST", "/dynamic_configs", {"name": "cfg one", "isEnabled": False})
    patched = call(emulator, "PATCH", "/dynamic_configs/cfg_one", {"description": "d"}).json()["data"]
    assert patched["isEnabled"] is True


def test_group_ids_are_kept_only_when_echoed(emulator):
    groups = call(emulator, "POST", "/experiments", {"name": "gexp"}).json()["data"]["groups"]
    echoed = [{**g, "size": 50} for g in groups]
    kept = call(emulator, "PATCH", "/experiments/gexp", {"groups": echoed}).json()["data"]["groups"]
    assert [g["id"] for g in kept] == [g["id"] for g in groups]
    bare = [{k: v for k, v in g.items() if k != "id"} for g in groups]
    renewed = call(emulator, "PATCH", "/experiments/gexp", {"groups": bare}).json()["data"]["groups"]
    assert not {g["id"] for g in renewed} & {g["id"] for g in groups}


def test_gate_lifecycle_answers_with_the_object(emulator):
    call(emulator, "POST", "/gates", {"id": "lgate"})
    launched = call(emulator, "PUT", "/gates/lgate/launch")
    assert launched.status_code == 200 and launched.json()["data"]["status"] == "Launched"
    archived = call(emulator, "PUT", "/gates/lgate/archive", {})
    assert archived.json()["data"]["status"] == "Archived"
    refused = call(emulator, "PATCH", "/gates/lgate", {"description": "x"})
    assert refused.status_code == 400 and "archived" in refused.json()["message"]
    assert call(emulator, "PUT", "/gates/lgate/unarchive", {}).json()["data"]["status"] == "In Progress"
    assert call(emulator, "PUT", "/gates/lgate/archive").status_code == 400  # body required


def test_experiment_lifecycle_answers_with_a_message_only_and_guards_transitions(emulator):
    groups = call(emulator, "POST", "/experiments", {"name": "life exp"}).json()["data"]["groups"]
    assert call(emulator, "PUT", "/experiments/life_exp/make_decision",
                {"id": groups[1]["id"], "decisionReason": "x"}).status_code == 400  # not started
    started = call(emulator, "PUT", "/experiments/life_exp/start", {})
    assert started.status_code == 200 and set(started.json()) == {"message"}
    running = call(emulator, "GET", "/experiments/life_exp").json()["data"]
    assert running["status"] == "active" and running["startTime"]
    shrink = call(emulator, "PATCH", "/experiments/life_exp", {"allocation": 50})
    assert shrink.status_code == 400 and "only be increased" in shrink.json()["message"]
    regroup = call(emulator, "PATCH", "/experiments/life_exp", {"groups": [{**groups[0], "size": 100}]})
    assert regroup.status_code == 400 and "Groups of a running experiment" in regroup.json()["message"]
    wrong_group = call(emulator, "PUT", "/experiments/life_exp/make_decision", {"id": "nope", "decisionReason": "x"})
    assert wrong_group.status_code == 400
    assert call(emulator, "PUT", "/experiments/life_exp/make_decision",
                {"id": groups[1]["id"], "decisionReason": "Test won"}).status_code == 200
    decided = call(emulator, "GET", "/experiments/life_exp").json()["data"]
    assert (decided["status"], decided["launchedGroupID"]) == ("decision_made", groups[1]["id"])
    assert call(emulator, "PATCH", "/experiments/life_exp", {"status": "active"}).status_code == 400


@pytest.mark.parametrize("method, path, body", [
    ("GET", "/gates/ghost", None), ("POST", "/gates/ghost", {"isEnabled": True, "description": "", "rules": []}),
    ("PATCH", "/gates/ghost", {}), ("DELETE", "/gates/ghost", None), ("PUT", "/gates/ghost/launch", None),
    ("GET", "/dynamic_configs/ghost", None), ("DELETE", "/experiments/ghost", None),
    ("PUT", "/experiments/ghost/start", {}),
])
def test_unknown_ids_are_404_on_every_verb(emulator, method, path, body):
    response = call(emulator, method, path, body)
    assert response.status_code == 404 and response.json()["status"] == 404


def test_pagination(emulator):
    for i in range(5):
        call(emulator, "POST", "/gates", {"id": f"page_gate_{i}"})
    first = call(emulator, "GET", "/gates", params={"page": 1, "limit": 2}).json()
    assert [g["id"] for g in first["data"]] == ["page_gate_0", "page_gate_1"]
    assert first["pagination"]["nextPage"] == "/console/v1/gates?page=2&limit=2"
    last = call(emulator, "GET", "/gates", params={"page": 3, "limit": 2}).json()
    assert [g["id"] for g in last["data"]] == ["page_gate_4"] and last["pagination"]["nextPage"] is None
    assert call(emulator, "GET", "/gates", params={"page": "x"}).status_code == 400


def test_a_key_is_required(emulator):
    assert call(emulator, "GET", "/gates", key=None).status_code == 401
    pinned = Emulator(api_key="console-only-this")
    assert call(pinned, "GET", "/gates", key="console-other").status_code == 401
    assert call(pinned, "GET", "/gates", key="console-only-this").status_code == 200


def test_invalid_bodies_get_400_in_statsigs_shape_never_500(emulator):
    for body in ([], "text", {"rules": [{"name": 1}]}, {"isEnabled": "yes"}):
        response = call(emulator, "POST", "/gates", body)
        assert response.status_code == 400, body
        assert set(response.json()) == {"status", "message"}


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_rate_limit_answers_429_with_retry_after_and_counts_rejections():
    clock = FakeClock()
    emulator = Emulator(rate_limit=RateLimit(requests=5, request_seconds=10, mutations=3, mutation_seconds=60,
                                             clock=clock))
    statuses = [call(emulator, "GET", "/gates").status_code for _ in range(5)]
    limited = call(emulator, "GET", "/gates")
    assert statuses == [200] * 5 and limited.status_code == 429
    assert int(limited.headers["Retry-After"]) == 10
    clock.now += 10.5  # the first five have left the window, the rejected one has not
    assert call(emulator, "GET", "/gates").status_code == 200
    clock.now += 100
    mutations = [call(emulator, "POST", "/gates", {"id": f"rl_gate_{i}"}).status_code for i in range(4)]
    assert mutations == [201, 201, 201, 429]
    assert [r.fault for r in emulator.log].count("429") == 2


def test_faults_error_rate_and_scripted():
    emulator = Emulator(faults=Faults(error_rate=1.0, seed=1))
    assert call(emulator, "GET", "/gates").status_code in (500, 502, 503, 504)
    scripted = Emulator()
    scripted.faults.script("POST /gates 2 503")
    codes = [call(scripted, "POST", "/gates", {"id": f"s_gate_{i}"}).status_code for i in range(3)]
    assert codes == [201, 503, 201]
    assert scripted.store.get("gates", "s_gate_1") is None


@pytest.mark.parametrize("when, committed", [("before", False), ("after", True)])
def test_dropped_connections_before_and_after_commit(when, committed):
    emulator = Emulator()
    emulator.faults.script(f"POST /gates 1 drop-{when}")
    with pytest.raises(httpx.RemoteProtocolError):
        call(emulator, "POST", "/gates", {"id": "dropped_gate"})
    assert (emulator.store.get("gates", "dropped_gate") is not None) is committed
    assert emulator.log[-1].fault == f"drop-{when}" and emulator.log[-1].status == 0


def test_latency_is_added():
    import time

    emulator = Emulator(faults=Faults(latency_ms=60))
    started = time.monotonic()
    call(emulator, "GET", "/gates")
    assert time.monotonic() - started >= 0.06


def test_request_log_records_method_path_status_and_time(emulator):
    call(emulator, "POST", "/gates", {"id": "log_gate"})
    call(emulator, "GET", "/gates/none_such")
    assert [(r.method, r.path, r.status) for r in emulator.log] == [
        ("POST", "/console/v1/gates", 201), ("GET", "/console/v1/gates/none_such", 404)]
    assert all(r.time > 0 and r.duration >= 0 for r in emulator.log)


def test_fields_an_operation_does_not_declare_are_not_stored(emulator):
    # POST /layers takes no parameters (only an update does): sent anyway, they are dropped
    parameters = [{"name": "color", "type": "string", "defaultValue": "blue"}]
    created = call(emulator, "POST", "/layers", {"name": "a_layer", "idType": "userID", "parameters": parameters})
    assert created.status_code == 201 and created.json()["data"]["parameters"] == []
    call(emulator, "PATCH", "/layers/a_layer", {"parameters": parameters, "idType": "stableID"})
    layer = emulator.store.get("layers", "a_layer")
    assert layer["parameters"] == parameters and layer["idType"] == "userID"  # idType is create-only


def test_answers_carry_any_json_a_config_holds_unicode_and_integers_beyond_64_bits_too(emulator):
    # the emulator's answers are encoded by orjson, which refuses integers past 64 bits:
    # those answers are encoded as before, never a 500
    value = {"huge": 2 ** 70, "text": "naïve ✓", "nested": [1.5, None, True, {"k": "v"}]}
    created = call(emulator, "POST", "/dynamic_configs", {"name": "Huge", "defaultValue": value})
    assert created.status_code == 201, created.text
    listed = call(emulator, "GET", "/dynamic_configs")
    assert listed.status_code == 200 and listed.headers["content-type"] == "application/json"
    [config] = [c for c in listed.json()["data"] if c["id"] == "huge"]
    assert config["defaultValue"] == value
