"""collector.config: TOML -> Settings, overrides, and errors that name the key path."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import platformdirs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from analytics.alerts import AlertParams, working_week
from analytics.compression import ExposureParams
from collector import config as config_module
from collector.config import (
    ConfigError,
    Overrides,
    Settings,
    SourceSettings,
    format_window,
    load_settings,
    parse_mqtt_url,
    parse_source,
    parse_window,
    sqlite_path,
)
from collector.sinks.settings import ConsoleSettings, MqttSettings

REPO = Path(__file__).resolve().parents[2]
DESK = REPO / "config" / "desk-worker.toml"
CYCLIST = REPO / "config" / "cyclist.toml"
SECRET = "s3cr3t-Pa55"


def write(tmp_path: Path, text: str, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_settings(path, environ={})
    return str(info.value)


# --- defaults ------------------------------------------------------------------------


def test_no_file_gives_the_built_in_defaults() -> None:
    s = load_settings(None, environ={})
    assert s.user_id == "user"
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


# --- the example configs ------------------------------------------------------------------


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
    assert s.mqtt == MqttSettings(host="localhost", port=1883, user_id=s.user_id)


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
    model = config_module._File
    for table, info in model.model_fields.items():
        assert f"[{table}]" in text, table
        sub = config_module._unwrap(info.annotation)
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


# --- values ----------------------------------------------------------------------------------


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
quiet_hours = ["22:00-07:00", "12:00-12:30"]
""",
    )
    s = load_settings(path, environ={})
    assert s.timezone == "Europe/London"
    assert s.alerts == AlertParams(
        prompt_after_s=1500,
        escalate_after_s=2130,
        repeat_every_s=0,
        stand_for_s=180,
        break_s=150,
        taken_within_s=720,
        snooze_default_s=1200,
        snooze_max_s=3600,
        snooze_daily_limit=0,
        hip_prompt_after_s=420,
        cyclist=True,
        saddle_prompt_after_s=3000,
        saddle_stand_s=15,
        status_after_s=0,
        quiet_hours_s=((79200, 25200), (43200, 45000)),
    )
    assert s.exposure == ExposureParams(
        break_s=150, milestones_min=(25.0, 35.5), repeat_every_min=0.0
    )


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


def test_full_mqtt_table_reaches_every_mqtt_setting(tmp_path: Path) -> None:
    ca = write(tmp_path, "x", "ca.pem")
    path = write(
        tmp_path,
        f"""
[user]
id = "p-1"
[mqtt]
host = "10.0.0.2"
port = 8884
tls = true
ca_file = "{ca}"
tls_insecure = true
username = "desk1"
password = "${{PW}}"
prefix = "clinic/sitload"
client_id = "gw-1"
protocol = 5
keepalive_s = 45
qos = 2
alert_ttl_min = 30
late_after_s = 2.5
outbox_max = 50
reconnect_min_s = 0.5
reconnect_max_s = 30
discovery = false
discovery_prefix = "ha"
expire_after_s = 0
""",
    )
    s = load_settings(path, environ={"PW": SECRET})
    assert s.mqtt == MqttSettings(
        host="10.0.0.2",
        port=8884,
        tls=True,
        ca_file=ca,
        tls_insecure=True,
        username="desk1",
        password=SECRET,
        prefix="clinic/sitload",
        user_id="p-1",
        client_id="gw-1",
        protocol="5",
        keepalive_s=45,
        qos=2,
        alert_ttl_s=1800.0,
        late_after_s=2.5,
        outbox_max=50,
        reconnect_min_s=0.5,
        reconnect_max_s=30.0,
        discovery=False,
        discovery_prefix="ha",
        expire_after_s=0,
    )
    assert {f.name for f in dataclasses.fields(MqttSettings)} <= set(dataclasses.asdict(s.mqtt))


def test_env_expansion_in_url_username_password_only(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[user]
id = "u1"
[mqtt]
url = "mqtt://${HOST}:1884/${PREFIX}"
username = "${USER_NAME}"
password = "a$$b${PW}"
discovery_prefix = "homeassistant"
""",
    )
    env = {"HOST": "broker.lan", "PREFIX": "site", "USER_NAME": "desk1", "PW": "x"}
    s = load_settings(path, environ=env)
    assert s.mqtt is not None
    assert (s.mqtt.host, s.mqtt.port, s.mqtt.prefix) == ("broker.lan", 1884, "site")
    assert (s.mqtt.username, s.mqtt.password) == ("desk1", "a$bx")
    # elsewhere ${...} is just text (and here not a valid id)
    msg = error_of(tmp_path, '[user]\nid = "${USER_NAME}"\n')
    assert "user.id" in msg


def test_password_from_sitload_mqtt_password_when_user_has_none(tmp_path: Path) -> None:
    path = write(tmp_path, '[mqtt]\nurl = "mqtt://desk1@broker"\n')
    s = load_settings(path, environ={"SITLOAD_MQTT_PASSWORD": SECRET})
    assert s.mqtt is not None
    assert (s.mqtt.username, s.mqtt.password) == ("desk1", SECRET)
    s = load_settings(path, environ={})
    assert s.mqtt is not None
    assert s.mqtt.password is None


# --- overrides --------------------------------------------------------------------------------


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


def test_mqtt_override_without_a_file(tmp_path: Path) -> None:
    s = load_settings(
        None,
        Overrides(mqtt_url="mqtt://me@localhost/x?user_id=p-9&protocol=3.1.1"),
        environ={"SITLOAD_MQTT_PASSWORD": SECRET},
    )
    assert s.mqtt == MqttSettings(
        host="localhost",
        port=1883,
        username="me",
        password=SECRET,
        prefix="x",
        user_id="p-9",
        protocol="3.1.1",
    )


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


# --- the MQTT URL -------------------------------------------------------------------------------


def test_parse_mqtt_url() -> None:
    assert parse_mqtt_url("mqtt://broker", {}) == {"host": "broker", "port": 1883, "tls": False}
    assert parse_mqtt_url("mqtts://broker", {}) == {"host": "broker", "port": 8883, "tls": True}
    fields = parse_mqtt_url(
        "mqtts://d%40sk:p%2Fw@[::1]:1000/a/b/?user_id=p-1&protocol=5&ca=/x/ca.pem&client_id=c",
        {},
    )
    assert fields == {
        "host": "::1",
        "port": 1000,
        "tls": True,
        "username": "d@sk",
        "password": "p/w",
        "prefix": "a/b",
        "user_id": "p-1",
        "protocol": "5",
        "ca_file": Path("/x/ca.pem"),
        "client_id": "c",
    }
    assert parse_mqtt_url("mqtt://u@h", {"SITLOAD_MQTT_PASSWORD": "pw"})["password"] == "pw"
    assert "password" not in parse_mqtt_url("mqtt://h", {"SITLOAD_MQTT_PASSWORD": "pw"})


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        (f"http://u:{SECRET}@broker", "unknown scheme"),
        (f"tcp://u:{SECRET}@broker:1883", "unknown scheme"),
        (f"mqtt://u:{SECRET}@", "no host"),
        (f"mqtt://u:{SECRET}@broker:99999", "not a valid URL"),
        (f"mqtt://u:{SECRET}@broker?qos=1", "unknown query parameter 'qos'"),
        (f"mqtt://u:{SECRET}@broker?protocol=4", "protocol"),
        (f"mqtt://u:{SECRET}@broker/a+b", "topic prefix"),
        (f"mqtt://u:{SECRET}@broker?user_id=Jane%20Doe", "user_id"),
    ],
)
def test_bad_mqtt_url(url: str, problem: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        parse_mqtt_url(url, {})
    assert problem in str(info.value)
    assert str(info.value).startswith("--mqtt")
    assert SECRET not in str(info.value)
    msg = error_of(tmp_path, f'[mqtt]\nurl = "{url}"\n')
    assert msg.startswith(f"{tmp_path / 'config.toml'}: mqtt.url")
    assert problem in msg
    assert SECRET not in msg


# --- errors name the key path ---------------------------------------------------------------


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
            "mqtt.reconnect_max_s: must be at least reconnect_min_s",
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


def test_all_problems_are_reported_one_per_line(tmp_path: Path) -> None:
    msg = error_of(tmp_path, "[alerts]\nprompt_after_min = -1\nfoo = 1\n[console]\nbar = 2\n")
    lines = msg.splitlines()
    assert len(lines) == 3
    assert [line.split(": ")[1] for line in lines] == [
        "alerts.prompt_after_min",
        "alerts.foo",
        "console.bar",
    ]


def test_unset_variable_names_the_key_and_the_variable(tmp_path: Path) -> None:
    msg = error_of(tmp_path, '[mqtt]\nurl = "mqtt://u@h"\npassword = "${SITLOAD_PW_X}"\n')
    assert "mqtt.password" in msg
    assert "SITLOAD_PW_X is not set" in msg
    msg = error_of(tmp_path, '[mqtt]\nurl = "mqtt://${NO_HOST_VAR}"\n')
    assert "mqtt.url" in msg
    assert "NO_HOST_VAR" in msg
    msg = error_of(tmp_path, '[mqtt]\nurl = "mqtt://h"\nusername = "${bad"\n')
    assert "mqtt.username" in msg


def test_a_switched_off_mqtt_table_does_not_need_its_variables(tmp_path: Path) -> None:
    path = write(tmp_path, '[mqtt]\nenabled = false\nurl = "mqtt://u@h"\npassword = "${X_NONE}"\n')
    assert load_settings(path, environ={}).mqtt is None


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


# --- secrets ----------------------------------------------------------------------------------


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


# --- windows --------------------------------------------------------------------------------------

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


# --- findings of issue 16 (item 11) ---------------------------------------------------


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ('url = "mqtt://broker:99999"', "mqtt.url"),
        ('url = "http://broker"', "mqtt.url"),
        ('url = "mqtt://${X_NONE}:99999"', "mqtt.url"),
        ('host = "broker"\nurl = "mqtt://broker"', "mqtt.host"),
        ('host = "broker"\nprefix = "${HOME}"', "mqtt.prefix"),
    ],
)
def test_a_switched_off_mqtt_table_is_still_checked(
    tmp_path: Path, table: str, expected: str
) -> None:
    message = error_of(tmp_path, f"[mqtt]\nenabled = false\n{table}\n")
    assert f"config.toml: {expected}" in message


def test_a_switched_off_table_without_a_broker_is_fine(tmp_path: Path) -> None:
    path = write(tmp_path, '[mqtt]\nenabled = false\nprefix = "clinic/sitload"\n')
    assert load_settings(path, environ={}).mqtt is None
    path = write(
        tmp_path, '[mqtt]\nenabled = false\nurl = "mqtt://u@h"\npassword_file = "/nonexistent"\n'
    )
    assert load_settings(path, environ={}).mqtt is None


@pytest.mark.parametrize("prefix", ["${HOME}", "$SYS", "a\tb"])
def test_a_bad_topic_prefix_names_its_key(tmp_path: Path, prefix: str) -> None:
    message = error_of(tmp_path, f'[mqtt]\nurl = "mqtt://broker"\nprefix = "{prefix}"\n')
    assert "config.toml: mqtt.prefix" in message


def test_a_state_dir_that_is_a_file_names_its_key(tmp_path: Path) -> None:
    a_file = write(tmp_path, "x", name="not-a-dir")
    message = error_of(tmp_path, f'[state]\ndir = "{a_file}"\n')
    assert message.startswith("config.toml: state.dir:") or "config.toml: state.dir:" in message
    assert "not a directory" in message
    message = error_of(tmp_path, f'[state]\ndir = "{a_file}/sub"\n')
    assert "config.toml: state.dir:" in message
    with pytest.raises(ConfigError, match="--state-dir"):
        load_settings(None, Overrides(state_dir=a_file), environ={})


def test_a_password_on_the_command_line_is_refused(tmp_path: Path) -> None:
    """``ps`` and /proc/PID/cmdline show every process's arguments to every local
    user: a password in ``--mqtt`` would leak for as long as the service runs."""
    with pytest.raises(ConfigError) as info:
        load_settings(None, Overrides(mqtt_url=f"mqtts://p17:{SECRET}@broker"), environ={})
    message = str(info.value)
    assert message.startswith("--mqtt")
    assert "SITLOAD_MQTT_PASSWORD" in message
    assert "--mqtt-password-file" in message
    assert SECRET not in message
    # without the password: from the environment, or from a file
    s = load_settings(
        None, Overrides(mqtt_url="mqtts://p17@broker"), environ={"SITLOAD_MQTT_PASSWORD": SECRET}
    )
    assert s.mqtt is not None
    assert s.mqtt.password == SECRET
    pw = write(tmp_path, SECRET + "\n", name="mqtt-password")
    s = load_settings(
        None, Overrides(mqtt_url="mqtts://p17@broker", mqtt_password_file=pw), environ={}
    )
    assert s.mqtt is not None
    assert (s.mqtt.username, s.mqtt.password) == ("p17", SECRET)


def test_password_file_in_the_mqtt_table(tmp_path: Path) -> None:
    write(tmp_path, f"{SECRET}\n", name="mqtt-password")
    path = write(tmp_path, '[mqtt]\nurl = "mqtt://p17@broker"\npassword_file = "mqtt-password"\n')
    s = load_settings(path, environ={"SITLOAD_MQTT_PASSWORD": "other"})
    assert s.mqtt is not None
    assert s.mqtt.password == SECRET
    assert SECRET not in repr(s)
    message = error_of(tmp_path, '[mqtt]\nurl = "mqtt://p17@broker"\npassword_file = "nope"\n')
    assert "config.toml: mqtt.password_file" in message
    assert "cannot read" in message
    message = error_of(
        tmp_path,
        '[mqtt]\nurl = "mqtt://p17@broker"\npassword = "x"\npassword_file = "mqtt-password"\n',
    )
    assert "config.toml: mqtt.password_file" in message
    empty = write(tmp_path, "\n", name="empty")
    message = error_of(tmp_path, f'[mqtt]\nurl = "mqtt://p17@broker"\npassword_file = "{empty}"\n')
    assert "empty" in message
