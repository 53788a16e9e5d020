"""The recorder: union of sample times, rows appended up to the watermark,
late samples counted, the session sidecar."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import numpy as np
import pytest

from collector.recorder import Recorder
from collector.recordings import load_recording
from collector.sources.messages import Gap, GapReason, Role, SampleBlock


def block(role: Role, t: np.ndarray) -> SampleBlock:
    acc = np.tile([0.0, 0.0, 1.0], (t.shape[0], 1))
    return SampleBlock(role.value, "test", role, t, acc_g=acc)


def test_interleaved_devices_keep_their_own_times(tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    rec = Recorder(out, {Role.THIGH, Role.TRUNK}, flush_every_s=1.0)

    async def feed() -> None:
        for k in range(10):  # 10 s: thigh at 50 Hz, trunk at 25 Hz offset by 5 ms
            thigh = 100.0 + k + np.arange(50) / 50
            trunk = 100.005 + k + np.arange(25) / 25
            await rec.accept(block(Role.THIGH, thigh))
            await rec.accept(block(Role.TRUNK, trunk))
            if k == 4:
                assert rec.rows > 0  # appended while running, not only at the end
        await rec.accept(block(Role.TRUNK, np.array([100.5])))  # behind the watermark
        await rec.accept(Gap("thigh", 109.98, 120.0, GapReason.DISCONNECTED))

    asyncio.run(feed())
    rec.close()
    loaded = load_recording(out).recording
    assert loaded.thigh_acc_g is not None
    assert loaded.trunk_acc_g is not None
    assert loaded.t_s.shape == (750,)
    assert int((~np.isnan(loaded.thigh_acc_g[:, 0])).sum()) == 500
    assert int((~np.isnan(loaded.trunk_acc_g[:, 0])).sum()) == 250
    assert np.all(np.diff(loaded.t_s) > 0)
    assert rec.late_dropped == 1
    session = json.loads((tmp_path / "r.csv.session.json").read_text())
    assert session["gaps"][0]["reason"] == "disconnected"
    assert session["late_dropped"] == 1


def test_a_recording_needs_thigh_or_seat(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="thigh sensor or a seat mat"):
        Recorder(tmp_path / "x.csv", {Role.TRUNK, Role.BIKE})
