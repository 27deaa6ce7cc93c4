"""Live objects read into the YAML's terms, and the addresses they are sent to.

Some objects' address is not their YAML id: a key is written by its description and
addressed by its secret (`/keys/<secret>`), a team by its name and addressed by an opaque
id (`/users/teams/<id>`). Steps, plans and journals carry the YAML id; the client swaps
the address in as it sends, from what one list read (or the create's answer) taught it.
A secret address is taken out of every live object as it is read, so it exists only in
the client's memory: never in a plan, journal, report, file or trace. Fields an answer
names or shapes otherwise than requests (`answered_as`, `answered_items`) are read as sent.
"""
from __future__ import annotations

from typing import Any, Awaitable, Callable

from statsync.api.client import ConsoleClient
from statsync.errors import StatsyncError
from statsync.kinds import Kind, all_kinds

AMBIGUOUS = ""  # learned for an identity two live objects share


class NotLive(StatsyncError):
    """No live object has the identity: a reader may take that as "gone"; two objects with
    it is a different error, which nobody may take as gone."""


def learn(client: ConsoleClient, kind: Kind, objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Live objects as statsync reads them: each one's address remembered (a secret one
    removed from the object), fields an answer names otherwise renamed as written."""
    if kind.answered_as:
        objects = [{kind.answered_as.get(name, name): value for name, value in obj.items()} for obj in objects]
    if kind.answered_items:
        objects = [{name: _items_as_written(value, kind.answered_items.get(name)) for name, value in obj.items()}
                   for obj in objects]
    if kind.address is None:
        return objects
    seen: set[str] = set()
    out = []
    for obj in objects:
        identity, address = obj.get(kind.identity), obj.get(kind.address)
        if isinstance(identity, str) and isinstance(address, str) and address:
            key = _key(kind, identity)
            client.learned[key] = AMBIGUOUS if identity in seen else address
            seen.add(identity)
            if kind.secret_address:
                client.secrets.add(address)
            else:  # what a reference sent as this address reads back as (release pipelines)
                client.learned[f"{kind.name}:identity:{address}"] = identity
        out.append({name: value for name, value in obj.items() if not (kind.secret_address and name == kind.address)})
    return out


async def resolve(client: ConsoleClient, kind: Kind, object_id: str, path: str) -> str:
    """`path` (written with the YAML id) with the object's address in its place."""
    if kind.address is None or not path.startswith(kind.path(object_id)):
        return path
    return kind.path(await address_of(client, kind, object_id)) + path[len(kind.path(object_id)):]


async def address_of(client: ConsoleClient, kind: Kind, object_id: str) -> str:
    """The live object's address, from what a list read (one, when unknown) taught the client."""
    key = _key(kind, object_id)
    if key not in client.learned:
        learn(client, kind, await client.list(kind.list_path or kind.path()))
    address = client.learned.get(key)
    if address is None:
        raise NotLive(f"{kind.title.lower()} {object_id!r} is not in the live project")
    if address == AMBIGUOUS:
        raise StatsyncError(f"more than one live {kind.title.lower()} has the {kind.identity} {object_id!r}: "
                            f"give one of them another {kind.identity} in the console first")
    return address


async def sent_with_addresses(client: ConsoleClient, kind: Kind, body: Any) -> Any:
    """`body` with each field naming another object by identity where Statsig takes its
    address (a gate's releasePipelineID) given the address, learned from a list read or
    the target's create answer."""
    refs = [ref for ref in kind.references if ref.by_address and isinstance(body, dict)
            and isinstance(body.get(ref.field), str) and body[ref.field]]
    if not refs:
        return body
    body = dict(body)
    for ref in refs:
        body[ref.field] = await address_of(client, all_kinds()[ref.target], body[ref.field])
    return body


def read_with_identities(client: ConsoleClient, kind: Kind, obj: dict[str, Any]) -> dict[str, Any]:
    """A live object with each address another object is named by read back as that
    object's identity, as the YAML writes it (an unknown address stays as it is)."""
    refs = [ref for ref in kind.references if ref.by_address and isinstance(obj.get(ref.field), str)]
    if not refs:
        return obj
    return {**obj, **{ref.field: client.learned.get(f"{ref.target}:identity:{obj[ref.field]}", obj[ref.field])
                      for ref in refs}}


def finder(client: ConsoleClient, kind: Kind, object_id: str) -> Callable[[], Awaitable[dict[str, Any] | None]]:
    """What tells whether a create whose answer was lost made the object: it has no path
    of its own to read yet (Statsig makes the address), so the list is searched for it."""
    async def find() -> dict[str, Any] | None:
        objects = learn(client, kind, await client.list(kind.list_path or kind.path()))
        return next((obj for obj in objects if obj.get(kind.identity) == object_id), None)
    return find


def _items_as_written(value: Any, item_key: str | None) -> Any:
    if item_key is None or not isinstance(value, list):
        return value
    return [item.get(item_key) if isinstance(item, dict) else item for item in value]


def _key(kind: Kind, identity: str) -> str:
    return f"{kind.name}:address:{identity}"
