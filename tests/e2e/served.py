"""Start `statsync emulator` as a real process on a free loopback port."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path


class ServedEmulator:
    def __init__(self, state: Path, log: Path, *extra: str):
        self.state, self.log_path = state, log
        self._log = open(log, "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "statsync", "emulator", "--port", "0", "--state", str(state), *extra],
            stdout=self._log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.url = self._wait_for_url()

    def _wait_for_url(self, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = re.search(r"listening on (http://\S+)", self.log_path.read_text())
            if match:
                return match.group(1)
            if self.process.poll() is not None:
                raise RuntimeError(f"emulator exited: {self.log_path.read_text()}")
            time.sleep(0.05)
        raise RuntimeError("emulator did not start")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        return self.process.returncode

    @property
    def output(self) -> str:
        return self.log_path.read_text()


def statsync(*args: str, env: dict | None = None, cwd: Path | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run the real CLI as a subprocess, the way a user or CI would."""
    # the suite may itself run in GitHub Actions: annotations only where a test asks for them
    inherited = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
    full_env = {**inherited, "NO_COLOR": "1", **(env or {})}
    return subprocess.run([sys.executable, "-m", "statsync", *args], capture_output=True, text=True,
                          env=full_env, cwd=cwd, timeout=timeout)
