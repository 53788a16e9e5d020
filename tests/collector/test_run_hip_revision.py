"""The live service's revision of stored hip angles (issue 11) end to end in this
process: a replay over a local midnight into a SQLite history, whose first stance
leans a little and is the only reference for the first sitting. After the run the
history's seconds, its daily rows, the day summaries and ``sitload report``'s
per-day table all give the revised minutes beyond 90°, not the ones the prompts saw."""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import itertools
from pathlib import Path

import numpy as np
from click.testing import CliRunner

from analytics.hip_revision import HipRevision, hip_gt90_s, revised_over
from analytics.live_steps import run_steps
from analytics.pipeline import analyze_recording
from analytics.records import Recording
from collector.cli import main
from collector.recordings import write_recording
from collector.service.app import make_service, open_history
from collector.service.engine import LiveEngine
from collector.sinks.history.sqlite_store import SqliteStore
from collector.sources.messages import Role, SampleBlock
from tests.analytics.signals import Part, build, random_rotation
from tests.collector.test_service_runner import MemorySink, settings_for

MIDNIGHT = 1_795_478_400  # Tuesday 00:00 UTC
DAY_S = 86400
ONE_STANCE_FIRST = [
    Part("walk", 60),
    Part("stand", 20, theta_deg=4.0, phi_deg=4.0),  # the only stance for a while, leaning
    Part("sit", 1800, phi_deg=6.0),  # hip 94°
    Part("stand", 600),  # upright: the reference moves here
    Part("sit", 2400, phi_deg=6.0),  # midnight passes 1,000 s into it
    Part("walk", 60),
]
START_S = MIDNIGHT - 3480.0


def in_process(rec: Recording) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """The same data through the engine here: posture, the hip angles as the prompts
    saw them and as revised (at midnight and at the end of the run)."""
    eng = LiveEngine({Role.THIGH, Role.TRUNK})
    t = rec.t_s
    assert rec.thigh_acc_g is not None
    assert rec.trunk_acc_g is not None
    cuts = np.searchsorted(t, np.arange(t[0], t[-1] + 2, 1.0))
    steps = [
        [
            SampleBlock("a", "x", Role.THIGH, t[a:c], acc_g=rec.thigh_acc_g[a:c]),
            SampleBlock("b", "x", Role.TRUNK, t[a:c], acc_g=rec.trunk_acc_g[a:c]),
        ]
        for a, c in itertools.pairwise(cuts)
        if c > a
    ]
    revisions: list[HipRevision] = []
    parts = run_steps(eng, steps, revisions)
    revisions += eng.revise_day()
    t0 = parts[0].t0_s
    prompt = np.concatenate([p.hip_flexion_deg for p in parts])
    revised = prompt
    for rev in revisions:
        revised = revised_over(t0, revised, rev)
    return t0, np.concatenate([p.posture for p in parts]), prompt, revised


def test_the_history_and_every_reading_of_it_get_the_revised_minutes(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    rec = build(
        ONE_STANCE_FIRST,
        seed=3,
        trunk=True,
        mounting=random_rotation(rng),
        trunk_mounting=random_rotation(rng),
        t0_s=START_S,
    ).recording
    path = tmp_path / "day.csv"
    write_recording(rec, path)
    db = tmp_path / "history.db"
    settings = dataclasses.replace(
        settings_for(path, tmp_path / "state"), history_url=f"sqlite:///{db}"
    )
    sink = MemorySink()
    service = make_service(settings, [sink], history=open_history(settings))
    summary = asyncio.run(service.run(handle_signals=False))
    assert summary.stopped_by == "end of data"

    t0, posture, prompt, revised = in_process(rec)
    first = slice(0, MIDNIGHT - t0)
    second = slice(MIDNIGHT - t0, None)
    revised_s = [hip_gt90_s(posture[d], revised[d]) for d in (first, second)]
    prompt_s = [hip_gt90_s(posture[d], prompt[d]) for d in (first, second)]
    # the case: the prompts saw the first evening's first sitting below 90°
    assert revised_s[0] >= 2700
    assert prompt_s[0] < 0.5 * revised_s[0]
    batch = analyze_recording(rec).timeline
    b0 = t0 - batch.t0_s
    batch_first = hip_gt90_s(
        batch.posture[b0 : b0 + first.stop], batch.hip_flexion_deg[b0 : b0 + first.stop]
    )
    assert abs(revised_s[0] - batch_first) <= 0.01 * batch_first

    store = SqliteStore(db)
    try:
        chunk = store.read_timeline(settings.user_id, t0, t0 + posture.shape[0])
        daily = store.read_daily(settings.user_id, MIDNIGHT - DAY_S, MIDNIGHT + DAY_S)
    finally:
        store.close()
    assert np.array_equal(chunk.posture, posture)
    stored = chunk.hip_flexion_deg.astype(np.float64)
    stored_s = [hip_gt90_s(chunk.posture[d], stored[d]) for d in (first, second)]
    assert stored_s == revised_s
    # the daily rows: the revised totals
    assert [d.date for d in daily] == ["2026-11-23", "2026-11-24"]
    assert [d.hip_gt90_s for d in daily] == revised_s
    # the day summaries (console, MQTT, Home Assistant)
    assert [r.summary.hip_gt90_s for r in sink.days] == revised_s
    # the report's per-day table, read from the history
    out = tmp_path / "report.csv"
    result = CliRunner().invoke(
        main,
        [
            "report",
            "--history",
            f"sqlite:///{db}",
            "--user",
            settings.user_id,
            "--tz",
            "UTC",
            "--from",
            "2026-11-23",
            "--to",
            "2026-11-24",
            "--format",
            "csv",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [float(r["hip_gt90_min"]) for r in rows] == [round(s / 60.0, 1) for s in revised_s]
