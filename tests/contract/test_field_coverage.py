"""#12: every field Statsig's create and update DTOs declare is writable, or listed with the
reason it is not — a field the spec adds cannot go unnoticed."""
from statsync.coverage import UNDECIDED, all_coverage, render_markdown
from tests.conftest import REPO


def test_no_dto_field_is_undecided():
    undecided = [f"{row.kind}.{row.field}" for row in all_coverage() if row.status == UNDECIDED]
    assert undecided == [], f"decide on these fields (manage them, or list them in the kind's `unmanaged`): {undecided}"


def test_every_field_statsync_manages_is_one_the_dtos_take():
    from statsync import spec
    from statsync.kinds import all_kinds

    for kind in all_kinds().values():
        taken = set(spec.component(kind.create_dto).get("properties", {})) | set(
            spec.component(kind.partial_update_dto).get("properties", {}))
        extra = set(kind.fields) - taken - set(kind.own_fields) - set(kind.sub_resources)
        if kind.lifecycle:
            extra -= {kind.lifecycle.field, *kind.lifecycle.inputs}
        if kind.id_list:
            extra -= {kind.id_list.field, kind.id_list.file_field}
        assert not extra - set(kind.json5_twins.values()), (kind.name, sorted(extra))


def test_the_coverage_table_is_current():
    assert (REPO / "docs" / "field-coverage.md").read_text() == render_markdown(), \
        "docs/field-coverage.md is stale; run: python tools/gen_schemas.py"
