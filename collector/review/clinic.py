"""``sitload clinic``: every patient of the history in one overview, each with their
own report beside it.

    sitload clinic --history influxdb-v1://clinic:8086/sitload --out clinic/

writes ``clinic/index.html`` (one sortable row per patient, linking to the report),
``clinic/index.json`` (the rows) and, per patient, ``<user>.html`` and
``<user>.json``: the report ``sitload report --user <user>`` writes with the same
options. ``sitload report --all-users --out DIR`` runs this command. The patients
are the store's users (a query on the history). Importing this module is cheap.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from collector.config_option import config_option, history_option
from collector.plural import counted

if TYPE_CHECKING:
    from collector.review.clinic_rows import ClinicRow

EXIT_USAGE = 2
log = logging.getLogger(__name__)


def _fail(message: str) -> NoReturn:
    click.echo(f"sitload: error: {message}", err=True)
    sys.exit(EXIT_USAGE)


def default_jobs() -> int:
    """Worker processes for the reports: the machine's cores, at most 8."""
    return max(1, min(8, os.cpu_count() or 1))


@click.command(name="clinic")
@click.option(
    "--from",
    "from_text",
    metavar="DATE",
    help="First day of every report, YYYY-MM-DD [default: 27 days before --to; without "
    "either, as `sitload report`: each patient's 28 days up to their last day with data].",
)
@click.option(
    "--to",
    "to_text",
    metavar="DATE",
    help="Last day of every report, YYYY-MM-DD (inclusive) [default: 27 days after --from].",
)
@click.option(
    "--tz",
    metavar="ZONE",
    help="IANA time zone of the days [default: the config's, else this machine's].",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    metavar="DIR",
    required=True,
    help="Folder to write index.html and every patient's report into (made if needed).",
)
@history_option()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "json"]),
    default="html",
    help="html: index.html and every report's page (and JSON); json: index.json and "
    "every report's JSON only (no charts: for scripts).",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    metavar="N",
    default=None,
    help="Worker processes writing the reports [default: this machine's cores, at most 8].",
)
@config_option("TOML settings for the defaults (time zone, history, break rules).")
def clinic_cmd(
    from_text: str | None,
    to_text: str | None,
    tz: str | None,
    out: Path,
    history_url: str | None,
    fmt: str,
    jobs: int | None,
    config_path: Path | None,
) -> None:
    """Write an overview of every patient in the history (one sortable row each: last
    data, valid days, compression per valid day and its trend, bouts over an hour, hip
    flexion above 90°, breaks after prompts, morning pain against baseline, flags) with
    each patient's own report beside it, into the folder --out."""
    from rich.console import Console

    from collector.config import ConfigError, Overrides, find_config
    from collector.config.review_settings import review_settings
    from collector.progress import counting_bar
    from collector.review import building
    from collector.review.clinic_run import (
        PAGES,
        PatientJob,
        patient_rows,
        report_stems,
        worker_pool,
    )
    from collector.review.meta import sitload_version
    from collector.review.range import describe_store
    from collector.sinks.history.model import StoreConfigError, StoreUnavailableError
    from collector.timezone import UnknownZoneError, chosen_zone

    first_given = None if from_text is None else building.parse_date("--from", from_text)
    last_given = None if to_text is None else building.parse_date("--to", to_text)
    if first_given and last_given and last_given < first_given:
        _fail(f"--to {last_given} is before --from {first_given}")
    try:
        settings = review_settings(
            find_config(config_path).path, Overrides(history_url=history_url)
        )
    except ConfigError as exc:
        _fail(str(exc))
    try:
        zone = chosen_zone(tz, settings.timezone)
    except UnknownZoneError as exc:
        _fail(str(exc))
    url = settings.history_url
    store_kind = building.store_scheme(url)
    where = describe_store(url)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _fail(f"{out}: cannot make the folder: {exc.strerror or exc}")
    t_start = time.perf_counter()
    try:
        store = building.open_history(url)
    except (ConfigError, ValueError, OSError, StoreUnavailableError, StoreConfigError) as exc:
        _fail(f"cannot open the {store_kind} history: {exc}")
    generated_at = dt.datetime.now(zone)
    console = Console(stderr=True)
    try:
        users = store.users()
        if not users:
            _fail(
                f"the {where} history has no users yet; import some with `sitload history import`"
            )
        stems = report_stems(users)
        now_s = time.time()
        todo = [
            PatientJob(
                url=url,
                user=u,
                tz_name=zone.key,
                first_given=first_given,
                last_given=last_given,
                now_s=now_s,
                params=settings.exposure,
                taken_within_s=settings.taken_within_s,
                out_dir=out,
                stem=stems[u],
                generated_at=generated_at,
                version=sitload_version(),
                store_kind=store_kind,
                where=where,
                formats=PAGES if fmt == "html" else ("json",),
            )
            for u in users
        ]
        workers = min(jobs or default_jobs(), len(todo))
        with (
            worker_pool(workers, todo[0].formats) as pool,  # forks before the bar's thread
            counting_bar(console, "reports", "patients") as bar,
        ):
            task = bar.add_task("patients", total=len(todo))
            rows = patient_rows(store, todo, pool, lambda: bar.advance(task))
    except (StoreUnavailableError, StoreConfigError) as exc:
        _fail(f"the {store_kind} history cannot be read: {exc}")
    except OSError as exc:
        _fail(f"{out}: cannot write a report: {exc.strerror or exc}")
    finally:
        store.close()
    index = write_index(
        out, rows, generated_at, zone.key, where, first_given, last_given, page=fmt == "html"
    )
    elapsed = time.perf_counter() - t_start
    missing = sum(r.problem is not None for r in rows)
    flagged = sum(1 for r in rows if r.alerts)
    click.echo(
        f"wrote {index} ({counted(len(rows), 'patient')}, {flagged} with alerts"
        + (f", {missing} without a report" if missing else "")
        + f", from {where}, {elapsed:.1f} s)"
    )


def write_index(
    out: Path,
    rows: list[ClinicRow],
    generated_at: dt.datetime,
    tz_name: str,
    where: str,
    first: dt.date | None,
    last: dt.date | None,
    *,
    page: bool = True,
) -> Path:
    """``index.json`` of ``rows`` in ``out`` and, with ``page``, ``index.html``; the
    path of the page (else of the JSON)."""
    from collector.output import to_json
    from collector.review.clinic_html import ClinicMeta, render_index
    from collector.review.clinic_rows import default_order, row_dict
    from collector.review.meta import sitload_version

    if first is None and last is None:
        range_text = "each patient's last 28 days with data"
    else:
        range_text = f"{first or '…'} to {last or '…'}"
    ordered = default_order(rows)
    meta = ClinicMeta(generated_at, sitload_version(), tz_name, where, range_text)
    html_path, json_path = out / "index.html", out / "index.json"
    try:
        if page:
            html_path.write_text(render_index(ordered, meta), encoding="utf-8", newline="")
        doc = {
            "schema": "sitload.clinic/1",
            "generated_at": generated_at.isoformat(timespec="seconds"),
            "time_zone": tz_name,
            "store": where,
            "first_day": None if first is None else first.isoformat(),
            "last_day": None if last is None else last.isoformat(),
            "patients": [row_dict(r) for r in ordered],
        }
        json_path.write_text(to_json(doc) + "\n", encoding="utf-8")
    except OSError as exc:
        _fail(f"{out}: cannot write the overview: {exc.strerror or exc}")
    return html_path if page else json_path
