"""The day summary of ``sitload run`` (issue 18) end to end on a real Mosquitto: a replay
over two local days publishes one summary per day (at midnight, and for the last day at
the end) on the console, as the retained ``daily`` message and as Home Assistant
sensors, with the figures of ``analyze --json``'s daily code.

Which timeline the figures are compared on: the summary is made from the live engine's
timeline, which is what the history keeps. The exact comparison is with ``analyze
--json``'s daily code (exposure_report, report_dict) applied to the stored history
timeline. The comparison with ``analyze --json FILE`` (the batch timeline) is exact for
every posture figure once the test has checked that the live posture equals the batch
posture second by second; the hip figure differs (the live engine learns the trunk's
forward direction during the run, the batch from the whole file), within 5 % + 1 min.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from analytics.alert_records import STAND_PROMPTS, AlertKind
from analytics.compression import ExposureParams
from analytics.day_summary import DaySummary
from analytics.exposure import exposure_report
from analytics.records import Timeline
from collector.output import report_dict
from collector.recordings import write_recording
from collector.sinks.day_report import DayReport, daily_payload, day_lines
from collector.sinks.history.sqlite_store import SqliteStore
from tests.analytics.signals import Part, build
from tests.brokers import Mosquitto, require_mosquitto
from tests.collector.run_service_harness import (
    BASE,
    T0,
    USER,
    admin,
    alice_and_bob_broker,
    finish,
    start_run,
    write_config,
)

EVENING = T0 + 14 * 3600.0  # Monday 22:00 UTC
TWO_DAYS = [
    Part("walk", 120),
    Part("stand", 60),
    Part("sit", 2400, phi_deg=15.0),  # leaning forward: hip past 90°
    Part("stand", 180),
    Part("sit", 900),
    Part("walk", 30),  # a micro-break
    Part("sit", 1100),
    Part("walk", 300),
    Part("stand", 2400),  # standing at midnight: no bout crosses it
    Part("sit", 3900),  # over an hour
    Part("stand", 200),
    Part("sit", 600),
    Part("walk", 60),
]
WEAR_RULE_S = ExposureParams().valid_day_wear_s


@pytest.fixture(autouse=True)
def _needs_mosquitto() -> None:
    require_mosquitto()


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    yield from alice_and_bob_broker(tmp_path)


def analyze_json(path: Path) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "collector.cli", "analyze", str(path), "--json", "--tz", "UTC"],
        capture_output=True,
        check=True,
    )
    doc: dict[str, Any] = json.loads(out.stdout)
    return doc


def summaries_of(doc: dict[str, Any], adherence: dict[str, tuple[int, int]]) -> list[DaySummary]:
    """``analyze --json``'s days (and bouts) as day summaries: the expected figures."""
    out = []
    for i, day in enumerate(doc["days"]):
        bouts = [
            b["duration_s"]
            for b in doc["bouts"]
            if dt.datetime.fromtimestamp(b["start_s"], dt.UTC).date().isoformat() == day["date"]
        ]
        prompted, taken = adherence.get(day["date"], (0, 0))
        out.append(
            DaySummary(
                date=day["date"],
                complete=i < len(doc["days"]) - 1,
                wear_s=day["wear_s"],
                valid=day["valid"],
                sitting_s=day["sitting_s"],
                compression_s=day["compression_s"],
                bouts_gt30=sum(1 for d in bouts if d > 1800),
                bouts_gt60=sum(1 for d in bouts if d > 3600),
                longest_bout_s=max(bouts, default=0.0),
                breaks_taken=day["breaks_taken"],
                micro_breaks=day["micro_breaks"],
                hip_gt90_s=day["hip_flexion_gt90_s"],
                prompted=prompted,
                taken_after_prompt=taken,
            )
        )
    return out


def ha_state(config: dict[str, Any], payload: dict[str, Any]) -> Any:
    """What Home Assistant shows for a discovery config's template over ``payload``
    (the two template shapes the sink uses)."""
    template = config["value_template"]
    m = re.fullmatch(r"\{\{ value_json\.(\w+) \}\}", template)
    if m:
        return payload[m.group(1)]
    m = re.fullmatch(r"\{\{ 'ON' if value_json\.(\w+) else 'OFF' \}\}", template)
    assert m, template
    return "ON" if payload[m.group(1)] else "OFF"


def test_two_local_days_give_two_summaries_with_analyzes_figures(
    broker: Mosquitto, tmp_path: Path
) -> None:
    rec = build(TWO_DAYS, seed=4, trunk=True, t0_s=EVENING, fs_hz=25.0).recording
    path = tmp_path / "two-days.csv"
    write_recording(rec, path)
    cfg = write_config(tmp_path, path, broker.port, speed=1e6)
    with admin(broker, [f"{BASE}/daily", f"{BASE}/alert", "homeassistant/#"]) as sub:
        out = finish(start_run(cfg, tmp_path), tmp_path, timeout_s=240)
        sub.wait_for(lambda ms: len(ms_on(ms, "daily")) >= 2, 30, "two daily messages")
        time.sleep(0.3)
        got = sub.snapshot()
    dailies = [m.json() for m in got if m.topic == f"{BASE}/daily"]
    alerts = [m.json() for m in got if m.topic == f"{BASE}/alert"]
    configs = {
        m.json()["unique_id"]: m.json()
        for m in got
        if m.topic.startswith("homeassistant/") and m.payload
    }
    with admin(broker, [f"{BASE}/daily"]) as late:
        retained = late.wait_for(lambda ms: len(ms) >= 1, 30, "the retained daily")[0]
    assert retained.retain

    # adherence: the stand prompts of each day and the last counters the alerts carried
    adherence: dict[str, tuple[int, int]] = {}
    for a in sorted({a["id"]: a for a in alerts}.values(), key=lambda a: a["t_s"]):
        if a.get("adherence"):
            adherence[a["adherence"]["date"]] = (
                a["adherence"]["prompted"],
                a["adherence"]["taken"],
            )
    assert sum(1 for a in alerts if AlertKind(a["kind"]) in STAND_PROMPTS) > 0

    # 1. the live timeline, as the history keeps it, through analyze --json's daily code
    store = SqliteStore(tmp_path / "history.db")
    chunk = store.read_timeline(USER, float(rec.t_s[0]) - 5, float(rec.t_s[-1]) + 5)
    live = Timeline(chunk.t0_s, chunk.posture, chunk.hip_flexion_deg.astype(np.float64))
    history_doc = report_dict(exposure_report(live, ExposureParams(), tz="UTC"))
    expected = summaries_of(history_doc, adherence)
    assert [s.date for s in expected] == ["2026-11-23", "2026-11-24"]
    history = dailies[0]["history"]  # where the history went, without a password
    assert history.startswith("sqlite:")
    assert history.endswith(str(tmp_path / "history.db"))
    reports = [DayReport(s, USER, history, WEAR_RULE_S) for s in expected]

    # one daily message per local day, in order; the retained one is the last day's
    for d, r in zip(dailies, reports, strict=True):
        want = daily_payload(r)
        assert {k: (v, want.get(k)) for k, v in d.items() if v != want.get(k)} == {}
    assert dailies == [daily_payload(r) for r in reports]
    assert retained.json() == daily_payload(reports[-1])
    assert (dailies[0]["bouts_gt30min"], dailies[1]["bouts_gt60min"]) == (2, 1)
    assert dailies[0]["hip_gt90_min"] > 10
    assert dailies[0]["micro_breaks"] >= 1
    # the console block of each day
    for r in reports:
        block = "\n".join(day_lines(r))
        assert block in out, (block, out[-3000:])
    end = out.splitlines()[-1]
    assert "2 day summaries" in end
    assert "alert (" not in end  # no count of internal alert kinds
    # Home Assistant: every daily sensor shows the last day's figure
    daily_configs = [c for c in configs.values() if c.get("state_topic") == f"{BASE}/daily"]
    assert len(daily_configs) == 8
    shown = {c["unique_id"]: ha_state(c, retained.json()) for c in daily_configs}
    last = daily_payload(reports[-1])
    assert shown == {
        f"sitload_{USER}_day_sitting": last["sitting_min"],
        f"sitload_{USER}_day_bouts_gt30": last["bouts_gt30min"],
        f"sitload_{USER}_day_bouts_gt60": last["bouts_gt60min"],
        f"sitload_{USER}_day_longest_bout": last["longest_bout_min"],
        f"sitload_{USER}_day_breaks_after_prompts": last["breaks_after_prompts"],
        f"sitload_{USER}_day_micro_breaks": last["micro_breaks"],
        f"sitload_{USER}_day_hip_gt90": last["hip_gt90_min"],
        f"sitload_{USER}_day_valid": "ON" if last["valid_day"] else "OFF",
    }

    # 2. analyze --json of the file: the batch timeline
    batch = analyze_json(path)
    batch_tl = read_batch_posture(path, tmp_path)
    lo, hi = max(live.t0_s, batch_tl[0]), min(live.t0_s + live.n, batch_tl[0] + len(batch_tl[1]))
    same = (
        live.posture[lo - live.t0_s : hi - live.t0_s]
        == batch_tl[1][lo - batch_tl[0] : hi - batch_tl[0]]
    )
    assert same.all(), f"live and batch posture differ at {np.flatnonzero(~same)[:10]}"
    for got_day, want in zip(expected, summaries_of(batch, adherence), strict=True):
        hip_tolerance_s = 0.05 * want.hip_gt90_s + 60.0
        assert abs(got_day.hip_gt90_s - want.hip_gt90_s) <= hip_tolerance_s
        posture_figures = {
            k: getattr(got_day, k)
            for k in DaySummary.__dataclass_fields__
            if k not in ("hip_gt90_s", "wear_s")
        }
        assert posture_figures == {k: getattr(want, k) for k in posture_figures}
        assert abs(got_day.wear_s - want.wear_s) <= 2.0  # the live engine's last second


def ms_on(ms: list[Any], leaf: str) -> list[Any]:
    return [m for m in ms if m.topic == f"{BASE}/{leaf}"]


def read_batch_posture(path: Path, tmp: Path) -> tuple[int, np.ndarray]:
    from collector.timeline_io import read_timeline

    out = tmp / "batch-timeline.csv"
    subprocess.run(
        [sys.executable, "-m", "collector.cli", "analyze", str(path), "--timeline", str(out)],
        capture_output=True,
        check=True,
    )
    tl = read_timeline(out)
    return tl.t0_s, tl.posture
