"""Drift says who changed an object that answers no modifier (a tag, a team) from the
audit log: one read, only when such an object drifted, never a wrong name."""
from statsync.config import load_project
from statsync.drift import drift_report
from statsync.render.drift import render_text
from tests.conftest import client_for, plan_apply, run, write

REPO = "kind: tag\nid: checkout\ndescription: Checkout work.\n---\nkind: gate\nid: new_checkout\n"


def _drift(emulator, repo):
    async def go():
        async with client_for(emulator) as client:
            return await drift_report(load_project((str(repo),)), client, "t")
    return run(go())


def _audit_reads(emulator) -> int:
    return sum(1 for r in emulator.log if r.path == "/console/v1/audit_logs")


def test_a_tag_changed_in_the_console_is_attributed_from_the_audit_log(emulator, tmp_path):
    repo = write(tmp_path, REPO)
    plan_apply(emulator, repo)
    emulator.console_edit("tags", "checkout", {"description": "Edited by hand."}, name="Grace Hopper",
                          email="grace@example.com")
    emulator.log.clear()
    report = _drift(emulator, repo)
    [drifted] = report.drifted
    assert (drifted.address, drifted.modified_by) == ("tag.checkout", "Grace Hopper")
    assert isinstance(drifted.modified_time, int)
    assert _audit_reads(emulator) == 1
    text = render_text(report)
    assert "last changed by Grace Hopper at " in text and "(version None)" not in text


def test_no_audit_read_when_what_drifted_names_its_modifier(emulator, tmp_path):
    repo = write(tmp_path, REPO)
    plan_apply(emulator, repo)
    emulator.console_edit("gates", "new_checkout", {"description": "By hand."}, name="Ada Lovelace")
    emulator.log.clear()
    [drifted] = _drift(emulator, repo).drifted
    assert drifted.modified_by == "Ada Lovelace"  # the gate answers it
    assert _audit_reads(emulator) == 0
    plan_apply(emulator, repo)
    emulator.log.clear()
    assert _drift(emulator, repo).drifted == [] and _audit_reads(emulator) == 0  # nothing drifted: no read


def test_an_entry_about_another_object_is_never_taken(emulator, tmp_path):
    # `checkout` is in the project with no entry about it in the log; `search` has one
    emulator.store.put("tags", {"name": "checkout", "description": "Changed unseen.", "isCore": False,
                                "id": "tag1", "_key": "checkout"})
    emulator.console_create("tags", {"name": "search", "description": ""}, name="Alan Turing")
    report = _drift(emulator, write(tmp_path, "kind: tag\nid: checkout\ndescription: Checkout work.\n"
                                              "---\nkind: tag\nid: search\n"))
    [drifted] = report.drifted
    assert drifted.address == "tag.checkout" and drifted.modified_by is None  # unknown, not Alan Turing
