"""The service's state file: written atomically, read back after a crash or reboot,
checked against its schema (:mod:`collector.service.state_schema`) when read."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from pathlib import Path
from typing import Any

from collector.service.state_schema import problem

log = logging.getLogger(__name__)


def _no_constants(token: str) -> float:
    raise ValueError(f"{token} is not a number a state file may hold")


class StateStore:
    """One JSON file per user under the state directory. ``save`` writes a temporary
    file, fsyncs it and renames it over the old one, so a crash or a full disk leaves
    either the old or the new state, never half of one."""

    def __init__(self, directory: Path, user_id: str) -> None:
        self.path = directory / f"{user_id}.state.json"
        self._tmp = self.path.with_name(self.path.name + ".tmp")
        self.failed_saves = 0
        """Saves that failed in a row (a full or read-only disk); reset by a good one."""

    def load(self) -> dict[str, Any] | None:
        """The saved state, or None. A damaged file (not UTF-8, not JSON, or not what
        the schema allows) is moved aside (``….corrupt-<time>``) with a warning and the
        service starts afresh."""
        with contextlib.suppress(OSError):  # a save interrupted before its rename
            self._tmp.unlink(missing_ok=True)
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise OSError(f"cannot read the state file {self.path}: {exc}") from None
        try:
            data = json.loads(raw.decode("utf-8"), parse_constant=_no_constants)
        except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError included
            self.quarantine(str(exc)[:200])
            return None
        why = problem(data)
        if why is not None:
            self.quarantine(why)
            return None
        assert isinstance(data, dict)
        return data

    def quarantine(self, reason: str) -> None:
        """Move the file aside (kept for a look, never read again) and warn once."""
        aside = self.path.with_name(f"{self.path.name}.corrupt-{int(time.time())}")
        try:
            os.replace(self.path, aside)
        except OSError as exc:
            log.warning(
                "the state file %s is damaged (%s) and cannot be moved aside (%s); "
                "starting afresh (the next save replaces it)",
                self.path,
                reason,
                exc,
            )
            return
        log.warning(
            "the state file %s is damaged (%s); moved it to %s and started afresh",
            self.path,
            reason,
            aside,
        )

    def save(self, state: dict[str, Any]) -> bool:
        """Write the state; False when the disk refused (full, read-only, quota). The
        previous state file is then untouched, the temporary file removed, and one
        warning logged until a save succeeds again (the caller just tries later)."""
        try:
            self._write(state)
        except (ValueError, TypeError) as exc:  # a value JSON cannot hold (NaN): a bug
            if not self.failed_saves:
                log.error("cannot save the state (%s); prompts go on, saving is retried", exc)
            self.failed_saves += 1
            return False
        except OSError as exc:
            with contextlib.suppress(OSError):
                self._tmp.unlink(missing_ok=True)
            self.failed_saves += 1
            if self.failed_saves == 1:
                log.warning(
                    "cannot save the state to %s (%s); prompts go on, the last good state "
                    "is kept, and saving is retried",
                    self.path,
                    exc.strerror or exc,
                )
            else:
                log.debug("saving the state still fails: %s", exc)
            return False
        if self.failed_saves:
            log.info("the state is saved again (after %d failed attempts)", self.failed_saves)
            self.failed_saves = 0
        return True

    def _write(self, state: dict[str, Any]) -> None:
        text = json.dumps(state, separators=(",", ":"), allow_nan=False)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self._tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(self._tmp, self.path)
        try:  # make the rename itself durable
            fd = os.open(self.path.parent, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
