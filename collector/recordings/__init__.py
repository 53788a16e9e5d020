"""Recording files: the sitload CSV and Parquet formats, the WISDM raw format, and
activPAL event exports.

Two kinds of input, two entry points for the CLI (``sitload analyze FILE --format
auto|csv|wisdm|parquet|activpal``):

* raw samples (``csv``, ``wisdm``, ``parquet``): :func:`load_recording` returns a
  :class:`LoadedRecording` whose recording still needs posture classification;
* posture events (``activpal``): :func:`load_events` returns a :class:`LoadedTimeline`
  with the finished 0.1 s timeline and the events (steps); no classification.

:func:`is_event_file` tells which one a file (and ``--format``) is. The formats are
specified in docs/recordings.md and docs/activpal.md.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Final

from analytics.records import Recording
from collector.recordings.acc_units import checked_units
from collector.recordings.csv_reader import read_csv
from collector.recordings.csv_schema import LoadedRecording
from collector.recordings.errors import RecordingError
from collector.recordings.parquet_format import read_parquet
from collector.recordings.sniff import looks_like_wisdm, sniff_activpal

if TYPE_CHECKING:  # the readers of the other formats load when such a file is read
    from collector.recordings.activpal import LoadedTimeline

__all__ = [
    "EVENT_FORMATS",
    "FORMATS",
    "RECORDING_FORMATS",
    "LoadedRecording",
    "RecordingError",
    "detect_format",
    "is_event_file",
    "load_events",
    "load_recording",
    "read_csv",
    "read_parquet",
    "write_recording",
]


def _read_wisdm(path: str | os.PathLike[str]) -> LoadedRecording:
    from collector.recordings.wisdm import read_wisdm

    return read_wisdm(path)


def _read_activpal(path: str | os.PathLike[str]) -> LoadedTimeline:
    from collector.recordings.activpal import read_activpal

    return read_activpal(path)


_READERS: Final[dict[str, Callable[[str | os.PathLike[str]], LoadedRecording]]] = {
    "csv": read_csv,
    "wisdm": _read_wisdm,
    "parquet": read_parquet,
}

_EVENT_READERS: Final[dict[str, Callable[[str | os.PathLike[str]], LoadedTimeline]]] = {
    "activpal": _read_activpal,
}

RECORDING_FORMATS: Final[tuple[str, ...]] = tuple(_READERS)
"""Formats of raw samples, read by :func:`load_recording`."""

EVENT_FORMATS: Final[tuple[str, ...]] = tuple(_EVENT_READERS)
"""Formats of classified posture events, read by :func:`load_events`."""

FORMATS: Final[tuple[str, ...]] = ("auto", *RECORDING_FORMATS, *EVENT_FORMATS)
"""Format names accepted by ``--format`` (:func:`load_recording` for the recording
formats, :func:`load_events` for the event formats; ``auto`` for both)."""

_SUPPORTED: Final = (
    "supported formats: csv (a header row naming t_s), wisdm (lines like "
    "'1600,D,252207666810782,-0.36,8.79,1.05;'), parquet (a .parquet file), "
    "activpal (an activPAL Events or EventsEx export); or name the format with --format"
)
_PARQUET_SUFFIXES: Final = (".parquet", ".pq")
_PARQUET_MAGIC: Final = b"PAR1"
_SNIFF_BYTES: Final = 65_536


def load_recording(path: str | os.PathLike[str], fmt: str = "auto") -> LoadedRecording:
    """Read a recording file in format ``fmt`` (one of :data:`FORMATS`).

    With ``auto`` the format is detected by :func:`detect_format`. Accelerations in
    m/s² are converted to g with a warning (:mod:`collector.recordings.acc_units`).
    Raises :class:`RecordingError` for a missing file, a directory, an unknown format,
    accelerometer units that fit neither g nor m/s², and every problem in the file.
    """
    if fmt not in FORMATS:
        raise RecordingError(path, f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    _check_file(path)
    if fmt == "auto":
        fmt = detect_format(path)
    if fmt in _EVENT_READERS:
        raise RecordingError(
            path,
            f"this is an {fmt} event export (classified posture, not raw samples); "
            "read it with load_events",
        )
    return checked_units(_READERS[fmt](path), path)


def is_event_file(path: str | os.PathLike[str], fmt: str = "auto") -> bool:
    """True when ``path`` (read as ``fmt``) holds classified posture events, to be read
    with :func:`load_events` instead of :func:`load_recording`.

    Raises :class:`RecordingError` like :func:`load_recording` for an unknown format
    name, a missing file or (with ``auto``) content of no known format.
    """
    if fmt not in FORMATS:
        raise RecordingError(path, f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if fmt == "auto":
        fmt = detect_format(path)
    return fmt in _EVENT_READERS


def load_events(path: str | os.PathLike[str], fmt: str = "auto") -> LoadedTimeline:
    """Read an event export (``activpal``, or ``auto`` to detect it) into a timeline.

    Raises :class:`RecordingError` for a missing file, a file of a recording format
    (read those with :func:`load_recording`) and every problem in the file.
    """
    if fmt not in FORMATS:
        raise RecordingError(path, f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    _check_file(path)
    if fmt == "auto":
        fmt = detect_format(path)
    if fmt not in _EVENT_READERS:
        raise RecordingError(
            path,
            f"this is a {fmt} recording of raw samples, not an event export; "
            "read it with load_recording",
        )
    return _EVENT_READERS[fmt](path)


def write_recording(recording: Recording, path: str | os.PathLike[str], fmt: str = "auto") -> None:
    """Write ``recording`` as ``csv`` or ``parquet``; ``auto`` picks Parquet for a
    ``.parquet`` (or ``.pq``) name and CSV otherwise.

    Raises :class:`RecordingError` when the file cannot be written (or pyarrow is
    missing for Parquet) and ``ValueError`` for a recording no reader would accept.
    """
    if fmt == "auto":
        fmt = "parquet" if Path(path).suffix.lower() in _PARQUET_SUFFIXES else "csv"
    if fmt == "csv":
        from collector.recordings.csv_writer import write_csv

        write_csv(recording, path)
    elif fmt == "parquet":
        from collector.recordings.parquet_format import write_parquet

        write_parquet(recording, path)
    else:
        raise RecordingError(path, f"cannot write format {fmt!r}; use auto, csv or parquet")


def _check_file(path: str | os.PathLike[str]) -> None:
    p = Path(path)
    if p.is_dir():
        raise RecordingError(path, "this is a directory; name a recording file")
    if not p.exists():
        raise RecordingError(path, "no such file; check the path")


def detect_format(path: str | os.PathLike[str]) -> str:
    """The format of a file: ``parquet`` for a ``.parquet`` name or Parquet bytes,
    ``activpal`` when the file starts like an activPAL Events (``"Time","DataCount``)
    or EventsEx (``sep=;``) export, ``csv`` when the first line that is not blank or
    a ``#`` comment is a header naming ``t_s``, ``wisdm`` when it is a WISDM sample
    line.

    Raises :class:`RecordingError` (listing the supported formats) otherwise.
    """
    _check_file(path)
    if Path(path).suffix.lower() in _PARQUET_SUFFIXES:
        return "parquet"
    try:
        with open(path, "rb") as f:
            head = f.read(_SNIFF_BYTES)
    except OSError as exc:
        raise RecordingError(
            path, f"cannot read the file ({exc.strerror or exc}); check its permissions"
        ) from None
    if head.startswith(_PARQUET_MAGIC):
        return "parquet"
    if not head:
        raise RecordingError(path, f"the file is empty; {_SUPPORTED}", row=1)
    text = head.decode("utf-8-sig", errors="replace")
    if sniff_activpal(text) is not None:
        return "activpal"
    lines = text.splitlines()
    if len(head) == _SNIFF_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut by the sniff window
    for lineno, line in enumerate(lines, start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        names = {name.strip() for name in stripped.split("#", 1)[0].split(",")}
        if "t_s" in names:
            return "csv"
        if looks_like_wisdm(stripped):
            return "wisdm"
        shown = stripped if len(stripped) <= 60 else stripped[:57] + "..."
        raise RecordingError(
            path, f"not a recognised recording (the line is {shown!r}); {_SUPPORTED}", row=lineno
        )
    raise RecordingError(
        path, f"only comments or blank lines at the start; {_SUPPORTED}", row=len(lines) or 1
    )
