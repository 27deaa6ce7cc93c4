"""#16: a key's metadata change that grants it power (a scope that writes the project or
manages keys) is called out in the plan's summary, as a switched-off review is; narrowing
a key, or keeping a power it has, is not."""
from tests.conftest import plan_apply, write

KEY = "kind: key\nid: Server Secret Key\nscopes: [{scopes}]\n"  # every new project has this key


def _weakened(emulator, tmp_path, scopes: str) -> list[str]:
    plan, _ = plan_apply(emulator, write(tmp_path, KEY.format(scopes=scopes)), apply=False)
    return plan.weakened


def test_granting_a_key_write_scopes_is_called_out_and_keeping_them_is_not(emulator, tmp_path):
    assert _weakened(emulator, tmp_path, "omni_read_only") == []
    assert _weakened(emulator, tmp_path, "omni_read_write, can_access_keys, client_download_config_specs") == [
        'key.Server Secret Key: weakens a safeguard: scopes gains "can_access_keys"',
        'key.Server Secret Key: weakens a safeguard: scopes gains "omni_read_write"']
    plan_apply(emulator, write(tmp_path, KEY.format(scopes="omni_read_write")))
    assert _weakened(emulator, tmp_path, "omni_read_write, none_hash_enabled") == [
        'key.Server Secret Key: weakens a safeguard: scopes gains "none_hash_enabled"']
    assert _weakened(emulator, tmp_path, "omni_read_only") == []  # narrowing grants nothing


def test_a_key_document_leaving_scopes_out_grants_nothing(emulator, tmp_path):
    plan, _ = plan_apply(emulator, write(tmp_path, "kind: key\nid: Server Secret Key\nenvironments: [production]\n"),
                         apply=False)
    assert plan.weakened == []
