"""Canonical forms: equal when Statsig would consider two objects equal, and only then."""
import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from statsync.diff import diff
from statsync.kinds import get
from statsync.normalize import canonical, decimal

GATE = get("gate")
EXPERIMENT = get("experiment")

condition_types = st.sampled_from(["country", "email", "user_id", "os_name", "browser_name"])
values = st.lists(st.text(alphabet="abcdefXYZ0123456789@.", min_size=1, max_size=6), min_size=1, max_size=4)
conditions = st.lists(st.fixed_dictionaries({"type": condition_types, "operator": st.just("any"),
                                             "targetValue": values}), max_size=4)
rules = st.lists(st.fixed_dictionaries({
    "name": st.text(alphabet="abcdefgh ", min_size=1, max_size=8),
    "passPercentage": st.decimals(min_value=0, max_value=100, places=2).map(float),
    "conditions": conditions,
}), max_size=4, unique_by=lambda r: r["name"])
gates = st.fixed_dictionaries({"rules": rules}, optional={
    "description": st.text(max_size=20), "tags": st.lists(st.text(min_size=1, max_size=5), max_size=4, unique=True),
    "isEnabled": st.booleans()})


@settings(max_examples=200, deadline=None)
@given(gates)
def test_canonical_is_idempotent(body):
    once = canonical(GATE, "a_gate", body)
    assert canonical(GATE, "a_gate", copy.deepcopy(once)) == once


@settings(max_examples=200, deadline=None)
@given(gates, st.randoms())
def test_order_of_conditions_tags_and_target_values_does_not_matter(body, rnd):
    shuffled = copy.deepcopy(body)
    for rule in shuffled["rules"]:
        rnd.shuffle(rule["conditions"])
        for condition in rule["conditions"]:
            rnd.shuffle(condition["targetValue"])
    rnd.shuffle(shuffled.get("tags", []))
    assert canonical(GATE, "a_gate", shuffled) == canonical(GATE, "a_gate", body)


@settings(max_examples=100, deadline=None)
@given(gates)
def test_rule_order_does_matter(body):
    if len(body["rules"]) < 2:
        return
    reordered = copy.deepcopy(body)
    reordered["rules"].reverse()
    changes = diff(GATE, canonical(GATE, "a_gate", body), canonical(GATE, "a_gate", reordered))
    assert [(c.path, c.note) for c in changes] == [("rules", "order")]


def test_server_owned_fields_and_server_defaults_are_not_differences():
    live = {
        "id": "a_gate", "name": "a_gate", "description": "", "isEnabled": True, "status": "In Progress",
        "type": "TEMPORARY", "typeReason": "NONE", "checksPerHour": 12, "version": 7, "holdoutIDs": ["h"],
        "tags": [], "targetApps": [], "idType": "userID", "measureMetricLifts": True, "monitoringMetrics": [],
        "reviewSettings": {"requiredReview": False, "allowedReviewers": [{"id": "1", "name": "x", "email": "e"}]},
        "team": "Growth",  # injected by a team default: unmanaged when the YAML omits it
        "rules": [{"name": "All", "passPercentage": 10.0, "id": "abc:10.00:1", "baseID": "abc",
                   "environments": None, "conditions": [{"type": "public", "operator": None, "targetValue": None}]}],
    }
    desired = {"rules": [{"name": "All", "passPercentage": 10, "conditions": [{"type": "public"}]}]}
    live_form = canonical(GATE, "a_gate", live)
    desired_form = canonical(GATE, "a_gate", desired)
    assert diff(GATE, live_form, desired_form) == []


def test_empty_equivalences_statsig_folds():
    live = {"targetingGateID": "", "description": None, "hypothesis": ""}
    desired = {"targetingGateID": None}
    assert diff(EXPERIMENT, canonical(EXPERIMENT, "exp_one", live), canonical(EXPERIMENT, "exp_one", desired)) == []


def test_scalar_and_list_target_values_and_number_strings_are_equal():
    one = {"rules": [{"name": "R", "passPercentage": 1, "conditions": [
        {"type": "environment_tier", "operator": "any", "targetValue": "production"},
        {"type": "custom_field", "field": "age", "operator": "gt", "targetValue": 31}]}]}
    two = {"rules": [{"name": "R", "passPercentage": 1.0, "conditions": [
        {"type": "custom_field", "field": "age", "operator": "gt", "targetValue": ["31"]},
        {"type": "environment_tier", "operator": "any", "targetValue": ["production"]}]}]}
    assert canonical(GATE, "g_one", one) == canonical(GATE, "g_one", two)


def test_percentages_compare_to_two_decimals_but_json_values_are_exact():
    assert decimal(10.001) == 10 and decimal(10.005) == 10 and decimal(33.335) == 33.34 and decimal(5.5) == 5.5
    config = get("dynamic_config")
    a = canonical(config, "dc_one", {"defaultValue": {"ratio": 0.3333}})
    b = canonical(config, "dc_one", {"defaultValue": {"ratio": 0.33}})
    assert a != b


def test_groups_are_matched_by_name_and_their_ids_ignored():
    live = {"groups": [{"name": "Control", "size": 50.0, "parameterValues": {"x": 1}, "id": "g1"},
                       {"name": "Test", "size": 50, "parameterValues": {"x": 2}, "id": "g2"}]}
    desired = {"groups": [{"name": "Control", "size": 50, "parameterValues": {"x": 1}},
                          {"name": "Test", "size": 50, "parameterValues": {"x": 3}}]}
    changes = diff(EXPERIMENT, canonical(EXPERIMENT, "e_one", live), canonical(EXPERIMENT, "e_one", desired))
    assert [(c.path, c.before, c.after) for c in changes] == [("groups[Test].parameterValues.x", 2, 3)]
