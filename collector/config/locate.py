"""Which config file a command reads: ``--config``, else ``$SITLOAD_CONFIG``, else
``config.toml`` in the platform's user config folder when it exists (on Linux
``~/.config/sitload/config.toml``), else none (the built-in defaults)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from collector.config.errors import ConfigError
from collector.config.records import APP_NAME

CONFIG_ENV = "SITLOAD_CONFIG"
CONFIG_NAME = "config.toml"


@dataclass(frozen=True, slots=True)
class ConfigChoice:
    path: Path | None
    """None: no file, the built-in defaults."""
    origin: str
    """How it was found (``--config``, ``$SITLOAD_CONFIG``, ``the user config
    folder``), or where none was found."""

    def describe(self) -> str:
        """``config: PATH (from --config)``, or ``config: none, … (where it looked)``."""
        if self.path is None:
            return f"config: none, the built-in defaults ({self.origin})"
        return f"config: {self.path} (from {self.origin})"


def user_config_file() -> Path:
    """``config.toml`` in the platform's user config folder."""
    return platformdirs.user_config_path(APP_NAME) / CONFIG_NAME


def find_config(
    explicit: Path | None,
    environ: Mapping[str, str] | None = None,
    *,
    default_file: Path | None = None,
) -> ConfigChoice:
    """The config file to read (``default_file``: the user config file, for tests).

    A file named by ``--config`` or ``$SITLOAD_CONFIG`` must exist (raises
    :class:`ConfigError`); the user config folder's file is read only when present."""
    env = os.environ if environ is None else environ
    if explicit is not None:
        return ConfigChoice(explicit.expanduser(), "--config")
    named = env.get(CONFIG_ENV, "").strip()
    if named:
        path = Path(named).expanduser()
        if not path.is_file():
            raise ConfigError(
                f"${CONFIG_ENV}={named}: no such file; fix the path or unset {CONFIG_ENV}"
            )
        return ConfigChoice(path, f"${CONFIG_ENV}")
    fallback = user_config_file() if default_file is None else default_file
    if fallback.is_file():
        return ConfigChoice(fallback, "the user config folder")
    return ConfigChoice(None, f"no --config, no ${CONFIG_ENV}, no {fallback}")
