"""Release pipelines: `/console/v1/release_pipelines` (ReleasePipelineCreateDto; POST
`/{id}` ReleasePipelineUpdateDto), the phased rollouts gates and dynamic configs name in
`releasePipelineID`.

Written by name, addressed by the opaque id Statsig gives a pipeline (`addresses`, as a
team). A gate or config names its pipeline by that name in YAML; the client sends the
pipeline's id (`Reference.by_address`) and reads it back as the name. Phases are matched
by name and keep their ids; each phase's rules are a gate's rules (conditions, optional
environments). Updates POST the pipeline whole. No Statsig artefact beyond the spec shows
pipelines (the Terraform provider has none): the emulator's readings are the spec's.
"""
from statsync.kinds import (CONDITION_UNIT_ID_TYPES, ENVIRONMENTS, GATE_CONDITIONS, SEGMENT_CONDITIONS, KeyedList,
                            Kind)

KIND = Kind(
    name="release_pipeline",
    plural="release_pipelines",
    title="Release pipeline",
    collection="/release_pipelines",
    identity="name",
    create_dto="ReleasePipelineCreateDto",
    partial_update_dto="ReleasePipelineUpdateDto",
    response_dto="ReleasePipelineDto",
    update_method="POST",
    fields={"phases": "The phases a change rolls out through, in order ({name, timeIntervalMs, requiredReview, "
                      "rules}); each phase's rules are written like a gate's."},
    defaults={"phases": []},
    name_defaults_to_id=False,
    keyed_lists={"phases": KeyedList(key="name", server_ids=("id",), values=("requiredReview",))},
    hidden=("phases.id", "phases.rules.id"),
    nested_rules=("phases.rules",),
    # a phase's rules name gates, segments, environments and unit ID types as a gate's rules do:
    # checked, and the pipeline is created after what they name
    references=(GATE_CONDITIONS, SEGMENT_CONDITIONS, ENVIRONMENTS, CONDITION_UNIT_ID_TYPES),
    address="id",
    server_fields=("id", "creatorID", "createdTime", "lastModifierID"),
    # a phase that no longer waits for a review is a review requirement switched off
    safeguards={"phases.requiredReview": True},
    # ⚠ unproven which action Statsig records for which change (the spec lists the names)
    audit_actions=("release_pipeline_create", "release_pipeline_update", "release_pipeline_delete"),
)
