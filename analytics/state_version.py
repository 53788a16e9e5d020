"""Saved states carry a version: a state of another version is refused with a message
that says what to do, never read as if it were this one."""

from __future__ import annotations

from typing import Any


def unversioned(saved: dict[str, Any], version: int, what: str, advice: str) -> dict[str, Any]:
    """``saved`` without its ``version`` key, which must equal ``version``."""
    d = dict(saved)
    found = d.pop("version", None)
    if found != version:
        raise ValueError(
            f"the saved {what} has version {found}, this sitload reads {version}; {advice}"
        )
    return d
