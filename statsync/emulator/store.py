"""The emulator's project state: objects per collection, persisted as JSON."""
from __future__ import annotations

import json
import os
import random
import string
import threading
import time
from pathlib import Path
from typing import Any

STATE_FORMAT = 1
_ID_ALPHABET = string.ascii_letters + string.digits


def _key(obj: dict[str, Any]) -> str:
    """Objects are found by id, or by name for kinds Statsig addresses by name (`_key`)."""
    return obj["_key"] if "_key" in obj else obj["id"]


class Store:
    """Objects keyed by collection ("gates") and id, in creation order.

    One lock guards everything: the emulator serves one project, and uvicorn's
    single event loop plus in-process tests are the only writers.
    """

    def __init__(self, path: Path | None = None, seed: int | None = None):
        self.path = path
        self.lock = threading.RLock()
        self.collections: dict[str, dict[str, dict[str, Any]]] = {}
        self._random = random.Random(seed)
        self.readings: Any = None  # the emulator's Readings, for behaviour they switch
        self._last_time = 0
        self.project_id: str | None = None  # GET /project's `id`; made on first use, kept in the state
        self.audit_log: list[dict[str, Any]] = []  # GET /audit_logs, newest first (emulator/audit.py)
        if path is not None and path.exists():
            self.load(path)

    def project(self) -> str:
        """The project's id, as `GET /console/v1/project` answers it (ExternalProjectDto)."""
        if self.project_id is None:
            self.project_id = self.new_id()
        return self.project_id

    # --- identity and time -------------------------------------------------
    def new_id(self, length: int = 22) -> str:
        """A server id shaped like Statsig's (22 base-62 characters)."""
        return "".join(self._random.choice(_ID_ALPHABET) for _ in range(length))

    def now(self) -> int:
        """Epoch milliseconds, strictly increasing so every change is visible."""
        self._last_time = max(int(time.time() * 1000), self._last_time + 1)
        return self._last_time

    # --- objects -------------------------------------------------------------
    def collection(self, name: str) -> dict[str, dict[str, Any]]:
        return self.collections.setdefault(name, {})

    def get(self, collection: str, object_id: str) -> dict[str, Any] | None:
        return self.collection(collection).get(object_id)

    def put(self, collection: str, obj: dict[str, Any]) -> None:
        self.collection(collection)[_key(obj)] = obj

    def delete(self, collection: str, object_id: str) -> bool:
        return self.collection(collection).pop(object_id, None) is not None

    # --- persistence -----------------------------------------------------------
    def load(self, path: Path) -> None:
        try:
            state = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise ValueError(f"{path}: not an emulator state file ({exc})") from None
        if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
            raise ValueError(f"{path}: not an emulator state file (format {STATE_FORMAT} expected)")
        self.collections = {
            name: {_key(obj): obj for obj in objects} for name, objects in state.get("collections", {}).items()
        }
        self._last_time = state.get("last_time", 0)
        self.project_id = state.get("project_id")
        self.audit_log = state.get("audit_logs", [])

    def save(self, path: Path | None = None) -> None:
        """Write atomically: a crash mid-save never leaves a half-written state file."""
        path = path or self.path
        if path is None:
            return
        with self.lock:
            state = {
                "format": STATE_FORMAT,
                "last_time": self._last_time,
                **({"project_id": self.project_id} if self.project_id else {}),
                "collections": {name: list(objects.values()) for name, objects in self.collections.items()},
                "audit_logs": self.audit_log,
            }
            # key order is kept as the API received it, as Statsig keeps it
            text = json.dumps(state, indent=1)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text)
        os.replace(tmp, path)
