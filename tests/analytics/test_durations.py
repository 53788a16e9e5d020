"""Durations in words (analytics/durations.py)."""

from __future__ import annotations

from analytics.durations import (
    format_decimal_min,
    format_h_colon_min,
    format_h_min,
    format_min,
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
