"""collector.service.instance_lock: one service per state folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from collector.service.instance_lock import LOCK_NAME, InstanceLock, InstanceLockedError


def test_a_second_holder_is_refused_with_the_first_ones_pid(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with InstanceLock(state):
        assert (state / LOCK_NAME).read_text().strip() == str(os.getpid())
        with pytest.raises(InstanceLockedError, match=f"process {os.getpid()}") as info:
            InstanceLock(state).acquire()
        assert "--state-dir" in str(info.value)
    with InstanceLock(state):  # released: free again
        pass


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    code = (
        "import os, sys, pathlib\n"
        "from collector.service.instance_lock import InstanceLock\n"
        "InstanceLock(pathlib.Path(sys.argv[1])).acquire()\n"
        "print('locked', flush=True)\n"
        "os.kill(os.getpid(), 9)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert out.stdout.strip() == "locked"
    assert (tmp_path / LOCK_NAME).exists()
    with InstanceLock(tmp_path):
        pass


def test_a_state_folder_that_cannot_be_used_is_an_os_error_naming_it(tmp_path: Path) -> None:
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(OSError, match="cannot use the state folder"):
        InstanceLock(a_file).acquire()
