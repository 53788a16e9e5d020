"""Shared helpers of the ``sitload run`` end-to-end tests (test_run_service*.py): the
recordings, config and expected alerts of a run, a broker with the users they need,
starting and finishing ``sitload run``, and reading what it published."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from analytics.records import Recording
from collector.config import Overrides, load_settings
from collector.recordings import write_recording
from collector.service.engine import LiveEngine
from collector.sources.messages import Role, SampleBlock
from tests.analytics.signals import Part, build
from tests.brokers import Mosquitto, Subscriber

T0 = 1_795_420_800.0  # Monday 08:00 UTC
USER = "alice"
BASE = f"sitload/{USER}"
DAY = [
    Part("walk", 120),
    Part("stand", 60),
    Part("sit", 2700),
    Part("stand", 180),
    Part("sit", 600),
    Part("walk", 60),
]
SHORT = [  # with prompt_after_min = 2: prompts every few minutes
    Part("walk", 120),
    Part("stand", 60),
    Part("sit", 900),
    Part("stand", 180),
    Part("sit", 300),
    Part("walk", 60),
]
SHORT_ALERTS = """
prompt_after_min = 2
escalate_after_min = 4
repeat_every_min = 2
"""


def alice_and_bob_broker(tmp_path: Path) -> Iterator[Mosquitto]:
    """A Mosquitto with the users alice and bob (for a ``broker`` fixture), killed after."""
    b = Mosquitto(tmp_path / "broker", {USER: "alice-pw", "bob": "bob-pw"}).start()
    try:
        yield b
    finally:
        b.stop(kill=True)


def service_config(tmp: Path, port: int, source: str, alerts: str, mqtt: str = "") -> Path:
    """``tmp/sitload.toml`` for a run as :data:`USER` against the broker on ``port``:
    the ``[source]`` and ``[alerts]`` tables given, console without status lines,
    state and a SQLite history in ``tmp``."""
    cfg = tmp / "sitload.toml"
    cfg.write_text(
        f"""
[user]
id = "{USER}"
timezone = "UTC"

[source]
{source}

[alerts]
{alerts}

[mqtt]
url = "mqtt://127.0.0.1:{port}"
username = "{USER}"
password = "${{SITLOAD_TEST_MQTT_PASSWORD}}"
{mqtt}

[console]
enabled = true
desktop = false
status_every_s = 0

[state]
dir = "{tmp / "state"}"

[history]
url = "sqlite:///{tmp / "history.db"}"
""",
        encoding="utf-8",
    )
    return cfg


def write_config(tmp: Path, rec_file: Path, port: int, *, speed: float, alerts: str = "") -> Path:
    source = f'kind = "replay"\nfile = "{rec_file}"\nspeed = {speed}'
    return service_config(tmp, port, source, f"quiet_hours = []\n{alerts}", "late_after_s = 1.0")


def recording_file(tmp: Path, parts: list[Part], seed: int = 2) -> tuple[Recording, Path]:
    rec = build(parts, seed=seed, trunk=True, t0_s=T0).recording
    path = tmp / "day.csv"
    write_recording(rec, path)
    return rec, path


def expected_alerts(cfg: Path, rec: Recording) -> list[dict[str, Any]]:
    """The alerts of the same data through the engine in this process."""
    s = load_settings(cfg, Overrides(), environ={"SITLOAD_TEST_MQTT_PASSWORD": "x"})
    eng = LiveEngine({Role.THIGH, Role.TRUNK}, alert_params=s.alerts)
    t = rec.t_s
    cuts = np.searchsorted(t, np.arange(t[0], t[-1] + 2, 1.0))
    out = []
    for a, c in itertools.pairwise(cuts):
        if c > a:
            eng.accept(SampleBlock("a", "x", Role.THIGH, t[a:c], acc_g=rec.thigh_acc_g[a:c]))
            assert rec.trunk_acc_g is not None
            eng.accept(SampleBlock("b", "x", Role.TRUNK, t[a:c], acc_g=rec.trunk_acc_g[a:c]))
            out += eng.process().alerts
    out += eng.process(flush=True).alerts
    return [a.to_dict() for a in out]


def start_run(
    cfg: Path, tmp: Path, name: str = "run", args: tuple[str, ...] = ()
) -> subprocess.Popen[bytes]:
    """``sitload run --config CFG ARGS…`` in a subprocess, its output in NAME.log."""
    env = {**os.environ, "SITLOAD_TEST_MQTT_PASSWORD": "alice-pw", "PYTHONUNBUFFERED": "1"}
    log = open(tmp / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [sys.executable, "-m", "collector.cli", "-v", "run", "--config", str(cfg), *args],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=env,
    )


def finish(
    proc: subprocess.Popen[bytes], tmp: Path, name: str = "run", timeout_s: float = 90
) -> str:
    try:
        rc = proc.wait(timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise AssertionError((tmp / f"{name}.log").read_text()[-3000:]) from None
    text = (tmp / f"{name}.log").read_text()
    assert rc == 0, text[-3000:]
    return text


def alerts_of(sub: Subscriber) -> list[dict[str, Any]]:
    return [m.json() for m in sub.on(f"{BASE}/alert")]


def unique(alerts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for a in alerts:
        seen.setdefault(a["id"], a)
    return list(seen.values())


def admin(broker: Mosquitto, topics: list[str]) -> Subscriber:
    user, pw = broker.credentials("admin")
    return Subscriber(broker.port, topics, username=user, password=pw).start()


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def wait_first_state(sub: Subscriber) -> None:
    sub.wait_for(lambda ms: any(m.topic == f"{BASE}/state" for m in ms), 60, "running")
