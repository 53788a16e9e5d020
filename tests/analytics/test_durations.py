"""Durations in words (analytics/durations.py)."""

from __future__ import annotations

from analytics.durations import (
    format_decimal_min,
    format_h_colon_min,
    format_h_min,
    format_h_min_s,
    format_min,
    format_min_s,
    format_threshold,
)


def test_hours_and_minutes_rounded_to_the_minute() -> None:
    assert format_h_min(125 * 60) == "2 h 05 min"
    assert format_h_min(35 * 60 + 29) == "35 min"
    assert format_h_min(59 * 60 + 31) == "1 h 00 min"
    assert format_h_min(0) == "0 min"


def test_table_cells_as_h_colon_mm() -> None:
    assert format_h_colon_min(125 * 60) == "2:05"
    assert format_h_colon_min(35 * 60) == "0:35"
    assert format_h_colon_min(None) == "–"


def test_thresholds_in_whole_hours_else_minutes() -> None:
    assert format_threshold(6 * 3600) == "6 h"
    assert format_threshold(3600) == "1 h"
    assert format_threshold(90 * 60) == "90 min"
    assert format_threshold(30 * 60) == "30 min"


def test_minutes_with_the_decimals_needed() -> None:
    assert format_min(120) == "2 min"
    assert format_min(150) == "2.5 min"


def test_spreadsheet_minutes_with_one_decimal() -> None:
    assert format_decimal_min(750) == "12.5"
    assert format_decimal_min(0) == "0.0"


def test_minutes_and_seconds_for_a_sentence() -> None:
    assert [format_min_s(s) for s in (120, 45, 90, 150.4, 7200)] == [
        "2 min",
        "45 s",
        "1 min 30 s",
        "2 min 30 s",
        "120 min",
    ]


def test_hours_and_minutes_or_minutes_and_seconds() -> None:
    assert format_h_min_s(3 * 60 + 7) == "3 min 07 s"
    assert format_h_min_s(2 * 3600 + 5 * 60 + 59) == "2 h 05 min"
    assert format_h_min_s(0) == "0 min 00 s"
    assert format_h_min_s(59.6) == "1 min 00 s"
