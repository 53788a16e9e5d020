"""Reading Mosquitto's log (``connection_messages true``, ``%H:%M:%S`` time stamps):
which gateway connected when, binned per second."""

from __future__ import annotations

import re
from collections import Counter

_CONNECTED = re.compile(r"^(\d\d):(\d\d):(\d\d): New client connected from \S+ as (\S+) ", re.M)


def connections(log_text: str, client_prefix: str) -> list[tuple[int, str]]:
    """(second of the day, client id) of each accepted connection whose client id
    starts with ``client_prefix``, in log order."""
    out = []
    for m in _CONNECTED.finditer(log_text):
        if m.group(4).startswith(client_prefix):
            h, mi, s = (int(g) for g in m.groups()[:3])
            out.append((h * 3600 + mi * 60 + s, m.group(4)))
    return out


def per_second(stamps: list[int]) -> list[int]:
    """Connections in each second from the first to the last (a day's wrap-around
    at midnight is unwrapped)."""
    if not stamps:
        return []
    first = stamps[0]
    seconds = [(t - first) % 86400 for t in stamps]
    counts = Counter(seconds)
    return [counts.get(i, 0) for i in range(max(seconds) + 1)]
