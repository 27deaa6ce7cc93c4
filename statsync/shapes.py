"""Request bodies Statsig's own artefacts disagree on.

A kind may name an endpoint whose body has two documented shapes (a segment's
`/conditional`: the spec's bare array of rules, the Terraform provider's
`{"rules": [...]}`). The spec's shape is sent first; a 400 is tried once more in the
other shape, and the shape that worked is remembered for the rest of the run, so each
later request costs one attempt. `statsync probe` settles which one Statsig takes.
"""
from __future__ import annotations

from typing import Any

from statsync.api.client import ConsoleClient
from statsync.api.errors import ApiError
from statsync.kinds import Kind


async def send(client: ConsoleClient, kind: Kind, method: str, path: str, body: Any,
               created_at: str | None = None) -> dict:
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
