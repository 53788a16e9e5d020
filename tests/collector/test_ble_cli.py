"""The BLE commands end to end: ``simulate --ble`` streams a simulated recording
from virtual sensors through scan, connect, notify, decode and the recorder."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from analytics.pipeline import analyze_recording
from analytics.records import Recording
from analytics.summary import agreement
from collector.ble.drivers import SensorKind
from collector.ble.session import SetupError, parse_device, unique_labels
from collector.cli import main
from collector.recordings import load_recording
from collector.sources.messages import Gap, Message, Role, SampleBlock
from collector.sources.replay import ReplaySource
from collector.sources.simulator import simulate


def test_simulate_over_ble_records_what_the_sensors_sent(tmp_path: Path) -> None:
    out = tmp_path / "ble.csv"
    result = CliRunner().invoke(
        main, ["simulate", "--ble", "--hours", "0.1", "--speed", "100", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    direct = simulate("desk", 0.1, 1).recording
    got = load_recording(out).recording
    assert got.thigh_acc_g is not None
    assert direct.thigh_acc_g is not None
    thigh = ~np.isnan(got.thigh_acc_g[:, 0])
    assert int(thigh.sum()) == int((~np.isnan(direct.thigh_acc_g[:, 0])).sum())
    # the same samples (to the sensor's 1/4096 g resolution), in order
    sent = direct.thigh_acc_g[~np.isnan(direct.thigh_acc_g[:, 0])]
    assert np.allclose(got.thigh_acc_g[thigh], sent, atol=1 / 4096)
    session = json.loads((tmp_path / "ble.csv.session.json").read_text())
    assert session["devices"]["thigh"]["lost_packets"] == 0
    assert session["devices"]["thigh"]["decode_errors"] == 0
    # and the posture from the BLE copy agrees with the simulator's truth
    sim = simulate("desk", 0.1, 1)
    analysis = analyze_recording(got)
    agree, _ = agreement(analysis.timeline, sim.truth)
    assert agree > 0.9


@pytest.mark.parametrize(
    ("text", "kind", "address", "name", "role"),
    [
        ("sitload-imu", SensorKind.SITLOAD_IMU, None, None, None),
        ("witmotion:WT901BLE68/trunk", SensorKind.WITMOTION, None, "WT901BLE68", Role.TRUNK),
        ("csc:C4:12:34:56:78:9A", SensorKind.CSC, "C4:12:34:56:78:9A", None, None),
    ],
)
def test_parse_device(
    text: str, kind: SensorKind, address: str | None, name: str | None, role: Role | None
) -> None:
    spec = parse_device(text)
    assert (spec.kind, spec.address, spec.name, spec.role) == (kind, address, name, role)


def test_parse_device_errors_and_labels() -> None:
    with pytest.raises(SetupError, match="unknown sensor kind 'imu'"):
        parse_device("imu")
    with pytest.raises(SetupError, match="unknown role 'knee'"):
        parse_device("sitload-imu/knee")
    specs = unique_labels([parse_device("sitload-imu"), parse_device("sitload-imu")])
    assert [s.label for s in specs] == ["thigh", "thigh2"]


def test_record_refuses_a_session_without_thigh_or_seat(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["record", "--device", "csc", "--out", str(tmp_path / "x.csv"), "--duration", "0.1"]
    )
    assert result.exit_code == 2
    assert "needs a thigh sensor or a seat mat" in result.output


def test_replay_goes_through_the_same_messages_with_explicit_gaps() -> None:
    sim = simulate("desk", 0.5, 3)
    full = sim.recording
    assert full.thigh_acc_g is not None
    # cut two holes (a sensor out of range) so the gaps are known
    keep = ~(
        ((full.t_s > full.t_s[0] + 300) & (full.t_s < full.t_s[0] + 340))
        | ((full.t_s > full.t_s[0] + 900) & (full.t_s < full.t_s[0] + 905))
    )
    rec = Recording(t_s=full.t_s[keep], thigh_acc_g=full.thigh_acc_g[keep])
    messages: list[Message] = []

    async def emit(m: Message) -> None:
        messages.append(m)

    source = ReplaySource(rec, emit, speed=float("inf"), block_s=5.0)
    asyncio.run(source.run())
    blocks = [m for m in messages if isinstance(m, SampleBlock) and m.role is Role.THIGH]
    t = np.concatenate([b.t_s for b in blocks])
    assert rec.thigh_acc_g is not None
    assert t.shape[0] == int((~np.isnan(rec.thigh_acc_g[:, 0])).sum())
    assert np.all(np.diff(t) > 0)
    gaps = [m for m in messages if isinstance(m, Gap) and m.device == "replay-thigh"]
    spacing = np.diff(t)
    assert len(gaps) == int((spacing > 2.0).sum()) == 2
    assert [round(g.duration_s) for g in gaps] == [40, 5]


def test_record_without_an_adapter_exits_2_in_one_line_and_writes_nothing(
    tmp_path: Path,
) -> None:
    """Without BlueZ (no system D-Bus here) ``record`` used to retry, exit 0 and say
    "recorded 0 rows to X" with X never created."""
    import subprocess
    import sys

    out = tmp_path / "rec.csv"
    env = {"DBUS_SYSTEM_BUS_ADDRESS": f"unix:path={tmp_path / 'no-bus'}", "PATH": "/usr/bin"}
    cmd = [sys.executable, "-m", "collector.cli", "record", "--device", "sitload-imu"]
    done = subprocess.run(
        [*cmd, "--out", str(out), "--duration", "0.1"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("sitload: error: no Bluetooth adapter can be reached")
    assert not out.exists()
