"""Issue 16: a short sensor dropout pauses the live bout clock instead of restarting it
(the live engine follows analytics.streaming and analytics.alert_rules)."""

from __future__ import annotations

import itertools

import numpy as np

from analytics.compression import BoutEnd, CompressionBout
from analytics.records import Recording
from collector.service.engine import LiveEngine
from collector.sources.messages import Role, SampleBlock
from tests.analytics.signals import Part, build

T0 = 1_795_420_800.0  # Monday 08:00 UTC


def replay(rec: Recording) -> tuple[list[tuple[str, float, str]], list[CompressionBout]]:
    """Feed the recording second by second, as a replay does: (kind, t - T0, message)
    of every stand prompt, and the bouts released."""
    eng = LiveEngine({Role.THIGH, Role.TRUNK})
    t = rec.t_s
    cuts = np.searchsorted(t, np.arange(t[0], t[-1] + 2, 1.0))
    alerts, bouts = [], []
    assert rec.trunk_acc_g is not None
    for a, c in itertools.pairwise(cuts):
        if c > a:
            eng.accept(SampleBlock("a", "x", Role.THIGH, t[a:c], acc_g=rec.thigh_acc_g[a:c]))
            eng.accept(SampleBlock("b", "x", Role.TRUNK, t[a:c], acc_g=rec.trunk_acc_g[a:c]))
            out = eng.process()
            alerts += out.alerts
            bouts += out.bouts
    out = eng.process(flush=True)
    alerts += out.alerts
    bouts += out.bouts
    prompts = [
        (a.kind.value, a.t_s - T0, a.message)
        for a in alerts
        if a.kind.value in ("prompt", "escalation")
    ]
    return prompts, bouts


def test_issue_16_an_11_s_dropout_in_a_42_minute_sit() -> None:
    parts = [
        Part("walk", 120),
        Part("stand", 60),
        Part("sit", 1500),
        Part("gap", 11),  # no samples at all: a Bluetooth dropout
        Part("sit", 1020),
        Part("stand", 300),
        Part("sit", 60),
    ]
    rec = build(parts, seed=2, trunk=True, t0_s=T0).recording
    prompts, bouts = replay(rec)
    sit = 180.0
    assert [(k, t) for k, t, _ in prompts] == [
        ("prompt", sit + 1800 + 11),  # 30 min of bout time, the dropout not counted
        ("escalation", sit + 2400 + 11),
    ]
    assert prompts[0][2].startswith("You have been sitting for 30 min")
    first = bouts[0]
    assert (first.start_s - T0, first.ended_by) == (sit, BoutEnd.BREAK)
    assert (first.duration_s, first.paused_s, first.seated_s) == (2520.0, 11.0, 2520.0)
