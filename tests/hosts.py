"""App hosts as separate processes: gunicorn on its own loopback port, as in production.

For tests of what must hold across hosts (a revoked key, a replica's reads): each host is its
own process with its own caches, configured the way a deployment configures it, through
RECIPROCITY_* variables, and they share only the database.
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time

import requests


class HostUnavailable(RuntimeError):
    """The app host did not come up."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class AppHost:
    """One `gunicorn wsgi:app`-style host on 127.0.0.1, started and stopped by a test."""

    def __init__(self, settings: dict, *, threads: int = 4) -> None:
        self.settings = settings
        self.threads = threads
        self.process: subprocess.Popen | None = None
        self.root = ""
        self._instance = tempfile.TemporaryDirectory(prefix="apphost-")
        self.log_path = os.path.join(self._instance.name, "gunicorn.log")

    def start(self) -> "AppHost":
        """Start gunicorn and wait until the host answers its liveness probe."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("RECIPROCITY_")}
        env.update({f"RECIPROCITY_{name}": value if isinstance(value, str) else json.dumps(value)
                    for name, value in self.settings.items()})
        for _ in range(3):  # another process may take the port between probe and bind
            port = _free_port()
            factory = f"app:create_app(instance_path={self._instance.name!r})"
            with open(self.log_path, "w") as log:
                self.process = subprocess.Popen(
                    [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}",
                     "--workers", "1", "--threads", str(self.threads), factory],
                    env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                    cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
            self.root = f"http://127.0.0.1:{port}"
            if self._wait_ready():
                return self
            self.stop()
        raise HostUnavailable(f"gunicorn did not start:\n{self.log()}")

    def _wait_ready(self) -> bool:
        """Wait on progress: until /healthz answers, or the process has exited."""
        while self.process.poll() is None:
            try:
                # The worker imports the app after gunicorn binds: a connection waits for it.
                if requests.get(f"{self.root}/healthz", timeout=60).status_code == 200:
                    return True
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.05)
        return False

    def log(self) -> str:
        """What the host printed."""
        with open(self.log_path, errors="replace") as handle:
            return handle.read()[-4000:]

    def stop(self) -> None:
        """Stop the host (idempotent)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def close(self) -> None:
        """Stop the host and remove its instance folder."""
        self.stop()
        self._instance.cleanup()
