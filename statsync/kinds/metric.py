"""Metrics: `/console/v1/metrics` (DIGEST §13), listed at `/metrics/list`.

A metric's id is `<name>::<type>` as created (spec list example `"[LOCAL] Time Spent over
500ms::event_count_custom"`), and stays when the metric is renamed (the same example list
answers id `___RENAME_FAILED___::composite_sum` with name `rename_test_success`). So the
YAML id is that id: a new metric sends its name and type from it. Updates are a POST of
the whole metric (TF-code `internal/metric_client.go` POSTs the full model to
`metrics/<id>`); what only creation sets (events, rollup windows, funnels) is a replace.
Metrics Statsig makes itself (`dau::user`, `<event>::event_count`, `<event>::event_dau`)
need no file and are never read as managed. `isReadOnly: true` keeps console edits away
from what git owns.

Not managed yet: the archive lifecycle (`schedule_archive`, `cancel_archive`,
`unarchive`). The metric the API answers declares no archive state (`isHidden` is not
documented as one), so a plan could not tell where a metric is: `statsync probe` asks
(`metric_archive_answer`), and the emulator serves the endpoints (emulator/lifecycle.py).
"""
from statsync.kinds import TEAM, AUDIT_FIELDS, TAGS, Kind, Reference

# The types Statsig generates metrics of by itself, for every project or every logged event.
AUTOMATIC = ("*::user", "*::event_count", "*::event_dau")
METRIC_ITEMS = ("name", "type")

KIND = Kind(
    name="metric",
    plural="metrics",
    title="Metric",
    collection="/metrics",
    # hidden metrics too (the spec's `showHiddenMetrics`): a metric someone hid in the console
    # is still the repository's, not one to create again (⚠ unproven that a plain list hides them)
    list_path="/metrics/list?showHiddenMetrics=true",
    create_dto="MetricCreationContractDto",
    partial_update_dto="MetricsUpdateContractDto",
    response_dto="ExternalMetricDefinitionContractDto",
    id_parts=("name", "type"),
    update_method="POST",
    fields={
        "name": "Display name. Defaults to the id's name part; renaming keeps the id.",
        "description": "What the metric measures.",
        "directionality": "Which way is good: increase or decrease.",
        "tags": "Tag names (★ Core puts the metric on every scorecard).",
        "unitTypes": "Unit ID types the metric is computed for.",
        "isVerified": "Verified: trusted across the organization.",
        "isReadOnly": "Editable only through the Console API — what git owns stays git's.",
        "isPermanent": "Never archived or deleted by accident.",
        "metricEvents": "Events counted (with criteria); set at creation.",
        "metricComponentMetrics": "Metrics a composite or ratio metric is built from ({name, type}); set at "
                                  "creation.",
        "rollupTimeWindow": "Rollup window (custom: customRollUpStart/End); set at creation.",
        "customRollUpStart": "Custom window start, in days since exposure; set at creation.",
        "customRollUpEnd": "Custom window end, in days since exposure; set at creation.",
        "funnelEventList": "Funnel steps, in order; set at creation.",
        "funnelCountDistinct": "Funnels: count events or users; set at creation.",
        "warehouseNative": "Warehouse-native definition (metricSourceName, aggregation, criteria…).",
        "team": "Owning team (Enterprise).",
        "teamID": "Owning team id (Enterprise).",
    },
    # what an omitted field answers (spec list examples: description "", flags false, tags [])
    defaults={"description": "", "directionality": "increase", "tags": [], "isVerified": False,
              "isReadOnly": False, "isPermanent": False},
    name_defaults_to_id=False,
    # MetricsUpdateContractDto declares directionality's default: a field left out might reset
    always_sent=("directionality",),
    set_fields=("tags", "unitTypes"),
    empty_is_none=("description", "team", "teamID"),
    json_fields=("warehouseNative",),
    references=(TEAM, TAGS, Reference(target="unit_id_type", field="unitTypes"),
                Reference(target="metric", items="metricComponentMetrics", item_parts=METRIC_ITEMS),
                Reference(target="metric_source", field="warehouseNative.metricSourceName")),
    server_fields=(*AUDIT_FIELDS, "type", "isHidden", "lineage"),
    implicit=AUTOMATIC,
    unmanaged={"dryRun": "a request flag (validate without saving), not a property of the metric",
               "owner": "who owns the metric is the console's, not the repository's (like every kind's owner)"},
)
