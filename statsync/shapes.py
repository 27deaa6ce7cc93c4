"""Requests Statsig's own artefacts disagree on.

A kind may name an endpoint whose body has two documented shapes (a segment's
`/conditional`: the spec's bare array of rules, the Terraform provider's
`{"rules": [...]}`). The spec's shape is sent first; a 400 is tried once more in the
other shape, and the shape that worked is remembered for the rest of the run, so each
later request costs one attempt.

A kind addressed by name may also be addressed by its server id (a target app: the
spec's path parameter is `{id}`, its example shows an opaque id beside the name; only
tags and unit ID types are proven by name, TF-test). When the name is refused (404),
the object's id is looked up in the list and the request sent there; from then on the
run addresses that kind by id. `statsync probe` settles both.
"""
from __future__ import annotations

from typing import Any, Awaitable, Callable

from statsync import addresses
from statsync.api.client import ConsoleClient
from statsync.api.errors import ApiError
from statsync.kinds import Kind


async def send(client: ConsoleClient, kind: Kind, method: str, path: str, body: Any,
               created_at: str | None = None, object_id: str | None = None) -> dict:
    """Send a step's request; `object_id` (the YAML id) lets a name-addressed path fall back."""
    if object_id is not None and kind.address is not None and not created_at:
        path = await addresses.resolve(client, kind, object_id, path)
    finder = addresses.finder(client, kind, object_id) if created_at and kind.address and object_id else None
    body = await addresses.sent_with_addresses(client, kind, body)
    if object_id is not None and kind.addressed_by_id_too and path.startswith(kind.path(object_id)) \
            and not created_at:
        if client.learned.get(f"{kind.name}:path") == "id":
            path = await _by_id(client, kind, object_id, path) or path
        else:
            try:
                return await _send_shape(client, kind, method, path, body, created_at)
            except ApiError as exc:
                moved = await _by_id(client, kind, object_id, path) if exc.status == 404 else None
                if moved is None or moved == path:
                    raise
                client.learned[f"{kind.name}:path"] = "id"
                path = moved
    answer = await _send_shape(client, kind, method, path, body, finder or created_at)
    if created_at and kind.address is not None and isinstance(answer.get("data"), dict):
        addresses.learn(client, kind, [answer["data"]])  # a replaced object's old address is stale
    return answer


async def get(client: ConsoleClient, kind: Kind, object_id: str) -> dict | None:
    """The object at its name, or, where the name is refused, at its server id."""
    if kind.answered_otherwise:
        try:
            path = await addresses.resolve(client, kind, object_id, kind.path(object_id))
        except addresses.NotLive:
            return None
        found = await client.get(path)
        return addresses.learn(client, kind, [found])[0] if found is not None else None
    if kind.addressed_by_id_too and client.learned.get(f"{kind.name}:path") == "id":
        path = await _by_id(client, kind, object_id, kind.path(object_id))
        return await client.get(path) if path else None
    found = await client.get(kind.path(object_id))
    if found is None and kind.addressed_by_id_too:
        path = await _by_id(client, kind, object_id, kind.path(object_id))
        found = await client.get(path) if path and path != kind.path(object_id) else None
        if found is not None:
            client.learned[f"{kind.name}:path"] = "id"
    return found


async def _by_id(client: ConsoleClient, kind: Kind, object_id: str, path: str) -> str | None:
    """`path` with the object's name swapped for its server id (None when not listed);
    the ids of the whole list are kept for the run, so later requests cost nothing."""
    key = f"{kind.name}:id:{object_id}"
    if key not in client.learned:
        for obj in await client.list(kind.collection):
            if obj.get(kind.identity) is not None and obj.get("id"):
                client.learned[f"{kind.name}:id:{obj[kind.identity]}"] = str(obj["id"])
    server_id = client.learned.get(key)
    if not server_id:
        return None
    return kind.path(str(server_id)) + path[len(kind.path(object_id)):]


async def _send_shape(client: ConsoleClient, kind: Kind, method: str, path: str, body: Any,
                      created_at: str | Callable[[], Awaitable[dict | None]] | None) -> dict:
    suffix = next((suffix for suffix in kind.body_alternates if path.endswith(suffix)), None)
    if suffix is None:
        return await client.request(method, path, body, created_at=created_at)
    key, wrap = f"{kind.name}{suffix}", kind.body_alternates[suffix]
    order = [True, False] if client.learned.get(key) == "wrapped" else [False, True]
    first_error: ApiError | None = None
    for wrapped in order:
        try:
            answer = await client.request(method, path, {wrap: body} if wrapped else body, created_at=created_at)
        except ApiError as exc:
            if exc.status != 400:
                raise
            first_error = first_error or exc
            continue
        client.learned[key] = "wrapped" if wrapped else "bare"
        return answer
    raise first_error
