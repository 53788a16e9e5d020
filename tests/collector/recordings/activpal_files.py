"""activPAL export text for the tests: the two headers and classic Events rows."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

CLASSIC_HEADER = (
    '"Time","DataCount (samples)","Interval (s)","ActivityCode (0=sedentary 1=standing '
    '2=stepping 3.1=primary lying, 3.2=secondary lying 4=non-wear)","CumulativeStepCount",'
    '"Activity Score (MET.h)"\n'
)
EX_HEADER = (
    "sep=;\nTime;Time(approx);Data Count;Event Type;Duration (s);Waking Day;"
    "Cumulative Step Count;Activity Score (MET.h)\n"
)
DAY = 43429.0  # 2018-11-25 00:00 as an Excel serial day


def serial(seconds: float) -> str:
    return f"{DAY + seconds / 86400:.10f}"


def classic(rows: list[tuple[float, int, float, float, int]]) -> str:
    """(seconds after midnight, DataCount, interval, code, cumulative steps) rows."""
    return CLASSIC_HEADER + "".join(
        f"{serial(t)},{dc},{iv},{code:g},{cum},0.01\n" for t, dc, iv, code, cum in rows
    )


def write(tmp_path: Path, text: str, name: str = "x-Events.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def local(seconds_since_1970: float) -> datetime:
    return datetime.fromtimestamp(seconds_since_1970, UTC).replace(tzinfo=None)
