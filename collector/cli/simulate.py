"""``sitload simulate``: a realistic simulated recording and its ground truth (from
hours, or whole calendar days; optionally streamed through virtual BLE sensors)."""

from __future__ import annotations

from pathlib import Path

import click

from collector.cli.ble import simulate_over_ble
from collector.cli.common import fail
from collector.plural import counted
from collector.recordings import write_recording
from collector.recordings.errors import RecordingError
from collector.sources.simulator import simulate
from collector.timeline_io import write_timeline


@click.command(name="simulate")
@click.option(
    "--profile", type=click.Choice(["desk", "cyclist"]), default="desk", show_default=True
)
@click.option(
    "--hours", type=click.FloatRange(min=0.05, max=24 * 14), default=8.0, show_default=True
)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    required=True,
    help="Recording to write (.csv or .parquet).",
)
@click.option(
    "--truth",
    type=click.Path(path_type=Path),
    help="Ground-truth timeline to write [default: OUT with .truth.csv].",
)
@click.option(
    "--trunk/--no-trunk", default=True, show_default=True, help="Simulate a trunk sensor."
)
@click.option(
    "--seat/--no-seat", default=False, show_default=True, help="Simulate an 8x8 seat mat."
)
@click.option(
    "--fs",
    "fs_hz",
    type=click.FloatRange(min=5, max=400),
    help="Sampling rate, Hz [default: 50; with --days 10].",
)
@click.option(
    "--days",
    type=click.IntRange(1, 62),
    help="Whole local days on the calendar instead of --hours: nights in bed, working "
    "days, different weekends, now and then a day without the sensor (desk profile).",
)
@click.option(
    "--start",
    "start_text",
    metavar="DATE",
    help="First day for --days, YYYY-MM-DD [default: --days days before today].",
)
@click.option("--tz", metavar="ZONE", help="Time zone of --days [default: this machine's].")
@click.option(
    "--ble",
    is_flag=True,
    help="Stream the simulation from virtual BLE sensors (an in-process radio) through "
    "the whole BLE collector, and write what it received.",
)
@click.option(
    "--speed",
    type=click.FloatRange(min=1, max=2000),
    default=60.0,
    show_default=True,
    help="With --ble: how many times faster than real time the sensors stream.",
)
def simulate_cmd(
    profile: str,
    hours: float,
    seed: int,
    out: Path,
    truth: Path | None,
    trunk: bool,
    seat: bool,
    fs_hz: float | None,
    days: int | None,
    start_text: str | None,
    tz: str | None,
    ble: bool,
    speed: float,
) -> None:
    """Write a realistic simulated recording and, beside it, its ground truth."""
    if ble:
        from collector.extras import require

        require("bumble", "simulate --ble (the virtual BLE radio)")
    if days is not None:
        from collector.sources.sim_days import (
            morning_pain,
            simulate_calendar,
            write_pain_diary,
        )

        try:
            cal = simulate_calendar(days, start_text, tz, seed, fs_hz, trunk, profile, seat)
        except ValueError as exc:
            fail(str(exc))
            return
        sim = cal.simulated
        click.echo(cal.summary())
        diary = out.with_name(out.stem + ".pain.csv")
        try:
            write_pain_diary(morning_pain(cal, seed), diary)
        except OSError as exc:
            fail(f"cannot write the pain diary: {exc}")
        click.echo(f"wrote {diary} (morning pain scores; sitload pain import reads it)")
    else:
        sim = simulate(profile, hours, seed, fs_hz=fs_hz or 50.0, trunk=trunk, seat=seat)  # type: ignore[arg-type]
    truth_path = truth or out.with_name(out.stem + ".truth.csv")
    if ble:
        simulate_over_ble(sim.recording, out, speed)
    try:
        if not ble:
            write_recording(sim.recording, out)
        write_timeline(sim.truth, truth_path)
    except (OSError, RecordingError) as exc:
        fail(f"cannot write the simulation: {exc}")
    click.echo(f"wrote {out} ({counted(sim.recording.n, 'sample')}) and {truth_path}")
