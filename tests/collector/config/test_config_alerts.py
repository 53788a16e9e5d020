"""collector.config.alerts and .windows: minutes become the alert policy's seconds;
quiet and working hours."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analytics.alert_params import DESK_QUIET_HOURS_S, AlertParams
from analytics.compression import ExposureParams
from collector.config import (
    format_window,
    load_settings,
    parse_window,
)
from tests.collector.config.config_files import write


def test_minutes_become_alert_seconds_and_exposure_follows(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[user]
profile = "cyclist"
timezone = "Europe/London"
[alerts]
prompt_after_min = 25
escalate_after_min = 35.5
repeat_every_min = 0
stand_for_min = 3
break_s = 150
taken_within_min = 12
snooze_default_min = 20
snooze_max_min = 60
snooze_daily_limit = 0
hip_prompt_after_min = 7
saddle_prompt_after_min = 50
saddle_stand_s = 15
status_after_s = 0
back_after_s = 12
prompt_gap_min = 5
quiet_hours = ["22:00-07:00", "12:00-12:30"]
""",
    )
    s = load_settings(path, environ={})
    assert s.timezone == "Europe/London"
    exposure = ExposureParams(
        break_s=150, saddle_stand_s=15, milestones_min=(25.0, 35.5), repeat_every_min=0.0
    )
    assert s.alerts == AlertParams(
        prompt_after_s=1500,
        escalate_after_s=2130,
        repeat_every_s=0,
        stand_for_s=180,
        exposure=exposure,
        taken_within_s=720,
        snooze_default_s=1200,
        snooze_max_s=3600,
        snooze_daily_limit=0,
        hip_prompt_after_s=420,
        cyclist=True,
        saddle_prompt_after_s=3000,
        status_after_s=0,
        back_after_s=12,
        prompt_gap_s=300,
        quiet_hours_s=((79200, 25200), (43200, 45000)),
    )
    assert s.exposure == exposure


@pytest.mark.parametrize(
    ("text", "quiet"),
    [
        ('[user]\nprofile = "desk"\n', DESK_QUIET_HOURS_S),
        ('[user]\nprofile = "cyclist"\n', ()),
        ("[alerts]\nquiet_hours = []\n", ()),
        (
            '[user]\nprofile = "cyclist"\n[alerts]\nquiet_hours = ["23:00-06:00"]\n',
            ((82800.0, 21600.0),),
        ),
    ],
)
def test_quiet_hours_default_to_the_profiles(tmp_path: Path, text: str, quiet: object) -> None:
    """Without the key: 22:00-07:00 for the desk worker, none for the cyclist."""
    s = load_settings(write(tmp_path, text), environ={})
    assert s.alerts.quiet_hours_s == quiet
    assert s.alerts.prompt_gap_s == 600.0
    assert s.alerts.status_after_s == 60.0
    assert s.alerts.back_after_s == 30.0


def test_working_hours_shorthand_days_and_unlisted_days(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[alerts.working_hours]
mon-fri = ["09:00-17:00"]
fri = ["09:00-13:00"]
sun = ["10:00-24:00"]
""",
    )
    week = load_settings(path, environ={}).alerts.working_hours_s
    assert week is not None
    day = ((9 * 3600.0, 17 * 3600.0),)
    assert week == (day, day, day, day, ((32400.0, 46800.0),), (), ((36000.0, 86400.0),))


def test_no_working_hours_table_means_always(tmp_path: Path) -> None:
    assert load_settings(write(tmp_path, "[alerts]\n"), environ={}).alerts.working_hours_s is None


_clock = st.tuples(st.integers(0, 23), st.integers(0, 59)).map(lambda t: f"{t[0]:02d}:{t[1]:02d}")


@given(_clock, _clock)
def test_window_text_round_trips(start: str, end: str) -> None:
    text = f"{start}-{end}"
    if start == end:
        with pytest.raises(ValueError, match="empty"):
            parse_window(text, wrap=True)
        return
    window = parse_window(text, wrap=True)
    assert format_window(window) == text
    assert parse_window(format_window(window), wrap=True) == window
    if window[0] < window[1]:
        assert parse_window(text, wrap=False) == window
    else:
        with pytest.raises(ValueError, match="must start before it ends"):
            parse_window(text, wrap=False)


@pytest.mark.parametrize(
    ("text", "window"),
    [
        ("22:00-07:00", (79200.0, 25200.0)),
        ("9:30 - 17:00", (34200.0, 61200.0)),
        ("13:00-24:00", (46800.0, 86400.0)),
    ],
)
def test_window_forms(text: str, window: tuple[float, float]) -> None:
    assert parse_window(text, wrap=True) == window


@pytest.mark.parametrize("text", ["24:00-07:00", "07:60-08:00", "7-8", "07:00-", "ab:cd-07:00"])
def test_bad_windows(text: str) -> None:
    with pytest.raises(ValueError, match=re.escape(repr(text))):
        parse_window(text, wrap=True)
