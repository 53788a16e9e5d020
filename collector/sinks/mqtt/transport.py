"""One MQTT connection driven by the event loop: paho's client on a socket asyncio opened.

paho-mqtt runs a client in a thread of its own (``loop_start``), in a blocking
``loop_forever``, or in the application's event loop. The last is used here, as
aiomqtt does: paho's socket callbacks (``on_socket_open``, ``on_socket_close``,
``on_socket_register_write``, ``on_socket_unregister_write``) register the socket
with asyncio (``add_reader`` / ``add_writer``), asyncio calls ``loop_read`` /
``loop_write`` when it is ready, and a ticker calls ``loop_misc`` every second
(keep-alive pings; a CONNACK or PINGRESP that does not come within ``keepalive_s``
closes the connection). What paho queues is written at once by :meth:`Connection.flush`
(the writer callback only waits for a full socket buffer to drain).

paho's ``connect()`` blocks (name lookup, TCP connect, TLS handshake). Here the
socket is opened by asyncio (:func:`open_socket`: asyncio's resolver for a host
name, ``sock_connect``, a non-blocking TLS handshake) and handed to paho by
:class:`LoopClient`, whose
``_create_socket`` (paho's hook for the socket of a new connection, since paho 2.0)
returns it; paho's ``connect()`` then only queues CONNECT. Everything runs in the
event loop's thread: no thread, no lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import select
import socket
import ssl
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

log = logging.getLogger(__name__)

TICK_S = 1.0
"""How often ``loop_misc`` runs (keep-alive, CONNACK and PINGRESP time-outs)."""

READ_BATCH = 100
"""Packets read in one go while more wait (paho reads one at a time)."""

_CLOSE_TIMEOUT_S = 2.0
"""How long :meth:`Connection.disconnect` waits for DISCONNECT to be written."""


class LoopClient(mqtt.Client):
    """A paho client whose connection uses the socket given to :meth:`use`."""

    _opened: socket.socket | None = None

    def use(self, sock: socket.socket) -> None:
        """The connected socket (TLS done) for the next ``connect()``."""
        self._opened = sock

    def _create_socket(self) -> socket.socket:
        # paho's hook for the socket of a new connection (it would connect, blocking)
        sock, self._opened = self._opened, None
        if sock is None:
            raise ConnectionError("no socket: the event loop opens it (open_socket) first")
        return sock


def tls_context(ca_file: Path | None, insecure: bool) -> ssl.SSLContext:
    """What paho's ``tls_set`` + ``tls_insecure_set`` would make: the broker's
    certificate checked against ``ca_file`` (None: the system's CAs), its host name
    too unless ``insecure``."""
    try:
        context = ssl.create_default_context(cafile=None if ca_file is None else str(ca_file))
    except (OSError, ValueError) as exc:
        raise ValueError(f"mqtt TLS set-up failed (ca_file {ca_file}): {exc}") from exc
    context.check_hostname = not insecure
    return context


async def _ready(sock: socket.socket, *, write: bool) -> None:
    """Until ``sock`` can be read (or written)."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()
    fd = sock.fileno()

    def wake() -> None:
        if not done.done():
            done.set_result(None)

    if write:
        loop.add_writer(fd, wake)
    else:
        loop.add_reader(fd, wake)
    try:
        await done
    finally:
        if write:
            loop.remove_writer(fd)
        else:
            loop.remove_reader(fd)


async def _addresses(host: str, port: int) -> list[Any]:
    try:  # an IP address: nothing to look up
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
    except socket.gaierror:  # a name: asyncio's resolver (getaddrinfo in its executor)
        loop = asyncio.get_running_loop()
        return await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)


async def _tcp(host: str, port: int) -> socket.socket:
    loop = asyncio.get_running_loop()
    infos = await _addresses(host, port)
    failure: OSError = OSError(f"no address found for {host}")
    for family, kind, proto, _name, address in infos:
        sock = socket.socket(family, kind, proto)
        try:
            sock.setblocking(False)
            await loop.sock_connect(sock, address)
        except OSError as exc:
            sock.close()
            failure = exc
            continue
        except BaseException:
            sock.close()
            raise
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock
    raise failure


async def open_socket(
    host: str,
    port: int,
    tls: ssl.SSLContext | None,
    *,
    connect_timeout_s: float,
    handshake_timeout_s: float,
) -> socket.socket:
    """A non-blocking socket connected to ``host:port`` (TLS handshake done), made
    without blocking the event loop. Raises OSError (``TimeoutError``, ``ssl.SSLError``
    …) with what failed."""
    try:
        async with asyncio.timeout(connect_timeout_s):
            sock = await _tcp(host, port)
    except TimeoutError:
        raise TimeoutError(f"no answer from {host}:{port} within {connect_timeout_s:g} s") from None
    if tls is None:
        return sock
    try:
        tls_sock = tls.wrap_socket(sock, server_hostname=host, do_handshake_on_connect=False)
    except BaseException:
        sock.close()
        raise
    try:
        async with asyncio.timeout(handshake_timeout_s):
            while True:
                try:
                    tls_sock.do_handshake()
                    return tls_sock
                except ssl.SSLWantReadError:
                    await _ready(tls_sock, write=False)
                except ssl.SSLWantWriteError:
                    await _ready(tls_sock, write=True)
    except TimeoutError:
        tls_sock.close()
        raise TimeoutError(
            f"no TLS handshake with {host}:{port} within {handshake_timeout_s:g} s"
        ) from None
    except BaseException:
        tls_sock.close()
        raise


def is_v5(client: mqtt.Client) -> bool:
    return client.protocol == MQTTProtocolVersion.MQTTv5


def json_properties() -> Properties:
    """MQTT 5 PUBLISH properties of a JSON payload."""
    props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
    props.PayloadFormatIndicator = 1
    props.ContentType = "application/json"
    return props


class Connection:
    """One connection's paho client, driven by the running event loop until it ends.

    The owner sets paho's other callbacks; ``accepted`` / ``answered`` / ``reason``
    are the owner's notes about this connection (CONNACK success, any CONNACK, why
    it closed)."""

    def __init__(self, client: LoopClient) -> None:
        self.client = client
        self.accepted = False
        self.answered = False
        self.reason: ReasonCode | None = None
        self._loop = asyncio.get_running_loop()
        self.ended: asyncio.Future[None] = self._loop.create_future()
        """Done once the socket is closed (by paho, or by :meth:`abort`)."""
        self._sock: Any = None
        self._fd = -1
        self._in_paho = False
        self._ticker: asyncio.Task[None] | None = None
        client.on_socket_open = self._opened
        client.on_socket_close = self._closed
        client.on_socket_register_write = self._want_write
        client.on_socket_unregister_write = self._no_write

    @property
    def is_open(self) -> bool:
        return self._sock is not None

    async def open(
        self,
        host: str,
        port: int,
        tls: ssl.SSLContext | None,
        *,
        keepalive_s: int,
        clean_start: mqtt.CleanStartOption,
        connect_timeout_s: float,
    ) -> None:
        """Connect and send CONNECT (the CONNACK comes to paho's ``on_connect``)."""
        sock = await open_socket(
            host,
            port,
            tls,
            connect_timeout_s=connect_timeout_s,
            handshake_timeout_s=float(keepalive_s),
        )
        self.client.use(sock)
        try:
            self.client.connect(host, port, keepalive=keepalive_s, clean_start=clean_start)
        except BaseException:
            self.abort()
            sock.close()
            raise
        self._ticker = self._loop.create_task(self._tick(), name="mqtt-loop-misc")
        self.flush()

    def flush(self) -> None:
        """Write what paho has queued, now (what the socket does not take is written
        when it is writable). Inside paho's own calls it waits for their end."""
        if not self._in_paho and self._sock is not None and self.client.want_write():
            self._write()

    async def disconnect(self) -> None:
        """Say goodbye (DISCONNECT: the broker drops the Will) and close."""
        if self._sock is not None:
            self.client.disconnect()
            self.flush()
            await asyncio.wait({self.ended}, timeout=_CLOSE_TIMEOUT_S)
        self.abort()

    def abort(self) -> None:
        """Close the connection now, if still open (without DISCONNECT the broker
        publishes the Will)."""
        if self._ticker is not None:
            self._ticker.cancel()
        sock = self._sock
        if sock is not None:
            self._forget()
            sock.close()
        if not self.ended.done():
            self.ended.set_result(None)

    # --- asyncio → paho --------------------------------------------------------------------

    def _read(self) -> None:
        if self._sock is None:
            return
        self._in_paho = True
        try:
            for _ in range(READ_BATCH):
                self.client.loop_read()
                if not self._more_to_read():
                    break
        except Exception:  # paho handles socket errors itself: this is a bug, not the network
            log.exception("MQTT connection failed while reading; closing it")
            self.abort()
        finally:
            self._in_paho = False
        sock = self._sock
        if isinstance(sock, ssl.SSLSocket) and sock.pending():
            # decrypted bytes wait in the TLS layer, where the selector does not see them
            self._loop.call_soon(self._read)
        self.flush()

    def _more_to_read(self) -> bool:
        sock = self._sock
        if sock is None:
            return False
        if isinstance(sock, ssl.SSLSocket) and sock.pending():
            return True
        return bool(select.select([self._fd], [], [], 0)[0])

    def _write(self) -> None:
        if self._sock is None:
            return
        self._in_paho = True
        try:
            self.client.loop_write()
        except Exception:
            log.exception("MQTT connection failed while writing; closing it")
            self.abort()
        finally:
            self._in_paho = False

    async def _tick(self) -> None:
        while self._sock is not None:
            await asyncio.sleep(TICK_S)
            self._in_paho = True
            try:
                self.client.loop_misc()
            except Exception:
                log.exception("MQTT connection failed on its keep-alive check; closing it")
                self.abort()
            finally:
                self._in_paho = False
            self.flush()

    # --- paho's socket callbacks -----------------------------------------------------------

    def _opened(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        self._sock, self._fd = sock, sock.fileno()
        self._loop.add_reader(self._fd, self._read)

    def _closed(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        if sock is self._sock:
            self._forget()
            if not self.ended.done():
                self.ended.set_result(None)

    def _want_write(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        if sock is self._sock:
            self._loop.add_writer(self._fd, self._write)

    def _no_write(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        if sock is self._sock:
            self._loop.remove_writer(self._fd)

    def _forget(self) -> None:
        with contextlib.suppress(ValueError, OSError):
            self._loop.remove_reader(self._fd)
        with contextlib.suppress(ValueError, OSError):
            self._loop.remove_writer(self._fd)
        self._sock, self._fd = None, -1
