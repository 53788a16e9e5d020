"""``mqtt.urls``: the nodes of one broker cluster, tried in turn (collector.config.mqtt
and .mqtt_url.parse_cluster_urls)."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.config import Overrides, load_settings
from tests.collector.config.config_files import SECRET, error_of, write


def test_several_urls_become_the_broker_and_its_failover_nodes(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[user]
id = "p-1"
[mqtt]
urls = ["mqtt://gw@rabbit-1:1883/clinic", "mqtt://gw@rabbit-2:1884/clinic",
        "mqtt://gw@10.0.0.3/clinic"]
password = "${PW}"
""",
    )
    s = load_settings(path, environ={"PW": SECRET}).mqtt
    assert s is not None
    assert (s.host, s.port) == ("rabbit-1", 1883)
    assert s.failover == (("rabbit-2", 1884), ("10.0.0.3", 1883))
    assert (s.username, s.password, s.prefix) == ("gw", SECRET, "clinic")


def test_one_url_in_urls_is_one_broker(tmp_path: Path) -> None:
    path = write(tmp_path, '[user]\nid = "p-1"\n[mqtt]\nurls = ["mqtts://b1"]\n')
    s = load_settings(path, environ={}).mqtt
    assert s is not None
    assert (s.host, s.port, s.tls, s.failover) == ("b1", 8883, True, ())


def test_the_command_line_broker_replaces_the_cluster(tmp_path: Path) -> None:
    path = write(tmp_path, '[user]\nid = "p-1"\n[mqtt]\nurls = ["mqtt://b1", "mqtt://b2"]\n')
    s = load_settings(path, Overrides(mqtt_url="mqtt://other:1999"), environ={}).mqtt
    assert s is not None
    assert (s.host, s.port, s.failover) == ("other", 1999, ())


@pytest.mark.parametrize(
    ("urls", "message"),
    [
        ("[]", "mqtt.urls"),
        ('["mqtt://b1", "mqtts://b2"]', "mqtt.urls[1]: differs from mqtt.urls[0] in scheme (TLS)"),
        ('["mqtt://a@b1", "mqtt://b@b2"]', "mqtt.urls[1]: differs from mqtt.urls[0] in username"),
        ('["mqtt://b1/x", "mqtt://b2/y"]', "differs from mqtt.urls[0] in prefix"),
        ('["mqtt://b1", "mqtt://b1:1883"]', "mqtt.urls[1]: b1:1883 is given twice"),
        ('["http://b1"]', "mqtt.urls[0] 'http://b1': unknown scheme"),
        ('["mqtt://b1", "mqtt://${NOPE}"]', "mqtt.urls[1]: the environment variable NOPE"),
    ],
)
def test_urls_that_cannot_be_one_cluster_are_refused(
    tmp_path: Path, urls: str, message: str
) -> None:
    assert message in error_of(tmp_path, f'[user]\nid = "p-1"\n[mqtt]\nurls = {urls}\n')


def test_url_and_urls_together_are_refused(tmp_path: Path) -> None:
    text = '[user]\nid = "p-1"\n[mqtt]\nurl = "mqtt://b0"\nurls = ["mqtt://b1"]\n'
    assert "mqtt.urls: mqtt.url is given too; keep one" in error_of(tmp_path, text)


def test_a_switched_off_table_still_checks_its_urls(tmp_path: Path) -> None:
    text = '[user]\nid = "p-1"\n[mqtt]\nenabled = false\nurls = ["mqtt://b1", "mqtt://b1"]\n'
    assert "is given twice" in error_of(tmp_path, text)
