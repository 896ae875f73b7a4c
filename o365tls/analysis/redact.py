"""``--redact``: pseudonyms for sender addresses and subjects, the same in every output.

The local part of every e-mail address and every subject is replaced by a keyed pseudonym
(HMAC-SHA256 with the user's key): the same input and key give the same pseudonym in every run,
so weekly reports still line up, while nobody without the key can confirm a guess. Domains,
IPs, HELO names, connector names and device evidence stay readable: they are what the reader
acts on. Redaction runs on the results, before any renderer, so findings.json, flows.csv, the
workbook and the HTML page all carry the same pseudonyms.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import replace

from ..quality import FileReport, Issue
from .flows import Flow
from .results import GROUPINGS, Finding, Results
from .rollups import group

_EMAIL = re.compile(r"(?<![\w.%+-])([\w.%+'-]{1,64})@((?:[\w-]+\.)+[A-Za-z]{2,63})", re.UNICODE)
# Evidence written around a sender's local part, once it is a pseudonym: the sentence names
# what the local part looks like, which is what a reader needs; the pseudonym says nothing.
_NAMED_LIKE = re.compile(r"\bsender local part '(?:sender-[0-9a-f]{10})' is named like\b")
_QUOTED_ALIAS = re.compile(r" ?'sender-[0-9a-f]{10}'")


class Redactor:
    def __init__(self, key: str | bytes):
        self.key = key.encode("utf-8") if isinstance(key, str) else key
        self.subjects: dict[str, str] = {}
        self.locals: dict[str, str] = {}  # quoted local parts in evidence ("'scan'")

    def _tag(self, kind: str, text: str) -> str:
        mac = hmac.new(self.key, f"{kind}\0{text}".encode(), hashlib.sha256)
        return mac.hexdigest()[:10]

    def address(self, address: str) -> str:
        if "@" not in address:
            return address
        local, domain = address.rsplit("@", 1)
        alias = f"sender-{self._tag('local', local.lower())}"
        self.locals[local] = alias
        return f"{alias}@{domain}"

    def subject(self, subject: str) -> str:
        if not subject:
            return subject
        alias = f"subject-{self._tag('subject', subject)}"
        self.subjects[subject] = alias
        return alias

    def text(self, text: str) -> str:
        """Free text (evidence, reasons, notes): every address pseudonymized, every subject
        seen so far replaced."""
        if not text:
            return text
        out = _EMAIL.sub(lambda m: self.address(m.group(0)), text)
        for subject in sorted(self.subjects, key=len, reverse=True):
            if subject and subject in out:
                out = out.replace(subject, self.subjects[subject])
        for local, alias in self.locals.items():  # evidence quotes local parts: 'j.smith'
            out = out.replace(f"'{local}'", f"'{alias}'")
        out = _NAMED_LIKE.sub("a sender named like", out)
        return _QUOTED_ALIAS.sub("", out)

    def table(self) -> list[tuple[str, str, str]]:
        """(pseudonym, original, kind) for every sender local part and subject replaced, for
        the consultant's own key (``--redact-map``); never part of an output."""
        rows = [(alias, local, "sender local part") for local, alias in self.locals.items()]
        rows += [(alias, subject, "subject") for subject, alias in self.subjects.items()]
        return sorted(set(rows))

    def key_of(self, sender_key: str) -> str:
        return "|".join(self.address(p) if "@" in p else p for p in sender_key.split("|"))


def redact(results: Results, key: str | bytes | Redactor) -> Results:
    """The same results with pseudonyms in place of sender local parts and subjects (pass a
    :class:`Redactor` to read its table of pseudonyms afterwards)."""
    r = key if isinstance(key, Redactor) else Redactor(key)
    every = [m for f in results.all_findings for m in f.behind]  # root causes and their flows
    for finding in every:  # learn subjects and senders first, to scrub evidence
        for subject, _ in finding.flow.subjects:
            r.subject(subject)
        for address in (finding.flow.sender_address, finding.flow.auth_user):
            r.address(address)
    for row in results.attribution:  # senders that have no flow, named in reasons
        for sender in (row.sender, row.moves_with):
            r.key_of(sender)
    flows = tuple(_finding(f, r) for f in results.all_findings)
    return replace(
        results,
        all_findings=flows,
        resolved=tuple(_finding(f, r) for f in results.resolved),
        unverified=tuple(_finding(f, r) for f in results.unverified),
        groups={name: group(tuple(m for f in flows for m in f.behind), name) for name in GROUPINGS},
        inputs=tuple(_report(rep, r) for rep in results.inputs),
        notes=tuple(r.text(n) for n in results.notes),
        attribution=tuple(
            replace(
                row,
                sender=r.key_of(row.sender),
                why=r.text(row.why),
                moves_with=r.key_of(row.moves_with) if row.moves_with else "",
                finding_id=None,
            )
            for row in results.attribution
        ),
        next_evidence=tuple(
            replace(entry, senders=tuple(r.key_of(s) for s in entry.senders))
            for entry in results.next_evidence
        ),
        redacted=True,
    )


def _flow(flow: Flow, r: Redactor) -> Flow:
    attribution = flow.attribution
    if attribution is not None:
        attribution = replace(
            attribution,
            why=r.text(attribution.why),
            moves_with=r.text(attribution.moves_with),
            cannot_tell=None
            if attribution.cannot_tell is None
            else tuple(r.key_of(x) for x in attribution.cannot_tell),
        )
    return replace(
        flow,
        sender_key=r.key_of(flow.sender_key),
        sender_address=r.address(flow.sender_address),
        auth_user=r.text(flow.auth_user) if "@" in flow.auth_user else flow.auth_user,
        subjects=tuple((r.subject(s), n) for s, n in flow.subjects),
        attribution=attribution,
    )


def _finding(f: Finding, r: Redactor) -> Finding:
    device = replace(f.device, evidence=tuple(r.text(e) for e in f.device.evidence))
    exception = f.exception
    if exception is not None:
        exception = replace(
            exception, reason=r.text(exception.reason), owner=r.text(exception.owner)
        )
    rem = f.remediation
    if rem is not None:  # its steps, commands and draft name the sender
        rem = replace(
            rem,
            steps=tuple(r.text(x) for x in rem.steps),
            powershell=tuple(r.text(x) for x in rem.powershell),
            verify=tuple(r.text(x) for x in rem.verify),
            draft_message=r.text(rem.draft_message),
        )
    host = f.host
    if host is not None:
        host = replace(host, evidence=tuple(r.text(e) for e in host.evidence))
    return replace(
        f,
        flow=_flow(f.flow, r),
        device=device,
        exception=exception,
        remediation=rem,
        priority_reasons=tuple(r.text(x) for x in f.priority_reasons),
        members=tuple(_finding(m, r) for m in f.members),
        host=host,
        summary=r.text(f.summary),
    )


def _report(report: FileReport, r: Redactor) -> FileReport:
    issues = [replace(i, message=r.text(i.message), value=None) for i in report.issues]
    clone = replace(report, issues=issues)
    return clone


__all__ = ["Redactor", "redact", "Issue"]
