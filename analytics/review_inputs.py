"""What the review reads, as small protocols, so analytics never imports the
collector: the history's alerts, daily counters and pain reports (or the plain
records below, for callers without a history)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


class AlertLike(Protocol):
    """An alert as the history keeps it (``EventRecord`` with ``source == "alert"``)."""

    @property
    def t_s(self) -> float: ...
    @property
    def kind(self) -> str: ...
    @property
    def payload(self) -> Mapping[str, Any]: ...


class DailyLike(Protocol):
    """The live service's counters of one local day (``DailyRecord``)."""

    @property
    def date(self) -> str: ...
    @property
    def prompted(self) -> int: ...
    @property
    def taken(self) -> int: ...
    @property
    def natural(self) -> int: ...
    @property
    def late(self) -> int: ...
    @property
    def snoozed(self) -> int: ...
    @property
    def ignored(self) -> int: ...


class PainLike(Protocol):
    """A pain report (``PainReport``)."""

    @property
    def t_s(self) -> float: ...
    @property
    def score(self) -> int: ...
    @property
    def when(self) -> str: ...


@dataclass(frozen=True, slots=True)
class AlertMark:
    """A plain alert, for callers without history records (tests, replays)."""

    t_s: float
    kind: str
    payload: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PainScore:
    """A plain pain report, for callers without history records."""

    t_s: float
    score: int
    when: str = "morning"


__all__ = ["AlertLike", "AlertMark", "DailyLike", "PainLike", "PainScore"]
