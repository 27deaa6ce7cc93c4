"""One httpx.AsyncClient wrapper for Statsig's Console API.

It adds the auth and version headers, reads whole kinds through paged list
requests (never one GET per object), surfaces Statsig's error message, and
counts every request it makes.
"""
from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import httpx

from statsync.api.errors import ApiError, AuthError, ConnectionFailed
from statsync.api.paths import API_PREFIX, API_VERSION

PAGE_SIZE = 100
# Pages of one kind fetched at once once the total is known; far below
# Statsig's ~100 requests / 10 s so a plan never trips the rate limit on its own.
READ_CONCURRENCY = 8


class ConsoleClient:
    def __init__(self, base_url: str, api_key: str, transport: httpx.AsyncBaseTransport | None = None,
                 timeout: float = 30.0):
        self.base_url = base_url.rstrip("/")
        self.requests: Counter[str] = Counter()  # "GET /gates" → count
        self._http = httpx.AsyncClient(
            base_url=self.base_url + API_PREFIX,
            headers={"STATSIG-API-KEY": api_key, "STATSIG-API-VERSION": API_VERSION},
            transport=transport,
            timeout=timeout,
        )
        self._reads = asyncio.Semaphore(READ_CONCURRENCY)

    async def __aenter__(self) -> "ConsoleClient":
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    @property
    def request_count(self) -> int:
        return sum(self.requests.values())

    async def request(self, method: str, path: str, body: Any = None, params: dict | None = None) -> dict:
        """Send one request; return the decoded JSON body (empty dict when there is none)."""
        self.requests[f"{method} {_template(path)}"] += 1
        try:
            response = await self._http.request(method, path, json=body, params=params)
        except httpx.TimeoutException:
            raise ConnectionFailed(self.base_url, "timed out") from None
        except httpx.TransportError as exc:
            raise ConnectionFailed(self.base_url, _reason(exc)) from None
        payload = _json(response)
        if response.status_code >= 400:
            message = payload.get("message") if isinstance(payload, dict) else None
            message = message or response.reason_phrase or ""
            error = AuthError if response.status_code in (401, 403) else ApiError
            raise error(method, path, response.status_code, str(message))
        return payload if isinstance(payload, dict) else {}

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

        `nextPage` is only a "more exists" flag (its URL form varies), so pages are
        counted here. When the first page tells the total, the rest are fetched
        concurrently; otherwise one after another until a short or empty page.
        """
        first = await self._page(path, 1)
        items = list(first.get("data") or [])
        pagination = first.get("pagination") or {}
        total = pagination.get("totalItems")
        if not pagination.get("nextPage") or len(items) < PAGE_SIZE:
            return items
        if isinstance(total, (int, float)) and total > len(items):
            pages = range(2, -(-int(total) // PAGE_SIZE) + 1)
            for page in await asyncio.gather(*(self._page(path, number) for number in pages)):
                items.extend(page.get("data") or [])
            return items
        number = 2
        while True:
            page = await self._page(path, number)
            data = page.get("data") or []
            items.extend(data)
            if not (page.get("pagination") or {}).get("nextPage") or len(data) < PAGE_SIZE:
                return items
            number += 1

    async def _page(self, path: str, number: int) -> dict:
        async with self._reads:
            return await self.request("GET", path, params={"page": number, "limit": PAGE_SIZE})


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return {"message": response.text[:200]} if response.status_code >= 400 else {}


def _template(path: str) -> str:
    """'/gates/my_gate' → '/gates/{id}', for counting requests by operation."""
    parts = path.split("?")[0].strip("/").split("/")
    return "/" + "/".join(parts[:1] + ["{id}"] * (len(parts) > 1) + parts[2:])


def _reason(exc: httpx.TransportError) -> str:
    text = str(exc) or type(exc).__name__
    if "Connection refused" in text or "connect" in type(exc).__name__.lower():
        return "connection refused" if "refused" in text.lower() else text
    return text
