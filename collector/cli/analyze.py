"""``sitload analyze``: posture, hip flexion and compression exposure from a
recording (or rides from FIT files)."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from analytics.compression import ExposureParams
from analytics.exposure import ExposureReport, exposure_report
from analytics.local_days import zone_of
from analytics.pipeline import Analysis
from analytics.records import Timeline
from analytics.segments import TimeJumpParams
from analytics.summary import combine, summarize
from collector.analyze_inputs import AnalyzeInputs
from collector.cli.analysis_console import (
    analyze_one_file,
    parse_layout,
    print_days,
    print_repairs,
    print_summary,
)
from collector.cli.common import EXIT_USAGE, fail, output_console
from collector.output import (
    analysis_dict,
    report_dict,
    segment_dict,
    summary_lines,
    to_json,
)
from collector.recording_analysis import FileAnalysis
from collector.recordings import FORMATS, is_event_file, load_events
from collector.recordings.errors import RecordingError
from collector.recordings.sniff import is_fit_file
from collector.renamed_option import renamed_option
from collector.timeline_io import whole_seconds, write_timeline, write_timelines
from collector.timezone import local_zone_name

if TYPE_CHECKING:  # the rides' and the tables' modules load where they are used
    from analytics.saddle_weeks import SaddleWeek
    from collector.recordings.activpal_repair import RowRepair

_DEFAULTS = ExposureParams()


@click.command()
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
    if _analyze_rides(file, more_files, as_json, [k for k, v in given.items() if v], tz):
        return
    if offset is not None and ride is None:
        fail("--offset is for joining a ride: give --ride ride.fit")
    layout = parse_layout(seat_layout)
    params = ExposureParams(break_s=break_s, valid_day_wear_s=valid_day_wear_h * 3600.0)
    try:
        jumps = TimeJumpParams(max_time_jump_s)
    except ValueError as exc:
        fail(f"--max-time-jump-s: {exc}")
    analysis: Analysis | None = None
    steps = None
    repairs: tuple[RowRepair, ...] | None = None
    try:
        if is_event_file(file, fmt):
            if ride is not None:
                fail("--ride joins a recording of sensor samples, not an event export")
            events = load_events(file, fmt)
            timeline, warnings, zone = events.timeline, list(events.warnings), None
            steps = events.events.step_counts()
            repairs = events.repairs
            print_repairs(repairs)
        else:
            offset_s = None
            if offset is not None:
                from collector.ride_analyze import parse_offset

                try:
                    offset_s = parse_offset(offset)
                except ValueError as exc:
                    fail(str(exc))
                    return
            inputs = AnalyzeInputs(calibrate_from, calibrate_file, seat_baseline, ride, offset_s)
            found = analyze_one_file(file, fmt, layout, inputs, jumps)
            zone = tz or local_zone_name()
            if len(found.segments) > 1:
                _report_segments(file, found, params, zone, period_hours, timeline_out, as_json)
                return
            analysis, warnings = found.segments[0].analysis, list(found.warnings)
            timeline = analysis.timeline
    except RecordingError as exc:
        fail(str(exc))
        return
    try:
        report = exposure_report(timeline, params, tz=zone, period_hours=period_hours, steps=steps)
    except (ValueError, KeyError) as exc:  # an unknown zone name
        fail(f"--tz {tz}: {exc}")
        return
    if timeline_out is not None:
        try:
            write_timeline(whole_seconds(timeline), timeline_out)
        except OSError as exc:
            fail(f"{timeline_out}: cannot write the timeline: {exc.strerror}")
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
        weeks = _timeline_weeks(report, timeline, zone, analysis)
        doc["saddle_weeks"] = _weeks_list(weeks)
        if ride is not None:
            from collector import ride_analyze as rides

            doc["ride"] = rides.result_dict(rides.ride_result(ride))
        click.echo(to_json(doc))
    elif timeline_out is None:
        console = output_console()
        if analysis is not None:
            print_summary(console, str(file), analysis, warnings)
        else:
            for w in warnings:
                console.print(f"[yellow]warning:[/yellow] {w}")
        print_days(console, report)
        from collector import ride_analyze as rides

        if ride is not None:
            rides.print_rides(console, [rides.ride_result(ride)], beside_thigh=True)
        rides.print_saddle(console, report, timeline, analysis)
        weeks = _timeline_weeks(report, timeline, zone, analysis)
        from collector.ride_weeks import print_weeks

        print_weeks(console, weeks, params.load_change_flag)


def _weeks_list(weeks: tuple[SaddleWeek, ...]) -> list[dict[str, Any]]:
    if not weeks:
        return []
    from collector.ride_weeks import weeks_list

    return weeks_list(weeks)


def _timeline_weeks(
    report: ExposureReport, timeline: Timeline, zone: str | None, analysis: Analysis | None
) -> tuple[SaddleWeek, ...]:
    if report.total.saddle.ride_s <= 0:
        return ()
    from collector.ride_weeks import position_known, timeline_weeks

    where = zone_of(zone) if zone else None
    return timeline_weeks(report, timeline, where, position_known(analysis))


def _analyze_rides(
    file: Path, more: tuple[Path, ...], as_json: bool, given: list[str], tz: str | None
) -> bool:
    """``analyze`` of FIT rides (False: FILE is one recording of another kind)."""
    if not more and not file.is_dir() and not is_fit_file(file):
        return False  # what ride_paths says, without importing the rides' modules
    from analytics.saddle_weeks import LOAD_CHANGE_FLAG
    from collector import ride_analyze as rides
    from collector.ride_weeks import print_weeks, ride_weeks, weeks_list

    try:
        paths = rides.ride_paths(file, more)
    except RecordingError as exc:
        fail(str(exc))
        return True
    if paths is None:
        return False
    if given:
        fail(f"{', '.join(given)}: not for FIT rides (analyze thigh.csv --ride ride.fit)")
    results = rides.analyze_rides(paths)
    try:
        zone = zone_of(tz or local_zone_name())
    except (ValueError, KeyError) as exc:  # an unknown zone name
        fail(f"--tz {tz}: {exc}")
        return True
    weeks = ride_weeks([r.summary for r in results if r.summary is not None], zone)
    if as_json:
        click.echo(to_json({**rides.rides_dict(results), "saddle_weeks": weeks_list(weeks)}))
    else:
        console = output_console()
        rides.print_rides(console, results)
        print_weeks(console, weeks, LOAD_CHANGE_FLAG)
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
        fail(f"--tz {zone}: {exc}")
        return
    if timeline_out is not None:
        try:
            write_timelines([whole_seconds(s.analysis.timeline) for s in segs], timeline_out)
        except OSError as exc:
            fail(f"{timeline_out}: cannot write the timeline: {exc.strerror}")
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
        from rich.table import Table

        console = output_console()
        for i, (s, report) in enumerate(zip(segs, reports, strict=True), start=1):
            where = f"{file}: segment {i} of {len(segs)}, from {s.row_word} {s.first_row}"
            print_summary(console, where, s.analysis, [])
            print_days(console, report)
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
