"""Metrics and metric sources: a metric is its `<name>::<type>` id, created from it, renamed
without a new id, updated by POSTing it whole; what only creation sets is a replace;
experiments name metrics by {name, type} and wait for the repository's."""
import asyncio

import pytest

from statsync.api.errors import ApiError
from statsync.emulator.app import Emulator
from statsync.emulator.readings import Readings
from statsync.errors import InvalidConfig
from tests.conftest import client_for, plan_apply, write

SOURCE = """---
kind: metric_source
id: orders
sql: SELECT * FROM orders
timestampColumn: created_at
idTypeMapping: [{statsigUnitID: userID, column: user_id}]
"""
REVENUE = """---
kind: metric
id: order_revenue::user_warehouse
warehouseNative: {metricSourceName: orders, aggregation: sum, valueColumn: total_usd}
"""
CHECKOUTS = """---
kind: metric
id: checkouts::event_count_custom
description: Completed checkouts
metricEvents: [{name: checkout_completed}]
"""


def test_a_metric_is_created_from_its_id_and_read_from_the_list(emulator, tmp_path):
    repo = write(tmp_path, CHECKOUTS)
    plan, outcomes = plan_apply(emulator, repo)
    [request] = plan.steps[0].requests
    assert (request.method, request.path) == ("POST", "/metrics")
    assert request.body["name"] == "checkouts" and request.body["type"] == "event_count_custom"
    assert "id" not in request.body  # Statsig makes it
    assert emulator.store.get("metrics", "checkouts::event_count_custom")["description"] == "Completed checkouts"
    emulator.log.clear()
    assert not plan_apply(emulator, repo, apply=False)[0].has_changes
    assert [r.path for r in emulator.log] == ["/console/v1/metrics/list"]  # GET /metrics reads values


def test_a_metric_hidden_in_the_console_is_still_the_repositorys(emulator, tmp_path):
    """A plain `GET /metrics/list` leaves hidden metrics out (⚠ the emulator's reading of the
    spec's `showHiddenMetrics`); read so, a hidden metric would be planned as a create that
    Statsig refuses, and an edit to it would never be planned."""
    repo = write(tmp_path, CHECKOUTS)
    plan_apply(emulator, repo)
    emulator.console_edit("metrics", "checkouts::event_count_custom", {"isHidden": True})

    async def lists():
        async with client_for(emulator) as client:
            return (await client.list("/metrics/list"), await client.list("/metrics/list?showHiddenMetrics=true"))
    plain, with_hidden = asyncio.run(lists())
    assert plain == [] and [m["id"] for m in with_hidden] == ["checkouts::event_count_custom"]
    emulator.log.clear()
    assert not plan_apply(emulator, repo, apply=False)[0].has_changes
    assert [r.path for r in emulator.log] == ["/console/v1/metrics/list"]
    edited = write(tmp_path, CHECKOUTS.replace("Completed checkouts", "Checkouts, hidden or not"))
    plan, outcomes = plan_apply(emulator, edited)
    assert [(s.action, s.address) for s in plan.steps] == [("update", "metric.checkouts::event_count_custom")]
    assert emulator.store.get("metrics", "checkouts::event_count_custom")["description"] == "Checkouts, hidden or not"


def test_a_rename_keeps_the_id_and_an_update_posts_the_whole_metric(emulator, tmp_path):
    plan_apply(emulator, write(tmp_path, CHECKOUTS))
    emulator.console_edit("metrics", "checkouts::event_count_custom", {"unitTypes": ["userID"]})
    repo = write(tmp_path, CHECKOUTS + "name: Checkouts completed\n")
    plan, outcomes = plan_apply(emulator, repo)
    [request] = plan.steps[0].requests
    assert (request.method, request.path) == ("POST", "/metrics/checkouts%3A%3Aevent_count_custom")
    # what the file leaves out (the console's unitTypes) goes back as it is live
    assert request.body["name"] == "Checkouts completed" and request.body["unitTypes"] == ["userID"]
    assert request.body["directionality"] == "increase"  # the update DTO declares a default for it
    live = emulator.store.get("metrics", "checkouts::event_count_custom")
    assert live["name"] == "Checkouts completed" and live["unitTypes"] == ["userID"]
    assert live["type"] == "event_count_custom" and live["metricEvents"] == [{"name": "checkout_completed"}]
    assert not plan_apply(emulator, repo, apply=False)[0].has_changes


def test_what_only_creation_sets_is_a_replace(emulator, tmp_path):
    plan_apply(emulator, write(tmp_path, CHECKOUTS))
    repo = write(tmp_path, CHECKOUTS.replace("checkout_completed", "order_placed"))
    plan, _ = plan_apply(emulator, repo, apply=False)
    [step] = plan.steps
    assert step.action == "replace" and [c.path for c in step.changes] == ["metricEvents"]
    assert [(r.method, r.path) for r in step.requests] == [("DELETE", "/metrics/checkouts%3A%3Aevent_count_custom"),
                                                           ("POST", "/metrics")]


def test_a_warehouse_native_metric_waits_for_its_source_and_the_source_updates_whole(emulator, tmp_path):
    repo = write(tmp_path, REVENUE + SOURCE)
    plan, outcomes = plan_apply(emulator, repo)
    assert [s.address for s in plan.steps] == ["metric_source.orders", "metric.order_revenue::user_warehouse"]
    assert plan.steps[1].depends_on == ["metric_source.orders"]
    assert {o.status for o in outcomes} == {"applied"}
    repo = write(tmp_path, REVENUE + SOURCE + "description: Orders\n")
    plan, outcomes = plan_apply(emulator, repo)
    [request] = plan.steps[0].requests
    # MetricSourceUpdateContractDto requires these: they go back as they are live
    assert (request.method, request.path) == ("POST", "/metrics/metric_source/orders")
    assert request.body["sql"] == "SELECT * FROM orders" and request.body["description"] == "Orders"
    assert [o.status for o in outcomes] == ["applied"]
    assert not plan_apply(emulator, repo, apply=False)[0].has_changes


EXPERIMENT = """---
kind: experiment
id: checkout_test
groups: [{name: Control, size: 50, parameterValues: {}}, {name: Test, size: 50, parameterValues: {}}]
primaryMetrics: [{name: checkouts, type: event_count_custom}]
secondaryMetrics: [{name: dau, type: user}, {name: page_view, type: event_count}]
"""


def test_an_experiment_waits_for_the_metrics_it_reads_and_statsigs_own_need_no_file(emulator, tmp_path):
    plan, outcomes = plan_apply(emulator, write(tmp_path, EXPERIMENT + CHECKOUTS))
    assert [s.address for s in plan.steps] == ["metric.checkouts::event_count_custom", "experiment.checkout_test"]
    assert plan.steps[1].depends_on == ["metric.checkouts::event_count_custom"]
    assert {o.status for o in outcomes} == {"applied"}


def test_a_metric_named_nowhere_is_refused_with_its_place(emulator, tmp_path):
    repo = write(tmp_path, EXPERIMENT)
    with pytest.raises(InvalidConfig) as caught:
        plan_apply(emulator, repo, apply=False)
    assert [str(p).replace(f"{repo}/", "") for p in caught.value.problems] == [
        "objects.yaml:5:25: primaryMetrics[0].name: metric 'checkouts::event_count_custom' does not exist in the "
        "repository or the live project"]


@pytest.mark.parametrize("bad, message", [
    ("id: checkouts", "does not match"),
    ("id: abc::sum", "does not match"),  # names are 4–200 characters
    ("id: checkouts::dau", "does not match"),  # not a type a metric is created with
])
def test_a_metric_id_must_be_a_name_and_a_type(bad, message, tmp_path):
    from statsync.config import load_project
    from statsync.workflow import load_desired

    repo = write(tmp_path, CHECKOUTS.replace("id: checkouts::event_count_custom", bad))
    with pytest.raises(InvalidConfig) as caught:
        load_desired(load_project((str(repo),)))
    assert message in str(caught.value.problems[0])


def test_a_metric_source_without_what_creation_needs_is_refused(tmp_path):
    from statsync.config import load_project
    from statsync.workflow import load_desired

    repo = write(tmp_path, "kind: metric_source\nid: orders\nsql: SELECT 1\n")
    with pytest.raises(InvalidConfig) as caught:
        load_desired(load_project((str(repo),)))
    assert sorted(str(p).split(": ", 1)[1] for p in caught.value.problems) == [
        "'idTypeMapping' is required", "'timestampColumn' is required"]


def _put(emulator, path):
    async def go():
        async with client_for(emulator) as client:
            return await client.request("PUT", path)
    return asyncio.run(go())


def test_a_metric_others_are_built_from_cannot_be_archived_and_an_archive_can_be_undone(emulator, tmp_path):
    """docs `metrics/archiving-metrics.md`: an archive waits 24 hours and can be undone;
    a metric other metrics use must lose them first."""
    composite = ("---\nkind: metric\nid: checkouts_total::composite_sum\n"
                 "metricComponentMetrics: [{name: checkouts, type: event_count_custom}]\n")
    plan_apply(emulator, write(tmp_path, CHECKOUTS + composite))
    with pytest.raises(ApiError, match="used by checkouts_total::composite_sum"):
        _put(emulator, "/metrics/checkouts::event_count_custom/schedule_archive")
    with pytest.raises(ApiError, match="not scheduled for archive"):
        _put(emulator, "/metrics/checkouts_total::composite_sum/cancel_archive")
    _put(emulator, "/metrics/checkouts_total::composite_sum/schedule_archive")
    with pytest.raises(ApiError, match="already scheduled"):
        _put(emulator, "/metrics/checkouts_total::composite_sum/schedule_archive")
    _put(emulator, "/metrics/checkouts_total::composite_sum/cancel_archive")
    with pytest.raises(ApiError, match="not archived"):
        _put(emulator, "/metrics/checkouts_total::composite_sum/unarchive")


@pytest.mark.parametrize("answer", ["silent", "hidden"])
def test_a_metric_archived_in_the_console_is_planned_as_before_under_either_reading(answer, tmp_path):
    """Whatever a metric answers once archived (Readings.metric_archive_answer, ⚠ until a
    probe), statsync still finds it and plans nothing for it."""
    emulator = Emulator(seed=7, readings=Readings(metric_archive_answer=answer))
    repo = write(tmp_path, CHECKOUTS)
    plan_apply(emulator, repo)
    _put(emulator, "/metrics/checkouts::event_count_custom/schedule_archive")
    assert emulator.store.get("metrics", "checkouts::event_count_custom")["isHidden"] is (answer == "hidden")
    plan, _ = plan_apply(emulator, repo, apply=False)
    assert not plan.has_changes
