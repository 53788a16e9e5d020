"""The ``sitload`` command line. The only place logging is configured.

One module per command group: :mod:`.analyze` (``analyze``, with
:mod:`.analysis_console`), :mod:`.simulate`, :mod:`.demo`, :mod:`.ble` (``scan``,
``record``), :mod:`.run`, :mod:`.send`, :mod:`.pain`; ``report``, ``clinic`` and ``history`` live
beside what they serve. Starting is cheap:
``sitload --help`` imports click and this package only, and ``sitload CMD`` only
CMD's module (:mod:`.lazy_group`), so numpy, pyarrow, the BLE stack,
pydantic and the history clients load on the paths that need them.

numpy's OpenBLAS runs on one thread (unless ``OPENBLAS_NUM_THREADS`` is set): its
worker threads cost 0.1 s of CPU to start, on every command that imports numpy,
and sitload's linear algebra is on 3-vectors and 3 × 3 matrices.
"""

from __future__ import annotations

import logging
import os

import click

from collector.cli.lazy_group import LazyCommand, LazyGroup

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # read when numpy loads OpenBLAS

COMMANDS = (
    LazyCommand(
        "analyze",
        "collector.cli.analyze:analyze",
        "Posture, hip flexion and compression exposure from a recording FILE (sensor "
        "samples, or an activPAL event export); or rides from FIT files (one or more, or "
        "a folder of them).",
    ),
    LazyCommand(
        "clinic",
        "collector.review.clinic:clinic_cmd",
        "Write an overview of every patient in the history (one sortable row each: last "
        "data, valid days, compression per valid day and its trend, bouts over an hour, "
        "hip flexion above 90°, breaks after prompts, morning pain against baseline, "
        "flags) with each patient's own report beside it, into the folder --out.",
    ),
    LazyCommand(
        "demo",
        "collector.cli.demo:demo",
        "Simulate a day (a desk worker's, or a cyclist's with rides; randomly mounted "
        "thigh + trunk sensors), write it as a recording, analyse it like a real one and "
        "compare with the truth.",
    ),
    LazyCommand(
        "history",
        "collector.history_cli:history_group",
        "The history store: import recordings, activPAL exports and rides; compact an "
        "older InfluxDB history.",
    ),
    LazyCommand(
        "pain",
        "collector.cli.pain:pain_cmd",
        "Log a pain score, 0 (none) to 10 (worst imaginable), with the history, now or "
        "for a past moment (--at).",
    ),
    LazyCommand(
        "record",
        "collector.cli.ble:record_cmd",
        "Record BLE sensors to a recording file, with a live display of each device.",
    ),
    LazyCommand(
        "report",
        "collector.review.command:report_cmd",
        "Write the review a physiotherapist reads in two minutes: daily compression, "
        "bout lengths, the longest bouts, hip flexion above 90°, breaks against prompts, "
        "saddle time, week-over-week swings, and next-morning pain against the previous "
        "day's compression, for the local days --from … --to of one (pseudonymous) user "
        "(without them: the 28 days up to the last day with data).",
    ),
    LazyCommand(
        "run",
        "collector.cli.run:run_cmd",
        "Run the live service: sensors → posture → exposure → standing-break prompts on "
        "the console (and MQTT / Home Assistant when a broker is configured).",
    ),
    LazyCommand(
        "scan",
        "collector.cli.ble:scan",
        "List nearby sensors sitload can read: kind, address, name, signal strength.",
    ),
    LazyCommand(
        "send",
        "collector.cli.send:send_cmd",
        "Send a command to the running service, as if typed on its console: snooze "
        "[MINUTES], ack or calibrate.",
    ),
    LazyCommand(
        "simulate",
        "collector.cli.simulate:simulate_cmd",
        "Write a realistic simulated recording and, beside it, its ground truth.",
    ),
)
"""Every command, imported when it runs (or shows its help)."""


def log_levels(verbose: int, quiet: bool) -> tuple[int, int]:
    """(sitload's level, other libraries' level) for ``-v`` × ``verbose`` or ``-q``.

    By default sitload says what it does (INFO) and libraries only warn; ``-q`` keeps
    warnings and errors only; ``-v`` adds sitload's debug output and the libraries'
    INFO, ``-vv`` everything."""
    if quiet:
        return logging.WARNING, logging.WARNING
    if verbose <= 0:
        return logging.INFO, logging.WARNING
    if verbose == 1:
        return logging.DEBUG, logging.INFO
    return logging.DEBUG, logging.DEBUG


@click.group(
    cls=LazyGroup,
    lazy_commands=COMMANDS,
    # every command's --help shows its options' defaults
    context_settings={"help_option_names": ["-h", "--help"], "show_default": True},
)
@click.version_option(None, "-V", "--version", package_name="sitload", prog_name="sitload")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Warnings and errors only.")
def main(verbose: int, quiet: bool) -> None:
    """sitload: sitting-compression monitoring for proximal hamstring tendinopathy."""
    if quiet and verbose:
        raise click.UsageError("-q and -v contradict each other; give one of them")
    own, others = log_levels(verbose, quiet)
    logging.basicConfig(level=others, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("collector").setLevel(own)
    logging.getLogger("analytics").setLevel(own)
