"""Which changes need a review: `/console/v1/settings/reviews` (GET reads, POST writes whole).

One per project. Turning a requirement off is called out in the plan (`safeguards`), where
a reviewer of the pull request cannot miss it. TF-test
`tests/test_resources/settings_reviews.tf` sets the three required fields and plans empty.
"""
from statsync.kinds import Kind

KIND = Kind(
    name="review_settings",
    plural="settings",
    title="Review settings",
    collection="/settings/reviews",
    create_dto="SettingsReviewsContractDto",
    partial_update_dto="SettingsReviewsContractDto",
    response_dto="SettingsReviewsContractDto",
    fields={
        "is_config_review_required": "Changes to gates, configs and experiments need an approved review.",
        "is_metric_review_required": "Changes to metrics need an approved review.",
        "is_metric_review_required_on_verified_only": "Only verified metrics need a review.",
        "is_whn_analysis_only_review_required": "Analysis-only experiments need a review (warehouse native).",
        "is_whn_source_review_required": "Metric, assignment and entity property sources need a review "
                                         "(warehouse native).",
    },
    name_defaults_to_id=False,
    singleton=True,
    safeguards={"is_config_review_required": True, "is_metric_review_required": True,
                "is_whn_analysis_only_review_required": True, "is_whn_source_review_required": True},
    # ⚠ unproven which action Statsig records for which change (the spec lists the names)
    audit_actions=("config_require_reviews", "update_metric_review_required", "set_self_approvals_blocked"),
)
