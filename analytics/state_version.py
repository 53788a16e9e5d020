"""Saved states carry a version: a state of another version is refused with a message
that says what to do, never read as if it were this one."""

from __future__ import annotations

from typing import Any

STATES: dict[str, str] = {
    "alert": "the saved alert state",
    "exposure": "the saved exposure state (the bout clock)",
}
"""What each kind of saved state is, in the refusal's words."""


def unversioned(saved: dict[str, Any], version: int, kind: str) -> dict[str, Any]:
    """``saved`` without its ``version`` key, which must equal ``version``; ``kind``:
    a key of :data:`STATES`."""
    d = dict(saved)
    found = d.pop("version", None)
    if found != version:
        raise ValueError(
            f"{STATES[kind]} has version {found}, this sitload reads {version}; delete the "
            "state file to start afresh"
        )
    return d
