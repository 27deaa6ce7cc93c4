"""One apply at a time per target from one machine.

An advisory `flock` on `.statsync/locks/<target digest>.lock`: the kernel drops it
when the process ends however it ends (SIGKILL included), so there is never a stale
lock to clean up. Applies from other machines are not seen here: CI serialises them
(README: `concurrency:`), and the verification read after each apply reports any
write that landed in between.
"""
from __future__ import annotations

import hashlib
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from statsync.errors import StatsyncError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks; CI concurrency still applies
    fcntl = None


class Locked(StatsyncError):
    """Another apply to the same target is running on this machine."""


@contextmanager
def apply_lock(state_dir: Path, target: str) -> Iterator[None]:
    if fcntl is None:  # pragma: no cover
        yield
        return
    directory = state_dir / "locks"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{hashlib.sha256(target.encode()).hexdigest()[:16]}.lock"
    with open(path, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise Locked(f"another apply to {target} is running on this machine ({holder}); "
                         f"nothing was applied — wait for it to finish") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
