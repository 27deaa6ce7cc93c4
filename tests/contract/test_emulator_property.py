"""Property-based contract run against the *served* emulator.

For every operation the emulator implements, hypothesis generates request bodies
from the official spec's request schema (and arbitrary JSON besides) and sends
them over a real socket. Whatever comes in, the emulator must never answer 5xx,
and every answer must fit the spec: the operation's response schema, or
Statsig's `{status, message}` error shape.
"""
import copy
import json

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statsync import spec
from statsync.emulator.entities import ENTITIES, SINGLETONS
from statsync.emulator.app import FIELD_ENDPOINTS, ID_LISTS, VERSIONED
from statsync.emulator.lifecycle import ACTIONS
from tests.e2e.served import ServedEmulator
from tests.strategies import ANY_JSON, from_schema

KEY = {"STATSIG-API-KEY": "console-property-test"}
ERROR_SHAPE = {"type": "object", "required": ["status", "message"],
               "properties": {"status": {"type": "integer"}, "message": {"type": "string"}}}

# an object of each kind for the {id} routes to find (re-created after a DELETE)
SEEDS = {"gates": {"id": "known_gate"}, "dynamic_configs": {"name": "known_config"},
         "experiments": {"name": "known_experiment"}, "tags": {"name": "known tag", "description": ""},
         "unit_id_types": {"name": "knownUnit", "description": ""},
         "segments": {"id": "known_segment", "name": "known segment", "type": "rule_based"},
         "target_app": {"name": "known app", "description": ""},
         "layers": {"name": "known_layer", "idType": "userID"}, "holdouts": {"name": "known_holdout"},
         "roles": {"name": "known role", "permissions": {}}, "metrics": {"name": "known metric", "type": "sum"},
         "keys": {"description": "known key", "type": "SERVER"},
         "autotunes": {"name": "known_autotune", "variants": [{"name": "a", "json": {}}, {"name": "b", "json": {}}],
                       "successEvent": "click", "explorationWindow": "24hr", "attributionWindow": "2hr",
                       "winnerThreshold": "95%"},
         "release_pipelines": {"name": "known pipeline", "phases": [
             {"name": "All", "timeIntervalMs": 3600000, "requiredReview": False,
              "rules": [{"name": "All", "conditions": [{"type": "public"}]}]}]},
         "param_stores": {"name": "known_store", "description": "", "displayName": "known store"},
         "users/teams": {"name": "known team", "members": [], "admins": [], "defaultGateMetrics": [],
                         "defaultExperimentPrimaryMetrics": [], "defaultExperimentSecondaryMetrics": [],
                         "defaultHoldoutMetrics": [], "changeTeamConfigs": "anyone", "reviewApproval": "anyone",
                         "defaultTargetApplications": []},
         "metrics/metric_source": {"name": "known_source", "sql": "", "timestampColumn": "ts",
                                   "idTypeMapping": [{"statsigUnitID": "userID", "column": "user_id"}]}}
# a second object where one kind has two shapes (an id-list segment for the id_list routes)
MORE_SEEDS = {"segments": {"id": "known_list", "name": "known list", "type": "id_list"}}
KNOWN = {"gates": "known_gate", "dynamic_configs": "known_config", "experiments": "known_experiment",
         "tags": "known tag", "unit_id_types": "knownUnit", "segments": "known_segment", "target_app": "known app",
         "layers": "known_layer", "holdouts": "known_holdout", "roles": "known role",
         "metrics": "known metric::sum", "metrics/metric_source": "known_source", "param_stores": "known_store",
         "autotunes": "known_autotune"}


def implemented_operations():
    for collection in ENTITIES:
        yield "GET", f"/{collection}" + (f"/{ENTITIES[collection].list_path}" if ENTITIES[collection].list_path else "")
        yield "POST", f"/{collection}"
        for method in ("GET", "POST", "PATCH", "DELETE"):
            yield method, f"/{collection}/{{id}}"
        for action in ACTIONS.get(collection, {}):
            yield "PUT", f"/{collection}/{{id}}/{action}"
        if collection in VERSIONED:
            yield "GET", f"/{collection}/{{id}}/versions"
        for field_endpoint in FIELD_ENDPOINTS.get(collection, ()):
            yield "POST", f"/{collection}/{{id}}/{field_endpoint}"
        if ENTITIES[collection].empty_overrides is not None:
            yield from ((method, f"/{collection}/{{id}}/overrides") for method in ("GET", "POST", "PATCH", "DELETE"))
        if collection in ID_LISTS:
            yield from (("GET", f"/{collection}/{{id}}/id_list"), ("PATCH", f"/{collection}/{{id}}/id_list"),
                        ("DELETE", f"/{collection}/{{id}}/id_list"), ("POST", f"/{collection}/{{id}}/id_list/reset"))
    for collection in SINGLETONS:  # the environment list, the settings
        yield "GET", f"/{collection}"
        yield "POST", f"/{collection}"

OPERATIONS = [(method, template) for method, template in implemented_operations()
              if spec.has_operation(method, template)]

def inline(node, defs):
    if isinstance(node, dict):
        if "$ref" in node:
            return inline(copy.deepcopy(defs[node["$ref"].removeprefix("#/$defs/")]), defs)
        return {key: inline(value, defs) for key, value in node.items() if key != "format"}
    if isinstance(node, list):
        return [inline(item, defs) for item in node]
    return node

def body_strategy(method, template):
    schema = spec.operation(method, template)["request"]
    if schema is None:
        return st.none() | ANY_JSON
    # mostly bodies the spec allows, so the emulator's logic is reached, plus anything at all
    return st.one_of(from_schema(inline(schema, spec.document()["$defs"])), ANY_JSON)

@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("property")
    emulator = ServedEmulator(folder / "state.json", folder / "emulator.log", "--seed", "3")
    with httpx.Client(base_url=emulator.url + "/console/v1", headers=KEY) as client:
        # some objects for the {id} routes to find
        for collection, body in [*SEEDS.items(), *MORE_SEEDS.items()]:
            answer = client.post(f"/{collection}", json=body)
            address = ENTITIES[collection].address
            if address is not None:  # addressed by what the server made (a key's secret, a team's id)
                KNOWN[collection] = answer.json()["data"][address]
    yield emulator
    emulator.stop()

def check(method, template, response):
    assert response.status_code < 500, f"{method} {template} → {response.status_code}: {response.text[:300]}"
    payload = response.json()
    validator = spec.response_validator(method, template, response.status_code)
    if response.status_code >= 400:
        errors = list(spec.schema_validator(ERROR_SHAPE).iter_errors(payload))
    elif validator is None:
        raise AssertionError(f"{method} {template} answered {response.status_code}, which the spec does not declare")
    else:
        errors = list(validator.iter_errors(payload))
    assert errors == [], f"{method} {template} → {response.status_code}: {errors[0].message} in {json.dumps(payload)[:300]}"

@pytest.mark.parametrize("method, template", OPERATIONS, ids=[f"{m} {t}" for m, t in OPERATIONS])
def test_operation_never_breaks_the_spec(served, method, template):
    collection = max((name for name in ENTITIES if template.startswith(f"/{name}/") or template == f"/{name}"),
                     key=len, default=template.split("/")[1])
    known = KNOWN.get(collection, "")

    @settings(max_examples=25, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                     HealthCheck.filter_too_much])
    @given(body=body_strategy(method, template), object_id=st.sampled_from([known, "missing_object", *[b["id"] for c, b in MORE_SEEDS.items() if c == collection]]))
    def run(body, object_id):
        path = "/console/v1" + template.replace("{id}", object_id)
        if method in ("GET", "DELETE"):
            response = client.request(method, path)
        else:
            response = client.request(method, path, content=json.dumps(body) if body is not None else None,
                                      headers={"content-type": "application/json"})
        check(method, template, response)
        if method == "DELETE" and response.status_code == 200:
            client.post(f"/console/v1/{collection}", json=MORE_SEEDS[collection] if object_id != known else SEEDS[collection])

    with httpx.Client(base_url=served.url, headers=KEY, timeout=10) as client:
        run()
