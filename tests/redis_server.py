"""A throwaway redis-server on 127.0.0.1 for the limiter tests (the binary comes from the
machine: .ci/run installs Debian's redis-server).

`running_redis()` gives a `RedisServer` a test can pause (SIGSTOP), resume, kill -9 and start
again on the same port; it is killed on the way out, whatever state the test left it in.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest


def free_port() -> int:
    """A port nothing listens on (right now): Redis absent."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _binary() -> str:
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed: .ci/run should have installed it")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    return binary


class RedisServer:
    """One redis-server process on a fixed port; no persistence (a restart loses every key)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        args = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(
            [_binary(), *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.process.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.02)

    def pause(self) -> None:
        """SIGSTOP: connections are still accepted (by the kernel) but nothing is answered."""
        self._signal(signal.SIGSTOP)

    def resume(self) -> None:
        self._signal(signal.SIGCONT)

    def kill(self) -> None:
        """kill -9: every key and loaded script is lost, connections are reset."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(10)

    def _signal(self, signum: int) -> None:
        assert self.process is not None, "redis-server is not running"
        self.process.send_signal(signum)


@contextmanager
def running_redis() -> Iterator[RedisServer]:
    server = RedisServer(free_port())
    try:
        server.start()
        yield server
    finally:
        server.kill()  # SIGKILL ends a stopped process too; SIGTERM would wait for SIGCONT


@contextmanager
def redis_server() -> Iterator[str]:
    with running_redis() as server:
        yield server.url
