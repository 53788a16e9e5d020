"""``Type=notify`` under systemd: ready once running, watchdog pings from the event
loop, stopping on the way out — over a real Unix datagram socket, as systemd reads."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from collector.service.systemd import Notifier


def _receive(sock: socket.socket, until: float) -> list[str]:
    got = []
    while time.monotonic() < until:
        try:
            got.append(sock.recv(4096).decode())
        except TimeoutError:
            continue
        if sum(m == "WATCHDOG=1" for m in got) >= 3:
            break
    return got


def test_the_service_tells_systemd_it_is_ready_alive_and_stopping(tmp_path: Path) -> None:
    address = str(tmp_path / "notify.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(address)
        sock.settimeout(0.5)
        env = {
            **os.environ,
            "HOME": str(tmp_path),
            "NOTIFY_SOCKET": address,
            "WATCHDOG_USEC": "400000",
        }
        env.pop("WATCHDOG_PID", None)
        proc = subprocess.Popen(
            [sys.executable, "-m", "collector.cli", "run", "--source", "simulate:desk"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
            cwd=tmp_path,
        )
        try:
            got = _receive(sock, time.monotonic() + 60)
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=60)
        got += _receive(sock, time.monotonic() + 1)
    assert proc.returncode == 0, err.decode()[-2000:]
    assert got, "nothing was sent"
    assert got[0].startswith("READY=1\nSTATUS=running for "), got
    assert got.count("WATCHDOG=1") >= 3, got
    assert got[-1].startswith("STOPPING=1\nSTATUS=stopping: SIGTERM"), got


def test_not_under_systemd_nothing_is_sent() -> None:
    assert Notifier.from_env({}) is None
    assert Notifier.from_env({"NOTIFY_SOCKET": "/x", "WATCHDOG_USEC": "0"}) is not None


def test_the_watchdog_belongs_to_its_own_process_only() -> None:
    other = Notifier.from_env({"NOTIFY_SOCKET": "/x", "WATCHDOG_USEC": "1000", "WATCHDOG_PID": "1"})
    assert other is not None
    assert other.watchdog_s is None
    mine = Notifier.from_env(
        {"NOTIFY_SOCKET": "@abstract", "WATCHDOG_USEC": "2000000", "WATCHDOG_PID": str(os.getpid())}
    )
    assert mine is not None
    assert mine.watchdog_s == 2.0
    assert mine.address == "\0abstract"


def test_a_socket_that_went_away_never_stops_the_service(tmp_path: Path) -> None:
    notifier = Notifier(str(tmp_path / "gone.sock"), watchdog_s=0.02)
    stop = asyncio.Event()

    async def run() -> None:
        asyncio.get_running_loop().call_later(0.1, stop.set)
        await notifier.keep_alive(stop)

    asyncio.run(run())
    notifier.ready("x")
    assert notifier.sent == 0
