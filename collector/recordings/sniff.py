"""What the start of a file says it is: a FIT ride, an activPAL export, a WISDM line.

Format detection (:func:`collector.recordings.detect_format`, ``sitload analyze``'s
choice between a ride and a recording) runs for every file; these tests need no
reader, so a sitload CSV is recognised without importing the readers of the other
formats.
"""

from __future__ import annotations

import os
import re
from typing import Final

__all__ = ["WISDM_LINE_RE", "is_fit_file", "looks_like_wisdm", "sniff_activpal"]

_FIT_MAGIC: Final = b".FIT"
_NUMBER: Final = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
WISDM_LINE_RE: Final = re.compile(
    rf"\s*\d+\s*,\s*[A-Za-z]\w*\s*,\s*\d+\s*(?:,\s*{_NUMBER}\s*){{3}};?\s*"
)
"""A line of the WISDM raw format (used by format detection)."""


def is_fit_file(path: str | os.PathLike[str]) -> bool:
    """True when the file starts with a FIT header (``.FIT`` at bytes 8-11)."""
    try:
        with open(path, "rb") as f:
            head = f.read(12)
    except OSError:
        return False
    return len(head) == 12 and head[0] in (12, 14) and head[8:12] == _FIT_MAGIC


def sniff_activpal(text: str) -> str | None:
    """``"eventsex"`` when ``text`` (the start of a file) is a PALbatch EventsEx export
    (first line ``sep=;``), ``"events"`` for a classic Events export (header starting
    ``"Time","DataCount``), else ``None``."""
    first = text.lstrip("\ufeff").split("\n", 1)[0].strip()
    if first.lower().startswith("sep="):
        return "eventsex"
    unquoted = first.replace('"', "").replace(" ", "").lower()
    if unquoted.startswith("time,datacount"):
        return "events"
    return None


def looks_like_wisdm(line: str) -> bool:
    """True when ``line`` is a line of the WISDM raw format."""
    return WISDM_LINE_RE.fullmatch(line) is not None
