"""Which Home Assistant discovery configs this gateway has announced, kept in the
state folder, so configs it no longer announces (a user id change, an entity removed
in a new version) are cleared instead of lingering as ghost entities; and the
``origin.support_url`` of the configs."""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.metadata
import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path

from collector.sinks.ha_discovery import discovery_messages, retired_config_topics
from collector.sinks.settings import MqttSettings

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
            with contextlib.suppress(OSError):  # a full disk leaves no half-written file
                tmp.unlink(missing_ok=True)
    return retired


LEGACY_DEFAULT_USER_ID = "user"
"""The user id every gateway had by default before it was derived from the machine."""


def seed_legacy_default(path: Path, state_dir: Path, settings: MqttSettings) -> bool:
    """Without a registry yet, but with the state of the old default user id in
    ``state_dir``: list that id's configs as announced, so an upgraded gateway
    clears its ``sitload_user_*`` entities. True when it did."""
    if path.exists() or settings.user_id == LEGACY_DEFAULT_USER_ID:
        return False
    if not (state_dir / f"{LEGACY_DEFAULT_USER_ID}.state.json").exists():
        return False
    legacy = dataclasses.replace(settings, user_id=LEGACY_DEFAULT_USER_ID)
    remember_configs(path, [topic for topic, _ in discovery_messages(legacy, sw_version="")])
    return True


def origin_support_url(configured: str | None) -> str | None:
    """``origin.support_url``: the configured one (``mqtt.support_url``), else the
    package's (:func:`package_support_url`), else None (left out, never invented)."""
    return configured or package_support_url()


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
