"""A real server process for the tests, on a loopback port chosen at its first start.

Subclasses say how to start it (:meth:`ServerProcess._command`, with config files
written by :meth:`ServerProcess._prepare` once the port is known) and when it is
ready (:meth:`ServerProcess.healthy`). ``stop(kill=True)`` crashes it (SIGKILL) and
``restart()`` brings it back on the same port with the same data.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import NoReturn, Self

import pytest

HOST = "127.0.0.1"
REQUIRE_SERVERS_ENV = "SITLOAD_REQUIRE_SERVERS"
"""Set to 1 (``.ci/run`` does, as root) to make a missing server binary a failure."""


def missing(reason: str) -> NoReturn:
    """Skip the test for a missing server or tool, or fail it where the run requires
    every server (CI: a green run must not hide untested integrations)."""
    if os.environ.get(REQUIRE_SERVERS_ENV) == "1":
        pytest.fail(f"{reason} ({REQUIRE_SERVERS_ENV}=1: a missing server is a failure)")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def port_open(port: int) -> bool:
    """``HOST:port`` accepts TCP connections now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.2)
        return s.connect_ex((HOST, port)) == 0


class ServerProcess:
    name = "server"
    start_timeout_s = 20.0

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = workdir / f"{self.name}.log"

    def _command(self) -> list[str]:
        raise NotImplementedError

    def _prepare(self) -> None:
        """Write config files before a start (the port is known)."""

    def healthy(self) -> bool:
        """Ready for clients (default: the port accepts connections)."""
        return port_open(self.port)

    def _alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def running(self) -> bool:
        return self._alive()

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def start(self, timeout_s: float | None = None) -> Self:
        """Start on a free port (the first time) or on the same port (restarts)."""
        if self._alive():
            return self
        limit = self.start_timeout_s if timeout_s is None else timeout_s
        attempts = 3 if self.port == 0 else 1
        for attempt in range(attempts):
            if self.port == 0 or attempt > 0:
                self.port = free_port()
            self._prepare()
            with self.log_path.open("ab") as log_file:
                self.proc = subprocess.Popen(
                    self._command(),
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    cwd=self.workdir,
                )
            deadline = time.monotonic() + limit
            while time.monotonic() < deadline and self._alive():
                if self.healthy():
                    return self
                time.sleep(0.02)
            self.stop(kill=True)
        raise RuntimeError(
            f"{self.name} did not become ready on {HOST}:{self.port} within {limit} s; "
            f"its log ({self.log_path}):\n{self.log_text()[-3000:]}"
        )

    def stop(self, *, kill: bool = False) -> None:
        """Stop (SIGTERM, clean) or crash (``kill=True``: SIGKILL) the server."""
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)

    def restart(self, *, kill: bool = True, down_s: float = 0.0) -> None:
        """Stop (by default crash) and start again on the same port and data."""
        self.stop(kill=kill)
        if down_s:
            time.sleep(down_s)
        self.start()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop(kill=True)
