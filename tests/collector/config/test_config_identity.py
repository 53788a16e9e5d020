"""No shared default user id (issue 17): gateways on defaults get different user ids
and MQTT client ids, derived from the machine id (or a secret in the state folder),
stable from one start to the next."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from collector.config import ConfigError, Overrides, load_settings
from collector.config.identity import describe_user_id, identity
from tests.collector.config.config_files import write

MACHINE_A = "0123456789abcdef0123456789abcdef"
MACHINE_B = "fedcba9876543210fedcba9876543210"


def machine(tmp_path: Path, text: str) -> Path:
    path = tmp_path / f"machine-id-{text[:4]}"
    path.write_text(text + "\n", encoding="ascii")
    return path


def test_the_user_id_is_derived_from_the_machine_id(tmp_path: Path) -> None:
    a = machine(tmp_path, MACHINE_A)
    state = Overrides(state_dir=tmp_path / "state")
    s = load_settings(None, state, environ={}, machine_id_file=a)
    expected = "u-" + hashlib.sha256(f"sitload:user:{MACHINE_A}".encode()).hexdigest()[:8]
    assert s.user_id == expected
    assert s.user_id_origin == "machine"
    assert MACHINE_A[:8] not in s.user_id  # never the machine id itself
    # stable, and another machine gets another one
    assert load_settings(None, state, environ={}, machine_id_file=a).user_id == expected
    b = load_settings(None, state, environ={}, machine_id_file=machine(tmp_path, MACHINE_B))
    assert b.user_id != expected
    assert re.fullmatch(r"u-[0-9a-f]{8}", b.user_id)
    assert b.gateway_id != s.gateway_id
    assert not (tmp_path / "state").exists()  # nothing written with a machine id


def test_without_a_machine_id_a_secret_in_the_state_folder(tmp_path: Path) -> None:
    missing = tmp_path / "no-machine-id"
    one = Overrides(state_dir=tmp_path / "one")
    s = load_settings(None, one, environ={}, machine_id_file=missing)
    assert re.fullmatch(r"u-[0-9a-f]{8}", s.user_id)
    assert s.user_id_origin == "state"
    assert (tmp_path / "one" / "machine-secret").is_file()
    again = load_settings(None, one, environ={}, machine_id_file=missing)
    assert (again.user_id, again.gateway_id) == (s.user_id, s.gateway_id)
    other = load_settings(
        None, Overrides(state_dir=tmp_path / "two"), environ={}, machine_id_file=missing
    )
    assert other.user_id != s.user_id


def test_no_machine_id_and_no_usable_state_folder_says_what_to_do(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"no machine id .* set \[user\] id"):
        identity(None, "config", not_a_folder, tmp_path / "no-machine-id")


def test_a_configured_id_wins(tmp_path: Path) -> None:
    a = machine(tmp_path, MACHINE_A)
    path = write(tmp_path, '[user]\nid = "p-7f3a"\n')
    s = load_settings(path, environ={}, machine_id_file=a)
    assert (s.user_id, s.user_id_origin) == ("p-7f3a", "config")
    s = load_settings(path, Overrides(user_id="p-9"), environ={}, machine_id_file=a)
    assert (s.user_id, s.user_id_origin) == ("p-9", "option")


def test_two_gateways_of_one_user_get_different_client_ids(tmp_path: Path) -> None:
    path = write(tmp_path, '[user]\nid = "p-7f3a"\n[mqtt]\nhost = "broker"\n')
    a = load_settings(path, environ={}, machine_id_file=machine(tmp_path, MACHINE_A))
    b = load_settings(path, environ={}, machine_id_file=machine(tmp_path, MACHINE_B))
    assert a.mqtt is not None
    assert b.mqtt is not None
    assert a.mqtt.client_id == f"sitload-p-7f3a-{a.gateway_id}"
    assert b.mqtt.client_id == f"sitload-p-7f3a-{b.gateway_id}"
    assert a.mqtt.client_id != b.mqtt.client_id
    # on defaults the user ids differ too, so topics and Home Assistant ids do
    bare = write(tmp_path, '[mqtt]\nhost = "broker"\n')
    a = load_settings(bare, environ={}, machine_id_file=machine(tmp_path, MACHINE_A))
    b = load_settings(bare, environ={}, machine_id_file=machine(tmp_path, MACHINE_B))
    assert a.mqtt is not None
    assert b.mqtt is not None
    assert a.mqtt.user_id == a.user_id != b.mqtt.user_id == b.user_id
    # a configured client id is kept
    named = write(tmp_path, '[mqtt]\nhost = "broker"\nclient_id = "gw-1"\n')
    c = load_settings(named, environ={}, machine_id_file=machine(tmp_path, MACHINE_A))
    assert c.mqtt is not None
    assert c.mqtt.client_id == "gw-1"


def test_the_log_line_says_where_the_id_came_from() -> None:
    assert describe_user_id("u-1a2b3c4d", "machine") == (
        "user id: u-1a2b3c4d (derived from this machine; set [user] id)"
    )
    assert "set [user] id" in describe_user_id("u-1a2b3c4d", "state")
    assert describe_user_id("p-1", "config") == "user id: p-1 (from [user] id)"
    assert describe_user_id("p-1", "option") == "user id: p-1 (from --user)"
