"""One running service per state folder: an advisory lock on ``STATE_DIR/sitload.lock``.

Two services on the same state folder would overwrite each other's saved state,
share a history spool, and (with the same MQTT client id) throw each other off
the broker in turn. The lock is ``fcntl.flock`` on a file in the state folder:
the kernel releases it when the process ends, however it ends (``kill -9``
included), so a stale lock file never blocks a restart. The file holds the
holder's process id, for the error message.
"""

from __future__ import annotations

import errno
import fcntl
import os
from pathlib import Path
from types import TracebackType

LOCK_NAME = "sitload.lock"


class InstanceLockedError(RuntimeError):
    """Another sitload process runs on the same state folder."""


class InstanceLock:
    """Held from :meth:`acquire` (or ``with``) until :meth:`release`."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> InstanceLock:
        """Take the lock; :class:`InstanceLockedError` (with what to do) if it is held,
        OSError (with the path) if the folder cannot be used."""
        if self._fd is not None:
            return self
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = _open(self.path)
        except OSError as exc:
            raise OSError(
                exc.errno,
                f"cannot use the state folder {str(self.path.parent)!r} "
                f"({exc.strerror or exc}); check that it is a folder this user may write",
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            who = f"process {holder}" if holder else "another process"
            raise InstanceLockedError(
                f"another sitload service ({who}) is running with the state folder "
                f"{str(self.path.parent)!r}; stop it first, or give this one its own "
                "folder (--state-dir, or [state] dir in the config)"
            ) from None
        try:  # the process id is only for the message: a full disk must not stop us
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
        except OSError:
            pass
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def __enter__(self) -> InstanceLock:
        return self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def _open(path: Path) -> int:
    """The lock file, created if missing; read-only when the disk is (a lock on a
    read-only descriptor works all the same)."""
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        if exc.errno != errno.EROFS or not path.exists():
            raise
        return os.open(path, os.O_RDONLY | os.O_CLOEXEC)


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
