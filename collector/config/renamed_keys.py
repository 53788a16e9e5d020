"""Keys renamed for their units: in sitload's keys ``_min`` means minutes, never
"minimum". A file with an old name still loads, as if it held the new name, with a
warning naming the file and the new key; the old names are nowhere in the schema
(not listed among the known keys). A file with both names is an error."""

from __future__ import annotations

import logging
import types
from collections.abc import Mapping
from typing import Any

from collector.config.errors import ConfigError

log = logging.getLogger(__name__)

RENAMED_KEYS: Mapping[tuple[str, str], str] = types.MappingProxyType(
    {
        ("alerts", "break_min_s"): "break_s",
        ("alerts", "saddle_stand_min_s"): "saddle_stand_s",
        ("mqtt", "reconnect_min_s"): "reconnect_first_s",
    }
)
"""``(table, old key)`` -> the new key, same value and unit."""


def rename_keys(
    data: dict[str, Any], where: str
) -> tuple[dict[str, Any], dict[tuple[str, str], str]]:
    """The file's tables with every old key under its new name, and, for each one
    renamed, ``(table, new key)`` -> the old key as written (for messages about its value).

    Warns once per old key (logger ``collector.config.renamed_keys``); raises
    :class:`ConfigError` when a table holds both names."""
    out = dict(data)
    written: dict[tuple[str, str], str] = {}
    for (table, old), new in RENAMED_KEYS.items():
        values = out.get(table)
        if not isinstance(values, dict) or old not in values:
            continue
        if new in values:
            raise ConfigError(
                f"{where}: {table}.{old}: the old name of {table}.{new}, which is given too; "
                f"remove {old}"
            )
        log.warning(
            "%s: %s.%s is deprecated (renamed for its unit: _min means minutes); "
            "rename it to %s, with the same value",
            where,
            table,
            old,
            new,
        )
        out[table] = {(new if k == old else k): v for k, v in values.items()}
        written[(table, new)] = old
    return out, written
