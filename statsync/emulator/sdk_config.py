"""The SDK config the emulator serves: its project, compiled by `statsync.compile`.

Server SDKs download a project's rules as a DCS payload (`download_config_specs`) and
evaluate locally. Served from the emulator's current state, the same payload lets a
developer point an app's SDK at `statsync emulator` (or the `local` target's state) and
run it against the repository's flags. The emulator never compiles on its own: this is
`statsync.compile`, the module `statsync test` uses, fed the emulator's objects.
"""
from __future__ import annotations

from typing import Any

from statsync.compile import LiveObject, compile_objects
from statsync.emulator.store import Store
from statsync.kinds import all_kinds


def live_objects(store: Store) -> list[LiveObject]:
    objects = []
    for kind in all_kinds().values():
        if kind.singleton:
            continue
        for key, obj in store.collection(kind.collection.strip("/")).items():
            body = {name: value for name, value in obj.items() if not name.startswith("_")}
            if "_ids" in obj:  # an id-list segment's members
                body["ids"] = list(obj["_ids"])
            if obj.get("_overrides"):
                body["overrides"] = obj["_overrides"]
            objects.append(LiveObject(kind, str(obj.get(kind.identity, key)), body))
    return objects


def sdk_config(store: Store) -> dict[str, Any]:
    """The DCS v2 payload of the emulator's project as it is now."""
    compiler = compile_objects(live_objects(store))
    return compiler.payload(time_ms=store.now())
