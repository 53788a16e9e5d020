"""What every table of the file's schema shares: the pydantic model settings (unknown
keys are errors, values keep their TOML type), the number types, and how a path
written in the file is read."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import ConfigDict, Field

TABLE = ConfigDict(extra="forbid", strict=True, frozen=True)
"""The ``model_config`` of every table."""

PositiveMinutes = Annotated[float, Field(gt=0, allow_inf_nan=False)]
"""A number of minutes greater than 0."""
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]


def resolve(path_text: str, base: Path | None) -> Path:
    """A path of the file: ``~`` expanded, relative to the file's folder ``base``."""
    p = Path(path_text).expanduser()
    return p if p.is_absolute() or base is None else base / p


def minutes(v: float) -> float:
    """Minutes -> seconds."""
    return v * 60.0
