"""Every patient's report and the overview's row of it.

Each patient goes through exactly what ``sitload report --user ID`` does — the range
placed by :func:`collector.review.building.report_days`, the history read by
:func:`collector.review.load.load_inputs`, the review built by
:func:`collector.review.building.build_review` and written by
:func:`collector.review.building.render` — and the overview's row is taken from that
same review (:func:`collector.review.clinic_rows.clinic_row`). With more than one
worker (:func:`worker_pool`) the patients are shared out to worker processes (each
opens the history itself): drawing the report's charts is most of the time.
"""

from __future__ import annotations

import datetime as dt
import importlib
import multiprocessing
import os
import re
import threading
import zlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.context import BaseContext
from pathlib import Path

from analytics.compression import ExposureParams
from collector.review import building
from collector.review.clinic_rows import ClinicRow, clinic_row, problem_row
from collector.review.load import load_inputs
from collector.review.meta import ReportMeta
from collector.sinks.history.model import HistoryStore
from collector.timezone import zone_named

PAGES = ("html", "json")
"""With the overview page, each patient's report is written as the page and its JSON."""
INDEX_STEM = "index"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def report_stems(users: Sequence[str]) -> dict[str, str]:
    """A file name stem per user id, unique even on a case-insensitive file system:
    the id itself when it is a plain name, else its safe characters and a hash."""
    out: dict[str, str] = {}
    taken = {INDEX_STEM}
    for user in users:
        stem = _UNSAFE.sub("_", user).lstrip(".") or "user"
        if stem != user or stem.lower() in taken:
            stem = f"{stem}-{zlib.crc32(user.encode()):08x}"
        taken.add(stem.lower())
        out[user] = stem
    return out


@dataclass(frozen=True, slots=True)
class PatientJob:
    """Everything one patient's report needs (picklable: sent to a worker)."""

    url: str
    user: str
    tz_name: str
    first_given: dt.date | None
    last_given: dt.date | None
    now_s: float
    params: ExposureParams
    taken_within_s: float
    out_dir: Path
    stem: str
    generated_at: dt.datetime
    version: str
    store_kind: str
    where: str
    formats: tuple[str, ...] = PAGES
    """Each a format of collector.review.building.render; the row links the first."""


def patient_row(store: HistoryStore, job: PatientJob) -> ClinicRow:
    """Write the report of ``job.user`` (in ``job.formats``) and return its overview row."""
    zone = zone_named(job.tz_name)
    try:
        first_day, last_day = building.report_days(
            store, job.user, zone, job.first_given, job.last_given, job.now_s, where=job.where
        )
    except building.ReportRangeError as exc:
        return problem_row(job.user, str(exc))
    inputs = load_inputs(store, job.user, first_day, last_day, zone, progress=False)
    rev = building.build_review(
        inputs,
        tz_name=job.tz_name,
        baseline=None,
        params=job.params,
        taken_within_s=job.taken_within_s,
    )
    meta = ReportMeta(
        user=job.user,
        generated_at=job.generated_at,
        version=job.version,
        store=job.store_kind,
        source=job.where,
    )
    for fmt in job.formats:
        path = job.out_dir / f"{job.stem}.{fmt}"
        path.write_text(building.render(fmt, rev, meta), encoding="utf-8", newline="")
    return clinic_row(rev, job.user, f"{job.stem}.{job.formats[0]}")


def _in_worker(job: PatientJob) -> ClinicRow:
    store = building.open_history(job.url)
    try:
        return patient_row(store, job)
    finally:
        store.close()


@contextmanager
def worker_pool(workers: int, formats: Sequence[str]) -> Iterator[ProcessPoolExecutor | None]:
    """``workers`` processes for :func:`patient_rows` (None: one, this process), started
    now. Forked when this process runs no other thread, after importing what a report
    needs: the workers start with it (a new interpreter imports it again, a second
    each); else spawned (a fork would copy other threads' locks, e.g. the InfluxDB
    readers'). Enter it before any thread starts (the progress bar's)."""
    if workers <= 1:
        yield None
        return
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        for module in _REPORT_MODULES["html" if "html" in formats else "json"]:
            importlib.import_module(module)
        ctx: BaseContext = multiprocessing.get_context("fork")
    else:
        ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        pool.submit(os.getpid).result()  # every worker starts on the first job
        yield pool


_REPORT_MODULES = {
    "json": ("analytics.review", "collector.review.export", "collector.sinks.history.factory"),
    "html": (
        "analytics.review",
        "collector.review.export",
        "collector.sinks.history.factory",
        "collector.review.html",
    ),
}
"""What one patient's report imports (by the formats written)."""


def patient_rows(
    store: HistoryStore,
    jobs: Sequence[PatientJob],
    pool: ProcessPoolExecutor | None,
    advance: Callable[[], None] = lambda: None,
) -> list[ClinicRow]:
    """The rows of ``jobs`` in their order: in ``pool`` (each worker opens the history
    of ``job.url``), else here from ``store``."""
    return list(_rows(store, jobs, pool, advance))


def _rows(
    store: HistoryStore,
    jobs: Sequence[PatientJob],
    pool: ProcessPoolExecutor | None,
    advance: Callable[[], None],
) -> Iterator[ClinicRow]:
    if pool is None:
        for job in jobs:
            yield patient_row(store, job)
            advance()
        return
    for row in pool.map(_in_worker, jobs):
        yield row
        advance()
