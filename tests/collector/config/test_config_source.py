"""collector.config.source: [source] and --source."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.config import (
    ConfigError,
    Overrides,
    load_settings,
    parse_source,
)
from tests.collector.config.config_files import write


def test_simulated_cyclist_source_makes_the_profile_cyclist_unless_the_file_says(
    tmp_path: Path,
) -> None:
    s = load_settings(None, Overrides(source="simulate:cyclist"), environ={})
    assert (s.profile, s.source.profile, s.alerts.cyclist) == ("cyclist", "cyclist", True)
    path = write(tmp_path, '[user]\nprofile = "desk"\n')
    s = load_settings(path, Overrides(source="simulate:cyclist"), environ={})
    assert (s.profile, s.source.profile, s.alerts.cyclist) == ("desk", "cyclist", False)


def test_ble_source_takes_its_devices_from_the_file_and_runs_in_real_time(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, '[source]\ndevices = ["witmotion:WT901BLE68/trunk"]\nspeed = 5\n')
    s = load_settings(path, Overrides(source="ble"), environ={})
    assert (s.source.kind, s.source.devices, s.source.speed) == (
        "ble",
        ("witmotion:WT901BLE68/trunk",),
        1.0,
    )
    with pytest.raises(ConfigError, match="--speed"):
        load_settings(path, Overrides(source="ble", speed=10), environ={})
    with pytest.raises(ConfigError, match=r"--source ble: source\.devices"):
        load_settings(None, Overrides(source="ble"), environ={})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("simulate", {"kind": "simulate"}),  # the person's profile (desk by default)
        ("simulate:desk", {"kind": "simulate", "profile": "desk"}),
        ("simulate:cyclist", {"kind": "simulate", "profile": "cyclist"}),
        ("replay:day.csv", {"kind": "replay", "file": Path("day.csv")}),
        ("ble", {"kind": "ble"}),
    ],
)
def test_parse_source(text: str, expected: object) -> None:
    assert parse_source(text) == expected


@pytest.mark.parametrize(
    "text", ["bluetooth", "simulate:runner", "replay", "replay:", "ble:AA:BB", ""]
)
def test_bad_source_names_the_option(text: str) -> None:
    with pytest.raises(ConfigError, match=r"^--source "):
        parse_source(text)
    with pytest.raises(ConfigError, match=r"^--source "):
        load_settings(None, Overrides(source=text), environ={})


def test_a_month_long_simulation_loads_and_is_replayed_in_pieces(tmp_path: Path) -> None:
    """A soak of 30 simulated days (issue 14): the simulator is made and replayed a
    piece at a time, so the length is no reason to refuse it; past a year is."""
    from collector.service.plans import SimulationPlan

    s = load_settings(write(tmp_path, '[source]\nkind = "simulate"\nhours = 720\n'), environ={})
    plan = SimulationPlan(s.source, lambda: 0.0)
    assert (s.source.hours, plan.pieces, plan.piece_h) == (720.0, 30, 24.0)
    with pytest.raises(ConfigError, match=r"source\.hours"):
        load_settings(write(tmp_path, '[source]\nkind = "simulate"\nhours = 9000\n'), environ={})
