"""The ``sitload`` command line. The only place logging is configured."""

from __future__ import annotations

import dataclasses
import logging
import sys
import tempfile
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from analytics.calibration_errors import CalibrationError
from analytics.compression import ExposureParams
from analytics.exposure import ExposureReport, exposure_report
from analytics.pipeline import Analysis
from analytics.records import SeatLayout
from analytics.segments import TimeJumpParams
from analytics.summary import agreement, combine, summarize
from collector import ride_analyze as rides
from collector.analyze_inputs import AnalyzeInputs
from collector.output import (
    DAY_COLUMNS,
    DAY_NOTE,
    analysis_dict,
    calibration_limits,
    day_rows,
    report_dict,
    seat_dict,
    segment_dict,
    summary_lines,
    to_json,
)
from collector.pain_cli import PainCommand
from collector.recording_analysis import FileAnalysis, analyze_file
from collector.recordings import (
    FORMATS,
    is_event_file,
    load_events,
    write_recording,
)
from collector.recordings.activpal_repair import RowRepair
from collector.recordings.errors import RecordingError
from collector.renamed_option import renamed_option
from collector.sources.simulator import simulate
from collector.timeline_io import whole_seconds, write_timeline, write_timelines
from collector.timezone import local_zone_name
from collector.user_option import user_option

EXIT_USAGE = 2
_DEFAULTS = ExposureParams()
log = logging.getLogger(__name__)


def _fail(message: str) -> None:
    click.echo(f"sitload: error: {message}", err=True)
    sys.exit(EXIT_USAGE)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
def main(verbose: int) -> None:
    """sitload: sitting-compression monitoring for proximal hamstring tendinopathy."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


def _parse_layout(text: str | None) -> SeatLayout | None:
    if text is None:
        return None
    try:
        rows, cols = (int(x) for x in text.lower().split("x"))
    except ValueError:
        _fail(f"--seat-layout {text!r}: expected ROWSxCOLUMNS, for example 8x8")
    return SeatLayout.grid(rows, cols)


def _analyze_file(
    path: Path,
    fmt: str,
    seat_layout: SeatLayout | None = None,
    inputs: AnalyzeInputs | None = None,
    jumps: TimeJumpParams | None = None,
) -> FileAnalysis:
    try:
        return analyze_file(path, fmt, seat_layout, jumps=jumps, inputs=inputs)
    except (CalibrationError, ValueError) as exc:
        _fail(f"{path}: {exc}")
        raise  # unreachable: _fail exits


def _print_summary(console: Console, title: str, analysis: Analysis, warnings: list[str]) -> None:
    table = Table(title=title, show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    for label, value in summary_lines(summarize(analysis.timeline)):
        table.add_row(label, value)
    console.print(table)
    cal = analysis.thigh
    if cal is not None:
        console.print(
            f"calibration: {cal.source}, confidence {cal.confidence:.2f}, seated beyond "
            f"{cal.sit_threshold_deg:.0f}° of thigh inclination"
            f"{', trunk sensor used for hip angle' if analysis.trunk else ''}"
        )
        for limit in calibration_limits(cal):
            console.print(f"[yellow]low confidence:[/yellow] {limit}")
    if analysis.seat is not None:
        seat = seat_dict(analysis.seat)
        console.print(
            f"seat mat: occupied {seat['occupied_s'] // 60} min, "
            f"slumped {seat['slumped_s'] // 60} min, "
            f"empty-seat baseline {seat['baseline_source']}"
        )
    for w in warnings:
        console.print(f"[yellow]warning:[/yellow] {w}")


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.argument("more_files", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--ride",
    type=click.Path(path_type=Path, dir_okay=False),
    help="A FIT ride of the same time: its cadence joins the recording (Unix-time t_s).",
)
@click.option(
    "--offset",
    metavar="TIME",
    help="With --ride: the Unix time (or ISO time with zone) of the recording's t_s = 0.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="auto",
    show_default=True,
    help="Input format.",
)
@click.option(
    "--timeline",
    "timeline_out",
    type=click.Path(path_type=Path),
    help="Write the per-second timeline CSV (t_s,posture,hip_flexion_deg) here.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
@click.option(
    "--seat-layout",
    metavar="ROWSxCOLS",
    help="Seat-mat grid, cells seat_p00.. row-major back to front [default: square].",
)
@click.option(
    "--calibrate-from",
    metavar="START-END",
    help="Calibrate the thigh sensor from this stretch of standing still (seconds or "
    "M:SS from the start of the recording, e.g. 2:00-2:15), instead of automatically.",
)
@click.option(
    "--calibrate-file",
    type=click.Path(path_type=Path),
    help="Calibrate the thigh sensor from this recording of standing still.",
)
@click.option(
    "--seat-baseline",
    metavar="VALUES",
    help="The seat mat's empty reading, one value per cell (commas) or one for all, "
    "in the file's unit [default: learned from the recording].",
)
@click.option(
    "--tz",
    metavar="ZONE",
    help="Time zone for calendar days of Unix-time recordings (IANA name) "
    "[default: this machine's]. activPAL exports are on the local clock already.",
)
@click.option(
    "--period-hours",
    type=click.FloatRange(min=0.25, max=24),
    help="Also summarise wall-clock periods of this many hours (e.g. 2).",
)
@renamed_option(
    "--break-s",
    "--break-min",
    "break_s",
    _DEFAULTS.break_s,
    type=click.FloatRange(min=1),
    show_default=True,
    help="Seconds upright that make a break (shorter: micro-break).",
)
@renamed_option(
    "--valid-day-wear-h",
    "--min-wear-h",
    "valid_day_wear_h",
    _DEFAULTS.valid_day_wear_s / 3600,
    type=click.FloatRange(min=0, max=24),
    show_default=True,
    help="Hours of wear that make a day valid.",
)
@click.option(
    "--max-time-jump-s",
    type=click.FloatRange(min=1),
    default=TimeJumpParams().max_time_jump_s,
    show_default=True,
    help="A step in time forward by more than this (or back) is a clock change: the "
    "recording is analysed in segments, with a warning naming the row.",
)
def analyze(
    file: Path,
    more_files: tuple[Path, ...],
    ride: Path | None,
    offset: str | None,
    fmt: str,
    timeline_out: Path | None,
    as_json: bool,
    seat_layout: str | None,
    calibrate_from: str | None,
    calibrate_file: Path | None,
    seat_baseline: str | None,
    tz: str | None,
    period_hours: float | None,
    break_s: float,
    valid_day_wear_h: float,
    max_time_jump_s: float,
) -> None:
    """Posture, hip flexion and compression exposure from a recording FILE (sensor
    samples, or an activPAL event export); or rides from FIT files (one or more, or
    a folder of them)."""
    given = {"--ride": ride, "--offset": offset, "--timeline": timeline_out}
    given |= {"--calibrate-from": calibrate_from, "--calibrate-file": calibrate_file}
    given |= {"--seat-layout": seat_layout, "--seat-baseline": seat_baseline}
    if _analyze_rides(file, more_files, as_json, [k for k, v in given.items() if v]):
        return
    if offset is not None and ride is None:
        _fail("--offset is for joining a ride: give --ride ride.fit")
    layout = _parse_layout(seat_layout)
    params = ExposureParams(break_s=break_s, valid_day_wear_s=valid_day_wear_h * 3600.0)
    try:
        jumps = TimeJumpParams(max_time_jump_s)
    except ValueError as exc:
        _fail(f"--max-time-jump-s: {exc}")
    analysis: Analysis | None = None
    steps = None
    repairs: tuple[RowRepair, ...] | None = None
    try:
        if is_event_file(file, fmt):
            if ride is not None:
                _fail("--ride joins a recording of sensor samples, not an event export")
            events = load_events(file, fmt)
            timeline, warnings, zone = events.timeline, list(events.warnings), None
            steps = events.events.step_counts()
            repairs = events.repairs
            _print_repairs(repairs)
        else:
            try:
                offset_s = None if offset is None else rides.parse_offset(offset)
            except ValueError as exc:
                _fail(str(exc))
                return
            inputs = AnalyzeInputs(calibrate_from, calibrate_file, seat_baseline, ride, offset_s)
            found = _analyze_file(file, fmt, layout, inputs, jumps)
            zone = tz or local_zone_name()
            if len(found.segments) > 1:
                _report_segments(file, found, params, zone, period_hours, timeline_out, as_json)
                return
            analysis, warnings = found.segments[0].analysis, list(found.warnings)
            timeline = analysis.timeline
    except RecordingError as exc:
        _fail(str(exc))
        return
    try:
        report = exposure_report(timeline, params, tz=zone, period_hours=period_hours, steps=steps)
    except (ValueError, KeyError) as exc:  # an unknown zone name
        _fail(f"--tz {tz}: {exc}")
        return
    if timeline_out is not None:
        try:
            write_timeline(whole_seconds(timeline), timeline_out)
        except OSError as exc:
            _fail(f"{timeline_out}: cannot write the timeline: {exc.strerror}")
    if as_json:
        doc: dict[str, Any] = (
            analysis_dict(str(file), analysis, warnings)
            if analysis
            else {"source": str(file), "warnings": warnings}
        )
        doc["time_zone"] = str(zone) if zone else "local clock of the file"
        if repairs is not None:
            doc["repaired_cells"] = sum(not r.skipped for r in repairs)
            doc["skipped_rows"] = sum(r.skipped for r in repairs)
        doc.update(report_dict(report))
        if ride is not None:
            doc["ride"] = rides.result_dict(rides.ride_result(ride))
        click.echo(to_json(doc))
    elif timeline_out is None:
        console = Console()
        if analysis is not None:
            _print_summary(console, str(file), analysis, warnings)
        else:
            for w in warnings:
                console.print(f"[yellow]warning:[/yellow] {w}")
        _print_days(console, report)
        if ride is not None:
            rides.print_rides(console, [rides.ride_result(ride)], beside_thigh=True)
        rides.print_saddle(console, report, timeline, analysis)


def _analyze_rides(file: Path, more: tuple[Path, ...], as_json: bool, given: list[str]) -> bool:
    """``analyze`` of FIT rides (False: FILE is one recording of another kind)."""
    try:
        paths = rides.ride_paths(file, more)
    except RecordingError as exc:
        _fail(str(exc))
        return True
    if paths is None:
        return False
    if given:
        _fail(f"{', '.join(given)}: not for FIT rides (analyze thigh.csv --ride ride.fit)")
    results = rides.analyze_rides(paths)
    if as_json:
        click.echo(to_json(rides.rides_dict(results)))
    else:
        rides.print_rides(Console(), results)
    for r in results:
        if r.error:
            click.echo(f"sitload: error: {r.error}", err=True)
    if any(r.error for r in results):
        sys.exit(EXIT_USAGE)
    return True


def _report_segments(
    file: Path,
    found: FileAnalysis,
    params: ExposureParams,
    zone: str,
    period_hours: float | None,
    timeline_out: Path | None,
    as_json: bool,
) -> None:
    """``analyze`` of a recording whose clock jumped: every segment on its own, and
    one summary of all of them."""
    segs = found.segments
    try:
        reports = [
            exposure_report(s.analysis.timeline, params, tz=zone, period_hours=period_hours)
            for s in segs
        ]
    except (ValueError, KeyError) as exc:  # an unknown zone name
        _fail(f"--tz {zone}: {exc}")
        return
    if timeline_out is not None:
        try:
            write_timelines([whole_seconds(s.analysis.timeline) for s in segs], timeline_out)
        except OSError as exc:
            _fail(f"{timeline_out}: cannot write the timeline: {exc.strerror}")
    total = combine([summarize(s.analysis.timeline) for s in segs])
    if as_json:
        parts = []
        for s, report in zip(segs, reports, strict=True):
            part = segment_dict(s.segment, s.first_row, s.row_word)
            one = analysis_dict(str(file), s.analysis, [])
            part.update({k: v for k, v in one.items() if k not in ("source", "warnings")})
            part.update(report_dict(report))
            parts.append(part)
        doc = {"source": str(file), "summary": dataclasses.asdict(total), "segments": parts}
        doc.update(warnings=list(found.warnings), time_zone=zone)
        click.echo(to_json(doc))
    elif timeline_out is None:
        console = Console()
        for i, (s, report) in enumerate(zip(segs, reports, strict=True), start=1):
            where = f"{file}: segment {i} of {len(segs)}, from {s.row_word} {s.first_row}"
            _print_summary(console, where, s.analysis, [])
            _print_days(console, report)
        table = Table(
            title=f"{file}: all {len(segs)} segments", show_header=False, box=None, pad_edge=False
        )
        table.add_column(style="bold")
        table.add_column(justify="right")
        for label, value in summary_lines(total):
            table.add_row(label, value)
        console.print(table)
        for w in found.warnings:
            console.print(f"[yellow]warning:[/yellow] {w}")


REPAIR_LINES_SHOWN = 10
"""Damaged activPAL cells named one per line on stderr; the rest are counted."""


def _print_repairs(repairs: tuple[RowRepair, ...]) -> None:
    for r in repairs[:REPAIR_LINES_SHOWN]:
        click.echo(f"warning: {r.message}", err=True)
    more = len(repairs) - REPAIR_LINES_SHOWN
    if more > 0:
        click.echo(f"warning: ... and {more} more damaged cells (see the summary)", err=True)


def _print_days(console: Console, report: ExposureReport) -> None:
    table = Table(title="compression exposure per day", pad_edge=False, caption=DAY_NOTE)
    for i, col in enumerate(DAY_COLUMNS):
        table.add_column(col, justify="left" if i == 0 else "right", no_wrap=True)
    console.width = max(console.width, 104)
    for row in day_rows(report):
        table.add_row(*row)
    console.print(table)
    for w in report.weeks:
        if w.flagged and w.change is not None:
            console.print(
                f"[red]week of {w.week_start}: daily compression changed "
                f"{w.change * 100:+.0f} % from the week before[/red]"
            )


@main.command(name="simulate")
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
    if days is not None:
        from collector.sources.sim_days import (
            morning_pain,
            simulate_calendar,
            write_pain_diary,
        )

        try:
            cal = simulate_calendar(days, start_text, tz, seed, fs_hz, trunk, profile, seat)
        except ValueError as exc:
            _fail(str(exc))
            return
        sim = cal.simulated
        click.echo(cal.summary())
        diary = out.with_name(out.stem + ".pain.csv")
        try:
            write_pain_diary(morning_pain(cal, seed), diary)
        except OSError as exc:
            _fail(f"cannot write the pain diary: {exc}")
        click.echo(f"wrote {diary} (morning pain scores; sitload pain import reads it)")
    else:
        sim = simulate(profile, hours, seed, fs_hz=fs_hz or 50.0, trunk=trunk, seat=seat)  # type: ignore[arg-type]
    truth_path = truth or out.with_name(out.stem + ".truth.csv")
    if ble:
        _simulate_over_ble(sim.recording, out, speed)
    try:
        if not ble:
            write_recording(sim.recording, out)
        write_timeline(sim.truth, truth_path)
    except (OSError, RecordingError) as exc:
        _fail(f"cannot write the simulation: {exc}")
    click.echo(f"wrote {out} ({sim.recording.n} samples) and {truth_path}")


def _counters_table(title: str, sources: list[Any], now_t_s: float) -> Table:
    from collector.ble.session import COUNTER_COLUMNS, counters_rows

    table = Table(title=title)
    for name in COUNTER_COLUMNS:
        table.add_column(name)
    for row in counters_rows(sources, now_t_s):
        table.add_row(*row)
    return table


def _record_live(out: Path, prepare: Any, duration_s: float | None) -> None:
    """Run a recording session with a live table of the devices' counters.

    ``prepare`` is an async function (run inside the event loop) that returns the
    device specs, the BLE context and an optional awaitable that ends the session."""
    import asyncio

    from rich.live import Live

    from collector.ble.session import SetupError, record

    console = Console(stderr=True)

    async def go() -> tuple[list[Any], Any, Any]:
        specs, ctx, until = await prepare()
        with Live(console=console, refresh_per_second=2, transient=True) as live:

            def progress(sources: list[Any], recorder: Any) -> None:
                title = f"recording to {out}: {recorder.rows:,} rows"
                live.update(_counters_table(title, sources, ctx.clock()))

            sources, recorder = await record(
                specs, out, ctx=ctx, duration_s=duration_s, progress=progress, until=until
            )
        return sources, recorder, ctx

    try:
        sources, recorder, ctx = asyncio.run(go())
    except SetupError as exc:
        _fail(str(exc))
        return
    title = f"recorded {recorder.rows:,} rows to {out}"
    console.print(_counters_table(title, sources, ctx.clock()))
    if recorder.gaps:
        longest = max(g.duration_s for g in recorder.gaps)
        console.print(
            f"{len(recorder.gaps)} gap(s), listed in {out.name}.session.json "
            f"(longest {longest:.1f} s)"
        )


def _simulate_over_ble(recording: Any, out: Path, speed: float) -> None:
    from collector.ble.session import scaled_clock, virtual_rig

    async def prepare() -> tuple[list[Any], Any, Any]:
        rig = virtual_rig(recording, speed=speed)
        await rig.start()
        ctx = rig.context(scaled_clock(float(recording.t_s[0]), speed))
        return rig.specs, ctx, rig.stream()

    _record_live(out, prepare, None)


@main.command()
@click.option("--seconds", type=click.FloatRange(min=0.5, max=120), default=8.0, show_default=True)
def scan(seconds: float) -> None:
    """List nearby sensors sitload can read: kind, address, name, signal strength."""
    import asyncio

    from collector.ble.session import SetupError
    from collector.ble.session import scan as ble_scan

    console = Console()
    try:
        with console.status(f"scanning for {seconds:g} s…"):
            found = asyncio.run(ble_scan(seconds))
    except SetupError as exc:
        _fail(str(exc))
        return
    if not found:
        console.print("no sensor sitload can read was advertising; is it on and awake?")
        return
    table = Table(title="sensors in range")
    for name in ("kind", "address", "name", "RSSI (dBm)"):
        table.add_column(name)
    for f in found:
        table.add_row(str(f.kind), f.address, f.name, str(f.rssi))
    console.print(table)
    console.print("record one with: sitload record --device KIND:ADDRESS --out day.csv")


@main.command(name="record")
@click.option(
    "--device",
    "devices",
    multiple=True,
    required=True,
    help="KIND[:ADDRESS|NAME][/ROLE], repeatable; KIND is sitload-imu, sitload-pressure, "
    "witmotion, csc or cycling-power; ROLE is thigh, trunk, seat or bike.",
)
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Recording (.csv).")
@click.option(
    "--duration",
    "duration_min",
    type=click.FloatRange(min=0.1),
    help="Stop after this many minutes [default: until Ctrl-C].",
)
def record_cmd(devices: tuple[str, ...], out: Path, duration_min: float | None) -> None:
    """Record BLE sensors to a recording file, with a live display of each device."""
    from collector.ble.session import SetupError, parse_device, unique_labels
    from collector.ble.source import BleContext

    try:
        specs = unique_labels([parse_device(d) for d in devices])
    except SetupError as exc:
        _fail(str(exc))
        return

    async def prepare() -> tuple[list[Any], Any, Any]:
        return specs, BleContext(), None

    duration_s = None if duration_min is None else duration_min * 60
    _record_live(out, prepare, duration_s)


@main.command(name="run")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="TOML settings (see config/desk-worker.toml). Without it: the built-in defaults.",
)
@click.option(
    "--source",
    help="replay:FILE, simulate:desk, simulate:cyclist or ble (overrides [source]).",
)
@click.option(
    "--speed",
    type=float,
    help="Replay / simulation speed: 1 = real time, 60 = a day in 24 minutes.",
)
@click.option(
    "--mqtt",
    "mqtt_url",
    help="mqtt://[user@]host[:port] or mqtts://… (no password here: every local user "
    "can read a command line; use $SITLOAD_MQTT_PASSWORD or --mqtt-password-file).",
)
@click.option(
    "--mqtt-password-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="File whose first line is the password of the --mqtt user (chmod 600).",
)
@user_option(help_text="Pseudonymous user id used in MQTT topics and the state file.")
@click.option(
    "--state-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where the service keeps its state (bout clock, alerts, calibration).",
)
@click.option("--history", "history_url", help="History store URL (sqlite:///FILE …).")
@click.option(
    "--profile",
    type=click.Choice(["desk", "cyclist"]),
    help="The alert policy: desk (stand-up prompts) or cyclist (saddle prompts while "
    "riding) [default: the config's [user] profile, else simulate:cyclist's, else desk].",
)
def run_cmd(
    config_path: Path | None,
    source: str | None,
    speed: float | None,
    mqtt_url: str | None,
    mqtt_password_file: Path | None,
    user_id: str | None,
    state_dir: Path | None,
    history_url: str | None,
    profile: str | None,
) -> None:
    """Run the live service: sensors → posture → exposure → standing-break prompts on
    the console (and MQTT / Home Assistant when a broker is configured). Stop with
    Ctrl-C: the state is saved and a restart resumes the sitting clock."""
    import asyncio

    from collector.config import ConfigError, Overrides, load_settings
    from collector.service.app import run_service
    from collector.service.instance_lock import InstanceLockedError
    from collector.sinks.history.spool import SpoolLockedError

    try:
        settings = load_settings(
            config_path,
            Overrides(
                source=source,
                speed=speed,
                mqtt_url=mqtt_url,
                mqtt_password_file=mqtt_password_file,
                state_dir=state_dir,
                history_url=history_url,
                user_id=user_id,
                profile=profile,  # type: ignore[arg-type]
            ),
        )
    except ConfigError as exc:
        _fail(str(exc))
        return
    console = Console()
    try:
        summary = asyncio.run(run_service(settings, console))
    except (RecordingError, ValueError, OSError, InstanceLockedError, SpoolLockedError) as exc:
        _fail(str(exc))
        return
    except ExceptionGroup as group:  # a source failed inside the task group
        known, _rest = group.split((RecordingError, ValueError, OSError))
        if known is None:
            raise
        _fail("; ".join(str(e) for e in known.exceptions))
        return
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(summary.alert_kinds.items())) or "none"
    console.print(
        f"stopped ({summary.stopped_by}): {summary.seconds:,} s of data, "
        f"{summary.alerts} alerts ({kinds}), {summary.commands} commands"
        + (f" ({summary.rejected_commands} refused)" if summary.rejected_commands else "")
        + (
            f", {summary.dropped_commands} dropped over the rate limit"
            if summary.dropped_commands
            else ""
        )
    )


@main.command(name="pain", cls=PainCommand)
@click.argument("score", type=click.IntRange(0, 10))
@click.option(
    "--when",
    type=click.Choice(["morning", "evening", "now"]),
    help="morning: the 24-hour response to yesterday's sitting [default: now; with "
    "--at from its clock time: morning before 12:00, evening from 18:00].",
)
@click.option(
    "--at",
    "at_text",
    metavar='"YYYY-MM-DD HH:MM"',
    help="When the pain was felt, local time (--tz) [default: now].",
)
@click.option("--tz", metavar="ZONE", help="IANA zone of --at [default: the config's].")
@click.option("--note", default="", help="A short note (what hurt, what you did).")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False))
@user_option(help_text="Pseudonymous user id [default: the config's].")
@click.option("--history", "history_url", help="History store URL (default: the config's).")
def pain_cmd(
    score: int,
    when: str | None,
    at_text: str | None,
    tz: str | None,
    note: str,
    config_path: Path | None,
    user_id: str | None,
    history_url: str | None,
) -> None:
    """Log a pain score, 0 (none) to 10 (worst imaginable), with the history, now or
    for a past moment (--at). When the store cannot be reached the report waits in
    the spool and is sent later."""
    import time as _time

    from collector.config import ConfigError, Overrides, load_settings
    from collector.pain_cli import zone_for
    from collector.pain_diary import parse_time, when_of
    from collector.service.app import open_history
    from collector.sinks.history.model import PainReport

    try:
        settings = load_settings(config_path, Overrides(user_id=user_id, history_url=history_url))
        now = _time.time()
        t_s = now
        if at_text is not None:
            zone = zone_for(tz, settings.timezone)
            t_s = parse_time(at_text, zone, now_s=now)
            when = when or when_of(t_s, zone)
        when = when or "now"
        report = PainReport(settings.user_id, t_s, score, when, note)  # type: ignore[arg-type]
        # its own spool: the service may be running with its writer on the main one;
        # a report kept here is sent by the next `sitload pain`
        writer = open_history(settings, spool="history-spool-cli")
    except (ConfigError, ValueError, OSError) as exc:
        _fail(str(exc))
        return
    writer.submit([report])
    stats = writer.close(10.0)
    if stats.rejected:
        _fail(f"the history store refused the pain report: {stats.last_error}")
    where = "saved" if stats.pending == 0 else "kept in the spool: the store is unreachable"
    at = "" if at_text is None else f", {at_text.strip()}"
    click.echo(f"pain {score}/10 ({when}{at}) {where}")


@main.command()
@click.option("--hours", type=click.FloatRange(min=0.5, max=24), default=8.0, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
def demo(hours: float, seed: int) -> None:
    """Simulate a desk worker's day (randomly mounted thigh + trunk sensors), write it
    as a recording, analyse it like a real one and compare with the truth."""
    console = Console()
    with tempfile.TemporaryDirectory(prefix="sitload-demo-") as tmp:
        rec_path = Path(tmp) / "desk-day.csv"
        with console.status("simulating a desk day…"):
            sim = simulate("desk", hours, seed)
            write_recording(sim.recording, rec_path)
        console.print(f"simulated {hours:g} h at 50 Hz: {sim.recording.n:,} samples")
        with console.status("analysing…"):
            found = _analyze_file(rec_path, "auto")
            analysis, warnings = found.segments[0].analysis, list(found.warnings)
    _print_summary(console, "desk-day (simulated)", analysis, warnings)
    report = exposure_report(analysis.timeline, tz="UTC")
    _print_days(console, report)
    for b in report.bouts:
        if b.duration_s >= 30 * 60:
            console.print(
                f"long compression bout: {b.duration_s / 60:.0f} min "
                f"({b.micro_breaks} micro-breaks, {b.hip_gt90_s / 60:.0f} min at hip > 90°)"
            )
    agree, err = agreement(analysis.timeline, sim.truth)
    console.print(
        f"against the simulator's truth: sitting/upright agreement {agree * 100:.1f} %, "
        f"sitting-time error {err * 100:+.1f} %"
    )


def _register_report() -> None:
    from collector.review.command import report_cmd

    main.add_command(report_cmd)
    from collector.history_cli import history_group

    main.add_command(history_group)


_register_report()


if __name__ == "__main__":  # pragma: no cover
    main()
