"""collector.config.review_settings: what a review takes from the settings, the same
as load_settings gives, without pydantic when there is no config file."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.config import ConfigError, Overrides, load_settings
from collector.config.review_settings import ReviewSettings, review_settings
from tests.collector.cli.test_cli_startup import modules_after
from tests.collector.config.config_files import write


def machine(tmp_path: Path, text: str = "0123456789abcdef0123456789abcdef") -> Path:
    path = tmp_path / "machine-id"
    path.write_text(text + "\n", encoding="ascii")
    return path


def picked(path: Path | None, overrides: Overrides, machine_id_file: Path) -> ReviewSettings:
    s = load_settings(path, overrides, environ={}, machine_id_file=machine_id_file)
    return ReviewSettings(s.user_id, s.timezone, s.history_url, s.exposure, s.alerts.taken_within_s)


@pytest.mark.parametrize(
    "overrides",
    [
        Overrides(),
        Overrides(user_id="p-0042"),
        Overrides(history_url="sqlite:////tmp/x/history.db", user_id="p-1"),
        Overrides(history_url="influxdb-v1://localhost:8086/sitload"),
        Overrides(history_url="sqlite:///tmp/y.db", state_dir=Path("/tmp/sitload-state")),
    ],
)
def test_without_a_file_the_defaults_are_load_settings_own(
    overrides: Overrides, tmp_path: Path
) -> None:
    ids = machine(tmp_path)
    assert review_settings(None, overrides, machine_id_file=ids) == picked(None, overrides, ids)


def test_without_a_machine_id_the_user_id_is_the_state_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    missing = tmp_path / "no-machine-id"
    got = review_settings(None, Overrides(), machine_id_file=missing)
    assert got == picked(None, Overrides(), missing)
    assert got.user_id.startswith("u-")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (Overrides(user_id="Jane Doe"), "--user: 'Jane Doe' is not a valid id"),
        (Overrides(history_url="postgres://db/x"), "--history: 'postgres://db/x': unknown"),
        (Overrides(history_url="sqlite://relative.db"), "give an absolute file path"),
    ],
)
def test_wrong_options_give_load_settings_own_errors(
    overrides: Overrides, message: str, tmp_path: Path
) -> None:
    ids = machine(tmp_path)
    with pytest.raises(ConfigError) as ours:
        review_settings(None, overrides, machine_id_file=ids)
    with pytest.raises(ConfigError) as theirs:
        load_settings(None, overrides, environ={}, machine_id_file=ids)
    assert str(ours.value) == str(theirs.value)
    assert message in str(ours.value)


def test_a_file_is_read_and_checked_whole(tmp_path: Path) -> None:
    ids = machine(tmp_path)
    path = write(
        tmp_path,
        '[user]\nid = "p-7f3a"\ntimezone = "Europe/Paris"\n'
        '[history]\nurl = "sqlite:///srv/sitload/history.db"\n'
        "[alerts]\nprompt_after_min = 25\ntaken_within_min = 3\n",
    )
    got = review_settings(path, Overrides(), machine_id_file=ids)
    assert got == picked(path, Overrides(), ids)
    assert (got.user_id, got.timezone) == ("p-7f3a", "Europe/Paris")
    assert got.history_url == "sqlite:///srv/sitload/history.db"
    assert got.exposure.milestones_min[0] == 25.0
    assert got.taken_within_s == 180.0
    # a mistake anywhere in the file is an error, as for every command
    wrong = write(tmp_path, '[history]\nurl = "sqlite:///x.db"\n[mqtt]\nport = "1883"\n', "w.toml")
    with pytest.raises(ConfigError, match=r"mqtt\.port"):
        review_settings(wrong, Overrides(), machine_id_file=ids)


def test_the_defaults_import_no_pydantic() -> None:
    loaded = modules_after(
        "from collector.config import Overrides\n"
        "from collector.config.review_settings import review_settings\n"
        "review_settings(None, Overrides(history_url='sqlite:///tmp/h.db', user_id='p-1'))\n"
    )
    assert "collector.config.review_settings" in loaded
    assert not {m for m in loaded if m.split(".")[0].startswith("pydantic")}
