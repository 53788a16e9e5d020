"""How a report is built, for ``sitload report`` and ``sitload clinic`` alike: the
history opened, the range of days placed, the review built and rendered. Importing
this module is cheap: the store, the analytics and the page are imported when used.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
from typing import TYPE_CHECKING, NoReturn

import click

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


def fail(message: str) -> NoReturn:
    click.echo(f"sitload: error: {message}", err=True)
    sys.exit(EXIT_USAGE)


def parse_date(option: str, text: str) -> dt.date:
    if not _DATE.fullmatch(text.strip()):
        fail(f"{option} {text!r}: expected a date as YYYY-MM-DD, e.g. 2026-03-02")
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError as exc:
        fail(f"{option} {text!r}: {exc}")


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
    from collector.review.html import render_html

    return render_html(rev, meta)
