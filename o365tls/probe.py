"""Probe an SMTP server: its banner, whether it offers STARTTLS, which TLS versions it accepts,
and its certificate.

The servers o365tls names (partner MX hosts, on-prem relays, Exchange receive connectors) are
checked from the outside with the standard library only: one plain connection reads the banner
and the EHLO extensions; then every TLS version is tried on a connection of its own, with that
version as both the lowest and the highest the client offers, so that the answer is the
server's and not a negotiation. A version the local OpenSSL cannot offer is reported as
``not-testable``, never as refused.

Nothing a server does is an error here: DNS failures, refused or silent ports, non-SMTP
banners, 421 greetings and failed handshakes are all :class:`ProbeResult` values with a reason.
Only a bad target (``host:port`` that does not parse) raises :class:`ValueError`.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import socket
import ssl
import tempfile
import threading
import time
import warnings
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from .certinfo import CertificateError, CertificateInfo, parse_certificate
from .errors import OutputError
from .tls import LEGACY_VERSIONS, TLS10, TLS11, TLS12, TLS13

#: The marker key of a probe results file: ``analyze`` recognises the file by it.
MARKER = "o365tls_probe"
#: The version of the probe results file's shape.
FILE_VERSION = 1
SMTP_PORT = 25
DEFAULT_TIMEOUT = 10.0
VERSIONS: tuple[str, ...] = (TLS10, TLS11, TLS12, TLS13)
_SSL_VERSIONS = {TLS10: "TLSv1", TLS11: "TLSv1_1", TLS12: "TLSv1_2", TLS13: "TLSv1_3"}

# What came of a probe as a whole.
OK = "ok"  # an SMTP conversation took place (STARTTLS offered or not)
DNS_FAILED = "dns-failed"
REFUSED = "refused"  # the port refused the connection
TIMEOUT = "timeout"  # a step got no answer in time
UNREACHABLE = "unreachable"  # any other network error
NOT_SMTP = "not-smtp"  # the server sent something that is not an SMTP reply
GREETING_REFUSED = "greeting-refused"  # 421 / 554 banner: the server will not talk
EHLO_REFUSED = "ehlo-refused"
OUTCOMES = (OK, DNS_FAILED, REFUSED, TIMEOUT, UNREACHABLE, NOT_SMTP, GREETING_REFUSED, EHLO_REFUSED)

# What came of one TLS version.
ACCEPTED = "accepted"
VERSION_REFUSED = "refused"  # the server failed or closed the handshake
NOT_TESTABLE = "not-testable"  # the local OpenSSL cannot offer this version
NO_STARTTLS = "no-starttls"  # the server does not offer STARTTLS: nothing to try
NOT_TRIED = "not-tried"  # the plain conversation failed first
FAILED = "failed"  # the connection failed before the handshake (detail says how)
VERSION_RESULTS = (ACCEPTED, VERSION_REFUSED, NOT_TESTABLE, NO_STARTTLS, NOT_TRIED, FAILED)

#: Limits on what a server may send in one reply (a hostile server must not make us buffer).
MAX_REPLY_LINES = 100
MAX_REPLY_BYTES = 64 * 1024
_REPLY_LINE = re.compile(r"^(\d{3})([ -])(.*)$")
#: Local OpenSSL error reasons that mean "this client cannot offer it", not "the server said no".
_LOCAL_REASONS = ("NO_PROTOCOLS_AVAILABLE", "NO_CIPHERS_AVAILABLE")


@dataclass(frozen=True)
class Target:
    """A server to probe."""

    host: str
    port: int = SMTP_PORT

    @classmethod
    def parse(cls, text: str) -> Target:
        """``host``, ``host:port``, ``[v6]:port`` or a bare IPv6 address."""
        text = text.strip()
        if not text:
            raise ValueError("empty host")
        host, port = text, SMTP_PORT
        if text.startswith("["):
            host, sep, rest = text[1:].partition("]")
            if not sep or (rest and not rest.startswith(":")):
                raise ValueError(f"{text!r}: write an IPv6 address as [address]:port")
            port = _port(rest[1:]) if rest else SMTP_PORT
        elif text.count(":") == 1:
            host, _, rest = text.partition(":")
            port = _port(rest)
        elif text.count(":") > 1:
            ipaddress.ip_address(text)  # a bare IPv6 address, or a ValueError
        if not valid_host(host):
            raise ValueError(f"{text!r} is not a host name or IP address")
        return cls(host.rstrip(".").lower() if not _is_ip(host) else host, port)

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def valid_host(host: str) -> bool:
    """An IP address, or a DNS name: letters (any script), digits, ``-``, ``_`` and dots."""
    if _is_ip(host):
        return True
    name = host.rstrip(".")
    return (
        bool(name)
        and len(name) <= 253
        and all(
            label and all(ch.isalnum() or ch in "-_" for ch in label) for label in name.split(".")
        )
    )


def _port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"{text!r} is not a TCP port")
    return int(text)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class VersionResult:
    """What one TLS version got: ``result`` is one of :data:`VERSION_RESULTS`."""

    version: str
    result: str
    detail: str = ""  # the refusal, failure or negotiated cipher

    def as_dict(self) -> dict:
        return {"version": self.version, "result": self.result, "detail": self.detail}


@dataclass(frozen=True)
class ProbeResult:
    """One server's answers. ``outcome`` is one of :data:`OUTCOMES`; ``reason`` says it in
    words when the outcome is not ``ok``."""

    host: str
    port: int
    probed_at: datetime
    outcome: str
    reason: str = ""
    address: str = ""  # the IP that was connected to
    banner: str = ""  # the 220 greeting, which often names the software
    starttls: bool | None = None  # None: the conversation did not get that far
    extensions: tuple[str, ...] = ()  # the EHLO keywords
    versions: tuple[VersionResult, ...] = ()
    certificate: CertificateInfo | None = None
    certificate_problem: str = ""

    @property
    def target(self) -> Target:
        return Target(self.host, self.port)

    @property
    def accepted(self) -> tuple[str, ...]:
        return tuple(v.version for v in self.versions if v.result == ACCEPTED)

    @property
    def legacy(self) -> bool:
        """The server was reached and is weak: no STARTTLS, or it accepts TLS 1.1 or older."""
        return self.outcome == OK and (
            self.starttls is False or any(v in LEGACY_VERSIONS for v in self.accepted)
        )

    @property
    def expired(self) -> bool | None:
        return None if self.certificate is None else self.certificate.expired(self.probed_at)

    @property
    def name_matches(self) -> bool | None:
        return None if self.certificate is None else self.certificate.matches(self.host)

    def version(self, name: str) -> VersionResult | None:
        return next((v for v in self.versions if v.version == name), None)

    def summary(self) -> str:
        """One line for a report: "probed 2026-12-08: STARTTLS offered, accepts TLS1.0,
        TLS1.2; certificate mail.example expires 2027-01-02"."""
        head = f"probed {self.probed_at:%Y-%m-%d} ({self.target})"
        if self.outcome != OK:
            return f"{head}: {self.reason or self.outcome}"
        if not self.starttls:
            return f"{head}: no STARTTLS offered, mail to it travels in plain text"
        parts = ["STARTTLS offered"]
        accepted = self.accepted
        if accepted:
            parts.append(f"accepts {', '.join(accepted)}")
        elif any(v.result == VERSION_REFUSED for v in self.versions):
            parts.append("no TLS version accepted")
        untested = [v.version for v in self.versions if v.result == NOT_TESTABLE]
        if untested:
            parts.append(f"{', '.join(untested)} not testable from the probing machine")
        failed = [v.version for v in self.versions if v.result == FAILED]
        if failed:
            parts.append(f"{', '.join(failed)} could not be tried (the connection failed)")
        text = f"{head}: {', '.join(parts)}"
        cert = self.certificate
        if cert is not None:
            name = cert.common_name or (cert.names[0] if cert.names else cert.subject)
            verb = "expired" if self.expired else "expires"
            text += f"; certificate {name} {verb} {cert.not_after:%Y-%m-%d}"
            if cert.self_signed:
                text += ", self-signed"
            if not self.name_matches:
                text += f", does not name {self.host}"
        elif self.certificate_problem:
            text += f"; {self.certificate_problem}"
        return text

    def as_dict(self) -> dict:
        """The JSON shape of one result (documented in the README's ``probe`` section)."""
        cert = self.certificate
        return {
            "host": self.host,
            "port": self.port,
            "address": self.address,
            "probed_at": _iso(self.probed_at),
            "outcome": self.outcome,
            "reason": self.reason,
            "banner": self.banner,
            "starttls": self.starttls,
            "extensions": list(self.extensions),
            "tls": {v.version: v.result for v in self.versions},
            "tls_detail": {v.version: v.detail for v in self.versions if v.detail},
            "accepted": list(self.accepted),
            "legacy": self.legacy,
            "certificate": None
            if cert is None
            else {
                "subject": cert.subject,
                "common_name": cert.common_name,
                "names": list(cert.names),
                "issuer": cert.issuer,
                "not_before": _iso(cert.not_before),
                "not_after": _iso(cert.not_after),
                "expired": self.expired,
                "self_signed": cert.self_signed,
                "name_matches": self.name_matches,
            },
            "certificate_problem": self.certificate_problem,
            "summary": self.summary(),
        }

    @classmethod
    def from_dict(cls, data: object) -> ProbeResult:
        """Read back one :meth:`as_dict` object (from a file a user may have edited): the
        facts are taken, the derived keys (accepted, legacy, expired, summary) are
        recomputed. Raises :class:`ValueError` saying which key is wrong."""
        if not isinstance(data, dict):
            raise ValueError("a result is not a JSON object")
        host = _text(data, "host")
        if not host:
            raise ValueError("the result has no host")
        if not valid_host(host):
            raise ValueError(f"host {host[:80]!r} is not a host name or IP address")
        port = data.get("port", SMTP_PORT)
        if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
            raise ValueError(f"port {port!r} is not a TCP port")
        outcome = _text(data, "outcome")
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome {outcome!r} is not one of {', '.join(OUTCOMES)}")
        starttls = data.get("starttls")
        if starttls is not None and not isinstance(starttls, bool):
            raise ValueError("starttls is not true, false or null")
        tls = data.get("tls") or {}
        details = data.get("tls_detail") or {}
        if not isinstance(tls, dict) or not isinstance(details, dict):
            raise ValueError("tls is not an object of version -> result")
        versions = []
        for version in VERSIONS:
            result = tls.get(version)
            if result is None:
                continue
            if result not in VERSION_RESULTS:
                raise ValueError(
                    f"tls {version} {result!r} is not one of {', '.join(VERSION_RESULTS)}"
                )
            versions.append(VersionResult(version, result, str(details.get(version) or "")))
        cert = data.get("certificate")
        if cert is not None and not isinstance(cert, dict):
            raise ValueError("certificate is not an object")
        extensions = data.get("extensions") or []
        return cls(
            host=host.lower() if not _is_ip(host) else host,
            port=port,
            probed_at=_when(data.get("probed_at"), "probed_at"),
            outcome=outcome,
            reason=_text(data, "reason"),
            address=_text(data, "address"),
            banner=_text(data, "banner"),
            starttls=starttls,
            extensions=tuple(str(e) for e in extensions) if isinstance(extensions, list) else (),
            versions=tuple(versions),
            certificate=None
            if cert is None
            else CertificateInfo(
                subject=_text(cert, "subject"),
                common_name=_text(cert, "common_name"),
                names=tuple(str(n) for n in cert.get("names") or () if isinstance(n, str)),
                issuer=_text(cert, "issuer"),
                not_before=_when(cert.get("not_before"), "certificate not_before"),
                not_after=_when(cert.get("not_after"), "certificate not_after"),
                self_signed=cert.get("self_signed") is True,
            ),
            certificate_problem=_text(data, "certificate_problem"),
        )


def _text(data: dict, key: str) -> str:
    value = data.get(key)
    return value.strip() if isinstance(value, str) else ""


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _when(value: object, key: str) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"{key} is not an ISO 8601 date")
    try:
        moment = datetime.fromisoformat(value.strip())
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: year 1 moved back by its offset
        raise ValueError(f"{key} {value[:40]!r} is not an ISO 8601 date") from None


def document(results: Iterable[ProbeResult], tool_version: str) -> dict:
    """The probe results file: what ``probe --json`` prints and ``-o`` writes, and what
    ``analyze`` reads back."""
    return {
        MARKER: FILE_VERSION,
        "tool_version": tool_version,
        "results": [r.as_dict() for r in results],
    }


def write_document(
    results: Iterable[ProbeResult], path: str | os.PathLike, tool_version: str
) -> None:
    """Write the probe results file in one rename: a failed write leaves no half file."""
    target = Path(path)
    text = json.dumps(document(results, tool_version), indent=2, ensure_ascii=False) + "\n"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=target.parent, prefix=".o365tls-", suffix=".tmp")
    except OSError as exc:
        raise _unwritable(target, exc) from exc
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(temp, target)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise _unwritable(target, exc) from exc


def _unwritable(target: Path, exc: OSError) -> OutputError:
    return OutputError(
        f"{target}: cannot write the probe results ({exc.strerror or exc})",
        hint="choose another file with -o",
    )


# --- probing ---------------------------------------------------------------------------


class _Failure(Exception):
    """A step failed: ``outcome`` for the probe, ``reason`` in words."""

    def __init__(self, outcome: str, reason: str):
        super().__init__(reason)
        self.outcome = outcome
        self.reason = reason


@dataclass
class _Smtp:
    """One SMTP conversation; every step has ``timeout`` seconds."""

    sock: socket.socket
    timeout: float
    buffer: bytes = b""

    def reply(self, step: str) -> tuple[int, list[str]]:
        """Read one (possibly multi-line) reply: (code, text lines)."""
        deadline = time.monotonic() + self.timeout
        texts: list[str] = []
        received = 0
        while True:
            while b"\n" not in self.buffer:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise _Failure(TIMEOUT, f"no {step} within {self.timeout:g} s")
                self.sock.settimeout(left)
                try:
                    chunk = self.sock.recv(4096)
                except TimeoutError:
                    raise _Failure(TIMEOUT, f"no {step} within {self.timeout:g} s") from None
                except OSError as exc:
                    raise _Failure(
                        UNREACHABLE, f"connection lost waiting for {step}: {_oserror(exc)}"
                    ) from None
                if not chunk:
                    raise _Failure(
                        UNREACHABLE, f"the server closed the connection before the {step}"
                    )
                received += len(chunk)
                if received > MAX_REPLY_BYTES:
                    raise _Failure(
                        NOT_SMTP,
                        f"the {step} is longer than {MAX_REPLY_BYTES // 1024} KB: not SMTP",
                    )
                self.buffer += chunk
            raw, _, self.buffer = self.buffer.partition(b"\n")
            line = _printable(raw.rstrip(b"\r").decode("utf-8", "replace"))
            match = _REPLY_LINE.match(line) or (
                re.fullmatch(r"\d{3}", line) and _REPLY_LINE.match(line + " ")
            )
            if not match:
                raise _Failure(NOT_SMTP, f"not an SMTP server: its {step} was {line[:80]!r}")
            texts.append(match.group(3))
            if match.group(2) == " " or len(texts) >= MAX_REPLY_LINES:
                return int(match.group(1)), texts

    def send(self, line: str) -> None:
        self.sock.settimeout(self.timeout)
        try:
            self.sock.sendall(line.encode("ascii") + b"\r\n")
        except TimeoutError:
            raise _Failure(
                TIMEOUT, f"could not send {line.split()[0]} within {self.timeout:g} s"
            ) from None
        except OSError as exc:
            raise _Failure(
                UNREACHABLE, f"connection lost sending {line.split()[0]}: {_oserror(exc)}"
            ) from None


def _printable(text: str) -> str:
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def _oserror(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def probe(
    target: Target | str, *, timeout: float = DEFAULT_TIMEOUT, helo: str | None = None
) -> ProbeResult:
    """Probe one server (see the module docstring); never raises for anything the server or
    the network does."""
    if isinstance(target, str):
        target = Target.parse(target)
    if helo is not None and not (valid_host(helo) and helo.isascii()):
        raise ValueError(f"EHLO name {helo!r} is not an ASCII host name")
    started = datetime.now(UTC)
    helo = helo or _helo_name()

    def result(outcome: str, reason: str = "", **facts) -> ProbeResult:
        if outcome != OK:
            facts["versions"] = tuple(VersionResult(v, NOT_TRIED) for v in VERSIONS)
        return ProbeResult(target.host, target.port, started, outcome, reason, **facts)

    try:
        address = _resolve(target, timeout)
    except _Failure as failure:
        return result(failure.outcome, failure.reason)
    banner = ""
    try:
        with _connect(address, target.port, timeout) as sock:
            smtp = _Smtp(sock, timeout)
            banner = _greet(smtp)
            extensions = _ehlo(smtp, helo)
            _quit(smtp)
    except _Failure as failure:
        return result(failure.outcome, failure.reason, address=address, banner=banner)
    starttls = "STARTTLS" in extensions
    if not starttls:
        return result(
            OK,
            address=address,
            banner=banner,
            starttls=False,
            extensions=extensions,
            versions=tuple(VersionResult(v, NO_STARTTLS) for v in VERSIONS),
        )
    versions, der = [], None
    for version in VERSIONS:
        outcome, peer = _try_version(target, address, version, timeout, helo)
        versions.append(outcome)
        der = peer or der  # the certificate of the newest version accepted
    cert, problem = None, ""
    if der:
        try:
            cert = parse_certificate(der)
        except CertificateError as exc:
            problem = str(exc)
    elif any(v.result == ACCEPTED for v in versions):
        problem = "the server sent no certificate"
    return result(
        OK,
        address=address,
        banner=banner,
        starttls=True,
        extensions=extensions,
        versions=tuple(versions),
        certificate=cert,
        certificate_problem=problem,
    )


def probe_all(
    targets: Iterable[Target],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    helo: str | None = None,
    jobs: int = 4,
) -> Iterator[ProbeResult]:
    """Probe servers ``jobs`` at a time; results come in the order of ``targets``."""
    targets = list(targets)
    with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="o365tls-probe") as pool:
        yield from pool.map(lambda t: probe(t, timeout=timeout, helo=helo), targets)


def _helo_name() -> str:
    name = socket.gethostname()
    return (
        name
        if "." in name and all(_LABEL.fullmatch(p) for p in name.split("."))
        else "o365tls-probe.invalid"
    )


_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


def _resolve(target: Target, timeout: float) -> str:
    """The first address of the host. getaddrinfo has no timeout of its own: it runs on a
    thread that is left behind when it takes longer than ``timeout``."""
    if _is_ip(target.host):
        return target.host
    answer: dict[str, Any] = {}  # "infos" (getaddrinfo's list) or "error"

    def lookup() -> None:
        try:
            answer["infos"] = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            answer["error"] = exc

    thread = threading.Thread(target=lookup, name="o365tls-resolve", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise _Failure(TIMEOUT, f"DNS lookup of {target.host} took over {timeout:g} s")
    if "error" in answer:
        exc = answer["error"]
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise _Failure(DNS_FAILED, f"DNS lookup of {target.host} failed: {detail}")
    infos = answer.get("infos") or []
    if not infos:
        raise _Failure(DNS_FAILED, f"DNS lookup of {target.host} gave no address")
    return str(infos[0][4][0])


def _connect(address: str, port: int, timeout: float) -> socket.socket:
    try:
        return socket.create_connection((address, port), timeout=timeout)
    except ConnectionRefusedError:
        raise _Failure(REFUSED, f"port {port} refused the connection") from None
    except TimeoutError:
        raise _Failure(TIMEOUT, f"no TCP connection to port {port} within {timeout:g} s") from None
    except OSError as exc:
        raise _Failure(UNREACHABLE, f"cannot connect to port {port}: {_oserror(exc)}") from None


def _greet(smtp: _Smtp) -> str:
    code, lines = smtp.reply("SMTP banner")
    banner = " ".join(lines)[:500]
    if code != 220:
        outcome = GREETING_REFUSED if code >= 400 else NOT_SMTP  # 421, 554: will not talk
        raise _Failure(outcome, f"the server greeted with {code} {banner[:200]}".rstrip())
    return banner


def _ehlo(smtp: _Smtp, helo: str) -> tuple[str, ...]:
    smtp.send(f"EHLO {helo}")
    code, lines = smtp.reply("EHLO reply")
    if code != 250:
        raise _Failure(EHLO_REFUSED, f"EHLO was answered {code} {' '.join(lines)[:200]}".rstrip())
    return tuple(line.split(" ", 1)[0].upper() for line in lines[1:] if line.strip())


def _quit(smtp: _Smtp) -> None:
    try:
        smtp.send("QUIT")
    except _Failure:
        pass  # the answers are in; a server that hangs up first changes none of them


def _try_version(
    target: Target, address: str, version: str, timeout: float, helo: str
) -> tuple[VersionResult, bytes | None]:
    """One connection, offering only ``version``: (its result, the certificate's DER)."""
    context, local_problem = _context(version)
    if context is None:
        return VersionResult(version, NOT_TESTABLE, local_problem), None
    try:
        with _connect(address, target.port, timeout) as sock:
            smtp = _Smtp(sock, timeout)
            _greet(smtp)
            _ehlo(smtp, helo)
            smtp.send("STARTTLS")
            code, lines = smtp.reply("STARTTLS reply")
            if code != 220:
                return VersionResult(
                    version,
                    FAILED,
                    f"STARTTLS was answered {code} {' '.join(lines)[:200]}".rstrip(),
                ), None
            if smtp.buffer:  # RFC 3207: nothing may follow the 220 before the handshake
                return VersionResult(
                    version, FAILED, "the server sent data after its STARTTLS reply"
                ), None
            return _handshake(context, sock, target, version, timeout)
    except _Failure as failure:
        return VersionResult(version, FAILED, failure.reason), None


def _handshake(
    context: ssl.SSLContext, sock: socket.socket, target: Target, version: str, timeout: float
) -> tuple[VersionResult, bytes | None]:
    server_name = None if _is_ip(target.host) else _ascii_name(target.host)
    sock.settimeout(timeout)
    try:
        tls = context.wrap_socket(sock, server_hostname=server_name, do_handshake_on_connect=False)
        tls.do_handshake()
    except TimeoutError:
        return VersionResult(version, FAILED, f"no TLS handshake within {timeout:g} s"), None
    except ssl.SSLError as exc:
        reason = exc.reason or exc.__class__.__name__
        if reason in _LOCAL_REASONS:
            return VersionResult(version, NOT_TESTABLE, reason), None
        return VersionResult(version, VERSION_REFUSED, str(reason)), None
    except OSError as exc:  # the server closed the connection on our ClientHello
        return VersionResult(
            version, VERSION_REFUSED, f"connection closed in the handshake: {_oserror(exc)}"
        ), None
    with tls:
        cipher = tls.cipher()
        der = tls.getpeercert(binary_form=True)
        try:
            tls.sendall(b"QUIT\r\n")
        except OSError:
            pass  # the handshake is the answer; QUIT is only politeness
    return VersionResult(version, ACCEPTED, cipher[0] if cipher else ""), der


def _ascii_name(host: str) -> str | None:
    """The name to send as SNI (IDNA for names in other scripts), None when it has none."""
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return None


@cache
def _context(version: str) -> tuple[ssl.SSLContext | None, str]:
    """A client context offering exactly ``version`` and every cipher (a probe judges the
    server, it protects nothing), or (None, why) when the local OpenSSL cannot offer it."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with warnings.catch_warnings():  # TLSv1 / TLSv1_1 are deprecated names
            warnings.simplefilter("ignore", DeprecationWarning)
            member = getattr(ssl.TLSVersion, _SSL_VERSIONS[version])
            context.minimum_version = member
            context.maximum_version = member
        if version != TLS13:
            # OpenSSL 3 leaves TLS 1.0/1.1 (SHA-1 signatures) out below security level 0.
            context.set_ciphers("ALL:@SECLEVEL=0")
    except (ValueError, ssl.SSLError) as exc:
        return None, f"the local OpenSSL ({ssl.OPENSSL_VERSION}) cannot offer it: {exc}"
    # A handshake into memory shows whether a ClientHello can be made at all.
    hello = context.wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO())
    try:
        hello.do_handshake()
    except ssl.SSLWantReadError:
        return context, ""
    except ssl.SSLError as exc:
        return None, (
            f"the local OpenSSL ({ssl.OPENSSL_VERSION}) cannot offer it: {exc.reason or exc}"
        )
    return context, ""


def local_support() -> dict[str, str]:
    """Per TLS version, why this machine cannot test it ("" when it can)."""
    return {v: _context(v)[1] for v in VERSIONS}


# --- which servers a findings.json names -------------------------------------------------

#: Device types that are servers: they listen for SMTP, so probing them answers something.
SERVER_DEVICE_TYPES = frozenset({"mail-server", "partner-mta"})


def targets_from_findings(doc: object, port: int = SMTP_PORT) -> list[Target]:
    """The servers among the findings of a ``findings.json``: findings whose device type is
    a mail server or a partner MTA, and unclassified findings on an on-prem path or a Partner
    connector. Printers, applications and mail clients send mail but listen for none, so they
    are left out. Each finding is probed by its HELO name when that is a DNS name, else its
    reverse DNS name, else its IP; findings naming none are skipped."""
    findings = doc.get("findings") if isinstance(doc, dict) else None
    if not isinstance(findings, list):
        raise ValueError("no findings list: is this an o365tls findings.json?")
    targets: list[Target] = []
    for finding in findings:
        if not isinstance(finding, dict) or not _is_server(finding):
            continue
        host = _host_of(finding)
        if host:
            target = Target(host, port)
            if target not in targets:
                targets.append(target)
    return targets


def _is_server(finding: dict) -> bool:
    device = finding.get("device_type")
    if device in SERVER_DEVICE_TYPES:
        return True
    return device == "unknown" and (
        finding.get("path") == "on-prem"
        or str(finding.get("connector_type", "")).lower() == "partner"
    )


def _host_of(finding: dict) -> str:
    for key in ("hostname", "ptr"):
        name = str(finding.get(key) or "").strip().rstrip(".").lower()
        if "." in name and not _is_ip(name) and all(_LABEL.fullmatch(p) for p in name.split(".")):
            return name
    address = str(finding.get("sender_ip") or "").strip()
    return address if _is_ip(address) else ""
