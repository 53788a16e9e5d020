"""A TCP relay in front of a broker that a test can close (new connections are refused,
as by a broker that is down), cut (live connections are dropped), stall (the broker's
answers are dropped) or make refuse MQTT 5 (like a broker without MQTT 5)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time

from tests.server_process import HOST


class TcpGate:
    """A TCP relay from ``listen port`` to ``HOST:upstream_port``.

    ``close()`` stops listening (new connections are refused) and ``open()``
    listens again on the same port; ``cut()`` drops live connections; ``stall``
    (when True) holds back the bytes from the broker (PUBACKs never arrive);
    ``reject_v5`` refuses a CONNECT that asks for MQTT 5: ``"close"`` closes the
    connection (as some old brokers do), ``"connack"`` answers with CONNACK reason
    0x84 "Unsupported protocol version" (as a broker with MQTT 5 turned off)."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.stall = False
        self.reject_v5: str | None = None
        self.rejected = 0
        # closed = bound but not listening: connections are refused (RST) and the port
        # stays ours, so no other process can take it meanwhile
        self._listener: socket.socket | None = self._bound(0)
        self.port: int = self._listener.getsockname()[1]
        self._listening = False
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._lock = threading.Lock()
        self._accept_thread: threading.Thread | None = None

    @staticmethod
    def _bound(port: int) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((HOST, port))
        return sock

    def open(self) -> TcpGate:
        if self._listening or self._listener is None:
            return self
        self._listener.listen(16)
        self._listening = True
        self._accept_thread = threading.Thread(
            target=self._accept, args=(self._listener,), daemon=True
        )
        self._accept_thread.start()
        return self

    def close(self, *, rebind: bool = True) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        if self._accept_thread is not None:
            self._accept_thread.join(2)
            self._accept_thread = None
        self._listening = False
        if rebind:
            self._listener = self._bound(self.port)

    def cut(self) -> None:
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for a, b in pairs:
            for s in (a, b):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()

    def shutdown(self) -> None:
        self.close(rebind=False)
        self.cut()

    def __enter__(self) -> TcpGate:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                down, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(down,), daemon=True).start()

    def _serve(self, down: socket.socket) -> None:
        first = b""
        if self.reject_v5:
            down.settimeout(2)
            try:
                while len(first) < 9:
                    chunk = down.recv(64)
                    if not chunk:
                        break
                    first += chunk
            except OSError:
                pass
            down.settimeout(None)
            # CONNECT: fixed header (1 byte + remaining length), 00 04 'MQTT', level
            start = 2
            while start < len(first) and first[start - 1] & 0x80:
                start += 1
            if len(first) > start + 6 and first[start + 6] == 5:
                self.rejected += 1
                if self.reject_v5 == "connack":
                    with contextlib.suppress(OSError):
                        down.sendall(bytes([0x20, 0x03, 0x00, 0x84, 0x00]))
                        time.sleep(0.05)
                down.close()
                return
        try:
            up = socket.create_connection((HOST, self.upstream_port), timeout=2)
        except OSError:
            down.close()
            return
        up.settimeout(None)
        with self._lock:
            self._pairs.append((down, up))
        if first:
            up.sendall(first)
        threading.Thread(target=self._pipe, args=(down, up, False), daemon=True).start()
        threading.Thread(target=self._pipe, args=(up, down, True), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, from_broker: bool) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if from_broker and self.stall:
                    continue
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
        src.close()
