"""collector.config: errors name the file (or the option), the key path, the problem and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.config import (
    ConfigError,
    Overrides,
    load_settings,
)
from tests.collector.config.config_files import error_of


@pytest.mark.parametrize(
    ("overrides", "option"),
    [
        (Overrides(speed=0), "--speed"),
        (Overrides(speed=float("nan")), "--speed"),
        (Overrides(user_id="Jane Doe"), "--user"),
        (Overrides(history_url="postgres://db/x"), "--history"),
        (Overrides(history_url="sqlite://relative.db"), "--history"),
        (Overrides(mqtt_url="http://broker"), "--mqtt"),
        (Overrides(source="replay:/no/such/file.csv"), "--source"),
    ],
)
def test_bad_override_names_the_option(overrides: Overrides, option: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(None, overrides, environ={})
    assert str(info.value).startswith(option)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # unknown key, with a suggestion
        (
            "[alerts]\npromt_after_min = 30\n",
            "alerts.promt_after_min: unknown key; did you mean 'prompt_after_min'?",
        ),
        ("[sensor]\nkind = 'thigh'\n", "sensor: unknown table"),
        ("[alerts.working_hours]\nmonday = []\n", "alerts.working_hours.monday: unknown key"),
        # wrong type
        (
            '[alerts]\nprompt_after_min = "30"\n',
            "alerts.prompt_after_min: must be a number (got '30'); write it without quotes",
        ),
        ("[console]\nenabled = 1\n", "console.enabled: must be true or false"),
        ("[source]\nseed = 1.5\n", "source.seed: must be a whole number"),
        ("alerts = 5\n", "alerts: must be a table"),
        ('[alerts]\nquiet_hours = "22:00-07:00"\n', "alerts.quiet_hours: must be a list"),
        ('[user]\nprofile = "runner"\n', "user.profile: must be 'desk' or 'cyclist'"),
        # negative minutes
        (
            "[alerts]\nprompt_after_min = -5\n",
            "alerts.prompt_after_min: must be greater than 0 (got -5)",
        ),
        (
            "[alerts]\nrepeat_every_min = -1\n",
            "alerts.repeat_every_min: must be greater than or equal to 0",
        ),
        ("[alerts]\nstand_for_min = 10\n", "alerts.stand_for_min: must be less than or equal to 5"),
        ("[source]\nspeed = inf\n", "source.speed: must be a finite number"),
        # bad windows
        (
            '[alerts]\nquiet_hours = ["25:00-07:00"]\n',
            "alerts.quiet_hours[0]: '25:00-07:00': 25:00 is not a time of day",
        ),
        (
            '[alerts]\nquiet_hours = ["22:00-22:00"]\n',
            "alerts.quiet_hours[0]: '22:00-22:00' is empty",
        ),
        ('[alerts]\nquiet_hours = ["22:00"]\n', "alerts.quiet_hours[0]: '22:00' is not a window"),
        (
            '[alerts.working_hours]\nmon-fri = ["09:00-12:30", "22:00-02:00"]\n',
            "alerts.working_hours.mon-fri[1]: '22:00-02:00' must start before it ends",
        ),
        ('[alerts.working_hours]\nsat = ["9:0-12:00"]\n', "alerts.working_hours.sat[0]"),
        # from AlertParams
        (
            "[alerts]\nprompt_after_min = 45\n",
            "alerts: escalate_after_s (2400) must be later than prompt_after_s (2700)",
        ),
        (
            "[alerts]\nbreak_s = 200\n",
            "alerts: break_s (200) is longer than stand_for_s (120)",
        ),
        ("[alerts]\nsnooze_max_min = 10\n", "snooze_max_min = 10"),
        # the rest
        ('[user]\ntimezone = "Mars/Olympus"\n', "user.timezone: unknown time zone 'Mars/Olympus'"),
        ('[user]\ntimezone = "../etc/passwd"\n', "user.timezone: unknown time zone"),
        ('[user]\nid = "Jane Doe"\n', "user.id: 'Jane Doe' is not a valid id"),
        (
            '[source]\ndevices = ["sitload-imu", "banana/trunk"]\n',
            "source.devices[1]: 'banana/trunk': unknown sensor kind 'banana'",
        ),
        (
            '[source]\ndevices = ["sitload-imu/elbow"]\n',
            "source.devices[0]: 'sitload-imu/elbow': unknown role 'elbow'",
        ),
        ('[source]\nkind = "ble"\n', "source.devices: a BLE source needs at least one device"),
        ('[source]\nkind = "replay"\n', "source.file: a replay source needs a recording"),
        ('[source]\nkind = "replay"\nfile = "missing.csv"\n', "source.file: the recording"),
        ("[mqtt]\nprefix = 'x'\n", "mqtt: no broker"),
        (
            "[mqtt]\nurl = 'mqtt://a'\nhost = 'b'\n",
            "mqtt.host: give the broker either as url or as host",
        ),
        (
            "[mqtt]\nhost = 'b'\nreconnect_max_s = 0.5\n",
            "mqtt.reconnect_max_s: must be at least reconnect_first_s",
        ),
        ("[mqtt]\nhost = 'b'\nca_file = 'nope.pem'\n", "mqtt.ca_file: "),
        ("[mqtt]\nhost = 'b'\nprefix = 'a/#'\n", "mqtt.prefix: 'a/#'"),
        ("[mqtt]\nhost = 'b'\nqos = 3\n", "mqtt.qos: must be 0, 1 or 2"),
        ("[mqtt]\nhost = 'b'\npassword = 'x'\n", "mqtt.password: a password needs a user name"),
        ("[history]\nurl = 'mysql://db'\n", "history.url: 'mysql://db': unknown history store"),
        ("[history]\nurl = 'influxdb://'\n", "history.url: 'influxdb://': no host"),
    ],
)
def test_errors_name_the_file_and_key_path(tmp_path: Path, text: str, expected: str) -> None:
    msg = error_of(tmp_path, text)
    assert msg.startswith(f"{tmp_path / 'config.toml'}: "), msg
    assert expected in msg, msg
