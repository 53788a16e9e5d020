"""The ``sitload`` command line. The only place logging is configured."""

from __future__ import annotations

import logging
import sys
import tempfile
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from analytics.calibration_errors import CalibrationError
from analytics.pipeline import Analysis, analyze_recording
from analytics.records import SeatLayout
from analytics.summary import agreement, summarize
from collector.output import analysis_dict, summary_lines, to_json
from collector.recordings import FORMATS, load_recording, write_recording
from collector.recordings.errors import RecordingError
from collector.sources.simulator import simulate
from collector.timeline_io import write_timeline

EXIT_USAGE = 2
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
    path: Path, fmt: str, seat_layout: SeatLayout | None = None
) -> tuple[Analysis, list[str]]:
    loaded = load_recording(path, fmt)
    try:
        analysis = analyze_recording(loaded.recording, seat_layout=seat_layout)
    except (CalibrationError, ValueError) as exc:
        _fail(f"{path}: {exc}")
        raise  # unreachable: _fail exits
    return analysis, list(loaded.warnings)


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
            f"calibration: {cal.source}, seated beyond {cal.sit_threshold_deg:.0f}° of thigh "
            f"inclination{', trunk sensor used for hip angle' if analysis.trunk else ''}"
        )
    if analysis.seat is not None:
        seat = analysis_dict("", analysis, [])["seat"]
        console.print(
            f"seat mat: occupied {seat['occupied_s'] // 60} min, "
            f"slumped {seat['slumped_s'] // 60} min"
        )
    for w in warnings:
        console.print(f"[yellow]warning:[/yellow] {w}")


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
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
def analyze(
    file: Path, fmt: str, timeline_out: Path | None, as_json: bool, seat_layout: str | None
) -> None:
    """Posture and hip flexion, second by second, from a recording FILE."""
    layout = _parse_layout(seat_layout)
    try:
        analysis, warnings = _analyze_file(file, fmt, layout)
    except RecordingError as exc:
        _fail(str(exc))
        return
    if timeline_out is not None:
        try:
            write_timeline(analysis.timeline, timeline_out)
        except OSError as exc:
            _fail(f"{timeline_out}: cannot write the timeline: {exc.strerror}")
    if as_json:
        click.echo(to_json(analysis_dict(str(file), analysis, warnings)))
    elif timeline_out is None:
        _print_summary(Console(), str(file), analysis, warnings)


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
    "--fs", "fs_hz", type=click.FloatRange(min=5, max=400), default=50.0, show_default=True
)
def simulate_cmd(
    profile: str,
    hours: float,
    seed: int,
    out: Path,
    truth: Path | None,
    trunk: bool,
    seat: bool,
    fs_hz: float,
) -> None:
    """Write a realistic simulated recording and, beside it, its ground truth."""
    sim = simulate(profile, hours, seed, fs_hz=fs_hz, trunk=trunk, seat=seat)  # type: ignore[arg-type]
    truth_path = truth or out.with_name(out.stem + ".truth.csv")
    try:
        write_recording(sim.recording, out)
        write_timeline(sim.truth, truth_path)
    except (OSError, RecordingError) as exc:
        _fail(f"cannot write the simulation: {exc}")
    click.echo(f"wrote {out} ({sim.recording.n} samples) and {truth_path}")


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
            analysis, warnings = _analyze_file(rec_path, "auto")
    _print_summary(console, "desk-day (simulated)", analysis, warnings)
    agree, err = agreement(analysis.timeline, sim.truth)
    console.print(
        f"against the simulator's truth: sitting/upright agreement {agree * 100:.1f} %, "
        f"sitting-time error {err * 100:+.1f} %"
    )


if __name__ == "__main__":  # pragma: no cover
    main()
