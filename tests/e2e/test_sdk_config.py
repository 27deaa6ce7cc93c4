"""#15 item 6: the emulator serves SDK config, so an app's Statsig SDK runs against the
repository's flags — and evaluates exactly what `statsync test` evaluates (gates, configs,
holdouts, experiments and layers: 1,000 generated users)."""
import random

import httpx

from statsync.compile import compile_objects
from statsync.evaluate import Evaluator, _sdk
from statsync.loader import load_paths
from statsync.validate import desired_objects
from tests.e2e.served import statsync

KEY = "console-e2e-sdk"
COUNTRIES = ["CA", "MX", "US", "FR", "DE", "JP", ""]
EMAILS = ["ada@example.com", "grace@statsig-demo.com", "someone@gmail.com", ""]
VERSIONS = ["4.1.9", "4.2.0", "4.10.1", "5.0", ""]


def users(count: int, seed: int = 15) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for number in range(count):
        user = {"userID": f"user-{number}", "country": rng.choice(COUNTRIES), "email": rng.choice(EMAILS),
                "appVersion": rng.choice(VERSIONS), "custom": {"plan": rng.choice(["free", "pro", "enterprise"])}}
        out.append({key: value for key, value in user.items() if value not in ("", None)})
    return out


def served_sdk(url: str, environment: str = "production"):
    """statsig-python-core, as an app would start it, pointed at the emulator."""
    sdk = _sdk()
    options = sdk.StatsigOptions()
    options.specs_url = f"{url}/v2/download_config_specs"
    options.disable_all_logging = True
    options.disable_country_lookup = True
    options.disable_disk_access = True
    options.output_log_level = "none"
    options.environment = environment
    statsig = sdk.Statsig("secret-e2e-sdk-config", options)
    statsig.initialize().wait()
    return sdk, statsig


def test_an_sdk_pointed_at_the_emulator_evaluates_what_statsync_test_does(served, examples):
    applied = statsync("apply", str(examples), "--api-url", served.url, "--auto-approve",
                       env={"STATSIG_CONSOLE_API_KEY": KEY})
    assert applied.returncode == 0, applied.stderr
    answer = httpx.get(f"{served.url}/v2/download_config_specs/secret-e2e-sdk-config.json")
    assert answer.status_code == 200 and answer.json()["feature_gates"]

    objects = desired_objects(load_paths([examples]))
    compiled = compile_objects(objects)
    gates = [name for name in compiled.gates if not name.startswith("segment:")]
    configs = list(compiled.configs)
    experiments, layers = list(compiled.experiments), list(compiled.layers)
    assert gates and configs and experiments and layers
    sdk, statsig = served_sdk(served.url)
    try:
        with Evaluator(compiled.payload(), "production") as local:
            checked = 0
            for fields in users(1000):
                user = local.user(fields)
                for gate in gates:
                    assert statsig.check_gate(user, gate) == local.gate(fields, gate).value, (gate, fields)
                    checked += 1
                for config in configs:
                    assert dict(statsig.get_dynamic_config(user, config).value or {}) == \
                        local.config(fields, config).value, (config, fields)
                    checked += 1
                for experiment in experiments:  # same salts both sides: the same group for the same user
                    served = statsig.get_experiment(user, experiment)
                    ours, group = local.experiment(fields, experiment)
                    assert (dict(served.value or {}), served.group_name) == (ours.value, group), (experiment, fields)
                    checked += 1
                for layer in layers:
                    served = statsig.get_layer(user, layer)
                    ours, group = local.layer(fields, layer)
                    assert (dict(served.get_value() or {}), served.group_name) == (ours.value, group), (layer, fields)
                    checked += 1
    finally:
        statsig.shutdown().wait()
    assert checked == 1000 * (len(gates) + len(configs) + len(experiments) + len(layers))


def test_a_change_applied_to_the_emulator_is_what_the_sdk_sees_next(served, examples):
    env = {"STATSIG_CONSOLE_API_KEY": KEY}
    assert statsync("apply", str(examples), "--api-url", served.url, "--auto-approve", env=env).returncode == 0
    before = httpx.get(f"{served.url}/v2/download_config_specs/secret-any.json").json()
    path, gate = next((p, name) for name, spec in sorted(before["feature_gates"].items())
                      if spec.get("entity") == "feature_gate" and spec["enabled"]
                      for p in [examples / "gates" / f"{name}.yaml"]
                      if p.exists() and "isEnabled" not in p.read_text() and "status:" not in p.read_text())
    path.write_text(path.read_text().replace(f"id: {gate}\n", f"id: {gate}\nstatus: Disabled\nisEnabled: false\n", 1))
    assert statsync("apply", str(examples), "--api-url", served.url, "--auto-approve", env=env).returncode == 0
    after = httpx.get(f"{served.url}/v2/download_config_specs/secret-any.json").json()
    assert before["feature_gates"][gate]["enabled"] and not after["feature_gates"][gate]["enabled"]


def test_the_sdk_endpoint_needs_a_server_key():
    from statsync.emulator.app import Emulator

    import asyncio

    emulator = Emulator()

    async def get(path):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator.app),
                                     base_url="http://emulator.test") as client:
            return await client.get(path)
    assert asyncio.run(get("/v2/download_config_specs/console-not-a-server-key.json")).status_code == 401
    assert asyncio.run(get("/v2/download_config_specs/secret-abc.json")).status_code == 200
    # the path carries an SDK secret key: the emulator's request log never shows it
    assert [record.path for record in emulator.log] == ["/v2/download_config_specs/<key>"] * 2
