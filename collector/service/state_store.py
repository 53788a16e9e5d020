"""The service's state file: written atomically, read back after a crash or reboot."""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


class StateStore:
    """One JSON file per user under the state directory. ``save`` writes a temporary
    file, fsyncs it and renames it over the old one, so a crash leaves either the old
    or the new state, never half of one."""

    def __init__(self, directory: Path, user_id: str) -> None:
        self.path = directory / f"{user_id}.state.json"

    def load(self) -> dict[str, Any] | None:
        """The saved state, or None. A damaged file is moved aside (``….corrupt-<time>``)
        with a warning and the service starts afresh."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise OSError(f"cannot read the state file {self.path}: {exc}") from None
        try:
            data = json.loads(text)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            return data
        except ValueError as exc:
            self.quarantine(str(exc))
            return None

    def quarantine(self, reason: str) -> None:
        aside = self.path.with_name(f"{self.path.name}.corrupt-{int(time.time())}")
        os.replace(self.path, aside)
        log.warning(
            "the state file %s is damaged (%s); moved it to %s and started afresh",
            self.path,
            reason,
            aside,
        )

    def save(self, state: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(state, f, separators=(",", ":"), allow_nan=False)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
        try:  # make the rename itself durable
            fd = os.open(self.path.parent, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
