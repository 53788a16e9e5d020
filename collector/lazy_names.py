"""Names of a package imported on first use (PEP 562 ``__getattr__``), so that
importing the package stays cheap: ``collector`` and ``collector.config`` use it.
(``analytics`` has its own: it imports nothing from ``collector``.)"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Mapping
from typing import Any


def lazy_name(package: str, homes: Mapping[str, str], name: str) -> Any:
    """``name`` of ``package``, imported from its module in ``homes`` and kept in the
    package, so the next use finds it there; AttributeError for another name."""
    home = homes.get(name)
    if home is None:
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    setattr(sys.modules[package], name, value)
    return value
