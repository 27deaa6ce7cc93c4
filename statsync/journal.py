"""The apply journal: `.statsync/journal/<time>.ndjson`, one record per step and a summary.

Each record is flushed and fsynced as soon as the step ends, so even a run
killed halfway leaves an exact account of what it did. It never holds the API
key: requests are recorded as method and path only. A record that cannot be written
(a full disk) is cut back off, so the file holds whole lines only, and `failed` says
why: the executor then starts no further step, and the run fails naming it.
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
        self._file = open(self.path, "ab")
        self.failed = ""  # why a record could not be written, once one could not
        self.write({"type": "start", "target": target})

    def write(self, record: dict[str, Any]) -> None:
        if self.failed:
            return
        line = (json.dumps({"time": round(time.time(), 3), **record}, sort_keys=True, default=str) + "\n").encode()
        start = self._file.tell()
        try:
            self._file.write(line)
            self._file.flush()
            os.fsync(self._file.fileno())
        except OSError as exc:
            self.failed = f"cannot write the journal {self.path}: {exc.strerror or exc}"
            try:  # no half line: what is there stays readable, record by record
                self._file.truncate(start)
            except OSError:
                pass

    def close(self) -> None:
        try:
            self._file.close()
        except OSError as exc:  # the buffer's last flush, on a full disk
            self.failed = self.failed or f"cannot write the journal {self.path}: {exc.strerror or exc}"
