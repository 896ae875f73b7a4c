"""What a server's certificate says, read from its DER bytes with the standard library only.

Python's ``ssl`` hands out a parsed certificate only after verifying it, and a probe must also
read the ones that fail verification (self-signed, expired, wrong name): so the few X.509
fields a mail admin looks at (subject, SAN names, issuer, validity) are decoded here from the
DER structure (RFC 5280). Anything that does not decode gives a :class:`CertificateError`,
never a wrong value.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime

_SEQUENCE, _SET, _OID, _UTC_TIME, _GENERALIZED_TIME = 0x30, 0x31, 0x06, 0x17, 0x18
_EXPLICIT_0, _EXPLICIT_3 = 0xA0, 0xA3
_SAN_OID = "2.5.29.17"
_DNS_NAME, _IP_ADDRESS = 0x82, 0x87  # GeneralName [2] dNSName, [7] iPAddress (implicit)
#: Attribute types shown in names, with the short labels OpenSSL prints.
_ATTRIBUTES = {
    "2.5.4.3": "CN",
    "2.5.4.6": "C",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "1.2.840.113549.1.9.1": "emailAddress",
}
_STRING_TAGS = {
    0x0C: "utf-8",
    0x13: "ascii",
    0x16: "ascii",
    0x14: "latin-1",
    0x1E: "utf-16-be",
    0x1C: "utf-32-be",
}


class CertificateError(ValueError):
    """The bytes are not a certificate this module can read."""


@dataclass(frozen=True)
class CertificateInfo:
    """The fields of a certificate that say whether a server's TLS can be trusted."""

    subject: str  # "CN=mail.example, O=Example"
    common_name: str
    names: tuple[str, ...]  # SAN DNS names and IP addresses, in certificate order
    issuer: str
    not_before: datetime
    not_after: datetime
    self_signed: bool  # issuer name equals subject name

    def expired(self, now: datetime) -> bool:
        return now >= self.not_after

    def not_yet_valid(self, now: datetime) -> bool:
        return now < self.not_before

    def matches(self, host: str) -> bool:
        """True when ``host`` is one of the certificate's names (RFC 6125: a ``*`` stands for
        exactly one left-most label; the common name counts only when there is no SAN)."""
        host = host.strip().rstrip(".").lower()
        try:
            address = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            address = None
        names = self.names or ((self.common_name,) if self.common_name else ())
        for name in names:
            if address is not None:
                try:
                    if ipaddress.ip_address(name) == address:
                        return True
                except ValueError:
                    continue
            elif _dns_match(name.lower().rstrip("."), host):
                return True
        return False


def _dns_match(pattern: str, host: str) -> bool:
    if not pattern.startswith("*."):
        return pattern == host
    head, _, rest = host.partition(".")
    return bool(head) and rest == pattern[2:] and "." in rest


def parse_certificate(der: bytes) -> CertificateInfo:
    """Decode the subject, SAN, issuer and validity of a DER certificate."""
    try:
        certificate = _children(_single(der, _SEQUENCE))
        tbs = _children(certificate[0][1] if certificate[0][0] == _SEQUENCE else b"")
        if tbs and tbs[0][0] == _EXPLICIT_0:  # [0] version
            tbs = tbs[1:]
        # serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo, [1..3]
        issuer_raw, validity, subject_raw = tbs[2], tbs[3], tbs[4]
        not_before, not_after = (_time(tag, body) for tag, body in _children(validity[1]))
        subject_attrs = _name(subject_raw[1])
        names: tuple[str, ...] = ()
        for tag, body in tbs[6:]:
            if tag == _EXPLICIT_3:
                names = _san(_single(body, _SEQUENCE))
        return CertificateInfo(
            subject=_format(subject_attrs),
            common_name=next((v for k, v in subject_attrs if k == "CN"), ""),
            names=names,
            issuer=_format(_name(issuer_raw[1])),
            not_before=not_before,
            not_after=not_after,
            self_signed=issuer_raw[1] == subject_raw[1],
        )
    except (IndexError, ValueError, UnicodeDecodeError) as exc:
        raise CertificateError(f"unreadable certificate: {exc}") from None


def _read(data: bytes, at: int) -> tuple[int, bytes, int]:
    """(tag, body, next offset) of the DER element at ``at``."""
    tag = data[at]
    length = data[at + 1]
    at += 2
    if length & 0x80:
        count = length & 0x7F
        if not 0 < count <= 4:
            raise ValueError("bad DER length")
        length = int.from_bytes(data[at : at + count], "big")
        at += count
    if at + length > len(data):
        raise ValueError("DER element runs past its container")
    return tag, data[at : at + length], at + length


def _children(data: bytes) -> list[tuple[int, bytes]]:
    out, at = [], 0
    while at < len(data):
        tag, body, at = _read(data, at)
        out.append((tag, body))
    return out


def _single(data: bytes, tag: int) -> bytes:
    found, body, _ = _read(data, 0)
    if found != tag:
        raise ValueError(f"expected DER tag {tag:#x}, found {found:#x}")
    return body


def _oid(body: bytes) -> str:
    first = body[0]
    parts = [min(first // 40, 2), first - 40 * min(first // 40, 2)]
    value = 0
    for byte in body[1:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(value)
            value = 0
    return ".".join(str(p) for p in parts)


def _string(tag: int, body: bytes) -> str:
    text = body.decode(_STRING_TAGS.get(tag, "latin-1"))
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def _name(body: bytes) -> list[tuple[str, str]]:
    """A Name (SEQUENCE OF SET OF AttributeTypeAndValue) as (label, value) pairs."""
    attrs = []
    for tag, rdn in _children(body):
        if tag != _SET:
            continue
        for _, pair in _children(rdn):
            (oid_tag, oid), (value_tag, value) = _children(pair)[:2]
            if oid_tag == _OID:
                key = _oid(oid)
                attrs.append((_ATTRIBUTES.get(key, key), _string(value_tag, value)))
    return attrs


def _format(attrs: list[tuple[str, str]]) -> str:
    return ", ".join(f"{k}={v}" for k, v in attrs)


def _time(tag: int, body: bytes) -> datetime:
    text = body.decode("ascii")
    if tag == _UTC_TIME:  # YYMMDDHHMMSSZ; RFC 5280: years 50..99 are 19xx
        year = int(text[:2])
        text = f"{1900 + year if year >= 50 else 2000 + year}{text[2:]}"
    elif tag != _GENERALIZED_TIME:
        raise ValueError("validity is not a time")
    return datetime.strptime(text, "%Y%m%d%H%M%SZ").replace(tzinfo=UTC)


def _san(extensions: bytes) -> tuple[str, ...]:
    for _, extension in _children(extensions):
        parts = _children(extension)
        if parts[0][0] != _OID or _oid(parts[0][1]) != _SAN_OID:
            continue
        names = []
        for tag, value in _children(_single(parts[-1][1], _SEQUENCE)):
            if tag == _DNS_NAME:
                names.append(_string(0x16, value))
            elif tag == _IP_ADDRESS and len(value) in (4, 16):
                names.append(str(ipaddress.ip_address(value)))
        return tuple(names)
    return ()
