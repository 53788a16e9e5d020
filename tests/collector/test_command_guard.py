"""collector.service.command_guard: a token bucket per source, one warning per flood."""

from __future__ import annotations

import logging

import pytest

from analytics.alert_records import Alert, AlertKind
from collector.service.command_guard import CommandGuard, CommandLimits, split_rejected


class Clock:
    def __init__(self) -> None:
        self.t_s = 1000.0

    def __call__(self) -> float:
        return self.t_s


def test_burst_then_the_sustained_rate_per_source(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="collector.service.command_guard")
    clock = Clock()
    guard = CommandGuard(CommandLimits(burst=5, per_min=6.0), clock=clock)
    assert [guard.admit("mqtt") for _ in range(7)] == [True] * 5 + [False] * 2
    assert guard.admit("console")  # another source has its own bucket
    # a long flood: one admitted every 10 s, one warning for all of it
    admitted = 0
    for _ in range(20_000):
        clock.t_s += 0.005
        admitted += guard.admit("mqtt")
    assert admitted in (9, 10)  # 100 s at one a 10 s (float steps)
    assert guard.dropped["mqtt"] == 2 + 20_000 - admitted
    assert guard.dropped_total == guard.dropped["mqtt"]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "mqtt" in warnings[0].getMessage()
    # quiet until the bucket is full again: the flood is over, logged with its count
    clock.t_s += 60.0
    assert guard.admit("mqtt")
    assert any("back within the limit" in r.getMessage() for r in caplog.records)
    assert [guard.admit("mqtt") for _ in range(5)] == [True] * 4 + [False]
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 2


def test_the_number_of_sources_is_bounded() -> None:
    guard = CommandGuard(CommandLimits(max_sources=3), clock=Clock())
    for i in range(1000):
        guard.admit(f"source-{i}")
    assert len(guard._buckets) == 3


@pytest.mark.parametrize(
    "limits",
    [{"burst": 0}, {"per_min": 0.0}, {"per_min": float("nan")}, {"max_sources": 0}],
)
def test_limits_are_checked(limits: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must be"):
        CommandLimits(**limits)  # type: ignore[arg-type]


def test_split_rejected() -> None:
    ok = Alert("a", AlertKind.SNOOZED, 1.0, "Snoozed.")
    no = Alert("b", AlertKind.REJECTED, 1.0, "No.")
    assert split_rejected([ok, no]) == ((ok,), [no])
