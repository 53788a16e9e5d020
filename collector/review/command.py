"""``sitload report``: the physiotherapist's review of a date range from the history.

    sitload report --from 2026-03-02 --to 2026-03-22 --user p-0042 --out review.html

Register it on the main group with ``main.add_command(report_cmd)``. Importing this
module is cheap: the settings (pydantic), the analytics and matplotlib are imported
when the command runs.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from collector.config_option import config_option, history_option
from collector.plural import counted
from collector.user_option import user_option

if TYPE_CHECKING:
    from analytics.compression import ExposureParams
    from analytics.review_records import Review
    from collector.review.load import ReviewInputs
    from collector.review.meta import ReportMeta
    from collector.sinks.history.model import HistoryStore

EXIT_USAGE = 2
MAX_DAYS = 366
"""Longest range one report covers (a year of 1 Hz seconds is ~300 MB in memory)."""
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
log = logging.getLogger(__name__)


def _fail(message: str) -> NoReturn:
    click.echo(f"sitload: error: {message}", err=True)
    sys.exit(EXIT_USAGE)


def parse_date(option: str, text: str) -> dt.date:
    if not _DATE.fullmatch(text.strip()):
        _fail(f"{option} {text!r}: expected a date as YYYY-MM-DD, e.g. 2026-03-02")
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError as exc:
        _fail(f"{option} {text!r}: {exc}")


def open_history(url: str) -> HistoryStore:
    """The history store of ``url`` (the factory is imported only when a report runs).
    A report only reads: a SQLite file that does not exist is an error, not a new
    empty database. Tests replace this function."""
    from collector.sinks.history.factory import open_store, sqlite_file

    if url.lower().startswith("sqlite:"):
        path = sqlite_file(url)
        if not path.is_file():
            raise ValueError(f"no history database at {path}")
    return open_store(url, os.environ)


def store_scheme(url: str) -> str:
    return url.partition("://")[0] or "history"


class ReportRangeError(ValueError):
    """The days of a report cannot be placed (the message says what to give)."""


def report_days(
    store: HistoryStore,
    user: str,
    zone: dt.tzinfo,
    first_given: dt.date | None,
    last_given: dt.date | None,
    now_s: float,
    *,
    where: str,
) -> tuple[dt.date, dt.date]:
    """The local days a report of ``user`` covers: ``--from`` / ``--to`` with the
    missing ends filled in (collector.review.range); ``sitload report`` and
    ``sitload clinic`` place every patient's range here."""
    from collector.review.range import data_span, default_range

    span = None
    if first_given is None and last_given is None:
        span = data_span(store, user, zone, now_s)
    days = default_range(first_given, last_given, span)
    if days is None:
        raise ReportRangeError(
            f"no daily totals or bouts of user {user!r} in the {where} history to "
            "place the report; give --from and --to"
        )
    n_days = (days[1] - days[0]).days + 1
    if n_days > MAX_DAYS:
        raise ReportRangeError(f"the range is {n_days} days; one report covers at most {MAX_DAYS}")
    return days


def build_review(
    inputs: ReviewInputs,
    *,
    tz_name: str,
    baseline: float | None,
    params: ExposureParams | None = None,
    taken_within_s: float | None = None,
) -> Review:
    """:func:`analytics.review.review` of what :func:`load_inputs` read
    (``taken_within_s``: the alert policy's, by default its default)."""
    from analytics.review import TAKEN_WITHIN_S, review

    return review(
        inputs.timeline,
        inputs.alerts,
        inputs.daily,
        inputs.pain,
        tz=tz_name,
        first_day=inputs.first_day,
        last_day=inputs.last_day,
        baseline=baseline,
        params=params,
        taken_within_s=TAKEN_WITHIN_S if taken_within_s is None else taken_within_s,
        rides=inputs.rides,
    )


def render(fmt: str, rev: Review, meta: ReportMeta) -> str:
    """The report as text in ``fmt`` (html, json or csv)."""
    from collector.review.export import render_csv, render_json

    if fmt == "json":
        return render_json(rev, meta)
    if fmt == "csv":
        return render_csv(rev)
    from collector.review.html import render_html  # matplotlib: only for HTML

    return render_html(rev, meta)


@click.command(name="report")
@click.option(
    "--from",
    "from_text",
    metavar="DATE",
    help="First day, YYYY-MM-DD [default: 27 days before --to].",
)
@click.option(
    "--to",
    "to_text",
    metavar="DATE",
    help="Last day, YYYY-MM-DD (inclusive) [default: 27 days after --from; without "
    "either, the last day with data].",
)
@user_option("user", help_text="Pseudonymous user id [default: the config's user id].")
@click.option(
    "--tz",
    metavar="ZONE",
    help="IANA time zone of the days [default: the config's, else this machine's].",
)
@click.option(
    "--baseline",
    type=click.FloatRange(min=0, max=10),
    help="The patient's baseline morning pain, 0–10 [default: the median of the morning "
    "scores in the range].",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    required=True,
    help="File to write (with --all-users: the folder).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "json", "csv"]),
    default="html",
    show_default=True,
    help="html: the page for the physio; json: one object; csv: the per-day table.",
)
@history_option()
@click.option(
    "--all-users",
    is_flag=True,
    help="Every user of the history: the clinic overview and each user's report into "
    "the folder --out (as `sitload clinic`).",
)
@config_option("TOML settings for the defaults (user id, time zone, history, break rules).")
@click.pass_context
def report_cmd(
    ctx: click.Context,
    from_text: str | None,
    to_text: str | None,
    user: str | None,
    tz: str | None,
    baseline: float | None,
    out: Path,
    fmt: str,
    history_url: str | None,
    all_users: bool,
    config_path: Path | None,
) -> None:
    """Write the review a physiotherapist reads in two minutes: daily compression,
    bout lengths, the longest bouts, hip flexion above 90°, breaks against prompts,
    saddle time, week-over-week swings, and next-morning pain against the previous
    day's compression, for the local days --from … --to of one (pseudonymous) user
    (without them: the 28 days up to the last day with data)."""
    if all_users:
        if user is not None or baseline is not None:
            _fail("--all-users writes every user's report: leave out --user and --baseline")
        if fmt == "csv":
            _fail("--all-users writes an overview: give --format html or json")
        from collector.review.clinic import clinic_cmd

        ctx.invoke(
            clinic_cmd, from_text=from_text, to_text=to_text, tz=tz, out=out,
            history_url=history_url, fmt=fmt, jobs=None, config_path=config_path,
        )  # fmt: skip
        return
    if out.is_dir():
        _fail(f"--out {out} is a folder; give a file to write (or --all-users for a folder)")
    from collector.config import ConfigError, Overrides, find_config, load_settings
    from collector.extras import require
    from collector.review.load import load_inputs
    from collector.review.meta import ReportMeta, sitload_version
    from collector.review.range import describe_store
    from collector.sinks.history.model import StoreConfigError, StoreUnavailableError
    from collector.timezone import UnknownZoneError, chosen_zone

    if fmt == "html":
        require("matplotlib", "the HTML report (its charts; --format json or csv do not)")
    first_given = None if from_text is None else parse_date("--from", from_text)
    last_given = None if to_text is None else parse_date("--to", to_text)
    if first_given and last_given and last_given < first_given:
        _fail(f"--to {last_given} is before --from {first_given}")
    try:
        settings = load_settings(
            find_config(config_path).path, Overrides(history_url=history_url, user_id=user)
        )
    except ConfigError as exc:
        _fail(str(exc).replace("--user-id:", "--user:"))  # this command calls it --user
    try:
        zone = chosen_zone(tz, settings.timezone)
    except UnknownZoneError as exc:
        _fail(str(exc))
    tz_name = zone.key
    who = settings.user_id
    store_kind = store_scheme(settings.history_url)
    where = describe_store(settings.history_url)
    t_start = time.perf_counter()
    try:
        store = open_history(settings.history_url)
    except (ConfigError, ValueError, OSError, StoreUnavailableError, StoreConfigError) as exc:
        _fail(f"cannot open the {store_kind} history: {exc}")
    try:
        users = store.users()
        if who not in users:
            known = ", ".join(users) if users else "none yet"
            _fail(f"unknown user {who!r}; the history has: {known} ({where})")
        try:
            first_day, last_day = report_days(
                store, who, zone, first_given, last_given, time.time(), where=where
            )
        except ReportRangeError as exc:
            _fail(str(exc))
        n_days = (last_day - first_day).days + 1
        inputs = load_inputs(store, who, first_day, last_day, zone)  # progress on stderr
    except (StoreUnavailableError, StoreConfigError) as exc:
        _fail(f"the {store_kind} history cannot be read: {exc}")
    finally:
        store.close()
    t_loaded = time.perf_counter()
    rev = build_review(
        inputs,
        tz_name=tz_name,
        baseline=baseline,
        params=settings.exposure,
        taken_within_s=settings.alerts.taken_within_s,
    )
    t_review = time.perf_counter()
    meta = ReportMeta(
        user=who,
        generated_at=dt.datetime.now(zone),
        version=sitload_version(),
        store=store_kind,
        source=where,
    )
    text = render(fmt, rev, meta)
    try:
        out.write_text(text, encoding="utf-8", newline="")
    except OSError as exc:
        _fail(f"{out}: cannot write the report: {exc.strerror or exc}")
    t_end = time.perf_counter()
    log.info(
        "report: load %.2f s, review %.2f s, %s %.2f s",
        t_loaded - t_start,
        t_review - t_loaded,
        fmt,
        t_end - t_review,
    )
    if not rev.has_data:
        click.echo(
            f"sitload: no sensor data for user {who} from {first_day} to {last_day}; "
            f"the report says so.",
            err=True,
        )
    click.echo(
        f"wrote {out} ({fmt}, {counted(n_days, 'day')}, {first_day} to {last_day}, user {who}, "
        f"from {where}, {t_end - t_start:.1f} s)"
    )
