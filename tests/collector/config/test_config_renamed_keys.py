"""collector.config.renamed_keys: keys renamed for their units (``_min`` is minutes,
never "minimum") still load under the old name, with a warning naming the file and
the new key; both names at once are an error."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from collector.config import load_settings
from collector.config.renamed_keys import RENAMED_KEYS
from tests.collector.config.config_files import error_of, write

RENAMED = [
    ("alerts", "break_min_s", "break_s", 150.0, "[alerts]\nstand_for_min = 3\n"),
    ("alerts", "saddle_stand_min_s", "saddle_stand_s", 15.0, "[alerts]\n"),
    ("mqtt", "reconnect_min_s", "reconnect_first_s", 0.5, '[mqtt]\nhost = "b"\n'),
]
IDS = [old for _, old, _, _, _ in RENAMED]


def _value(path: Path, table: str, new: str) -> float:
    s = load_settings(path, environ={})
    if table == "mqtt":
        assert s.mqtt is not None
        # the sink's field keeps its name until the sink is renamed too
        return s.mqtt.reconnect_first_s
    # [alerts] break_s and saddle_stand_s set the exposure rules the alert policy holds
    return float(getattr(s.alerts.exposure, new))


def test_every_old_name_is_listed() -> None:
    assert {(t, old): new for t, old, new, _, _ in RENAMED} == dict(RENAMED_KEYS)


@pytest.mark.parametrize(("table", "old", "new", "value", "head"), RENAMED, ids=IDS)
def test_the_old_name_loads_as_the_new_one_with_a_warning(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    table: str,
    old: str,
    new: str,
    value: float,
    head: str,
) -> None:
    new_path = write(tmp_path, f"{head}{new} = {value}\n", "new.toml")
    old_path = write(tmp_path, f"{head}{old} = {value}\n", "old.toml")
    with caplog.at_level(logging.WARNING, logger="collector.config"):
        assert _value(new_path, table, new) == value
        assert not caplog.records
        assert _value(old_path, table, new) == value
    [record] = caplog.records
    message = record.getMessage()
    assert record.levelno == logging.WARNING
    assert str(old_path) in message
    assert f"{table}.{old} is deprecated" in message
    assert f"rename it to {new}" in message


@pytest.mark.parametrize(("table", "old", "new", "value", "head"), RENAMED, ids=IDS)
def test_both_names_are_an_error_naming_both(
    tmp_path: Path, table: str, old: str, new: str, value: float, head: str
) -> None:
    message = error_of(tmp_path, f"{head}{old} = {value}\n{new} = {value}\n")
    assert message.startswith(f"{tmp_path / 'config.toml'}: {table}.{old}: ")
    assert f"the old name of {table}.{new}, which is given too; remove {old}" in message


def test_the_old_names_are_hidden_from_the_known_keys(tmp_path: Path) -> None:
    message = error_of(tmp_path, "[alerts]\nbreak_min = 1\n")
    assert "alerts.break_min: unknown key" in message
    assert "break_s" in message
    assert "break_min_s" not in message
    assert "saddle_stand_min_s" not in message


def test_a_bad_value_under_the_old_name_names_the_key_as_written(tmp_path: Path) -> None:
    message = error_of(tmp_path, "[alerts]\nbreak_min_s = -1\n")
    assert "config.toml: alerts.break_min_s: must be greater than 0 (got -1)" in message
    message = error_of(tmp_path, '[mqtt]\nhost = "b"\nreconnect_min_s = "1"\n')
    assert "config.toml: mqtt.reconnect_min_s: must be a number" in message


def test_the_examples_use_only_the_new_names() -> None:
    for example in ("desk-worker.toml", "cyclist.toml"):
        text = (Path(__file__).resolve().parents[3] / "config" / example).read_text("utf-8")
        for (_table, old), new in RENAMED_KEYS.items():
            assert f"\n{old} =" not in text, (example, old)
            assert f"\n# {old} =" not in text, (example, old)
            assert f"{new} =" in text, (example, new)
