"""Tags and unit ID types: objects Statsig addresses by name, which others reference."""
from pathlib import Path

import pytest

from statsync.config import load_project
from statsync.errors import InvalidConfig
from statsync.importer import write_all
from statsync.workflow import apply_plan, load_desired, make_plan, plan_options, read_live
from tests.conftest import client_for, run

OBJECTS = """kind: unit_id_type
id: companyID
description: A customer company
---
kind: tag
id: checkout team
description: Owned by the checkout team
---
kind: gate
id: company_beta
idType: companyID
tags: [checkout team]
"""


def plan_apply(emulator, repo: Path, apply=True, prune=None):
    project = load_project((str(repo),))

    async def go():
        async with client_for(emulator) as client:
            plan = await make_plan(project, client, "t", plan_options(project, prune))
            return plan, (await apply_plan(plan, client) if apply else [])
    return run(go())


def write(tmp_path: Path, text: str) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir(exist_ok=True)
    (repo / "objects.yaml").write_text(text)
    return repo


def test_tags_and_unit_id_types_are_created_first_and_round_trip(emulator, tmp_path):
    repo = write(tmp_path, OBJECTS)
    plan, outcomes = plan_apply(emulator, repo)
    assert [s.address for s in plan.steps] == ["unit_id_type.companyID", "tag.checkout team", "gate.company_beta"]
    assert set(plan.steps[2].depends_on) == {"unit_id_type.companyID", "tag.checkout team"}
    assert [o.status for o in outcomes] == ["applied"] * 3
    tag_create = plan.steps[1].requests[0]
    assert (tag_create.method, tag_create.path) == ("POST", "/tags")
    assert tag_create.body == {"name": "checkout team", "description": "Owned by the checkout team", "isCore": False}
    created = [(r.method, r.path) for r in emulator.log if r.method == "POST"]
    assert created == [("POST", "/console/v1/unit_id_types"), ("POST", "/console/v1/tags"), ("POST", "/console/v1/gates")]
    again, _ = plan_apply(emulator, repo, apply=False)
    assert not again.has_changes


def test_an_update_is_a_patch_by_name_with_the_fields_statsig_would_otherwise_reset(emulator, tmp_path):
    repo = write(tmp_path, OBJECTS)
    plan_apply(emulator, repo)
    emulator.store.get("tags", "checkout team")["isCore"] = True  # someone made it core
    write(tmp_path, OBJECTS.replace("Owned by the checkout team", "Checkout team"))
    plan, _ = plan_apply(emulator, repo)
    [step] = plan.steps
    assert (step.requests[0].method, step.requests[0].path) == ("PATCH", "/tags/checkout%20team")
    assert step.requests[0].body == {"description": "Checkout team", "isCore": False}
    assert {c.path for c in step.changes} == {"description", "isCore"}


def test_references_to_tags_and_unit_id_types_must_resolve(tmp_path):
    repo = write(tmp_path, "kind: gate\nid: lonely_gate\nidType: teamID\ntags: [nobody]\n")
    with pytest.raises(InvalidConfig) as caught:
        load_desired(load_project((str(repo),)))
    assert [str(p).split("objects.yaml:")[1] for p in caught.value.problems] == [
        "3:9: idType: unit_id_type 'teamID' does not exist in the repository",
        "4:8: tags[0]: tag 'nobody' does not exist in the repository",
    ]
    builtin = write(tmp_path, "kind: gate\nid: fine_gate\nidType: stableID\n")
    assert len(load_desired(load_project((str(builtin),)))) == 1


def test_a_tag_still_used_live_is_not_pruned(emulator, tmp_path):
    repo = write(tmp_path, OBJECTS)
    plan_apply(emulator, repo)
    emulator.console_create("tags", {"name": "unused", "description": ""})
    # the tag's file goes, the gate using it stays
    write(tmp_path, OBJECTS.replace("---\nkind: tag\nid: checkout team\ndescription: Owned by the checkout team\n", ""))
    plan, _ = plan_apply(emulator, repo, apply=False, prune=True)
    deletes = [s.address for s in plan.steps if s.action == "delete"]
    assert "tag.unused" in deletes and "tag.checkout team" not in deletes
    assert any(k.address == "tag.checkout team" and "gate.company_beta" in k.reason for k in plan.kept)


def test_import_writes_tags_and_unit_id_types_by_name(emulator, tmp_path):
    repo = write(tmp_path, OBJECTS)
    plan_apply(emulator, repo)

    async def go():
        async with client_for(emulator) as client:
            return await read_live(client)
    result = write_all(run(go()), tmp_path / "imported", target="t")
    assert result.not_round_tripping == [] and result.unrepresentable == []
    assert (tmp_path / "imported" / "tags" / "checkout team.yaml").read_text() == (
        "# yaml-language-server: $schema=../schemas/tag.json\n"
        "kind: tag\nid: checkout team\ndescription: Owned by the checkout team\n")
    assert (tmp_path / "imported" / "unit_id_types" / "companyID.yaml").exists()
