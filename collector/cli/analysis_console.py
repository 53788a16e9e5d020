"""Analysing a recording for a command, and the console tables of the result (shared
by ``analyze`` and ``demo``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from analytics.calibration_errors import CalibrationError
from analytics.exposure import ExposureReport
from analytics.pipeline import Analysis
from analytics.records import SeatLayout
from analytics.segments import TimeJumpParams
from analytics.summary import summarize
from collector.analyze_inputs import AnalyzeInputs
from collector.cli.common import fail
from collector.output import (
    DAY_COLUMNS,
    DAY_NOTE,
    calibration_limits,
    day_rows,
    seat_dict,
    summary_lines,
)
from collector.recording_analysis import FileAnalysis, analyze_file

if TYPE_CHECKING:  # rich is imported by the functions that print (not for --json)
    from rich.console import Console

    from collector.recordings.activpal_repair import RowRepair


def parse_layout(text: str | None) -> SeatLayout | None:
    if text is None:
        return None
    try:
        rows, cols = (int(x) for x in text.lower().split("x"))
    except ValueError:
        fail(f"--seat-layout {text!r}: expected ROWSxCOLUMNS, for example 8x8")
    return SeatLayout.grid(rows, cols)


def analyze_one_file(
    path: Path,
    fmt: str,
    seat_layout: SeatLayout | None = None,
    inputs: AnalyzeInputs | None = None,
    jumps: TimeJumpParams | None = None,
) -> FileAnalysis:
    try:
        return analyze_file(path, fmt, seat_layout, jumps=jumps, inputs=inputs)
    except (CalibrationError, ValueError) as exc:
        fail(f"{path}: {exc}")


def print_summary(console: Console, title: str, analysis: Analysis, warnings: list[str]) -> None:
    from rich.table import Table

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


REPAIR_LINES_SHOWN = 10
"""Damaged activPAL cells named one per line on stderr; the rest are counted."""


def print_repairs(repairs: tuple[RowRepair, ...]) -> None:
    for r in repairs[:REPAIR_LINES_SHOWN]:
        click.echo(f"warning: {r.message}", err=True)
    more = len(repairs) - REPAIR_LINES_SHOWN
    if more > 0:
        click.echo(f"warning: ... and {more} more damaged cells (see the summary)", err=True)


def print_days(console: Console, report: ExposureReport) -> None:
    from rich.table import Table

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
