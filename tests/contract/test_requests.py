"""Every request statsync sends validates against the official spec's request schema,
and every emulator response against the response schema of its operation."""
import json
import re

import httpx

from statsync import spec
from statsync.api.client import ConsoleClient
from statsync.config import load_project
from statsync.workflow import apply_plan, make_plan
from tests.conftest import TEST_KEY, run

OPERATIONS = [(method, template) for key in spec.document()["operations"]
              for method, template in [key.split(" ", 1)]]


def _template_of(method: str, path: str) -> str:
    """The spec's path template for a concrete path, e.g. /console/v1/gates/x → .../gates/{id}."""
    # literal paths first: /experiments/assignment_sources is not /experiments/{id}
    for op_method, template in sorted(OPERATIONS, key=lambda op: op[1].count("{")):
        if op_method == method and re.fullmatch(re.sub(r"\{[^/]+\}", "[^/]+", template), path):
            return template
    raise AssertionError(f"{method} {path} is not an operation in the spec")


class Recorder(httpx.AsyncBaseTransport):
    """Passes requests to the emulator and keeps (method, path, body, status, response)."""

    def __init__(self, app):
        self.inner = httpx.ASGITransport(app=app)
        self.seen = []

    async def handle_async_request(self, request):
        response = await self.inner.handle_async_request(request)
        body = json.loads(request.content) if request.content else None
        raw = await response.aread()
        self.seen.append((request.method, request.url.path, body, response.status_code, json.loads(raw)))
        return httpx.Response(response.status_code, headers=response.headers, content=raw)


def _exercise(emulator, examples):
    recorder = Recorder(emulator.app)
    project = load_project((str(examples),))

    async def go():
        async with ConsoleClient("http://emulator.test", TEST_KEY, transport=recorder) as client:
            await apply_plan(await make_plan(project, client, "t"), client)
            for name in ("new_checkout", "search_v2"):
                path = examples / "gates" / f"{name}.yaml"
                path.write_text(path.read_text().replace("passPercentage: 100", "passPercentage: 99.5"))
            for name in ("checkout_settings", "mobile_home"):
                path = examples / "dynamic_configs" / f"{name}.yaml"
                path.write_text(path.read_text().replace("passPercentage: 100", "passPercentage: 50"))
            path = examples / "experiments" / "search_ranking.yaml"
            path.write_text(path.read_text().replace("pageSize: 40", "pageSize: 50").replace("duration: 21", "duration: 28")
                            + "status: active\n")  # an update, then a start
            await apply_plan(await make_plan(project, client, "t"), client)
    run(go())
    return recorder.seen


def test_every_request_body_statsync_sends_validates_against_the_spec(emulator, examples):
    seen = _exercise(emulator, examples)
    mutations = [(m, p, b) for m, p, b, _, _ in seen if m != "GET"]
    assert {m for m, _, _ in mutations} == {"POST", "PATCH", "PUT"}  # PUT: search_ranking is started
    assert len([1 for m, _, _ in mutations if m == "PATCH"]) >= 5
    for method, path, body in mutations:
        validator = spec.request_validator(method, _template_of(method, path).removeprefix("/console/v1"))
        if validator is None:  # the spec declares no body (an autotune's start): none is sent
            assert body is None, f"{method} {path} sends a body the spec does not take"
            continue
        errors = list(validator.iter_errors(body))
        assert errors == [], f"{method} {path}: {errors[0].message}"


def test_every_emulator_response_validates_against_the_spec(emulator, examples):
    for method, path, _, status, payload in _exercise(emulator, examples):
        validator = spec.response_validator(method, _template_of(method, path).removeprefix("/console/v1"), status)
        assert validator is not None, f"{method} {path} answered {status}, which the spec does not declare"
        errors = list(validator.iter_errors(payload))
        assert errors == [], f"{method} {path}: {errors[0].message}"
