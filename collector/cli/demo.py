"""``sitload demo``: a simulated desk day (or a cyclist's day with rides), analysed like
a real recording and compared with the simulator's truth."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from analytics.exposure import exposure_report
from analytics.summary import agreement
from collector.cli.analysis_console import analyze_one_file, print_days, print_summary
from collector.cli.common import output_console
from collector.recordings import write_recording
from collector.ride_analyze import print_saddle
from collector.sources.simulator import Profile, simulate


@click.command()
@click.option("--hours", type=click.FloatRange(min=0.5, max=24), default=8.0, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
@click.option(
    "--profile",
    type=click.Choice(["desk", "cyclist"]),
    default="desk",
    show_default=True,
    help="Whose day: a desk worker's, or a cyclist's with rides (saddle time, stands).",
)
def demo(hours: float, seed: int, profile: Profile) -> None:
    """Simulate a day (a desk worker's, or a cyclist's with rides; randomly mounted
    thigh + trunk sensors), write it as a recording, analyse it like a real one and
    compare with the truth."""
    console = output_console()
    with tempfile.TemporaryDirectory(prefix="sitload-demo-") as tmp:
        rec_path = Path(tmp) / f"{profile}-day.csv"
        with console.status(f"simulating a {profile} day…"):
            sim = simulate(profile, hours, seed)
            write_recording(sim.recording, rec_path)
        console.print(f"simulated {hours:g} h at 50 Hz: {sim.recording.n:,} samples")
        with console.status("analysing…"):
            found = analyze_one_file(rec_path, "auto")
            analysis, warnings = found.segments[0].analysis, list(found.warnings)
    print_summary(console, f"{profile}-day (simulated)", analysis, warnings)
    report = exposure_report(analysis.timeline, tz="UTC")
    print_days(console, report)
    print_saddle(console, report, analysis.timeline, analysis)  # nothing without rides
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
