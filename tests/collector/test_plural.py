"""collector.plural: one bout, two bouts, zero days."""

from __future__ import annotations

from collector.plural import counted, plural


def test_one_is_singular_everything_else_plural() -> None:
    assert counted(1, "bout") == "1 bout"
    assert counted(0, "day") == "0 days"
    assert counted(2, "patient-day") == "2 patient-days"
    assert counted(-1, "day") == "-1 days"
    assert counted(12_345, "sample", thousands=True) == "12,345 samples"
    assert plural(1, "was", "were") == "was"
    assert plural(3, "was", "were") == "were"
