"""Who this gateway is when the config does not say: a pseudonymous user id and a
gateway id that differ between machines, so gateways on defaults never share MQTT
topics, Home Assistant unique ids or an MQTT client id on one broker.

Both come from the machine id (``/etc/machine-id``), hashed with a purpose
(systemd's advice: never publish the machine id itself): ``u-`` and 8 hex digits of
a SHA-256. Without a machine id, from a random secret kept in the state folder."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from collector.config.errors import ConfigError

_USER_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def check_user_id(value: str) -> str:
    """``value`` if it is a valid user id (raises ``ValueError`` naming the rule)."""
    if not _USER_ID.match(value):
        raise ValueError(
            f"{value!r} is not a valid id; use 1 to 64 of the characters a-z A-Z 0-9 _ - "
            "(a pseudonym such as 'p-7f3a', never a name: it appears in MQTT topics)"
        )
    return value


MACHINE_ID_FILE = Path("/etc/machine-id")
SECRET_FILE = "machine-secret"
"""In the state folder: the random stand-in for a missing machine id."""

UserIdOrigin = Literal["config", "option", "machine", "state"]
"""Where the user id came from: ``[user] id``, ``--user``, derived from the machine
id, or from the state folder's secret."""


@dataclass(frozen=True, slots=True)
class Identity:
    user_id: str
    user_id_origin: UserIdOrigin
    gateway_id: str
    """8 hex digits, stable for this machine; part of the default MQTT client id."""


def _digest(secret: str, purpose: str) -> str:
    return hashlib.sha256(f"sitload:{purpose}:{secret}".encode()).hexdigest()[:8]


def _machine_id(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text or None


def _state_secret(state_dir: Path) -> str:
    """The state folder's random secret, created on first use."""
    path = state_dir / SECRET_FILE
    try:
        text = path.read_text(encoding="ascii").strip()
        if text:
            return text
    except (OSError, UnicodeDecodeError):
        pass
    secret = secrets.token_hex(16)
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secret + "\n", encoding="ascii")
    except OSError as exc:
        raise ConfigError(
            f"no machine id and cannot keep one in {path} ({exc.strerror or exc}); set "
            '[user] id = "p-…" in the config (or --user) and check the state folder'
        ) from None
    return secret


def identity(
    configured: str | None,
    origin: UserIdOrigin,
    state_dir: Path,
    machine_id_file: Path = MACHINE_ID_FILE,
) -> Identity:
    """``configured`` (from ``origin``) or an id derived from this machine."""
    machine = _machine_id(machine_id_file)
    secret = machine if machine is not None else _state_secret(state_dir)
    gateway_id = _digest(secret, "gateway")
    if configured is not None:
        return Identity(configured, origin, gateway_id)
    derived: UserIdOrigin = "machine" if machine is not None else "state"
    return Identity(f"u-{_digest(secret, 'user')}", derived, gateway_id)


def chosen_identity(
    option: str | None,
    configured: str | None,
    state_dir: Path,
    machine_id_file: Path = MACHINE_ID_FILE,
) -> Identity:
    """The user id of ``--user`` (``option``, checked here), else the config's
    ``[user] id`` (``configured``, already checked), else one derived from this
    machine."""
    origin: UserIdOrigin = "config"
    if option is not None:
        try:
            configured, origin = check_user_id(option), "option"
        except ValueError as exc:
            raise ConfigError(f"--user: {exc}") from None
    return identity(configured, origin, state_dir, machine_id_file)


def describe_user_id(user_id: str, origin: UserIdOrigin) -> str:
    """The log line that says which user id the service uses and why."""
    if origin == "machine":
        return f"user id: {user_id} (derived from this machine; set [user] id)"
    if origin == "state":
        return (
            f"user id: {user_id} (random, kept in the state folder: no machine id; set [user] id)"
        )
    return f"user id: {user_id} (from {'--user' if origin == 'option' else '[user] id'})"
