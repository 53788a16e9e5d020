"""A fleet of gateways for the fleet tests: one ``sitload run`` process per person
(a simulated day, its own broker user and password file, its own state folder), and
what each one said in its log (the alerts it raised, the MQTT sink's and the history
writer's closing counters)."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from analytics.alert_records import AlertKind

ALERTS = """
prompt_after_min = 2
escalate_after_min = 3
repeat_every_min = 1
prompt_gap_min = 1
quiet_hours = []
"""
"""A prompt every simulated minute or two of sitting: a short day raises many."""

_KINDS = "|".join(re.escape(k) for k in sorted((k.value for k in AlertKind), key=len)[::-1])
_ALERT_LINE = re.compile(rf"^\S+\s+({_KINDS})\s+\S", re.M)
"""A console line of an alert: local time, kind, message."""
_MQTT_SUMMARY = re.compile(
    r"MQTT sink stopped \(published (\d+), delivered (\d+), late (\d+), expired (\d+), "
    r"refused (\d+), reconnects (\d+);"
)
_HISTORY_SUMMARY = re.compile(
    r"history writer closed \((\d+) point\(s\) written \((\d+) replayed from the spool\), "
    r"(\d+) rejected, (\d+) dropped, (\d+) pending\)"
)


@dataclasses.dataclass(frozen=True)
class GatewaySpec:
    user: str
    password: str
    seed: int


@dataclasses.dataclass(frozen=True)
class GatewayReport:
    """What one gateway's log says it did."""

    user: str
    alert_kinds: Counter[str]
    """The alerts it raised (its console lines), by kind."""
    published: int
    delivered: int
    late: int
    expired: int
    refused: int
    reconnects: int
    points_written: int
    points_replayed: int
    points_rejected: int
    points_dropped: int
    points_pending: int


def write_config(
    folder: Path,
    spec: GatewaySpec,
    *,
    mqtt_urls: list[str],
    history_url: str,
    hours: float,
    speed: float,
    reconnect_first_s: float,
    reconnect_max_s: float,
) -> Path:
    """The gateway's config (and its password file, mode 600) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    pw = folder / "mqtt-password"
    pw.write_text(spec.password + "\n", encoding="utf-8")
    pw.chmod(0o600)
    urls = ", ".join(f'"{u}"' for u in mqtt_urls)
    cfg = folder / "sitload.toml"
    cfg.write_text(
        f"""
[user]
id = "{spec.user}"
timezone = "UTC"

[source]
kind = "simulate"
hours = {hours}
speed = {speed}
seed = {spec.seed}

[alerts]
{ALERTS}

[mqtt]
urls = [{urls}]
password_file = "{pw}"
discovery = false
late_after_s = 1.0
reconnect_first_s = {reconnect_first_s}
reconnect_max_s = {reconnect_max_s}

[console]
enabled = true
desktop = false
status_every_s = 0

[state]
dir = "{folder / "state"}"

[history]
url = "{history_url}"
""",
        encoding="utf-8",
    )
    return cfg


def start(cfg: Path, log_path: Path) -> subprocess.Popen[bytes]:
    """``sitload run --config cfg`` with its output in ``log_path``."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
    env.pop("SITLOAD_MQTT_PASSWORD", None)
    with log_path.open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "collector.cli", "run", "--config", str(cfg)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
        )


def wait_all(
    procs: dict[str, subprocess.Popen[bytes]], logs: dict[str, Path], timeout_s: float
) -> None:
    """Wait for every gateway to end (exit 0), or fail with the log of one that did not."""
    deadline = time.monotonic() + timeout_s
    for user, proc in procs.items():
        try:
            rc = proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            for p in procs.values():
                p.kill()
            raise AssertionError(
                f"gateway {user} still running after {timeout_s} s:\n"
                + logs[user].read_text(errors="replace")[-3000:]
            ) from None
        if rc != 0:
            raise AssertionError(
                f"gateway {user} exited {rc}:\n" + logs[user].read_text(errors="replace")[-3000:]
            )


def report(user: str, log_path: Path) -> GatewayReport:
    text = log_path.read_text(encoding="utf-8", errors="replace")
    mqtt = _MQTT_SUMMARY.search(text)
    history = _HISTORY_SUMMARY.search(text)
    if mqtt is None or history is None:
        raise AssertionError(f"gateway {user}: no closing counters in its log:\n{text[-3000:]}")
    m = [int(g) for g in mqtt.groups()]
    h = [int(g) for g in history.groups()]
    return GatewayReport(user, Counter(_ALERT_LINE.findall(text)), *m, *h)
