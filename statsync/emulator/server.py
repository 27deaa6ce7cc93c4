"""`statsync emulator`: the emulator on a real socket, one log line per request."""
from __future__ import annotations

import logging
import signal
import socket
import sys
from pathlib import Path

import uvicorn

from statsync.emulator.app import Emulator
from statsync.emulator.faults import ConnectionDropped, Faults
from statsync.emulator.ratelimit import RateLimit


class _QuietDrops(logging.Filter):
    """Emulated connection drops are the point, not errors worth a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], ConnectionDropped))


def serve(host: str, port: int, state: str | None, api_key: str | None = None, project_id: str | None = None,
          seed: int | None = None,
          faults: Faults | None = None, rate_limit: RateLimit | None = None, reviews_required: bool = False,
          readings=None) -> None:
    try:
        emulator = Emulator(state=Path(state) if state else None, api_key=api_key, seed=seed,
                            faults=faults, rate_limit=rate_limit, reviews_required=reviews_required,
                            readings=readings)
    except ValueError as exc:
        from statsync.errors import StatsyncError

        raise StatsyncError(str(exc)) from None
    if project_id:
        emulator.store.project_id = project_id
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # accepted sockets inherit it
    try:
        sock.bind((host, port))
    except OSError as exc:
        from statsync.errors import StatsyncError

        raise StatsyncError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    bound_port = sock.getsockname()[1]
    # listening before saying so: a client that reads the line and connects at once must not
    # find the port bound but refusing (uvicorn's own listen comes later, in run)
    sock.listen(2048)
    # Tests read this line to learn the port when started with --port 0.
    print(f"statsync emulator listening on http://{host}:{bound_port}"
          + (f" (state: {state})" if state else " (in memory)"), flush=True)
    config = uvicorn.Config(emulator.app, log_level="warning", access_log=False, lifespan="off")
    logging.getLogger("uvicorn.error").addFilter(_QuietDrops())
    server = uvicorn.Server(config)
    emulator.on_request = lambda record: print(
        f"{record.time:.3f} {record.method} {record.path} {record.status or 'dropped'} "
        f"{record.duration * 1000:.1f}ms" + (f" [{record.fault}]" if record.fault else ""), flush=True)
    # uvicorn stops gracefully on SIGINT/SIGTERM, then re-raises the signal to
    # whatever handler was there before; a no-op one lets us save state and exit 0.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: None)
    try:
        server.run(sockets=[sock])
    finally:
        emulator.save()
        print("statsync emulator stopped" + (f"; state saved to {state}" if state else ""), flush=True)
    logging.shutdown()
    sys.exit(0)
