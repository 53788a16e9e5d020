"""collector.config: the built-in defaults, the example configs, reading the file,
overrides and the settings record."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import platformdirs
import pytest

from analytics.alert_params import AlertParams, working_week
from analytics.compression import ExposureParams
from collector.config import (
    ConfigError,
    Overrides,
    Settings,
    SourceSettings,
    load_settings,
    sqlite_path,
)
from collector.config.errors import unwrap
from collector.config.load import ConfigFile
from collector.sinks.settings import ConsoleSettings, MqttSettings
from tests.collector.config.config_files import CYCLIST, DESK, SECRET, error_of, write


def test_no_file_gives_the_built_in_defaults() -> None:
    s = load_settings(None, environ={})
    # no shared default: derived from this machine (tests/…/test_config_identity.py)
    assert re.fullmatch(r"u-[0-9a-f]{8}", s.user_id), s.user_id
    assert s.user_id_origin in ("machine", "state")
    assert s.timezone is None
    assert s.profile == "desk"
    assert s.source == SourceSettings()
    assert (s.source.kind, s.source.profile, s.source.speed) == ("simulate", "desk", 60.0)
    assert s.alerts == AlertParams()
    assert s.exposure == ExposureParams()
    assert s.mqtt is None
    assert s.console == ConsoleSettings()
    assert s.console.enabled
    assert s.state_dir == platformdirs.user_state_path("sitload")
    assert s.history_url.startswith("sqlite:///")
    assert sqlite_path(s.history_url) == platformdirs.user_data_path("sitload") / "history.db"
    assert s.config_path is None


def test_an_empty_file_gives_the_same_settings_as_no_file(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    s = load_settings(path, environ={})
    assert dataclasses.replace(s, config_path=None) == load_settings(None, environ={})
    assert s.config_path == path


def test_desk_worker_example_loads_and_its_defaults_are_the_code_defaults() -> None:
    s = load_settings(DESK, environ={})
    assert s.user_id == "p-7f3a"  # differs (commented so in the file)
    assert s.profile == "desk"
    # the file deliberately sets quiet hours and working hours; the rest are defaults
    assert s.alerts == dataclasses.replace(
        AlertParams(),
        quiet_hours_s=((22 * 3600.0, 7 * 3600.0),),
        working_hours_s=tuple(
            a + b
            for a, b in zip(
                working_week(9 * 3600, 12.5 * 3600),
                working_week(13.5 * 3600, 17.5 * 3600),
                strict=True,
            )
        ),
    )
    assert s.exposure == ExposureParams()
    assert s.source == dataclasses.replace(
        SourceSettings(),
        kind="ble",
        devices=("sitload-imu/thigh", "sitload-imu/trunk"),
        speed=1.0,  # a BLE source is always real time
    )
    assert s.mqtt is None  # the [mqtt] table is there, switched off
    assert s.console == ConsoleSettings()
    assert s.state_dir == platformdirs.user_state_path("sitload")


def test_cyclist_example_loads_and_its_defaults_are_the_code_defaults() -> None:
    s = load_settings(CYCLIST, environ={})
    assert (s.user_id, s.profile) == ("rider-01", "cyclist")
    assert s.alerts == AlertParams(cyclist=True)
    assert s.exposure == ExposureParams()
    assert s.source == dataclasses.replace(
        SourceSettings(),
        kind="ble",
        profile="cyclist",
        devices=("sitload-imu/thigh", "sitload-imu/trunk", "csc/bike"),
        speed=1.0,
    )
    assert s.mqtt is None
    assert s.console == ConsoleSettings()


@pytest.mark.parametrize("example", [DESK, CYCLIST], ids=["desk-worker", "cyclist"])
def test_example_mqtt_table_switched_on_has_the_code_defaults(
    example: Path, tmp_path: Path
) -> None:
    text = example.read_text(encoding="utf-8")
    assert text.count("enabled = false") == 1
    path = write(tmp_path, text.replace("enabled = false", "enabled = true"))
    s = load_settings(path, environ={})
    assert s.mqtt == MqttSettings(
        host="localhost",
        port=1883,
        user_id=s.user_id,
        client_id=f"sitload-{s.user_id}-{s.gateway_id}",
        saddle=example == CYCLIST,  # the cyclist's Home Assistant entities
    )


@pytest.mark.parametrize("example", [DESK, CYCLIST], ids=["desk-worker", "cyclist"])
def test_example_simulates_at_its_speed_with_source_simulate(example: Path) -> None:
    s = load_settings(example, Overrides(source="simulate"), environ={})
    assert (s.source.kind, s.source.speed, s.source.hours, s.source.seed) == (
        "simulate",
        60.0,
        8.0,
        1,
    )
    assert s.source.profile == s.profile  # a simulated day of the person's profile
    assert load_settings(None, Overrides(source="simulate"), environ={}).source.profile == "desk"


@pytest.mark.parametrize("example", [DESK, CYCLIST], ids=["desk-worker", "cyclist"])
def test_example_names_every_key(example: Path) -> None:
    """The reference names every key of the schema (set, or commented out)."""
    text = example.read_text(encoding="utf-8")
    model = ConfigFile
    for table, info in model.model_fields.items():
        assert f"[{table}]" in text, table
        sub = unwrap(info.annotation)
        for name, f in sub.model_fields.items():
            key = f.alias or name
            if key == "working_hours":
                assert "[alerts.working_hours]" in text
                continue
            assert re.search(rf"^#? ?{re.escape(key)} = ", text, re.M), f"{table}.{key}"
    assert "mon-fri = [" in text
    assert "[not read yet]" not in text


def test_desk_worker_example_explains_the_working_days() -> None:
    text = DESK.read_text(encoding="utf-8")
    assert "Days: mon tue wed thu fri sat sun" in text


def test_relative_paths_are_relative_to_the_config_folder(tmp_path: Path) -> None:
    (tmp_path / "rec").mkdir()
    (tmp_path / "rec" / "day.csv").write_text("t_s\n")
    (tmp_path / "ca.pem").write_text("x")
    path = write(
        tmp_path,
        """
[source]
kind = "replay"
file = "rec/day.csv"
speed = 1
[state]
dir = "state"
[mqtt]
url = "mqtts://broker.example"
ca_file = "ca.pem"
""",
    )
    s = load_settings(path, environ={})
    assert s.source.file == tmp_path / "rec" / "day.csv"
    assert s.source.speed == 1.0
    assert s.state_dir == tmp_path / "state"
    assert s.mqtt is not None
    assert s.mqtt.ca_file == tmp_path / "ca.pem"
    assert (s.mqtt.host, s.mqtt.port, s.mqtt.tls) == ("broker.example", 8883, True)


def test_every_override_wins_over_the_file(tmp_path: Path) -> None:
    rec = write(tmp_path, "t_s\n", "other.csv")
    path = write(
        tmp_path,
        """
[user]
id = "from-file"
[source]
kind = "simulate"
speed = 10
[mqtt]
host = "file-broker"
username = "file-user"
password = "filepass"
prefix = "fileprefix"
keepalive_s = 20
[state]
dir = "/tmp/from-file"
[history]
url = "sqlite:///tmp/from-file.db"
""",
    )
    s = load_settings(
        path,
        Overrides(
            source=f"replay:{rec}",
            speed=2.5,
            mqtt_url="mqtts://cli-broker:9999",
            state_dir=tmp_path / "cli-state",
            history_url="influxdb://influx.lan:8086/sitload",
            user_id="from-cli",
        ),
        environ={},
    )
    assert s.user_id == "from-cli"
    assert (s.source.kind, s.source.file, s.source.speed) == ("replay", rec, 2.5)
    assert s.mqtt is not None
    assert (s.mqtt.host, s.mqtt.port, s.mqtt.tls) == ("cli-broker", 9999, True)
    # the file's credentials are not sent to a broker named on the command line
    assert (s.mqtt.username, s.mqtt.password) == (None, None)
    assert s.mqtt.prefix == "fileprefix"  # not in the URL: the file's key is kept
    assert s.mqtt.keepalive_s == 20
    assert s.mqtt.user_id == "from-cli"
    assert s.state_dir == tmp_path / "cli-state"
    assert s.history_url == "influxdb://influx.lan:8086/sitload"


def test_all_problems_are_reported_one_per_line(tmp_path: Path) -> None:
    msg = error_of(tmp_path, "[alerts]\nprompt_after_min = -1\nfoo = 1\n[console]\nbar = 2\n")
    lines = msg.splitlines()
    assert len(lines) == 3
    assert [line.split(": ")[1] for line in lines] == [
        "alerts.prompt_after_min",
        "alerts.foo",
        "console.bar",
    ]


def test_toml_syntax_error_gives_line_and_column(tmp_path: Path) -> None:
    msg = error_of(tmp_path, "[alerts]\nprompt_after_min = 30\nrepeat = = 3\n")
    assert msg.startswith(f"{tmp_path / 'config.toml'}: TOML syntax error")
    assert "line 3" in msg
    assert "column" in msg


def test_unreadable_file_names_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError, match=rf"^{re.escape(str(missing))}: cannot read"):
        load_settings(missing, environ={})
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings(tmp_path, environ={})  # a folder
    bad = tmp_path / "latin1.toml"
    bad.write_bytes(b"[user]\nid = '\xe9'\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_settings(bad, environ={})


def test_secrets_are_not_in_repr_or_errors(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f"""
[mqtt]
url = "mqtt://desk1:{SECRET}@broker"
[history]
url = "influxdb://reader:{SECRET}@influx:8086/sitload"
""",
    )
    s = load_settings(path, environ={})
    assert s.mqtt is not None
    assert s.mqtt.password == SECRET
    assert SECRET not in repr(s)
    assert SECRET not in str(s)
    assert SECRET not in repr(s.mqtt)
    assert "reader:***@influx" in repr(s)
    s2 = load_settings(
        write(tmp_path, '[mqtt]\nurl = "mqtt://desk1@broker"\npassword = "${PW}"\n', "b.toml"),
        environ={"PW": SECRET},
    )
    assert SECRET not in repr(s2)
    # a secret value of the wrong type is not echoed either
    msg = error_of(tmp_path, "[mqtt]\nurl = 'mqtt://h'\nusername = 'u'\npassword = 12345678\n")
    assert "mqtt.password: must be a string" in msg
    assert "12345678" not in msg


def test_settings_is_a_frozen_record() -> None:
    s = load_settings(None, environ={})
    assert isinstance(s, Settings)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.user_id = "x"  # type: ignore[misc]


def test_a_state_dir_that_is_a_file_names_its_key(tmp_path: Path) -> None:
    a_file = write(tmp_path, "x", name="not-a-dir")
    message = error_of(tmp_path, f'[state]\ndir = "{a_file}"\n')
    assert message.startswith("config.toml: state.dir:") or "config.toml: state.dir:" in message
    assert "not a directory" in message
    message = error_of(tmp_path, f'[state]\ndir = "{a_file}/sub"\n')
    assert "config.toml: state.dir:" in message
    with pytest.raises(ConfigError, match="--state-dir"):
        load_settings(None, Overrides(state_dir=a_file), environ={})


def test_haptic_table(tmp_path: Path) -> None:
    from collector.sinks.settings import Buzz

    cfg = tmp_path / "c.toml"
    cfg.write_text('[haptic]\nenabled = false\nescalation = { pattern = "long", ms = 1200 }\n')
    s = load_settings(cfg)
    assert s.haptic.enabled is False
    assert s.haptic.escalation == Buzz("long", 1200)
    assert s.haptic.prompt == Buzz("one", 400)
    cfg.write_text('[haptic]\nprompt = { pattern = "triple", ms = 400 }\n')
    with pytest.raises(ConfigError, match=r"haptic\.prompt\.pattern"):
        load_settings(cfg)
