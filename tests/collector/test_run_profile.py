"""``sitload run --profile desk|cyclist``: the alert policy from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from collector.cli import main
from collector.config import Overrides, load_settings
from collector.service.runner import RunSummary


def desk_config(tmp_path: Path) -> Path:
    path = tmp_path / "desk.toml"
    path.write_text('[user]\nprofile = "desk"\n')
    return path


def test_profile_option_wins_over_the_config(tmp_path: Path) -> None:
    s = load_settings(desk_config(tmp_path), Overrides(profile="cyclist"))
    assert s.profile == "cyclist"
    assert s.alerts.cyclist


def test_simulated_cyclist_implies_the_profile_unless_the_config_says() -> None:
    assert load_settings(None, Overrides(source="simulate:cyclist")).alerts.cyclist
    assert not load_settings(None, Overrides(source="simulate:desk")).alerts.cyclist


def test_profile_picks_what_simulate_simulates() -> None:
    s = load_settings(None, Overrides(source="simulate", profile="cyclist"))
    assert s.source.profile == "cyclist"
    s = load_settings(None, Overrides(source="simulate:cyclist", profile="desk"))
    assert (s.profile, s.source.profile) == ("desk", "cyclist")


def test_run_passes_the_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    async def fake_run_service(settings: Any, console: Any) -> Any:
        seen["settings"] = settings
        return RunSummary(stopped_by="end")

    monkeypatch.setattr("collector.service.app.run_service", fake_run_service)
    args = ["run", "--config", str(desk_config(tmp_path)), "--profile", "cyclist"]
    args += ["--state-dir", str(tmp_path / "state"), "--source", "simulate"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert seen["settings"].profile == "cyclist"
    assert seen["settings"].alerts.cyclist
    result = CliRunner().invoke(main, ["run", "--profile", "racer"])
    assert result.exit_code == 2
    assert "racer" in result.output


def test_the_cyclist_profile_announces_the_saddle_entities() -> None:
    rider = load_settings(None, Overrides(source="simulate:cyclist", mqtt_url="mqtt://localhost"))
    assert rider.mqtt is not None
    assert rider.mqtt.saddle
    desk = load_settings(None, Overrides(mqtt_url="mqtt://localhost"))
    assert desk.mqtt is not None
    assert not desk.mqtt.saddle
