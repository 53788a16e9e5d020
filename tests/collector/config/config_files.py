"""What the collector.config tests share: the example configs and a scratch file."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.config import ConfigError, load_settings

REPO = Path(__file__).resolve().parents[3]
DESK = REPO / "config" / "desk-worker.toml"
CYCLIST = REPO / "config" / "cyclist.toml"
SECRET = "s3cr3t-Pa55"


def write(tmp_path: Path, text: str, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_settings(path, environ={})
    return str(info.value)
