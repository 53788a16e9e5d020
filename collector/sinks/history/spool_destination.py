"""Which store and user a spool belongs to: one spool folder per destination.

A spool holds records accepted for one history store and one person. They must be
written there and nowhere else: not into the default SQLite file after a restart
with another ``--history``, not into another person's store. So the writer's spool
lives in ``BASE/<key>``, where ``key`` is a hash of the destination (the store URL
without any password or token, and the user id), and the folder's ``destination``
file says in words what it is.

At start the other folders under ``BASE`` are looked at: one that still holds
batches is left alone (it is written when sitload runs with that URL and user
again) and named in one warning. Segments an older sitload left directly in
``BASE`` (no destination recorded) are moved to ``BASE/unknown-destination`` with a
warning saying how to write them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import re
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

log = logging.getLogger(__name__)

DESTINATION_FILE = "destination"
LEGACY_FOLDER = "unknown-destination"
_SECRET_QUERY = re.compile(r"(?i)([?&](?:token|password|pass|pwd)=)[^&#]*")


def public_url(url: str) -> str:
    """The store URL without a password (the user name stays: it names the store
    account) or a secret query value."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return _SECRET_QUERY.sub(r"\1***", url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        netloc = f"{userinfo.partition(':')[0]}@{host}"
    return _SECRET_QUERY.sub(r"\1***", urlunsplit(parts._replace(netloc=netloc)))


def destination_key(url: str, user: str) -> str:
    return hashlib.sha256(f"{public_url(url)}\n{user}".encode()).hexdigest()[:16]


def _segments(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("seg-*.spool") if p.is_file() and p.stat().st_size)


def _describe(folder: Path) -> str:
    try:
        d = json.loads((folder / DESTINATION_FILE).read_text(encoding="utf-8"))
        return f"{d['store']} (user {d['user']})"
    except (OSError, ValueError, KeyError, TypeError):
        return "an unknown store"


def spool_folder(base: Path, url: str, user: str) -> Path:
    """The spool folder of (``url``, ``user``) under ``base`` (see the module
    docstring). Never raises for a disk that refuses writes: the spool itself
    deals with that."""
    folder = base / destination_key(url, user)
    with contextlib.suppress(OSError):
        _put_legacy_aside(base, folder, f"{public_url(url)} (user {user})")
    for other in sorted(p for p in base.glob("*") if p.is_dir() and p != folder):
        with contextlib.suppress(OSError):
            if other.name != LEGACY_FOLDER and _segments(other):
                log.warning(
                    "history spool %s holds data for %s; it is kept there and written when "
                    "sitload runs with that history URL and user again",
                    other,
                    _describe(other),
                )
    with contextlib.suppress(OSError):
        folder.mkdir(parents=True, exist_ok=True)
        info = folder / DESTINATION_FILE
        if not info.exists():
            text = json.dumps({"store": public_url(url), "user": user}) + "\n"
            tmp = folder / (DESTINATION_FILE + ".tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(info)
    return folder


def _put_legacy_aside(base: Path, folder: Path, current: str) -> None:
    """Segments left directly in ``base`` by an older sitload: their store is unknown."""
    legacy = _segments(base)
    if not legacy:
        return
    aside = base / LEGACY_FOLDER / time.strftime("%Y%m%dT%H%M%S")
    aside.mkdir(parents=True, exist_ok=True)
    for name in [p.name for p in legacy] + ["head"]:
        with contextlib.suppress(FileNotFoundError):
            (base / name).replace(aside / name)
    log.warning(
        "history spool %s held data of an older sitload that did not record its store; "
        "moved to %s and not written anywhere. If it belongs to %s: stop sitload, make "
        "sure %s holds no seg-*.spool file, and move the files of %s into it",
        base,
        aside,
        current,
        folder,
        aside,
    )
