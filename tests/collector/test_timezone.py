"""Zones by name (collector/timezone.py)."""

from __future__ import annotations

import pytest
import tzlocal

from collector.timezone import UnknownZoneError, chosen_zone, local_zone_name, zone_named


def test_a_zone_by_its_iana_name() -> None:
    assert zone_named("Europe/London").key == "Europe/London"


@pytest.mark.parametrize("name", ["Mars/Olympus", "../etc/passwd", ""])
def test_an_unknown_zone_says_what_to_use(name: str) -> None:
    with pytest.raises(UnknownZoneError, match="unknown time zone; use an IANA name"):
        zone_named(name)


def test_the_option_then_the_setting_then_this_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    tzlocal.reload_localzone()  # tzlocal keeps the zone it found first
    assert chosen_zone("Europe/Paris", "America/New_York").key == "Europe/Paris"
    assert chosen_zone(None, "America/New_York").key == "America/New_York"
    assert chosen_zone(None, None).key == "Asia/Tokyo"
    assert isinstance(UnknownZoneError("x"), ValueError)


@pytest.mark.parametrize("tz", [":/etc/localtime", "Europe/London", ":Europe/Paris", ""])
def test_the_machines_zone_is_an_iana_zone_however_tz_is_set(
    tz: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``TZ=:/etc/localtime`` made every command fail with "--tz '/etc/localtime':
    unknown time zone" (no --tz given); tzlocal reads every form of $TZ."""
    monkeypatch.setenv("TZ", tz)
    tzlocal.reload_localzone()  # tzlocal keeps the zone it found first
    name = local_zone_name()
    assert zone_named(name).key == name
    if tz in ("Europe/London", ":Europe/Paris"):
        assert name == tz.lstrip(":")
