"""A command flood against a running ``sitload run`` (issue 16, finding 7).

Starts a Mosquitto (tests/brokers.py: password file and ACL) and ``sitload run``
on a simulated desk day, waits until it runs, publishes ``--n`` ``ack`` commands
at QoS 0 as fast as the client can, then a last ``snooze 3`` at QoS 1, and
watches for ``--settle`` seconds. Reports:

* how many commands the service applied, refused and dropped (its stop line),
* ``rejected`` alerts published on the alert topic, command replies received,
* ``rejected`` rows in the SQLite history,
* the service's resident memory before the flood and at its peak after.

    python bench/command_flood.py [--n 100000] [--settle 20]

Run from a checkout with ``PYTHONPATH`` set to it (``sitload run`` is started as
``python -m collector.cli`` and imports that checkout).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.brokers import Mosquitto, Subscriber

USER = "alice"
BASE = f"sitload/{USER}"


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--settle", type=float, default=20.0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="sitload-flood-") as tmp_text:
        tmp = Path(tmp_text)
        broker = Mosquitto(tmp / "broker", {USER: "alice-pw"}).start()
        try:
            cfg = tmp / "sitload.toml"
            cfg.write_text(
                f"""
[user]
id = "{USER}"
timezone = "UTC"
[source]
kind = "simulate"
speed = 1
[mqtt]
url = "mqtt://127.0.0.1:{broker.port}"
username = "{USER}"
password = "alice-pw"
[console]
enabled = false
[state]
dir = "{tmp / "state"}"
[history]
url = "sqlite:///{tmp / "history.db"}"
""",
                encoding="utf-8",
            )
            log_path = tmp / "run.log"
            with open(log_path, "wb") as log:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "collector.cli", "-v", "run", "--config", str(cfg)],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    env={**os.environ, "PYTHONUNBUFFERED": "1"},
                )
            user, pw = broker.credentials("admin")
            topics = [f"{BASE}/availability", f"{BASE}/alert", f"{BASE}/command/reply"]
            with (
                Subscriber(broker.port, topics, username=user, password=pw) as sub,
                Subscriber(broker.port, [], username=user, password=pw) as flood,
            ):
                sub.wait_for(
                    lambda ms: any(m.topic == f"{BASE}/availability" for m in ms), 60, "online"
                )
                time.sleep(2.0)
                before = rss_kib(proc.pid)
                t0 = time.monotonic()
                for _ in range(args.n):
                    flood.client.publish(f"{BASE}/command", "ack", qos=0)
                flood.publish(f"{BASE}/command", "snooze 3", timeout_s=120)
                sent_s = time.monotonic() - t0
                peak = before
                end = time.monotonic() + args.settle
                while time.monotonic() < end and proc.poll() is None:
                    peak = max(peak, rss_kib(proc.pid))
                    time.sleep(0.2)
                proc.send_signal(signal.SIGTERM)
                t_stop = time.monotonic()
                while proc.poll() is None:  # the backlog may take long to apply
                    peak = max(peak, rss_kib(proc.pid))
                    time.sleep(0.2)
                    if time.monotonic() - t_stop > 900:
                        proc.kill()
                stop_s = time.monotonic() - t_stop
                time.sleep(0.5)
                alerts = [m.json() for m in sub.on(f"{BASE}/alert")]
                replies = sub.on(f"{BASE}/command/reply")
            text = log_path.read_text(errors="replace")
        finally:
            broker.stop(kill=True)
        db = sqlite3.connect(tmp / "history.db")
        rows = db.execute("SELECT COUNT(*) FROM event WHERE kind = 'rejected'").fetchone()[0]
        db.close()
    stop = " ".join(text.split("stopped (")[-1].split()) if "stopped (" in text else "?"
    sink = re.search(r"MQTT sink stopped \(([^)]*)\)", text)
    print(f"flood: {args.n:,} 'ack' at QoS 0 + 1 'snooze 3', published in {sent_s:.1f} s")
    print(f"service stop line: stopped ({stop}")
    print(f"MQTT sink: {sink.group(1) if sink else '?'}")
    print(f"'rejected' alerts on {BASE}/alert: {sum(a['kind'] == 'rejected' for a in alerts):,}")
    print(f"command replies: {len(replies):,}")
    print(f"'rejected' rows in the history: {rows:,}")
    warnings = len(re.findall(r"faster\s+than", text))
    print(f"warnings 'faster than': {warnings}")
    print(f"RSS before {before / 1024:.0f} MB, peak after {peak / 1024:.0f} MB")
    print(f"stopped {stop_s:.1f} s after SIGTERM")


if __name__ == "__main__":
    main()
