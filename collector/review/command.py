"""``sitload report``: the physiotherapist's review of a date range from the history.

    sitload report --from 2026-03-02 --to 2026-03-22 --user p-0042 --out review.html

Register it on the main group with ``main.add_command(report_cmd)``. Importing this
module is cheap: the settings, the store and the analytics are imported when the
command runs. The HTML page's charts are written straight as SVG (no matplotlib).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from collector.config_option import config_option, history_option
from collector.plural import counted
from collector.review import building
from collector.user_option import user_option

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)


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
            building.fail("--all-users writes every user's report: leave out --user and --baseline")
        if fmt == "csv":
            building.fail("--all-users writes an overview: give --format html or json")
        from collector.review.clinic import clinic_cmd

        ctx.invoke(
            clinic_cmd, from_text=from_text, to_text=to_text, tz=tz, out=out,
            history_url=history_url, fmt=fmt, jobs=None, config_path=config_path,
        )  # fmt: skip
        return
    if out.is_dir():
        building.fail(
            f"--out {out} is a folder; give a file to write (or --all-users for a folder)"
        )
    from collector.config import ConfigError, Overrides, find_config
    from collector.config.review_settings import review_settings
    from collector.review.load import load_inputs
    from collector.review.meta import ReportMeta, sitload_version
    from collector.review.range import describe_store
    from collector.sinks.history.model import StoreConfigError, StoreUnavailableError
    from collector.timezone import UnknownZoneError, chosen_zone

    first_given = None if from_text is None else building.parse_date("--from", from_text)
    last_given = None if to_text is None else building.parse_date("--to", to_text)
    if first_given and last_given and last_given < first_given:
        building.fail(f"--to {last_given} is before --from {first_given}")
    try:
        settings = review_settings(
            find_config(config_path).path, Overrides(history_url=history_url, user_id=user)
        )
    except ConfigError as exc:
        building.fail(str(exc).replace("--user-id:", "--user:"))  # this command calls it --user
    try:
        zone = chosen_zone(tz, settings.timezone)
    except UnknownZoneError as exc:
        building.fail(str(exc))
    tz_name = zone.key
    who = settings.user_id
    store_kind = building.store_scheme(settings.history_url)
    where = describe_store(settings.history_url)
    t_start = time.perf_counter()
    try:
        store = building.open_history(settings.history_url)
    except (ConfigError, ValueError, OSError, StoreUnavailableError, StoreConfigError) as exc:
        building.fail(f"cannot open the {store_kind} history: {exc}")
    try:
        users = store.users()
        if who not in users:
            known = ", ".join(users) if users else "none yet"
            building.fail(f"unknown user {who!r}; the history has: {known} ({where})")
        try:
            first_day, last_day = building.report_days(
                store, who, zone, first_given, last_given, time.time(), where=where
            )
        except building.ReportRangeError as exc:
            building.fail(str(exc))
        n_days = (last_day - first_day).days + 1
        inputs = load_inputs(store, who, first_day, last_day, zone)  # progress on stderr
    except (StoreUnavailableError, StoreConfigError) as exc:
        building.fail(f"the {store_kind} history cannot be read: {exc}")
    finally:
        store.close()
    t_loaded = time.perf_counter()
    rev = building.build_review(
        inputs,
        tz_name=tz_name,
        baseline=baseline,
        params=settings.exposure,
        taken_within_s=settings.taken_within_s,
    )
    t_review = time.perf_counter()
    meta = ReportMeta(
        user=who,
        generated_at=dt.datetime.now(zone),
        version=sitload_version(),
        store=store_kind,
        source=where,
    )
    text = building.render(fmt, rev, meta)
    try:
        out.write_text(text, encoding="utf-8", newline="")
    except OSError as exc:
        building.fail(f"{out}: cannot write the report: {exc.strerror or exc}")
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
