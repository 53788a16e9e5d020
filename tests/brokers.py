"""A real Mosquitto broker for the tests, and a small synchronous client to watch it.

* :class:`Mosquitto`: a ``mosquitto`` process on a free loopback port in a temporary
  directory, with users (``mosquitto_passwd``), an ACL (each person's user reads and
  writes only ``sitload/<user>/#`` and ``homeassistant/#``; ``homeassistant`` as in
  docs/mqtt.md: reads every person's topics, writes only their ``command`` topics,
  never their ``pain``; ``admin`` reads and writes everything), ``stop(kill=True)``
  to crash it and ``restart()`` on the same port. Tests are skipped when Debian's
  ``mosquitto`` is not installed.
* :class:`Subscriber`: a paho client in its own thread that collects what it
  receives, reconnects by itself and lets a test wait for a condition.

Elsewhere: tests/tcp_gate.py (a TCP relay a test can close, cut or stall),
tests/amqtt_broker.py (amqtt's MQTT 3.1.1-only broker) and tests/tls_certs.py.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import secrets
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from tests.server_process import HOST, ServerProcess, missing
from tests.tls_certs import TestCerts

ADMIN = "admin"
HOME_ASSISTANT = "homeassistant"


def mosquitto_binary() -> str | None:
    found = shutil.which("mosquitto")
    if found:
        return found
    return "/usr/sbin/mosquitto" if os.access("/usr/sbin/mosquitto", os.X_OK) else None


def mosquitto_passwd_binary() -> str | None:
    found = shutil.which("mosquitto_passwd")
    if found:
        return found
    return "/usr/bin/mosquitto_passwd" if os.access("/usr/bin/mosquitto_passwd", os.X_OK) else None


def require_mosquitto() -> tuple[str, str]:
    """The mosquitto and mosquitto_passwd binaries, or skip the test."""
    broker, passwd = mosquitto_binary(), mosquitto_passwd_binary()
    if broker is None or passwd is None:
        missing(
            "needs the Mosquitto broker: install it with `sudo apt-get install mosquitto` "
            "(Debian/Ubuntu; it provides /usr/sbin/mosquitto and /usr/bin/mosquitto_passwd)"
        )
    return broker, passwd


# --- Mosquitto -----------------------------------------------------------------------------


class Mosquitto(ServerProcess):
    """A mosquitto process with password and ACL files in ``workdir``.

    ``users`` maps user name to password; each may read and write
    ``sitload/<user>/#`` and ``homeassistant/#``. ``admin`` (password
    :attr:`admin_password`) may read and write ``#``. ``extra_config`` is appended
    to the listener's configuration (e.g. ``protocol mqtt`` lines). ``acl_template``:
    an ACL file (e.g. ``deploy/fleet/mosquitto/acl``) used instead of the per-user
    entries, after the ``admin`` one."""

    name = "mosquitto"
    start_timeout_s = 5.0

    def __init__(
        self,
        workdir: Path,
        users: dict[str, str] | None = None,
        *,
        extra_config: str = "",
        tls: TestCerts | None = None,
        acl_template: Path | None = None,
    ) -> None:
        self.binary, self.passwd_binary = require_mosquitto()
        super().__init__(workdir)
        self.tls = tls
        # passwords unique to this broker: a client of another test run that lands on
        # this port (a port freed by a crash can be reused) is refused, not mixed in
        token = secrets.token_hex(4)
        self.users = dict(users or {"alice": f"alice-{token}", "bob": f"bob-{token}"})
        self.admin_password = f"admin-{token}"
        self.ha_password = f"ha-{token}"
        self.extra_config = extra_config
        self.acl_template = acl_template
        self.conf_path = workdir / "mosquitto.conf"
        self._write_auth()

    @property
    def host(self) -> str:
        return HOST

    def credentials(self, user: str) -> tuple[str, str]:
        if user == ADMIN:
            return user, self.admin_password
        if user == HOME_ASSISTANT:
            return user, self.ha_password
        return user, self.users[user]

    def _write_auth(self) -> None:
        pw = self.workdir / "passwd"
        everyone = {ADMIN: self.admin_password, HOME_ASSISTANT: self.ha_password, **self.users}
        for i, (user, password) in enumerate(everyone.items()):
            args = [self.passwd_binary, "-b"] + (["-c"] if i == 0 else [])
            subprocess.run([*args, str(pw), user, password], check=True, capture_output=True)
        pw.chmod(0o600)
        acl = [f"user {ADMIN}", "topic readwrite #", ""]
        if self.acl_template is not None:  # e.g. deploy/fleet's: patterns, one for all
            acl += [self.acl_template.read_text(encoding="utf-8")]
            acl_path = self.workdir / "acl"
            acl_path.write_text("\n".join(acl), encoding="utf-8")
            acl_path.chmod(0o600)
            return
        # Home Assistant as docs/mqtt.md grants it: snooze / ack, never pain
        acl += [
            f"user {HOME_ASSISTANT}",
            "topic readwrite homeassistant/#",
            "topic read sitload/#",
            "topic write sitload/+/command",
            "",
        ]
        for user in self.users:
            acl += [
                f"user {user}",
                f"topic readwrite sitload/{user}/#",
                "topic readwrite homeassistant/#",
                "",
            ]
        acl_path = self.workdir / "acl"
        acl_path.write_text("\n".join(acl), encoding="utf-8")
        acl_path.chmod(0o600)

    def _command(self) -> list[str]:
        return [self.binary, "-c", str(self.conf_path)]

    def _prepare(self) -> None:
        lines = [
            f"listener {self.port} {HOST}",
            *(
                [f"certfile {self.tls.cert}", f"keyfile {self.tls.key}"]
                if self.tls is not None
                else []
            ),
            "allow_anonymous false",
            f"password_file {self.workdir / 'passwd'}",
            f"acl_file {self.workdir / 'acl'}",
            "persistence false",
            "log_dest stderr",
            "log_type all",
            "connection_messages true",
            "log_timestamp_format %H:%M:%S",
        ]
        if os.geteuid() == 0:
            lines.insert(0, "user root")  # as root, mosquitto would drop to 'mosquitto'
        if self.extra_config:
            lines.append(self.extra_config)
        self.conf_path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@contextlib.contextmanager
def mosquitto(workdir: Path, users: dict[str, str] | None = None, **kw: Any) -> Iterator[Mosquitto]:
    """A started :class:`Mosquitto`, killed on exit (for fixtures)."""
    broker = Mosquitto(workdir, users, **kw)
    try:
        yield broker.start()
    finally:
        broker.stop(kill=True)


# --- a synchronous subscriber ------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Received:
    topic: str
    payload: bytes
    qos: int
    retain: bool
    properties: Any
    t_s: float

    def json(self) -> Any:
        return json.loads(self.payload)

    @property
    def text(self) -> str:
        return self.payload.decode("utf-8", errors="replace")


class Subscriber:
    """A paho client (own network thread) that subscribes to ``topics`` on every
    connection and keeps what it receives. Reconnects by itself, quickly."""

    def __init__(
        self,
        port: int,
        topics: list[str],
        *,
        username: str | None = None,
        password: str | None = None,
        protocol: MQTTProtocolVersion = MQTTProtocolVersion.MQTTv5,
        client_id: str = "",
        host: str = HOST,
        tls_ca: Path | None = None,
        clean_session: bool = True,
    ) -> None:
        """``clean_session=False`` (MQTT 3.1.1 only, with a ``client_id``): a durable
        session, whose subscriptions and QoS 1 messages the broker keeps while the
        subscriber is away."""
        self.topics = list(topics)
        v311 = protocol == MQTTProtocolVersion.MQTTv311
        if not clean_session and not (v311 and client_id):
            raise ValueError("a durable session needs MQTT 3.1.1 and a client_id")
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id or f"test-sub-{id(self):x}",
            protocol=protocol,
            **({"clean_session": clean_session} if v311 else {}),
        )
        if username is not None:
            self.client.username_pw_set(username, password)
        if tls_ca is not None:
            self.client.tls_set(ca_certs=str(tls_ca))
        self.client.reconnect_delay_set(0.02, 0.1)  # type: ignore[arg-type]
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        self.client.on_disconnect = self._on_disconnect
        self._cond = threading.Condition()
        self.received: list[Received] = []
        self.connects = 0
        self.subscribed = 0
        """Subscriptions acknowledged (one per connection)."""
        self.refusals: list[int] = []
        """SUBACK codes per topic that were failures (e.g. 0x87 not authorised)."""
        self.connected = False
        self._host, self._port = host, port

    def start(self, timeout_s: float = 5.0) -> Subscriber:
        self.client.connect_async(self._host, self._port, keepalive=10)
        self.client.loop_start()
        if self.topics:
            self.wait_subscribed(1, timeout_s)
        else:
            with self._cond:
                if not self._cond.wait_for(lambda: self.connects >= 1, timeout_s):
                    raise AssertionError(f"subscriber not connected within {timeout_s} s")
        return self

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def __enter__(self) -> Subscriber:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        with self._cond:
            if reason.is_failure:
                return
            self.connects += 1
            self.connected = True
            self._cond.notify_all()
        if self.topics:
            client.subscribe([(t, 1) for t in self.topics])

    def _on_disconnect(self, *_a: Any) -> None:
        with self._cond:
            self.connected = False
            self._cond.notify_all()

    def _on_subscribe(self, _c: Any, _u: Any, _mid: int, codes: list[Any], _p: Any) -> None:
        with self._cond:
            self.subscribed += 1
            self.refusals += [int(c.value) for c in codes if c.is_failure]
            self._cond.notify_all()

    def _on_message(self, _c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        got = Received(
            msg.topic, bytes(msg.payload), msg.qos, bool(msg.retain), msg.properties, time.time()
        )
        with self._cond:
            self.received.append(got)
            self._cond.notify_all()

    # --- waiting -----------------------------------------------------------------------

    def wait_subscribed(self, count: int, timeout_s: float = 5.0) -> None:
        with self._cond:
            if not self._cond.wait_for(lambda: self.subscribed >= count, timeout_s):
                raise AssertionError(
                    f"subscriber not subscribed {count} time(s) within {timeout_s} s "
                    f"(connects {self.connects}, subscribed {self.subscribed})"
                )

    def wait_for(
        self,
        predicate: Callable[[list[Received]], bool],
        timeout_s: float = 5.0,
        what: str = "condition",
    ) -> list[Received]:
        """A snapshot of all received messages once ``predicate`` holds for it."""
        with self._cond:
            ok = self._cond.wait_for(lambda: predicate(self.received), timeout_s)
            snapshot = list(self.received)
        if not ok:
            tail = "\n".join(f"  {m.topic} {m.payload[:160]!r}" for m in snapshot[-15:])
            raise AssertionError(
                f"{what}: not met within {timeout_s} s; {len(snapshot)} message(s), last:\n{tail}"
            )
        return snapshot

    def wait_topic(self, topic: str, count: int = 1, timeout_s: float = 5.0) -> list[Received]:
        """The messages on ``topic`` once there are ``count`` of them."""
        self.wait_for(
            lambda ms: sum(m.topic == topic for m in ms) >= count, timeout_s, f"{count} on {topic}"
        )
        return self.on(topic)

    def on(self, topic: str) -> list[Received]:
        with self._cond:
            return [m for m in self.received if m.topic == topic]

    def snapshot(self) -> list[Received]:
        with self._cond:
            return list(self.received)

    def clear(self) -> None:
        with self._cond:
            self.received.clear()

    def publish(
        self,
        topic: str,
        payload: bytes | str,
        *,
        qos: int = 1,
        retain: bool = False,
        properties: Any = None,
        timeout_s: float = 5.0,
    ) -> None:
        info = self.client.publish(topic, payload, qos=qos, retain=retain, properties=properties)
        info.wait_for_publish(timeout_s)
