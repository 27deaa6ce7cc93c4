"""Warehouse-native metric sources: `/console/v1/metrics/metric_source` (by name), listed at
`/metrics/metric_source/list`; updated by POSTing the whole source (the update DTO requires
sql, timestampColumn and idTypeMapping). TF-tests `metric_source_table.tf` and
`metric_source_query.tf` (a table source with `sql: ""`; a query source) plan empty after
apply. `idTypeMapping` items say which column holds each unit ID type."""
from statsync.kinds import TEAM, AUDIT_FIELDS, TAGS, Kind, Reference

KIND = Kind(
    name="metric_source",
    plural="metric_sources",
    title="Metric source",
    collection="/metrics/metric_source",
    list_path="/metrics/metric_source/list",
    identity="name",
    create_dto="MetricSourceCreationContractDto",
    partial_update_dto="MetricSourceUpdateContractDto",
    response_dto="MetricSourceContractDto",
    update_method="POST",
    fields={
        "description": "What the source holds.",
        "sourceType": "table or query.",
        "sql": "The query (query sources; \"\" for a table source).",
        "tableName": "The table (table sources).",
        "timestampColumn": "Column holding each row's time.",
        "timestampAsDay": "The timestamp is a day, not an instant.",
        "datePartitionColumn": "Column the table is partitioned by date on.",
        "idTypeMapping": "Which column holds each unit ID type ({statsigUnitID, column}).",
        "customFieldMapping": "Derived fields ({key, formula}).",
        "tags": "Tag names.",
        "isReadOnly": "Editable only through the Console API.",
        "isVerified": "Verified: trusted across the organization.",
        "team": "Owning team (Enterprise).",
        "teamID": "Owning team id (Enterprise).",
    },
    defaults={"description": "", "tags": [], "isReadOnly": False, "isVerified": False},
    name_defaults_to_id=False,
    set_fields=("tags",),
    empty_is_none=("description", "team", "teamID"),
    references=(TEAM, TAGS, Reference(target="unit_id_type", items="idTypeMapping", item_field="statsigUnitID")),
    server_fields=(*AUDIT_FIELDS,),
    unmanaged={"dryRun": "a request flag (validate without saving), not a property of the source",
               "owner": "who owns the source is the console's, not the repository's"},
    # ⚠ unproven which action Statsig records for which change (the spec lists the names)
    audit_actions=("create_echidna_metric_source", "update_echidna_metric_source", "update_echidna_metric_source_name",
                   "update_echidna_metric_source_is_verified", "delete_echidna_metric_source"),
)
