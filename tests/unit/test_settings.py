"""The project's settings: singletons read whole and POSTed whole, fields a document leaves
out sent back as they are live, and a plan that switches a safeguard off saying so."""
import pytest

from statsync.emulator.entities import SINGLETONS
from statsync.render.markdown import render_plan as render_markdown
from statsync.render.text import render_plan
from tests.conftest import plan_apply, write

ENV = "  - {{name: {}, isProduction: {}, requiresReview: {}, requiresReleasePipeline: false}}\n"


def settings(kind: str, **fields) -> str:
    return f"---\nkind: {kind}\nid: {kind}\n" + "".join(f"{name}: {str(value).lower() if isinstance(value, bool) else value}\n"
                                                     for name, value in fields.items())


def test_a_partial_document_sends_the_fields_it_leaves_out_as_they_are_live(emulator, tmp_path):
    """SettingsProjectContractDto requires name and visibility: a file that only sets the
    default unit type must still send them (the emulator refuses the POST otherwise)."""
    SINGLETONS["settings/project"].write(emulator.store, {"name": "Shop", "visibility": "OPEN",
                                                          "default_unit_type": "user_id"})
    repo = write(tmp_path, settings("project_settings", default_unit_type="stable_id"))
    plan, outcomes = plan_apply(emulator, repo)
    [step] = plan.steps
    [request] = step.requests
    assert (request.method, request.path) == ("POST", "/settings/project")
    assert request.body == {"name": "Shop", "visibility": "OPEN", "default_unit_type": "stable_id"}
    assert [o.status for o in outcomes] == ["applied"]
    assert SINGLETONS["settings/project"].read(emulator.store) == request.body
    assert not plan_apply(emulator, repo, apply=False)[0].has_changes


def test_every_settings_kind_applies_and_plans_empty_after(emulator, tmp_path):
    repo = write(tmp_path, settings("project_settings", name="Shop", visibility="CLOSED")
                 + settings("review_settings", is_config_review_required=False, is_metric_review_required=True,
                            is_metric_review_required_on_verified_only=True)
                 + settings("role_settings", default_project_role="Read Only")
                 + settings("team_settings", require_teams_on_configs=True))
    plan, outcomes = plan_apply(emulator, repo)
    assert sorted(step.kind for step in plan.steps) == ["project_settings", "review_settings", "role_settings",
                                                        "team_settings"]
    assert {step.action for step in plan.steps} == {"update"} and {o.status for o in outcomes} == {"applied"}
    assert SINGLETONS["settings/roles"].read(emulator.store) == {"default_project_role": "Read Only"}
    assert not plan_apply(emulator, repo, apply=False)[0].has_changes


def test_switching_a_review_requirement_off_is_called_out_in_the_summary(emulator, tmp_path):
    SINGLETONS["settings/reviews"].write(emulator.store, {"is_config_review_required": True,
                                                          "is_metric_review_required": True,
                                                          "is_metric_review_required_on_verified_only": False})
    repo = write(tmp_path, settings("review_settings", is_config_review_required=False,
                                    is_metric_review_required=True, is_metric_review_required_on_verified_only=True))
    plan, _ = plan_apply(emulator, repo, apply=False)
    # on_verified_only true narrows what needs a review, but it is not a switch that turns reviews off
    assert plan.weakened == ["review_settings.review_settings: weakens a safeguard: is_config_review_required "
                             "true → false"]
    text = render_plan(plan)
    assert "Weakens 1 safeguard: see the warnings." in text.splitlines()[-2]
    markdown = render_markdown(plan)
    assert markdown.index("This plan weakens 1 safeguard") < markdown.index("| kind | id |")


@pytest.mark.parametrize("live, written", [(False, True), (True, True), (False, False)])
def test_no_call_out_unless_a_safeguard_goes_from_on_to_off(emulator, tmp_path, live, written):
    SINGLETONS["settings/teams"].write(emulator.store, {"require_teams_on_configs": live})
    repo = write(tmp_path, settings("team_settings", require_teams_on_configs=written))
    plan, _ = plan_apply(emulator, repo, apply=False)
    assert plan.weakened == [] and "safeguard" not in render_plan(plan)


def test_a_field_the_document_leaves_out_is_not_a_weakening(emulator, tmp_path):
    SINGLETONS["settings/reviews"].write(emulator.store, {"is_config_review_required": True,
                                                          "is_metric_review_required": True,
                                                          "is_metric_review_required_on_verified_only": False})
    repo = write(tmp_path, settings("review_settings", is_metric_review_required_on_verified_only=True))
    plan, outcomes = plan_apply(emulator, repo)
    assert plan.weakened == [] and [o.status for o in outcomes] == ["applied"]
    assert SINGLETONS["settings/reviews"].read(emulator.store)["is_config_review_required"] is True


def test_production_no_longer_needing_a_review_is_called_out(emulator, tmp_path):
    entries = [("development", "false", "false"), ("staging", "false", "false"), ("production", "true", "true")]
    doc = "kind: environments\nid: environments\nenvironments:\n"
    repo = write(tmp_path, doc + "".join(ENV.format(*entry) for entry in entries))
    plan_apply(emulator, repo)
    entries[2] = ("production", "true", "false")
    repo = write(tmp_path, doc + "".join(ENV.format(*entry) for entry in entries))
    plan, _ = plan_apply(emulator, repo, apply=False)
    assert plan.weakened == ["environments.environments: weakens a safeguard: "
                             "environments[production].requiresReview true → false"]


def test_config_reviews_required_project_wide_hold_statsyncs_changes_for_review(emulator):
    """With is_config_review_required on, a change sent with x-respect-review-settings waits
    for a reviewer in the console: the emulator reads the project's own setting."""
    import httpx

    from statsync.emulator.entities import ENTITIES
    from tests.conftest import TEST_KEY, run

    ENTITIES["gates"].create(emulator.store, {"id": "a_gate", "name": "A gate"})

    async def go():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator.app), base_url="http://e") as http:
            headers = {"statsig-api-key": TEST_KEY, "x-respect-review-settings": "true"}
            await http.post("/console/v1/settings/reviews", headers=headers, json={
                "is_config_review_required": True, "is_metric_review_required": False,
                "is_metric_review_required_on_verified_only": False})
            answer = await http.patch("/console/v1/gates/a_gate", headers=headers, json={"description": "x"})
            return answer.json()["data"]
    gate = run(go())
    assert gate["activeReview"]["reviewStatus"] == "pending" and gate["description"] != "x"
