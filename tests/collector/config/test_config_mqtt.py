"""collector.config.mqtt and .mqtt_url: the broker, its URL, credentials and switched-off tables."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from collector.config import (
    ConfigError,
    Overrides,
    load_settings,
    parse_mqtt_url,
)
from collector.sinks.settings import MqttSettings
from tests.collector.config.config_files import SECRET, error_of, write


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
reconnect_first_s = 0.5
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
        reconnect_first_s=0.5,
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
        client_id=f"sitload-p-9-{s.gateway_id}",
        protocol="3.1.1",
    )


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
