"""What a report says about itself: who (pseudonymous id only), when, which version."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
from dataclasses import dataclass


def sitload_version() -> str:
    try:
        return importlib.metadata.version("sitload")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


@dataclass(frozen=True, slots=True)
class ReportMeta:
    user: str
    """The pseudonymous user id (never a name)."""
    generated_at: dt.datetime
    """Aware, in the report's time zone."""
    version: str
    store: str = ""
    """The history store's kind (``sqlite``, ``influxdb`` …), never its URL."""
    source: str = ""
    """Where the store is (collector.review.range.describe_store: kind, host,
    database or file; never a user name, password or token)."""

    @property
    def generated_text(self) -> str:
        return self.generated_at.strftime("%Y-%m-%d %H:%M %Z").strip()
