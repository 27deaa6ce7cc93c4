"""The apply journal: `.statsync/journal/<time>.ndjson`, one record per step and a summary.

Each record is flushed and fsynced as soon as the step ends, so even a run
killed halfway leaves an exact account of what it did. It never holds the API
key: requests are recorded as method and path only.
"""
from __future__ import annotations

import json
import os
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any


class Journal:
    def __init__(self, directory: Path, target: str):
        directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
        self.path = directory / f"{stamp}.ndjson"
        self._file = open(self.path, "a", encoding="utf-8")
        self.write({"type": "start", "target": target})

    def write(self, record: dict[str, Any]) -> None:
        record = {"time": round(time.time(), 3), **record}
        self._file.write(json.dumps(record, sort_keys=True, default=str) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        self._file.close()
