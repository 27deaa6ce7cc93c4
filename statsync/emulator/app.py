"""The emulator's HTTP face: a Starlette app serving the Console API routes.

`Emulator` bundles the app with its state, request log, faults, rate limit and
console-edit hooks, so tests and the `local` target drive it in-process
(httpx.ASGITransport) exactly as `statsync emulator` serves it on a socket.
"""
from __future__ import annotations

import asyncio
import copy
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlencode

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from statsync import spec
from statsync.api.paths import API_PREFIX
from statsync.emulator import audit
from statsync.emulator.entities import (API_USER, ENTITIES, SINGLETONS, BadRequest, Entity, Singleton,
                                        new_project_keys, overrides, set_ids, set_overrides, set_segment_rules)
from statsync.emulator.faults import MUTATIONS, ConnectionDropped, Faults
from statsync.emulator.lifecycle import ACTIONS, READ_ONLY, STATUS_ACTIONS
from statsync.emulator.lifecycle import status as lifecycle_status
from statsync.emulator.ratelimit import RateLimit
from statsync.emulator.readings import Readings
from statsync.emulator.sdk_config import sdk_config
from statsync.emulator.store import Store

VERSIONED = ("gates", "dynamic_configs")  # the kinds with a versions endpoint (DIGEST §18.6)
FIELD_ENDPOINTS = {"segments": ("conditional",)}  # POST /<kind>/{id}/<field endpoint>
ID_LISTS = ("segments",)  # GET/PATCH/DELETE /<kind>/{id}/id_list, POST …/id_list/reset
MESSAGES = {
    400: "Invalid request. Please check the request input and try again.",
    401: "This endpoint only accepts an active CONSOLE key, but an invalid key was sent.",
    404: "Not Found. The requested resource could not be found.",
    429: "Too many requests. Please slow down and retry after the time given in Retry-After.",
    500: "Internal server error.",
    502: "Bad gateway.",
    503: "Service unavailable.",
    504: "Gateway timeout.",
}


@dataclass(frozen=True)
class RequestRecord:
    """One line of the request log; benchmarks and pacing tests count from it."""

    method: str
    path: str
    status: int  # 0 when the connection was dropped
    time: float  # epoch seconds when the request arrived
    duration: float  # seconds spent answering
    fault: str = ""  # "", "injected" (scripted or random error), "429" (rate limit), "drop-before", "drop-after"


class ApiError(Exception):
    def __init__(self, status: int, detail: str = ""):
        self.status = status
        super().__init__(f"{MESSAGES.get(status, 'Error')} {detail}".strip())


class _Dropped(Response):
    """Start the response, then cut the connection."""

    async def __call__(self, scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", b"1024")]})
        raise ConnectionDropped()


class Emulator:
    def __init__(self, state: Path | None = None, api_key: str | None = None, seed: int | None = None,
                 check_responses: bool = False, faults: Faults | None = None, rate_limit: RateLimit | None = None,
                 reviews_required: bool = False, readings: Readings | None = None):
        self.store = Store(state, seed=seed)
        self.readings = self.store.readings = readings or Readings()  # what the docs leave unproven
        with self.store.lock:
            new_project_keys(self.store)
        # Project-level review setting: with x-respect-review-settings, changes to
        # existing objects become pending reviews instead of being applied.
        self.reviews_required = reviews_required
        self.api_key = api_key
        self.check_responses = check_responses
        self.faults = faults or Faults(seed=seed)
        self.rate_limit = rate_limit  # None: off, as by default
        # The most objects a list page holds whatever `limit` asks; None: `limit` is
        # honoured (today's reading, EVIDENCE.md "page size honoured" is unproven). Tests
        # set it to show a capped server is still read whole.
        self.page_cap: int | None = None
        self.log: list[RequestRecord] = []
        self.on_request: Callable[[RequestRecord], None] | None = None  # e.g. print a log line
        self.app = self._build_app()

    # --- for tests and demos -------------------------------------------------
    def console_edit(self, collection: str, object_id: str, changes: dict[str, Any],
                     name: str = "Console User", email: str = "console.user@example.com") -> dict:
        """Change an object as a person in the Statsig console would."""
        with self.store.lock:
            obj = self.store.get(collection, object_id)
            if obj is None:
                raise KeyError(f"{collection}/{object_id} does not exist")
            person = _person(name, email)
            updated = ENTITIES[collection].update(self.store, obj, changes, partial=True, actor=person)
            audit.record(self.store, collection, "edit", updated, person)
            return copy.deepcopy(_public(updated))

    def console_create(self, collection: str, body: dict[str, Any],
                       name: str = "Console User", email: str = "console.user@example.com") -> dict:
        """Create an object as a person in the Statsig console would."""
        with self.store.lock:
            person = _person(name, email)
            created = ENTITIES[collection].create(self.store, body, actor=person)
            audit.record(self.store, collection, "create", created, person)
            return copy.deepcopy(_public(created))

    def save(self) -> None:
        self.store.save()

    # --- HTTP ---------------------------------------------------------------------
    def _build_app(self) -> Starlette:
        routes = []
        # nested collections first (`metrics/metric_source` before `metrics/{id}`), and a
        # list path before the object path it would otherwise match (`metrics/list`)
        for collection in sorted(ENTITIES, key=lambda name: -name.count("/")):
            base = f"{API_PREFIX}/{collection}"
            if ENTITIES[collection].list_path:  # GET of the collection itself is something else
                routes.append(Route(f"{base}/{ENTITIES[collection].list_path}", self._endpoint, methods=["GET"]))
            routes.append(Route(base, self._endpoint,
                                methods=["POST"] if ENTITIES[collection].list_path else ["GET", "POST"]))
            routes.append(Route(base + "/{id:str}", self._endpoint, methods=["GET", "POST", "PATCH", "DELETE"]))
            if ENTITIES[collection].empty_overrides is not None:
                routes.append(Route(base + "/{id:str}/overrides", self._fixed("overrides"),
                                    methods=["GET", "POST", "PATCH", "DELETE"]))
            if collection in ID_LISTS:
                routes.append(Route(base + "/{id:str}/id_list", self._fixed("id_list"),
                                    methods=["GET", "PATCH", "DELETE"]))
                routes.append(Route(base + "/{id:str}/id_list/reset", self._fixed("id_list/reset"), methods=["POST"]))
            if collection in ACTIONS or collection in FIELD_ENDPOINTS:
                routes.append(Route(base + "/{id:str}/{action:str}", self._endpoint, methods=["PUT", "GET", "POST"]))
        for collection in SINGLETONS:  # read whole, written whole
            routes.append(Route(f"{API_PREFIX}/{collection}", self._endpoint, methods=["GET", "POST"]))
        routes.append(Route(f"{API_PREFIX}/project", self._endpoint, methods=["GET"]))
        routes.append(Route(f"{API_PREFIX}/audit_logs", self._endpoint, methods=["GET"]))
        for version in ("v1", "v2"):  # what server SDKs download: the project compiled (sdk_config)
            routes.append(Route(f"/{version}/download_config_specs/{{key:str}}", self._sdk_config, methods=["GET"]))
        return Starlette(routes=routes, exception_handlers={404: _no_route, 405: _no_route})

    async def _sdk_config(self, request: Request) -> Response:
        """`GET /v2/download_config_specs/<server key>.json`: a server SDK's view of the project."""
        started = time.time()
        key = request.path_params["key"].removesuffix(".json")
        if not key.startswith("secret-"):  # a server secret key, as Statsig's CDN wants
            return self._respond(request, started, 401, {"status": 401, "message": "A server secret key is required."},
                                 "")
        with self.store.lock:
            payload = sdk_config(self.store)
        return self._respond(request, started, 200, payload, "")

    def _fixed(self, action: str):
        """The endpoint of a route whose sub-path is fixed (`/{id}/overrides`, `/{id}/id_list/reset`)."""
        async def endpoint(request: Request) -> Response:
            return await self._endpoint(request, action)
        return endpoint

    async def _endpoint(self, request: Request, fixed_action: str | None = None) -> Response:
        path = request.url.path[len(API_PREFIX) + 1:]
        collection = max((name for name in (*SINGLETONS, *ENTITIES, "project", "audit_logs")
                          if path == name or path.startswith(name + "/")), key=len, default=path)
        object_id, action = request.path_params.get("id"), fixed_action or request.path_params.get("action")
        template = f"/{collection}" + ("/{id}" if object_id is not None else "") + (f"/{action}" if action else "")
        listing = collection in ENTITIES and ENTITIES[collection].list_path
        if listing and path == f"{collection}/{listing}":
            template = f"/{path}"  # `/metrics/list`: the list, not an object named "list"
        started = time.time()
        fault = ""
        decision = self.faults.decide(request.method, template)
        if decision.latency:
            await asyncio.sleep(decision.latency)
        try:
            if self.rate_limit is not None:
                wait = self.rate_limit.check(request.method)
                if wait:
                    fault = "429"
                    return self._respond(request, started, 429, {"status": 429, "message": MESSAGES[429]},
                                         fault, headers={"Retry-After": str(wait)})
            if decision.status:
                fault = "injected"
                headers = {"Retry-After": "1"} if decision.status == 429 else None
                return self._respond(request, started, decision.status,
                                     {"status": decision.status, "message": MESSAGES.get(decision.status, "Error")},
                                     fault, headers=headers)
            if decision.drop == "before":
                return self._drop(request, started, "drop-before")
            self._authenticate(request)
            if action is not None and not self._has_action(request.method, collection, action):
                raise ApiError(404)
            if not spec.has_operation(request.method, template):
                raise ApiError(404)  # e.g. POST /tags/{id}: tags have no full update
            body = await self._body(request, template)
            with self.store.lock:
                if collection in SINGLETONS:
                    status, payload = self._singleton(request, SINGLETONS[collection], body)
                    if status < 400 and request.method in MUTATIONS:
                        audit.record(self.store, collection, "edit", {"name": collection}, _actor(request))
                elif collection == "audit_logs":
                    chunk, pagination = _paginate(request, self.store.audit_log, f"{API_PREFIX}/audit_logs",
                                                  self.page_cap)
                    status, payload = 200, {"message": "Audit logs listed successfully.", "data": chunk,
                                            "pagination": pagination}
                elif collection == "project":
                    # openapi.json `GET /console/v1/project` → ExternalProjectDto {id} (its example says
                    # "company_id"). ⚠ Unproven: that `id` is the project id the console shows; a pinned
                    # project_id that never matches fails closed (nothing is read or written).
                    status, payload = 200, {"message": "Project Info Retrieved Successfully",
                                            "data": {"id": self.store.project()}}
                elif self._needs_review(request, collection, object_id):
                    status, payload = self._submit_review(ENTITIES[collection], object_id, action, body)
                else:
                    before = self.store.get(collection, object_id) if object_id is not None else None
                    status, payload = self._dispatch(request, ENTITIES[collection], object_id, action, body)
                    if status < 400 and request.method in MUTATIONS:
                        change = "delete" if request.method == "DELETE" else "edit" if object_id else "create"
                        audit.record(self.store, collection, change, (payload.get("data") if isinstance(
                            payload.get("data"), dict) else None) or before or {}, _actor(request))
            if decision.drop == "after" and request.method in MUTATIONS:
                return self._drop(request, started, "drop-after")  # committed, but the client never hears
        except ApiError as exc:
            status, payload = exc.status, {"status": exc.status, "message": str(exc)}
        except BadRequest as exc:
            status, payload = 400, {"status": 400, "message": str(exc)}
        if self.check_responses:
            status, payload = self._checked(request.method, template, status, payload)
        if status < 400:  # after the spec check: the other readings are answers the spec's schema may not allow
            payload = self.readings.answer(payload, request.method, template)
        return self._respond(request, started, status, payload, fault)

    def _respond(self, request: Request, started: float, status: int, payload: Any, fault: str,
                 headers: dict | None = None) -> Response:
        self._record(request, started, status, fault)
        return JSONResponse(payload, status_code=status, headers=headers)

    def _drop(self, request: Request, started: float, fault: str) -> Response:
        self._record(request, started, 0, fault)
        return _Dropped()

    def _record(self, request: Request, started: float, status: int, fault: str) -> None:
        path = request.url.path
        if "/download_config_specs/" in path:  # the path carries an SDK secret key: never logged
            path = path.rsplit("/", 1)[0] + "/<key>"
        if path.startswith(f"{API_PREFIX}/keys/"):  # so does a key's own address
            path = f"{API_PREFIX}/keys/<key>" + "".join("/" + part for part in path.split("/")[5:])
        record = RequestRecord(request.method, path, status, started, time.time() - started, fault)
        self.log.append(record)
        if self.on_request is not None:
            self.on_request(record)

    def _authenticate(self, request: Request) -> None:
        key = request.headers.get("statsig-api-key", "")
        valid = key == self.api_key if self.api_key else key.startswith("console-")
        if not valid:
            raise ApiError(401)

    async def _body(self, request: Request, template: str) -> Any:
        if request.method == "GET" or (request.method == "DELETE" and not template.endswith("/id_list")):
            return None
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            raise ApiError(400, "The request body is not valid JSON.") from None
        operation = spec.operation(request.method, template)
        if template == "/segments/{id}/conditional" and self.readings.segment_rules_body == "object":
            # the Terraform provider's shape: the rules inside an object (EVIDENCE.md, unproven)
            if not isinstance(body, dict) or not isinstance(body.get("rules"), list):
                raise ApiError(400, "body: the rules must be sent as {\"rules\": [...]}.")
            body = body["rules"]
        validator = spec.request_validator(request.method, template)
        if validator is not None:
            if body is None:
                if operation["requestRequired"]:
                    raise ApiError(400, "A request body is required.")
                return {}
            error = next(iter(sorted(validator.iter_errors(body), key=lambda e: list(map(str, e.path)))), None)
            if error is not None:
                where = ".".join(str(part) for part in error.absolute_path) or "body"
                raise ApiError(400, f"{where}: {error.message}")
        return body if body is not None else {}

    def _dispatch(self, request: Request, entity: Entity, object_id: str | None, action: str | None, body: Any):
        store, method = self.store, request.method
        if object_id is None:
            if method == "GET":
                return 200, self._page(request, entity, suffix=f"/{entity.list_path}" if entity.list_path else "")
            obj = entity.create(store, _declared(body, "POST", f"/{entity.collection}"), actor=_actor(request))
            return entity.create_status, {"message": f"{entity.label} created successfully.", "data": _public(obj)}
        obj = self._addressed(entity, object_id)
        if obj is None:
            raise ApiError(404)
        object_id = obj.get("_key", obj.get("id"))
        if action in ("id_list", "id_list/reset"):
            return self._id_list(request, entity, obj, action, body)
        if action == "overrides":
            mode = {"GET": None, "POST": "replace", "PATCH": "add", "DELETE": "clear"}[method]
            value = overrides(obj, entity.collection) if mode is None else \
                set_overrides(store, entity.collection, obj, body, mode, _actor(request))
            # the spec declares 201 for every gate overrides operation, reads included
            return _success_status(method, f"/{entity.collection}/{{id}}/overrides"), {
                "message": f"{entity.label} overrides {'read' if mode is None else 'updated'} successfully.",
                "data": value}
        if method == "GET" and action == "versions":
            return 200, self._page(request, entity, obj.get("_versions", []), f"/{object_id}/versions")
        if method == "GET":
            return 200, {"message": f"{entity.label} read successfully.", "data": _public(obj)}
        if method == "DELETE":
            entity.delete(store, object_id)
            payload = {"message": f"{entity.label} deleted successfully."}
            if _answers_with_data("DELETE", f"/{entity.collection}/{{id}}"):
                payload["data"] = _public(obj)  # e.g. DELETE /experiments/{id} declares the deleted object
            return 200, payload
        if method == "POST" and action == "conditional":
            set_segment_rules(store, obj, body, _actor(request))
            payload = {"message": "Segment rules updated successfully."}
            if _answers_with_data("POST", "/segments/{id}/conditional"):
                payload["data"] = _public(obj)  # the spec's schema declares the segment (its example does not)
            return 200, payload
        if action is not None:
            return self._transition(entity, obj, action, body, _actor(request))
        if obj.get("status") in READ_ONLY.get(entity.collection, ()):
            raise BadRequest(f"{entity.label} {object_id} is archived and cannot be edited. Unarchive it first.")
        if entity.collection == "experiments" and body.get("status", obj["status"]) != obj["status"]:
            self._check_status_change(entity, obj, body)
        body = _declared(body, method, f"/{entity.collection}/{{id}}")
        entity.update(store, obj, body, partial=(method == "PATCH"), actor=_actor(request))
        payload = {"message": f"{entity.label} updated successfully."}
        if _answers_with_data(method, f"/{entity.collection}/{{id}}"):
            payload["data"] = _public(obj)  # PATCH /target_app/{id} answers with a message only
        return 200, payload

    def _singleton(self, request: Request, singleton: Singleton, body: Any):
        reading = request.method == "GET"
        value = singleton.read(self.store) if reading else singleton.write(self.store, body)
        return 200, {"message": f"{singleton.label} {'read' if reading else 'updated'} successfully.", "data": value}

    def _id_list(self, request: Request, entity: Entity, obj: dict, action: str, body: Any):
        """An id-list segment's ids: read in pages, added, removed, or reset (DIGEST §5.1)."""
        if obj.get("type") != "id_list":
            raise BadRequest("Segment must be of type 'id_list'.")
        if request.method == "GET":
            ids = obj.get("_ids", [])
            chunk, pagination = _paginate(request, ids, f"{API_PREFIX}/{entity.collection}/{obj['id']}/id_list")
            return 200, {"message": "ID list read successfully.", "pagination": pagination,
                         "data": {"name": obj.get("name") or obj["id"], "count": len(ids), "ids": chunk}}
        if request.method == "DELETE" and not isinstance((body or {}).get("ids"), list):
            raise BadRequest("Invalid request. ids is required.")
        mode = {"PATCH": "add", "DELETE": "remove", "POST": "reset"}[request.method]
        set_ids(self.store, obj, body["ids"], mode=mode, actor=_actor(request))
        return 200, {"message": "ID list updated successfully."}

    def _needs_review(self, request: Request, collection: str, object_id: str | None) -> bool:
        if object_id is None or request.method not in ("POST", "PATCH", "PUT"):
            return False
        if request.headers.get("x-respect-review-settings", "").lower() not in ("true", "1", "yes"):
            return False
        obj = self.store.get(collection, object_id)
        if obj is None:
            return False
        project_wide = SINGLETONS["settings/reviews"].read(self.store).get("is_config_review_required")
        return self.reviews_required or bool(project_wide) or bool((obj.get("reviewSettings") or {}).get("requiredReview"))

    def _submit_review(self, entity: Entity, object_id: str, action: str | None, body: Any):
        """The change waits for a reviewer: the object is unchanged but shows the review."""
        obj = self.store.get(entity.collection, object_id)
        what = f"{action} " if action else "update "
        obj["activeReview"] = {"reviewID": self.store.new_id(), "reviewStatus": "pending",
                               "description": f"{what}of {object_id} submitted through the Console API"}
        obj["_pendingChange"] = {"action": action, "body": body}
        return 200, {"message": f"{entity.label} change submitted for review.", "data": _public(obj)}

    def _check_status_change(self, entity: Entity, obj: dict, body: dict) -> None:
        """A status written through an update obeys the same rules as the lifecycle endpoints."""
        action = STATUS_ACTIONS.get(body["status"])
        rule = ACTIONS[entity.collection].get(action) if action else None
        if rule is None or obj["status"] not in rule.allowed_from:
            raise BadRequest(f"Invalid request. Cannot change the status of experiment {obj['id']} "
                             f"from {obj['status']!r} to {body['status']!r}.")
        if action == "make_decision" and not body.get("launchedGroupID"):
            raise BadRequest("Invalid request. decision_made needs launchedGroupID.")

    def _transition(self, entity: Entity, obj: dict, action: str, body: dict, actor: dict):
        rule = ACTIONS[entity.collection][action]
        if rule.allowed_from and lifecycle_status(obj) not in rule.allowed_from:
            raise BadRequest(f"Cannot {action.replace('_', ' ')} {entity.label.lower()} {obj['id']} "
                             f"while its status is {lifecycle_status(obj)!r}.")
        if rule.before is not None:
            rule.before(self.store, obj)
        rule.effect(obj, body or {}, self.store.now())
        if entity.collection == "metrics" and self.readings.metric_archive_answer == "hidden":
            obj["isHidden"] = bool(obj.get("_archive"))  # the reading that an archive shows as hidden
        entity.touch(self.store, obj, actor)
        if rule.elsewhere is not None:
            rule.elsewhere(self.store, obj, actor)
        if rule.returns_object:
            return 200, {"message": f"{entity.label} {action} succeeded.", "data": _public(obj)}
        return 200, {"message": f"{entity.label} {action.replace('_', ' ')} succeeded."}

    @staticmethod
    def _has_action(method: str, collection: str, action: str) -> bool:
        if action in ("id_list", "id_list/reset"):
            return collection in ID_LISTS
        if action == "overrides":
            return ENTITIES[collection].empty_overrides is not None
        if method == "GET":
            return action == "versions" and collection in VERSIONED
        if method == "POST":
            return action in FIELD_ENDPOINTS.get(collection, ())
        return action in ACTIONS.get(collection, {})

    def _addressed(self, entity: Entity, object_id: str) -> dict | None:
        """The object a path names. Tags and target apps are addressed by name, and by the
        server id the spec's `{id}` parameter suggests; with the reading
        `target_app_path=id`, a target app's name is refused (EVIDENCE.md, unproven)."""
        by_key = self.store.get(entity.collection, object_id)
        if entity.collection not in ("tags", "target_app"):
            return by_key
        by_id = next((obj for obj in self.store.collection(entity.collection).values()
                      if obj.get("id") == object_id), None)
        if entity.collection == "target_app" and self.readings.target_app_path == "id":
            return by_id
        return by_key or by_id

    def _page(self, request: Request, entity: Entity, items: list | None = None, suffix: str = "") -> dict:
        objects = list(self.store.collection(entity.collection).values()) if items is None else items
        if entity.shows_hidden and request.query_params.get(entity.shows_hidden) != "true":
            objects = [obj for obj in objects if not obj.get("isHidden")]
        chunk, pagination = _paginate(request, objects, f"{API_PREFIX}/{entity.collection}{suffix}", self.page_cap)
        return {"message": f"{entity.label}s listed successfully.", "data": [_public(obj) for obj in chunk],
                "pagination": pagination}

    def _checked(self, method: str, template: str, status: int, payload: Any):
        """With check_responses on, a response that breaks the spec becomes a 500."""
        if not spec.has_operation(method, template):
            return status, payload  # a route the API does not serve: the error envelope's own 404
        validator = spec.response_validator(method, template, status)
        if validator is None:
            return status, payload
        error = next((e for e in validator.iter_errors(payload) if not _overruled(method, template, e)), None)
        if error is None:
            return status, payload
        where = ".".join(str(part) for part in error.absolute_path) or "body"
        return 500, {"status": 500, "message": f"emulator response breaks the spec at {where}: {error.message}"}


# Where the spec's schema contradicts its own example, the example is what Statsig answered:
# AuditLogDto types actionType as an object and requires modifierEmail and tags, while the
# example of GET /audit_logs answers actionType as a string and has neither field.
SCHEMA_OVERRULED = {("GET", "/audit_logs"): ("actionType", "modifierEmail", "tags")}


def _overruled(method: str, template: str, error: Any) -> bool:
    names = SCHEMA_OVERRULED.get((method, template), ())
    return any(name in error.absolute_path or (error.validator == "required" and f"'{name}'" in error.message)
               for name in names)


def _paginate(request: Request, items: list, path: str, cap: int | None = None) -> tuple[list, dict]:
    """One page of `items` and Statsig's pagination block for it."""
    page, limit = _positive_int(request, "page", 1), _positive_int(request, "limit", 100)
    limit = min(limit, cap) if cap else limit
    start = (page - 1) * limit
    has_next = start + limit < len(items)
    return items[start:start + limit], {
        "itemsPerPage": limit,
        "pageNumber": page,
        "totalItems": len(items),
        "nextPage": f"{path}?{urlencode({'page': page + 1, 'limit': limit})}" if has_next else None,
        "previousPage": f"{path}?{urlencode({'page': page - 1, 'limit': limit})}" if page > 1 else None,
        "all": f"{path}?{urlencode({'page': 1, 'limit': max(len(items), 1)})}",
    }


def _declared(body: Any, method: str, template: str) -> Any:
    """Only the fields the operation's request schema declares: the rest is not stored (the
    reading hardest on a client — a field sent where the API does not take it, a layer's
    parameters on create say, must show up as a difference, not quietly work)."""
    schema = spec.operation(method, template)["request"] or {}
    if "$ref" in schema:
        schema = spec.component(schema["$ref"].rsplit("/", 1)[-1])
    declared = schema.get("properties")
    if not isinstance(body, dict) or not declared:
        return body
    return {key: value for key, value in body.items() if key in declared}


def _success_status(method: str, template: str) -> int:
    """The 2xx status the spec declares for an operation (200 when it declares none)."""
    return min((int(code) for code in spec.operation(method, template)["responses"] if code.startswith("2")),
               default=200)


def _answers_with_data(method: str, template: str) -> bool:
    """Whether the spec's 200 schema for this operation declares `data` (the object)."""
    return '"data"' in json.dumps(spec.operation(method, template)["responses"].get("200"))


class JSONResponse(Response):
    """Starlette's JSONResponse (compact UTF-8 JSON), encoded by orjson: a list page of 100
    objects in ~0.3 ms instead of ~1.9 ms, which was most of the emulator's own time in a
    10,000-object read (README: Performance). Answers are the same JSON text but for how a
    float is spelt (1e16 for 1e+16)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        try:
            return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)
        except TypeError:  # an integer beyond 64 bits: the standard encoder takes it
            return json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def _public(obj: dict) -> dict:
    """The object as the API shows it, without the emulator's private fields.

    Shallow: responses are serialised at once, so nothing can change it meanwhile.
    """
    return {key: value for key, value in obj.items() if not key.startswith("_")}


ACTOR_HEADER = "x-emulator-console-user"


def _actor(request: Request) -> dict[str, Any]:
    """Who makes this change: the Console API key, or — for demos and tests against a
    served emulator — a person in the console, named by the header
    `X-Emulator-Console-User: Ada Lovelace <ada@example.com>`."""
    value = request.headers.get(ACTOR_HEADER, "").strip()
    if not value:
        return API_USER
    name, _, email = value.partition("<")
    email = email.rstrip(">").strip() or "console.user@example.com"
    return _person(name.strip() or email, email)


def _person(name: str, email: str) -> dict[str, Any]:
    return {"id": "user" + "".join(ch for ch in email or "" if ch.isalnum())[:18], "name": name, "email": email}


def _positive_int(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"{name} must be a number.") from None
    if value < 1:
        raise ApiError(400, f"{name} must be at least 1.")
    return value


async def _no_route(request: Request, exc: Exception) -> Response:
    """A path or method the API does not serve (DELETE of a parameter store): answered in
    the API's error shape, `{status, message}` (⚠ unproven: Statsig's exact answer)."""
    status = getattr(exc, "status_code", 404)
    return JSONResponse({"status": status, "message": f"Cannot {request.method} {request.url.path}"}, status_code=status)
