"""Throwaway SMTP servers on 127.0.0.1 for the probe tests: one per TLS configuration, each on
an ephemeral port, each stopping itself (bounded accept loop, bounded lifetime)."""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

LIFETIME = 60.0  # seconds a server lives at most, whatever the test does
MAX_CONNECTIONS = 20

_CA_CONFIG = """\
[ca]
default_ca = local
[local]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = any
unique_subject = no
copy_extensions = copy
[any]
commonName = supplied
"""


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path


def make_certificate(
    folder: Path, name: str, *, start: str | None = None, end: str | None = None
) -> Certificate:
    """A self-signed certificate for ``name`` (SAN: the name and 127.0.0.1), valid for a year,
    or from ``start`` to ``end`` (YYYYMMDDHHMMSSZ) through ``openssl ca -selfsign``."""
    if shutil.which("openssl") is None:
        import pytest

        # Skipped on a developer's machine without it; under CI=true .ci/run installs it, so a
        # missing command there is a failure, not a silent skip.
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(
                "CI=true but the openssl command is missing: .ci/run installs it", pytrace=False
            )
        pytest.skip("the openssl command makes the test certificates")
    folder.mkdir(parents=True, exist_ok=True)
    key, cert = folder / f"{name}.key", folder / f"{name}.pem"
    san = f"subjectAltName=DNS:{name},IP:127.0.0.1"
    if start is None:
        _run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                key,
                "-out",
                cert,
                "-days",
                "365",
                "-subj",
                f"/CN={name}/O=Probe Test",
                "-addext",
                san,
            ],
            folder,
        )
        return Certificate(cert, key)
    (folder / "index.txt").write_text("")
    (folder / "serial").write_text("01\n")
    (folder / "ca.cnf").write_text(_CA_CONFIG)
    _run(
        [
            "openssl",
            "req",
            "-new",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            key,
            "-out",
            "req.csr",
            "-subj",
            f"/CN={name}",
            "-addext",
            san,
        ],
        folder,
    )
    _run(
        [
            "openssl",
            "ca",
            "-batch",
            "-config",
            "ca.cnf",
            "-selfsign",
            "-keyfile",
            key,
            "-in",
            "req.csr",
            "-out",
            cert,
            "-startdate",
            start,
            "-enddate",
            end,
            "-notext",
        ],
        folder,
    )
    return Certificate(cert, key)


def _run(args: list, cwd: Path) -> None:
    subprocess.run([str(a) for a in args], cwd=cwd, check=True, capture_output=True, timeout=60)


class SmtpServer:
    """``mode``: "smtp" (a small ESMTP server; STARTTLS when ``certificate`` is given, with
    TLS ``versions`` from..to), "stall" (accepts, never speaks), "banner" (sends ``banner``
    as is and hangs up), or "broken-tls" (offers STARTTLS, then answers it with 454, as a
    server without a usable certificate does)."""

    def __init__(
        self,
        mode: str = "smtp",
        certificate: Certificate | None = None,
        versions: tuple[str, str] = ("TLSv1_2", "TLSv1_3"),
        banner: bytes = b"220 mx.probe.test ESMTP Postfix (Debian)\r\n",
    ):
        self.mode, self.banner = mode, banner
        self.context = _server_context(certificate, versions) if certificate else None
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self.stop = threading.Event()
        self.connections = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        self.listener.close()

    def __enter__(self) -> SmtpServer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _serve(self) -> None:
        deadline = time.monotonic() + LIFETIME
        while (
            not self.stop.is_set()
            and time.monotonic() < deadline
            and self.connections < MAX_CONNECTIONS
        ):
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _session(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            try:
                if self.mode == "stall":
                    self.stop.wait(LIFETIME)
                    return
                conn.sendall(self.banner)
                if self.mode == "banner":
                    return
                self._talk(conn)
            except (OSError, ssl.SSLError):
                return  # the probe hung up or failed the handshake: that is its answer

    def _talk(self, conn) -> None:
        reader = conn.makefile("rb")
        for _ in range(20):
            line = reader.readline(1000).strip().upper()
            if not line or line == b"QUIT":
                conn.sendall(b"221 bye\r\n")
                return
            if line.startswith(b"EHLO"):
                offered = self.context or self.mode == "broken-tls"
                starttls = b"250-STARTTLS\r\n" if offered else b""
                conn.sendall(
                    b"250-mx.probe.test\r\n250-SIZE 10240000\r\n" + starttls + b"250 8BITMIME\r\n"
                )
            elif line == b"STARTTLS" and self.mode == "broken-tls":
                conn.sendall(b"454 4.7.0 TLS not available due to local problem\r\n")
            elif line == b"STARTTLS" and self.context:
                conn.sendall(b"220 2.0.0 Ready to start TLS\r\n")
                tls = self.context.wrap_socket(conn, server_side=True)
                tls.settimeout(5)
                tls.recv(100)  # QUIT, or the probe closing
                tls.close()
                return
            else:
                conn.sendall(b"502 5.5.2 not implemented\r\n")


def _server_context(certificate: Certificate, versions: tuple[str, str]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate.cert, certificate.key)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = getattr(ssl.TLSVersion, versions[0])
        context.maximum_version = getattr(ssl.TLSVersion, versions[1])
    context.set_ciphers("ALL:@SECLEVEL=0")
    return context


def refused_port() -> int:
    """A port on 127.0.0.1 with nothing listening (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
