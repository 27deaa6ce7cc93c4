"""One httpx.AsyncClient wrapper for Statsig's Console API.

It adds the auth and version headers; reads whole kinds through paged list
requests (never one GET per object); paces itself to Statsig's rate limits;
retries what is safe to retry, checking before re-sending a create whose outcome
is unknown; surfaces Statsig's error message; and counts every request.
"""
from __future__ import annotations

import asyncio
import json
import random
import socket
import time
from collections import Counter
from functools import lru_cache
from typing import Any, Awaitable, Callable
from urllib.parse import parse_qsl

import httpx

from statsync.api.errors import ApiError, AuthError, ConnectionFailed, IncompleteList
from statsync.api.pacing import Limits, Pacer
from statsync.api.paths import API_PREFIX, API_VERSION
from statsync.api.retry import RETRYABLE_STATUS, RetryPolicy, retry_after_seconds
from statsync.secrets import redact

PAGE_SIZE = 100
# List pages in flight at once: Statsig's practical ceiling is about 10 concurrent
# requests (DIGEST §18.4); the pacer keeps the total within the rate limits.
READ_CONCURRENCY = 10
REVIEW_HEADER = "x-respect-review-settings"
# Ids a page when reading an id list: lists run to hundreds of thousands, and each
# request counts against a limit of its own (DIGEST §5.1).
ID_PAGE_SIZE = 10_000


class ConsoleClient:
    def __init__(self, base_url: str, api_key: str, transport: httpx.AsyncBaseTransport | None = None,
                 timeout: float = 30.0, limits: Limits | None = None, retry: RetryPolicy | None = None,
                 respect_review_settings: bool = False, seed: int | None = None,
                 clock: Callable[[], float] = time.monotonic, on_retry: Callable[[str], None] | None = None,
                 on_trace: Callable[[str], None] | None = None):
        self.base_url = base_url.rstrip("/")
        self.requests: Counter[str] = Counter()  # "GET /gates" → count, every attempt included
        self.retries = 0
        self.pacer = Pacer(limits, clock=clock)  # limits None: no pacing (the local emulator has none)
        self.retry = retry or RetryPolicy()
        self.on_retry = on_retry  # told of every retry and wait, so a slow API is never silence
        self.on_trace = on_trace  # told of every attempt and its answer (-v); the key never reaches it
        self.learned: dict[str, str] = {}  # request shapes that worked this run (see `shapes`)
        # secrets the project's answers hold (a key's own value, see `addresses`): shown as
        # <secret> wherever a path or message is printed
        self.secrets: set[str] = set()
        self.last_status: int | None = None  # of the last answer (`statsync probe` records it)
        self._rng = random.Random(seed)
        self._key = api_key  # kept only to redact it from what statsync prints
        headers = {"STATSIG-API-KEY": api_key, "STATSIG-API-VERSION": API_VERSION}
        if respect_review_settings:
            headers[REVIEW_HEADER] = "true"
        if transport is None:
            # Without TCP_NODELAY a request's body can wait ~40 ms for a delayed ACK.
            transport = httpx.AsyncHTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
        self._http = httpx.AsyncClient(base_url=self.base_url + API_PREFIX, headers=headers,
                                       transport=transport, timeout=timeout)
        self._reads = asyncio.Semaphore(READ_CONCURRENCY)

    def redacted(self, text: str) -> str:
        """`text` with this client's key masked (for what statsync writes down)."""
        return redact(text, self._key)

    async def __aenter__(self) -> "ConsoleClient":
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    @property
    def request_count(self) -> int:
        return sum(self.requests.values())

    async def request(self, method: str, path: str, body: Any = None, params: dict | None = None,
                      created_at: str | Callable[[], Awaitable[dict | None]] | None = None) -> dict:
        """Send one request, retrying what is safe; return the decoded JSON body.

        `created_at` marks a create: the path the new object will have (or, for an object
        whose address Statsig makes, a reader that finds it). If a create's outcome is
        unknown (connection dropped after sending, timeout, 5xx), that path is read before
        the create is sent again, so a retry never duplicates an object nor fails with a
        false "already in use".
        """
        started = time.monotonic()
        deadline = started + self.retry.budget_seconds
        attempt, uncertain = 0, False
        shown = self.shown(path)  # the path as messages may print it
        while True:
            attempt += 1
            self.requests[f"{method} {_template(path)}"] += 1
            delay: float | None = None
            refused = False
            try:
                response = await self._send(method, path, body, params)
            except httpx.ConnectError as exc:
                failure: Exception = ConnectionFailed(self.base_url, redact(_reason(exc), self._key))
                refused = True
                if attempt >= self.retry.connect_attempts:
                    raise failure from None
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                failure = ConnectionFailed(self.base_url, "timed out" if isinstance(exc, httpx.TimeoutException)
                                           else redact(_reason(exc), self._key))
                uncertain = uncertain or method != "GET"
            else:
                payload = _json(response)
                self.last_status = response.status_code
                if response.status_code < 400:
                    return _answer(method, shown, response, payload)
                failure = _api_error(method, shown, response, payload, self._key)
                if response.status_code == 404 and method == "DELETE" and attempt > 1:
                    return {}  # an earlier attempt deleted it
                if response.status_code == 400 and created_at and uncertain:
                    found = await self._find(created_at)
                    if found is not None:
                        return {"data": found}
                if response.status_code not in RETRYABLE_STATUS:
                    raise failure
                uncertain = uncertain or (response.status_code != 429 and method != "GET")
                delay = retry_after_seconds(response.headers.get("retry-after")) if response.status_code == 429 else None
            if created_at and uncertain:
                found = await self._find(created_at)
                if found is not None:
                    return {"data": found}
            delay = delay if delay is not None else self.retry.backoff(attempt, self._rng)
            if attempt >= self.retry.attempts or time.monotonic() + delay > deadline:
                if isinstance(failure, ConnectionFailed):
                    failure = ConnectionFailed(self.base_url, f"{failure.reason} ({attempt} attempt(s) in "
                                                              f"{time.monotonic() - started:.0f} s)")
                raise failure
            self.retries += 1
            if self.on_retry and not refused:  # a refused connection gives up within seconds: no notes
                self.on_retry(f"retrying {method} {shown} in {delay:.1f} s (attempt {attempt + 1}): "
                              f"{_short(failure)}")
            await asyncio.sleep(delay)

    async def _send(self, method: str, path: str, body: Any, params: dict | None) -> httpx.Response:
        """One attempt, paced; under -v one trace line for it (the path and status, never a header)."""
        async with self.pacer.slot(method):
            sent = time.monotonic()
            try:
                response = await self._http.request(method, path, json=body, params=params)
            except httpx.TransportError as exc:
                self._trace(method, path, params, sent, type(exc).__name__)
                raise
        self._trace(method, path, params, sent, str(response.status_code))
        return response

    def _trace(self, method: str, path: str, params: dict | None, sent: float, outcome: str) -> None:
        if self.on_trace is None:
            return
        query = "?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else ""
        took = (time.monotonic() - sent) * 1000
        self.on_trace(redact(f"{method} {self.base_url}{API_PREFIX}{self.shown(path)}{query} → {outcome} in "
                             f"{took:.0f} ms", self._key))

    def shown(self, text: str) -> str:
        """`text` with the project's secrets (a key in its own path) as <secret>."""
        for secret in self.secrets:
            text = text.replace(secret, "<secret>")
        return text

    async def _find(self, path: str | Callable[[], Awaitable[dict | None]]) -> dict | None:
        """Does the object a create was making exist? None when it does not, or when
        even the check keeps failing (then the create is tried again, and a "name
        already in use" answer leads here once more)."""
        try:
            return await (self.get(path) if isinstance(path, str) else path())
        except (ConnectionFailed, ApiError) as exc:
            if isinstance(exc, AuthError):
                raise
            return None

    async def get(self, path: str) -> dict | None:
        """One object, or None when Statsig answers 404."""
        try:
            return (await self.request("GET", path)).get("data")
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise

    async def list(self, path: str) -> list[dict]:
        """Every object of a collection, `limit=100` a page.

        A short read would make a plan delete, or re-create, what it did not see, so a
        list is complete or an error: the pages must add up to the answer's
        `totalItems`, with no object twice. A project edited between pages can shift
        them, so a list that does not add up is read once more before giving up.
        """
        try:
            return await self._list_once(path)
        except IncompleteList:
            return await self._list_once(path)

    async def _list_once(self, path: str) -> list[dict]:
        first = await self._page(path, 1)
        items = list(first.get("data") or [])
        pagination = first.get("pagination") or {}
        total = pagination.get("totalItems")
        if isinstance(total, int) and not isinstance(total, bool):
            if 0 < len(items) < total:
                # the first page's length is the page size the server really gives: a cap
                # below `limit` is not the end of the list (EVIDENCE.md "page size honoured")
                pages = range(2, -(-total // len(items)) + 1)
                for page in await asyncio.gather(*(self._page(path, number) for number in pages)):
                    items.extend(page.get("data") or [])
            _check_complete(path, items, total)
            return items
        # no total: `nextPage` says whether more exists (its URL form varies, so pages are counted here)
        page, number = first, 1
        while (page.get("pagination") or {}).get("nextPage") and page.get("data"):
            number += 1
            page = await self._page(path, number)
            items.extend(page.get("data") or [])
        _check_complete(path, items, None)
        return items

    async def ids(self, path: str) -> list[str]:
        """Every id of an id list (`GET …/id_list`), ID_PAGE_SIZE a page, until its count."""
        ids: list[str] = []
        number = 1
        while True:
            async with self._reads:
                page = await self.request("GET", path, params={"page": number, "limit": ID_PAGE_SIZE})
            data = page.get("data") or {}
            chunk = data.get("ids") or []
            ids.extend(chunk)
            if not chunk or len(ids) >= (data.get("count") or 0):
                return ids
            number += 1

    async def _page(self, path: str, number: int) -> dict:
        # a list path may carry a query of its own (metrics: showHiddenMetrics=true), kept beside the page's
        path, _, query = path.partition("?")
        async with self._reads:
            return await self.request("GET", path, params={**dict(parse_qsl(query)), "page": number,
                                                           "limit": PAGE_SIZE})


def _check_complete(path: str, items: list, total: int | None) -> None:
    # an object with neither id nor name (a key, known by its secret) is told apart by all it holds
    keys = [_listed_as(item) for item in items]
    repeated = len(keys) - len(set(keys))
    if (total is None or len(items) == total) and not repeated:
        return
    said = f", the answer said {total}" if total is not None else ""
    twice = f" ({repeated} listed twice)" if repeated else ""
    raise IncompleteList(f"GET {path}: the pages held {len(items)} object(s){twice}{said}, twice in a row; "
                         f"nothing is planned from a partial read (was the project edited while it was read? "
                         f"run again)")


def _listed_as(item: Any) -> Any:
    """What tells a listed object apart: its id and name, or (a key, known by its secret) all it holds."""
    if not isinstance(item, dict):
        return repr(item)
    named = (item.get("id"), item.get("name"))
    if any(named) and all(part is None or isinstance(part, str) for part in named):
        return named  # the common case, without encoding each object
    return json.dumps(list(named) if any(named) else item, default=str, sort_keys=True)


def _answer(method: str, path: str, response: httpx.Response, payload: Any) -> dict:
    """A success only when the answer proves it: a JSON object, carrying `data` for reads.
    A redirect is never followed (it would carry the key elsewhere) and an HTML page from
    a proxy or a login wall is not an applied change."""
    status = response.status_code
    if 300 <= status < 400:
        where = response.headers.get("location", "elsewhere")
        raise ApiError(method, path, status, f"answered with a redirect to {redact(where)}; not followed "
                                             f"(check the API URL)")
    if payload is _NOT_JSON:
        if not response.content and method == "DELETE":
            return {}
        kind = response.headers.get("content-type", "no content type").split(";")[0]
        raise ApiError(method, path, status, f"answered {status} with {kind}, not the Console API's JSON "
                                             f"(check the API URL)")
    if not isinstance(payload, dict) or (method == "GET" and "data" not in payload):
        raise ApiError(method, path, status, f"answered {status} without the Console API's envelope "
                                             f"(a JSON object{' with data' if method == 'GET' else ''})")
    return payload


def _api_error(method: str, path: str, response: httpx.Response, payload: Any, key: str = "") -> ApiError:
    message = payload.get("message") if isinstance(payload, dict) else None
    if message is None and payload is _NOT_JSON:
        message = response.text[:200]
    message = message or response.reason_phrase or ""
    error = AuthError if response.status_code in (401, 403) else ApiError
    return error(method, path, response.status_code, redact(" ".join(str(message).split()), key))


_NOT_JSON = object()


def _json(response: httpx.Response) -> Any:
    # (not orjson: it reads an integer of more than 64 bits as a float, losing digits a config
    # may hold, and finding such integers first costs more than it saves)
    try:
        return response.json()
    except ValueError:
        return _NOT_JSON


def _short(failure: Exception) -> str:
    if isinstance(failure, ApiError):
        return f"{failure.status} {failure.api_message}".strip()
    return getattr(failure, "reason", str(failure))


def _template(path: str) -> str:
    """'/gates/my_gate' → '/gates/{id}', for counting requests by operation: the spec's own
    template for the path (literal segments win: '/settings/project', '/metrics/list')."""
    parts = tuple(path.split("?")[0].strip("/").split("/"))
    found = _templates().get(len(parts), ())
    for template in found:  # most literal segments first
        if all(want == got or want.startswith("{") for want, got in zip(template, parts)):
            return "/" + "/".join("{id}" if want.startswith("{") else want for want in template)
    return "/" + "/".join(parts[:1] + ("{id}",) * (len(parts) > 1) + parts[2:])


@lru_cache(maxsize=1)
def _templates() -> dict[int, list[tuple[str, ...]]]:
    from statsync import spec
    from statsync.api.paths import API_PREFIX

    out: dict[int, list[tuple[str, ...]]] = {}
    for key in spec.document()["operations"]:
        template = tuple(key.split(" ", 1)[1].removeprefix(API_PREFIX).strip("/").split("/"))
        if template not in out.setdefault(len(template), []):
            out[len(template)].append(template)
    for templates in out.values():
        templates.sort(key=lambda t: sum(part.startswith("{") for part in t))
    return out


def _reason(exc: httpx.TransportError) -> str:
    text = str(exc) or type(exc).__name__
    return "connection refused" if "refused" in text.lower() else text
