"""Throw-away TLS certificates for test brokers: a CA and a server certificate made
with the openssl command (tests skip without it)."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from pathlib import Path

from tests.server_process import missing


@dataclasses.dataclass(frozen=True)
class TestCerts:
    ca: Path
    cert: Path
    key: Path


def make_test_certs(workdir: Path, san: str = "IP:127.0.0.1,DNS:localhost") -> TestCerts:
    """A throw-away CA and a server certificate for ``san`` (skips without openssl)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        missing("needs the openssl command to make test certificates")
    workdir.mkdir(parents=True, exist_ok=True)
    ca, ca_key = workdir / "ca.crt", workdir / "ca.key"
    cert, key, csr = workdir / "server.crt", workdir / "server.key", workdir / "server.csr"
    ext = workdir / "san.ext"
    ext.write_text(f"subjectAltName={san}\n", encoding="utf-8")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    steps = [
        ["req", "-x509", *ec, "-keyout", ca_key, "-out", ca, "-days", "2", "-subj", "/CN=test CA"],
        ["req", *ec, "-keyout", key, "-out", csr, "-subj", "/CN=sitload test broker"],
        [
            *("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial"),
            *("-out", cert, "-days", "2", "-extfile", ext),
        ],
    ]
    for args in steps:
        subprocess.run([openssl, *map(str, args)], check=True, capture_output=True)
    key.chmod(0o600)
    return TestCerts(ca, cert, key)
