"""``mqtt.support_url``: Home Assistant's ``origin.support_url`` for a gateway whose
operator (a clinic, a household) has a help page; checked as an http(s) URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.config import load_settings
from collector.sinks.ha_discovery import discovery_messages
from collector.sinks.ha_registry import origin_support_url, package_support_url
from tests.collector.config.config_files import error_of, write

HELP = "https://clinic.example/sitload-help"


def test_the_configured_support_url_reaches_every_discovery_config(tmp_path: Path) -> None:
    path = write(
        tmp_path, f'[user]\nid = "p-1"\n[mqtt]\nurl = "mqtt://b"\nsupport_url = "{HELP}"\n'
    )
    s = load_settings(path, environ={}).mqtt
    assert s is not None
    assert s.support_url == HELP
    url = origin_support_url(s.support_url)
    for _topic, payload in discovery_messages(s, sw_version="1", support_url=url):
        assert payload["origin"]["support_url"] == HELP


def test_without_one_the_packages_own_or_none(tmp_path: Path) -> None:
    path = write(tmp_path, '[user]\nid = "p-1"\n[mqtt]\nurl = "mqtt://b"\n')
    s = load_settings(path, environ={}).mqtt
    assert s is not None
    assert s.support_url is None
    assert origin_support_url(s.support_url) == package_support_url()


@pytest.mark.parametrize("bad", ["clinic.example/help", "ftp://clinic.example", "https://"])
def test_a_support_url_that_is_no_web_address_is_refused(tmp_path: Path, bad: str) -> None:
    message = error_of(
        tmp_path, f'[user]\nid = "p-1"\n[mqtt]\nurl = "mqtt://b"\nsupport_url = "{bad}"\n'
    )
    assert "support_url" in message
