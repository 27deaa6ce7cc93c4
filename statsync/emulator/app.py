"""The emulator's HTTP face: a Starlette app serving the Console API routes.

`Emulator` bundles the app with its state, request log and console-edit hook, so
tests and the `local` target drive it in-process (httpx.ASGITransport) exactly as
`statsync emulator` serves it on a socket.
"""
from __future__ import annotations

import copy
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from statsync import spec
from statsync.api.paths import API_PREFIX
from statsync.emulator.entities import API_USER, ENTITIES, BadRequest, Entity
from statsync.emulator.store import Store

MESSAGES = {
    400: "Invalid request. Please check the request input and try again.",
    401: "This endpoint only accepts an active CONSOLE key, but an invalid key was sent.",
    404: "Not Found. The requested resource could not be found.",
}


@dataclass(frozen=True)
class RequestRecord:
    """One line of the request log; benchmarks and pacing tests count from it."""

    method: str
    path: str
    status: int
    time: float  # epoch seconds when the request arrived
    duration: float  # seconds spent answering


class ApiError(Exception):
    def __init__(self, status: int, detail: str = ""):
        self.status = status
        message = MESSAGES.get(status, "Error")
        super().__init__(f"{message} {detail}".strip() if status != 400 or detail else message)


class Emulator:
    def __init__(self, state: Path | None = None, api_key: str | None = None, seed: int | None = None,
                 check_responses: bool = False):
        self.store = Store(state, seed=seed)
        self.api_key = api_key
        self.check_responses = check_responses
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
            updated = ENTITIES[collection].update(self.store, obj, changes, partial=True, actor=_person(name, email))
            return copy.deepcopy(updated)

    def console_create(self, collection: str, body: dict[str, Any],
                       name: str = "Console User", email: str = "console.user@example.com") -> dict:
        """Create an object as a person in the Statsig console would."""
        with self.store.lock:
            return copy.deepcopy(ENTITIES[collection].create(self.store, body, actor=_person(name, email)))

    def save(self) -> None:
        self.store.save()

    # --- HTTP ---------------------------------------------------------------------
    def _build_app(self) -> Starlette:
        routes = []
        for collection in ENTITIES:
            base = f"{API_PREFIX}/{collection}"
            routes.append(Route(base, self._collection_endpoint, methods=["GET", "POST"]))
            routes.append(Route(base + "/{id:str}", self._object_endpoint, methods=["GET", "POST", "PATCH", "DELETE"]))
        return Starlette(routes=routes)

    async def _collection_endpoint(self, request: Request) -> JSONResponse:
        collection = request.url.path[len(API_PREFIX) + 1:]
        return await self._answer(request, f"/{collection}", collection, None)

    async def _object_endpoint(self, request: Request) -> JSONResponse:
        collection = request.url.path[len(API_PREFIX) + 1:].split("/", 1)[0]
        return await self._answer(request, f"/{collection}/{{id}}", collection, request.path_params["id"])

    async def _answer(self, request: Request, template: str, collection: str, object_id: str | None) -> JSONResponse:
        started = time.time()
        try:
            self._authenticate(request)
            body = await self._body(request, template)
            with self.store.lock:
                status, payload = self._dispatch(request, ENTITIES[collection], object_id, body)
        except ApiError as exc:
            status, payload = exc.status, {"status": exc.status, "message": str(exc)}
        except BadRequest as exc:
            status, payload = 400, {"status": 400, "message": str(exc)}
        if self.check_responses:
            status, payload = self._checked(request.method, template, status, payload)
        record = RequestRecord(request.method, request.url.path, status, started, time.time() - started)
        self.log.append(record)
        if self.on_request is not None:
            self.on_request(record)
        return JSONResponse(payload, status_code=status)

    def _authenticate(self, request: Request) -> None:
        key = request.headers.get("statsig-api-key", "")
        valid = key == self.api_key if self.api_key else key.startswith("console-")
        if not valid:
            raise ApiError(401)

    async def _body(self, request: Request, template: str) -> Any:
        if request.method in ("GET", "DELETE"):
            return None
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            raise ApiError(400, "The request body is not valid JSON.") from None
        validator = spec.request_validator(request.method, template)
        if validator is not None:
            if body is None:
                raise ApiError(400, "A request body is required.")
            error = next(iter(sorted(validator.iter_errors(body), key=lambda e: e.path)), None)
            if error is not None:
                where = ".".join(str(part) for part in error.absolute_path) or "body"
                raise ApiError(400, f"{where}: {error.message}")
        return body

    def _dispatch(self, request: Request, entity: Entity, object_id: str | None, body: Any):
        store, method = self.store, request.method
        if object_id is None:
            if method == "GET":
                return 200, self._page(request, entity)
            obj = entity.create(store, body)
            return 201, {"message": f"{entity.label} created successfully.", "data": copy.deepcopy(obj)}
        obj = store.get(entity.collection, object_id)
        if obj is None:
            raise ApiError(404)
        if method == "GET":
            return 200, {"message": f"{entity.label} read successfully.", "data": copy.deepcopy(obj)}
        if method == "DELETE":
            store.delete(entity.collection, object_id)
            return 200, {"message": f"{entity.label} deleted successfully."}
        entity.update(store, obj, body, partial=(method == "PATCH"))
        return 200, {"message": f"{entity.label} updated successfully.", "data": copy.deepcopy(obj)}

    def _page(self, request: Request, entity: Entity) -> dict:
        page, limit = _positive_int(request, "page", 1), _positive_int(request, "limit", 100)
        objects = list(self.store.collection(entity.collection).values())
        start = (page - 1) * limit
        chunk = objects[start:start + limit]
        path = f"{API_PREFIX}/{entity.collection}"
        has_next = start + limit < len(objects)
        return {
            "message": f"{entity.label}s listed successfully.",
            "data": copy.deepcopy(chunk),
            "pagination": {
                "itemsPerPage": limit,
                "pageNumber": page,
                "totalItems": len(objects),
                "nextPage": f"{path}?{urlencode({'page': page + 1, 'limit': limit})}" if has_next else None,
                "previousPage": f"{path}?{urlencode({'page': page - 1, 'limit': limit})}" if page > 1 else None,
                "all": f"{path}?{urlencode({'page': 1, 'limit': max(len(objects), 1)})}",
            },
        }

    def _checked(self, method: str, template: str, status: int, payload: Any):
        """With check_responses on, a response that breaks the spec becomes a 500."""
        validator = spec.response_validator(method, template, status)
        if validator is None:
            return status, payload
        error = next(iter(validator.iter_errors(payload)), None)
        if error is None:
            return status, payload
        where = ".".join(str(part) for part in error.absolute_path) or "body"
        return 500, {"status": 500, "message": f"emulator response breaks the spec at {where}: {error.message}"}


def _person(name: str, email: str) -> dict[str, Any]:
    return {"id": "user" + "".join(ch for ch in email if ch.isalnum())[:18], "name": name, "email": email}


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


__all__ = ["Emulator", "RequestRecord", "API_USER"]
