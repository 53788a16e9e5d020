"""Which Home Assistant discovery configs this gateway has announced, kept in the
state folder, so configs it no longer announces (a user id change, an entity removed
in a new version) are cleared instead of lingering as ghost entities; and the
``origin.support_url`` of the configs."""

from __future__ import annotations

import importlib.metadata
import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path

from collector.sinks.ha_discovery import retired_config_topics

log = logging.getLogger(__name__)

REGISTRY_FILE = "ha-discovery.json"
"""In the state folder: ``{"topics": [...]}``, every config topic ever announced."""


def _known(path: Path) -> list[str]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        log.warning("%s: unreadable (%s); configs announced before are not cleared", path, exc)
        return []
    topics = doc.get("topics") if isinstance(doc, dict) else None
    if not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
        log.warning("%s: no list of topics; configs announced before are not cleared", path)
        return []
    return topics


def remember_configs(path: Path, current: Sequence[str]) -> list[str]:
    """Add ``current`` to the registry at ``path``; the topics announced before and
    not now (to clear with an empty retained payload). Every topic stays listed, so
    a clear that never reached the broker is sent again on the next start."""
    known = _known(path)
    retired = retired_config_topics(known, current)
    everything = sorted({*known, *current})
    if everything != sorted(known):
        tmp = path.with_name(path.name + ".tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps({"topics": everything}, indent=1) + "\n", encoding="utf-8")
            os.replace(tmp, path)
        except OSError as exc:
            log.warning("%s: cannot save the announced configs (%s)", path, exc)
    return retired


def package_support_url() -> str | None:
    """The installed package's issue tracker (else home page) URL, from its
    ``Project-URL`` metadata, for ``origin.support_url``; None without one."""
    try:
        entries: list[str] = importlib.metadata.metadata("sitload").get_all("Project-URL") or []
    except importlib.metadata.PackageNotFoundError:
        return None
    urls: dict[str, str] = {}
    for entry in entries:
        label, _, url = str(entry).partition(",")
        urls[label.strip().lower()] = url.strip()
    for label in ("issues", "bug tracker", "support", "homepage", "repository"):
        if urls.get(label):
            return urls[label]
    return None
