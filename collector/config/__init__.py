"""TOML config file -> validated settings (errors name the key path).

:func:`load_settings` reads one TOML file (``config/desk-worker.toml`` and
``config/cyclist.toml`` are the commented reference), validates it with pydantic
models internally (one module per table: :mod:`.user`, :mod:`.source`, :mod:`.alerts`,
:mod:`.mqtt`, :mod:`.state`, :mod:`.history`) and returns plain frozen dataclasses
(:class:`Settings`) to the rest of the program. Command-line :class:`Overrides` win
over the file; without a file the defaults built into the code apply (a simulated
desk day at 60 × real time, console alerts, no broker).

Every problem is a :class:`ConfigError` whose message names the file, the key path,
the problem and the fix, e.g.::

    config.toml: alerts.prompt_after_min: must be greater than 0 (got -5)
    config.toml: alerts.working_hours.mon-fri[1]: '25:00-07:00': 25:00 is not a time …

Rules worth knowing:

* Unknown keys are errors (a misspelt key would otherwise be ignored silently).
* Keys renamed for their units (``_min`` means minutes, never "minimum") still load
  under their old names, with a warning naming the file and the new key
  (:mod:`.renamed_keys`); both names in one table are an error.
* Values have their TOML type: ``30`` not ``"30"``; ``true`` not ``"yes"``.
* Relative paths (``source.file``, ``mqtt.ca_file``, ``state.dir``) are relative to
  the config file's folder; ``~`` is expanded.
* ``${VAR}`` is replaced by the environment variable ``VAR`` in the secret-ish strings
  only: ``mqtt.url``, ``mqtt.username`` and ``mqtt.password`` (``$$`` is a literal
  ``$``). An unset variable is an error naming the key and the variable. Nowhere else
  is the environment read, except ``SITLOAD_MQTT_PASSWORD``, which supplies the
  password when a user name is given without one.
* Passwords never appear in error messages or in ``repr``.

Importing this package does not import pydantic: :func:`load_settings` and
:func:`parse_source` (whose modules hold the file's schema) are imported when first
used, so a command that reads no config file (``sitload report`` on the defaults, see
:mod:`.review_settings`) never loads it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from collector.config.errors import ConfigError
from collector.config.history import sqlite_path
from collector.config.locate import ConfigChoice, find_config
from collector.config.mqtt_url import MqttUrlFields, parse_mqtt_url
from collector.config.records import OVERRIDE_FLAGS, Overrides, Settings, SourceSettings
from collector.config.windows import format_window, parse_window
from collector.lazy_names import lazy_name

if TYPE_CHECKING:
    from collector.config.load import load_settings
    from collector.config.source import SourceFields, parse_source

_LAZY = {
    "load_settings": "collector.config.load",
    "SourceFields": "collector.config.source",
    "parse_source": "collector.config.source",
}
"""The names whose modules import pydantic: imported on first use."""


def __getattr__(name: str) -> Any:
    return lazy_name(__name__, _LAZY, name)


__all__ = [
    "OVERRIDE_FLAGS",
    "ConfigChoice",
    "ConfigError",
    "MqttUrlFields",
    "Overrides",
    "Settings",
    "SourceFields",
    "SourceSettings",
    "find_config",
    "format_window",
    "load_settings",
    "parse_mqtt_url",
    "parse_source",
    "parse_window",
    "sqlite_path",
]
