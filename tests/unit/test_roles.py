"""Custom roles: by name, the file is the whole role (a permission left out is off), a
grant that lets changes skip review is called out, built-in roles need no file."""
from statsync.emulator.entities import SINGLETONS
from tests.conftest import plan_apply, write


def role(name: str, **permissions) -> str:
    lines = "".join(f"  {key}: {str(value).lower()}\n" for key, value in permissions.items())
    return f"---\nkind: role\nid: {name}\n" + (f"permissions:\n{lines}" if permissions else "")


def test_a_permission_left_out_is_switched_off_and_the_next_plan_is_empty(emulator, tmp_path):
    plan_apply(emulator, write(tmp_path, role("Release manager", create_configs=True, approve_reviews=True)))
    assert emulator.store.get("roles", "Release manager")["permissions"] == {"create_configs": True,
                                                                             "approve_reviews": True}
    repo = write(tmp_path, role("Release manager", create_configs=True))
    plan, outcomes = plan_apply(emulator, repo)
    [step] = plan.steps
    [request] = step.requests
    # sent as false: the same whether Statsig merges the permissions or replaces them
    assert (request.method, request.path) == ("PATCH", "/roles/Release%20manager")
    assert request.body == {"permissions": {"approve_reviews": False, "create_configs": True}}
    assert [o.status for o in outcomes] == ["applied"]
    assert not plan_apply(emulator, repo, apply=False)[0].has_changes


def test_a_role_without_permissions_is_created_with_none(emulator, tmp_path):
    repo = write(tmp_path, role("Observer"))
    plan, outcomes = plan_apply(emulator, repo)
    assert plan.steps[0].requests[0].body == {"name": "Observer", "permissions": {}}
    assert not plan_apply(emulator, repo, apply=False)[0].has_changes


def test_granting_self_approval_is_called_out(emulator, tmp_path):
    plan_apply(emulator, write(tmp_path, role("Release manager", create_configs=True)))
    plan, _ = plan_apply(emulator, write(tmp_path, role("Release manager", create_configs=True,
                                                        self_approve_review=True)), apply=False)
    assert plan.weakened == ["role.Release manager: weakens a safeguard: permissions.self_approve_review "
                             "false → true"]
    # revoking it again strengthens: nothing to call out
    plan_apply(emulator, write(tmp_path, role("Release manager", self_approve_review=True)))
    plan, _ = plan_apply(emulator, write(tmp_path, role("Release manager")), apply=False)
    assert plan.has_changes and plan.weakened == []


def test_the_default_role_may_name_a_built_in_or_the_repositorys_role(emulator, tmp_path):
    repo = write(tmp_path, role("Observer") + "---\nkind: role_settings\nid: role_settings\n"
                 "default_project_role: Observer\n")
    plan, outcomes = plan_apply(emulator, repo)
    # the role is created before the setting that names it
    assert [step.address for step in plan.steps] == ["role.Observer", "role_settings.role_settings"]
    assert plan.steps[1].depends_on == ["role.Observer"]
    assert SINGLETONS["settings/roles"].read(emulator.store) == {"default_project_role": "Observer"}
    builtin = write(tmp_path, "kind: role_settings\nid: role_settings\ndefault_project_role: Read Only\n")
    assert [o.status for o in plan_apply(emulator, builtin)[1]] == ["applied"]


def test_a_default_role_naming_no_role_is_refused_with_its_place(emulator, tmp_path):
    import pytest

    from statsync.errors import InvalidConfig

    repo = write(tmp_path, "kind: role_settings\nid: role_settings\ndefault_project_role: Releaser\n")
    with pytest.raises(InvalidConfig) as caught:
        plan_apply(emulator, repo, apply=False)
    assert str(caught.value.problems[0]).replace(f"{repo}/", "").startswith("objects.yaml:3:23: default_project_role:")
