"""A throwaway Redis server on 127.0.0.1 for tests (Debian's redis-server, in a temp folder)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time

import redis


class RedisUnavailable(RuntimeError):
    """redis-server is not installed or did not start."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """redis-server on a free loopback port, no persistence, its files in a temp folder."""

    def __init__(self) -> None:
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            raise RedisUnavailable("redis-server not found on PATH (apt-get install "
                                   "redis-server; scripts/test installs it)")
        self.port = 0
        self.process: subprocess.Popen | None = None
        self.folder: str | None = None

    @property
    def url(self) -> str:
        """The storage URI for this server."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        """Start the server and wait until it answers PING."""
        self.folder = tempfile.mkdtemp(prefix="reciprocity-redis-")
        self.port = _free_port()
        self.process = subprocess.Popen(
            [self.binary, "--bind", "127.0.0.1", "--port", str(self.port), "--dir",
             self.folder, "--save", "", "--appendonly", "no", "--protected-mode", "yes",
             "--logfile", f"{self.folder}/redis.log"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=1)
        # Wait on progress: the process is alive and has not answered yet.
        for _ in range(500):
            if self.process.poll() is not None:
                raise RedisUnavailable(f"redis-server exited with {self.process.returncode}")
            try:
                if client.ping():
                    return self
            except redis.ConnectionError:
                time.sleep(0.02)
        self.stop()
        raise RedisUnavailable("redis-server did not answer PING")

    def stop(self) -> None:
        """Stop the server (it is gone when this returns) and remove its folder."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.process = None
        if self.folder:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None
