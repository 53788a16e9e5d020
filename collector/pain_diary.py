"""Pain scores for past moments: ``sitload pain SCORE --at "2026-11-24 07:30"`` and a
pain diary in CSV (``sitload pain import diary.csv``).

The diary is a CSV file (comma or semicolon) with a header row; column names are
case-insensitive, other columns are ignored:

=========  ========================================================================
column     meaning
=========  ========================================================================
``time``   local date and time ``YYYY-MM-DD HH:MM`` (seconds optional), or an ISO
           8601 time with its UTC offset (``2026-11-24T07:30+01:00``); or, with a
           ``date`` column ``YYYY-MM-DD``, just ``HH:MM``
``date``   optional: the local date when ``time`` holds only the clock time
``score``  whole number 0 (no pain) – 10 (worst imaginable)
``when``   optional: ``morning``, ``evening`` or ``now``; empty: from the clock
           time (see :func:`when_of`)
``note``   optional: free text
=========  ========================================================================

Local times are in the zone given (``--tz``, else the configuration's, else this
machine's). Rows that cannot be read are skipped and named (row number and why);
the others are imported. Each report is keyed by user and time, so importing a
diary again stores it once.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo

from collector.sinks.history.model import PainReport, PainWhen

MORNING_BEFORE_H: Final = 12
"""A score logged for a time before noon is a morning score (the 24-hour response)."""
EVENING_FROM_H: Final = 18
"""… and from 18:00 an evening score; in between ``now``."""
FUTURE_SLACK_S: Final = 300.0
"""A time this far past the clock is still accepted (clocks differ a little)."""

_LOCAL = re.compile(r"(\d{4}-\d{2}-\d{2})[ T](\d{1,2}:\d{2}(?::\d{2})?)")
_CLOCK = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class DiaryError(ValueError):
    """A time, score or file that cannot be read (the message says what to write)."""


def parse_time(text: str, zone: ZoneInfo, *, now_s: float | None = None) -> float:
    """``YYYY-MM-DD HH:MM[:SS]`` in ``zone``, or ISO 8601 with an offset, as Unix time.
    With ``now_s``: a time in the future is an error."""
    raw = text.strip()
    m = _LOCAL.fullmatch(raw)
    try:
        if m is not None:
            clock = m.group(2) if m.group(2).count(":") == 2 else m.group(2) + ":00"
            naive = dt.datetime.fromisoformat(f"{m.group(1)} {clock.zfill(8)}")
            t = naive.replace(tzinfo=zone).timestamp()
        else:
            aware = dt.datetime.fromisoformat(raw)
            if aware.tzinfo is None:
                raise ValueError("no time")
            t = aware.timestamp()
    except ValueError:
        raise DiaryError(
            f"{text!r}: expected a local time as YYYY-MM-DD HH:MM, e.g. 2026-11-24 07:30"
        ) from None
    if now_s is not None and t > now_s + FUTURE_SLACK_S:
        raise DiaryError(f"{text!r} is in the future; pain is logged for now or a past moment")
    return t


def when_of(t_s: float, zone: ZoneInfo) -> PainWhen:
    """``morning`` before noon, ``evening`` from 18:00, else ``now`` (local time)."""
    hour = dt.datetime.fromtimestamp(t_s, zone).hour
    if hour < MORNING_BEFORE_H:
        return "morning"
    return "evening" if hour >= EVENING_FROM_H else "now"


def parse_when(text: str) -> PainWhen | None:
    v = text.strip().lower()
    if v == "":
        return None
    if v == "morning":
        return "morning"
    if v == "evening":
        return "evening"
    if v == "now":
        return "now"
    raise DiaryError(f"when {text!r}: use morning, evening or now (or leave it empty)")


def parse_score(text: str) -> int:
    v = text.strip()
    if not re.fullmatch(r"\d{1,2}", v) or int(v) > 10:
        raise DiaryError(f"score {text!r}: a whole number 0 (no pain) to 10 (worst imaginable)")
    return int(v)


@dataclass(frozen=True, slots=True)
class Diary:
    reports: tuple[PainReport, ...]
    skipped: tuple[str, ...]
    """One line per skipped row: ``row N: why``."""


def read_diary(path: Path, user: str, zone: ZoneInfo, *, now_s: float) -> Diary:
    """The pain reports of a diary CSV (see the module docstring)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise DiaryError(f"{path}: cannot read the diary: {exc}") from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    rows = list(csv.reader(text.splitlines(), delimiter=delimiter))
    if not rows:
        raise DiaryError(f"{path}: the diary is empty; it needs a header row: time,score")
    header = [h.strip().lower() for h in rows[0]]
    col = {name: i for i, name in enumerate(header)}
    if "time" not in col or "score" not in col:
        raise DiaryError(
            f"{path}: the header {','.join(rows[0])!r} needs the columns time and score "
            "(optional: date, when, note); e.g. time,score,when,note"
        )
    reports: list[PainReport] = []
    skipped: list[str] = []
    for row_no, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue

        def cell(name: str, row: list[str] = row) -> str:
            i = col.get(name)
            return row[i] if i is not None and i < len(row) else ""

        try:
            when_text = cell("time").strip()
            if "date" in col and _CLOCK.fullmatch(when_text):
                if not _DATE.fullmatch(cell("date").strip()):
                    raise DiaryError(f"date {cell('date')!r}: expected YYYY-MM-DD")
                when_text = f"{cell('date').strip()} {when_text}"
            t_s = parse_time(when_text, zone, now_s=now_s)
            score = parse_score(cell("score"))
            when = parse_when(cell("when")) or when_of(t_s, zone)
            reports.append(PainReport(user, t_s, score, when, cell("note").strip()))
        except (DiaryError, ValueError) as exc:
            skipped.append(f"row {row_no}: {exc}")
    return Diary(tuple(reports), tuple(skipped))
