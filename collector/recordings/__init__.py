"""Recording files: the sitload CSV and Parquet formats, and the WISDM raw format.

:func:`load_recording` is the entry point for the CLI (``sitload analyze FILE
--format auto|csv|wisdm|parquet``). The formats are specified in docs/recordings.md.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Final

from analytics.records import Recording
from collector.recordings.csv_format import LoadedRecording, read_csv, write_csv
from collector.recordings.errors import RecordingError
from collector.recordings.parquet_format import read_parquet, write_parquet
from collector.recordings.wisdm import (
    WisdmSegment,
    looks_like_wisdm,
    read_wisdm,
    read_wisdm_segments,
    stitch,
)

__all__ = [
    "FORMATS",
    "LoadedRecording",
    "RecordingError",
    "WisdmSegment",
    "detect_format",
    "load_recording",
    "read_csv",
    "read_parquet",
    "read_wisdm",
    "read_wisdm_segments",
    "stitch",
    "write_csv",
    "write_parquet",
    "write_recording",
]

_READERS: Final[dict[str, Callable[[str | os.PathLike[str]], LoadedRecording]]] = {
    "csv": read_csv,
    "wisdm": read_wisdm,
    "parquet": read_parquet,
}

FORMATS: Final[tuple[str, ...]] = ("auto", *_READERS)
"""Format names accepted by :func:`load_recording` (and ``--format``)."""

_SUPPORTED: Final = (
    "supported formats: csv (a header row naming t_s), wisdm (lines like "
    "'1600,D,252207666810782,-0.36,8.79,1.05;'), parquet (a .parquet file); "
    "or name the format with --format"
)
_PARQUET_SUFFIXES: Final = (".parquet", ".pq")
_PARQUET_MAGIC: Final = b"PAR1"
_SNIFF_BYTES: Final = 65_536


def load_recording(path: str | os.PathLike[str], fmt: str = "auto") -> LoadedRecording:
    """Read a recording file in format ``fmt`` (one of :data:`FORMATS`).

    With ``auto`` the format is detected by :func:`detect_format`. Raises
    :class:`RecordingError` for a missing file, a directory, an unknown format and
    every problem in the file.
    """
    if fmt not in FORMATS:
        raise RecordingError(path, f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    _check_file(path)
    if fmt == "auto":
        fmt = detect_format(path)
    return _READERS[fmt](path)


def write_recording(recording: Recording, path: str | os.PathLike[str], fmt: str = "auto") -> None:
    """Write ``recording`` as ``csv`` or ``parquet``; ``auto`` picks Parquet for a
    ``.parquet`` (or ``.pq``) name and CSV otherwise.

    Raises :class:`RecordingError` when the file cannot be written (or pyarrow is
    missing for Parquet) and ``ValueError`` for a recording no reader would accept.
    """
    if fmt == "auto":
        fmt = "parquet" if Path(path).suffix.lower() in _PARQUET_SUFFIXES else "csv"
    if fmt == "csv":
        write_csv(recording, path)
    elif fmt == "parquet":
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
    ``csv`` when the first line that is not blank or a ``#`` comment is a header
    naming ``t_s``, ``wisdm`` when it is a WISDM sample line.

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
