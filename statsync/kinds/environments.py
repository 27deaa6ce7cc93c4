"""Environments: `/console/v1/environments` (DIGEST §12), the project's one list of
environments. It always exists: statsync never creates or deletes it, only sends the
whole list back (`POST /environments`). Entries keep their server id by name; the
production environment can be neither removed nor renamed, but its review flags are
editable (TF-test `tests/test_resources/environments.tf`). Rules name environments
(`environments`, `environment_tier` conditions): those names must be on the list."""
from statsync.kinds import KeyedList, Kind

KIND = Kind(
    name="environments",
    plural="environments",
    identity="id",
    title="Environment list",
    collection="/environments",
    create_dto="EnvironmentsUpdateContractDto",
    partial_update_dto="EnvironmentsUpdateContractDto",
    response_dto="EnvironmentsContractDto",
    fields={"environments": "The project's environments in promotion order ({name, isProduction, "
                            "requiresReview, requiredReviewGroupID?, requiresReleasePipeline}). Names are what "
                            "rules and environment_tier conditions use; the production environment cannot be "
                            "removed or renamed (its review flags can change)."},
    defaults={"environments": []},
    name_defaults_to_id=False,
    keyed_lists={"environments": KeyedList(key="name", server_ids=("id",),
                                           values=("isProduction", "requiresReview", "requiresReleasePipeline"))},
    hidden=("environments.id",),
    singleton=True,
    fixed_entries=("environments", "isProduction"),
    safeguards={"environments.requiresReview": True, "environments.requiresReleasePipeline": True},
    # ⚠ unproven which action Statsig records for which change (the spec lists the names)
    audit_actions=("company_environments_edit",),
)
