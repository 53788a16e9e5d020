"""Why an MQTT connection attempt failed, in words that say what to do (for the log).

The connection driver passes the exception that opening the socket raised, so that
a certificate problem is not logged as "broker down or unreachable".
"""

from __future__ import annotations

import ssl

from collector.sinks.settings import MqttSettings


def connect_failure(exc: BaseException | None, s: MqttSettings) -> str:
    """Why a connection attempt failed, and what to do, for the log."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return (
            f"TLS certificate check failed ({exc.verify_message or exc}): the broker's "
            "certificate is not signed by a trusted CA or is for another host name; set "
            "ca_file to the CA that signed it and connect by the name in the certificate "
            "(tls_insecure = true skips the name check: test brokers only)"
        )
    if isinstance(exc, ssl.SSLError):
        return (
            f"TLS handshake failed ({exc.reason or exc}): check that port {s.port} speaks "
            "TLS (mqtts, usually 8883) and that ca_file is the broker's CA"
        )
    if isinstance(exc, ConnectionRefusedError):
        return "cannot connect (connection refused: broker down, or wrong port)"
    if exc is not None:
        return f"cannot connect ({exc.__class__.__name__}: {exc}; broker down or unreachable)"
    return "cannot connect (broker down or unreachable)"
