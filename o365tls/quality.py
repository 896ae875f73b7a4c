"""Data-quality bookkeeping: every row read is used or rejected with a reason.

A :class:`FileReport` travels with each input file. Importers call :meth:`FileReport.read`,
:meth:`FileReport.use` and :meth:`FileReport.reject`; anything odd that does not cost a row is
a :meth:`FileReport.note`. The reports' data-quality sections and ``findings.json`` ``inputs``
are built from these objects.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

#: Issues kept per file and code; the counts stay exact, only the examples are capped.
MAX_EXAMPLES_PER_CODE = 50


@dataclass(frozen=True)
class Issue:
    code: str  # short slug: "bad-date", "field-count", "repeated-header"...
    file: str
    row: int | None  # 1-based record number, None for whole-file issues
    message: str
    column: str | None = None
    value: str | None = None
    rejected: bool = False

    def as_dict(self) -> dict:
        out = {"code": self.code, "row": self.row, "message": self.message}
        if self.column is not None:
            out["column"] = self.column
        if self.value is not None:
            out["value"] = self.value
        out["rejected"] = self.rejected
        return out


@dataclass
class FileReport:
    """What happened to one input file."""

    path: str
    format: str | None = None
    encoding: str | None = None
    rows_read: int = 0
    rows_used: int = 0
    rows_rejected: int = 0
    issues: list[Issue] = field(default_factory=list)
    issue_counts: Counter = field(default_factory=Counter)
    period_start: pd.Timestamp | None = None
    period_end: pd.Timestamp | None = None
    records: int = 0  # canonical records produced (may differ from rows: sessions, expansions)
    fatal: bool = False  # nothing usable could be read from this file
    masked_ips: int = 0  # rows whose sender IP was masked by hand (see note_masked_ips)
    masked_example: str | None = None
    masked_what: str = "sender IP"
    #: The software that wrote the file, from its own header ("Microsoft Exchange Server
    #: 14.0.0.0" from a protocol log's #Software and #Version lines); "" when it names none.
    software: str = ""

    def read(self, n: int = 1) -> None:
        self.rows_read += n

    def use(self, n: int = 1) -> None:
        self.rows_used += n

    def reject(
        self,
        row: int | None,
        code: str,
        message: str,
        *,
        column: str | None = None,
        value: object = None,
    ) -> None:
        self.rows_rejected += 1
        self._add(Issue(code, self.path, row, message, column, _short(value), rejected=True))

    def note(
        self,
        row: int | None,
        code: str,
        message: str,
        *,
        column: str | None = None,
        value: object = None,
    ) -> None:
        self._add(Issue(code, self.path, row, message, column, _short(value), rejected=False))

    def see_masked_ips(self, count: int, example: str | None, what: str = "sender IP") -> None:
        """``count`` more rows whose IP (``what`` it is) is masked (``10.**.**.31``,
        ``[REDACTED]``): used, without that IP; one note per file says so
        (:meth:`note_masked_ips`)."""
        if count:
            self.masked_ips += count
            self.masked_example = self.masked_example or example
            self.masked_what = what

    def note_masked_ips(self) -> None:
        """The note on the masked IPs seen so far, once: called when the file is read."""
        if self.masked_ips:
            self.note(
                None,
                "masked-ip",
                f"{self.masked_ips} rows have a masked IP (e.g. "
                f"'{self.masked_example}'); their {self.masked_what} is unknown "
                f"(export the file again without masking to group them by "
                f"{self.masked_what})",
                value=self.masked_example,
            )
            self.masked_ips, self.masked_example = 0, None

    def fail(self, code: str, message: str) -> None:
        """Nothing usable in this file (unrecognised, undecodable, empty)."""
        self.fatal = True
        self._add(Issue(code, self.path, None, message))

    def _add(self, issue: Issue) -> None:
        self.issue_counts[issue.code] += 1
        if self.issue_counts[issue.code] <= MAX_EXAMPLES_PER_CODE:
            self.issues.append(issue)

    def absorb(self, part: FileReport) -> None:
        """Add the counts and issues of ``part`` (one chunk of this file, converted
        elsewhere) as if they had been recorded here, in order."""
        self.rows_read += part.rows_read
        self.rows_used += part.rows_used
        self.rows_rejected += part.rows_rejected
        self.records += part.records
        self.fatal = self.fatal or part.fatal
        self.see_masked_ips(part.masked_ips, part.masked_example, part.masked_what)
        listed: Counter = Counter()
        for issue in part.issues:
            listed[issue.code] += 1
            self._add(issue)
        for code, count in part.issue_counts.items():
            self.issue_counts[code] += count - listed[code]  # beyond the examples kept there
        self.see_period(part.period_start, part.period_end)

    def see_period(self, start, end) -> None:
        if start is not None and (self.period_start is None or start < self.period_start):
            self.period_start = start
        if end is not None and (self.period_end is None or end > self.period_end):
            self.period_end = end

    @property
    def balanced(self) -> bool:
        return self.rows_read == self.rows_used + self.rows_rejected

    @property
    def problems(self) -> list[Issue]:
        return list(self.issues)

    def summary_issues(self) -> list[dict]:
        """Issues as dicts, with one extra line per code whose examples were capped."""
        out = [i.as_dict() for i in self.issues]
        for code, count in sorted(self.issue_counts.items()):
            if count > MAX_EXAMPLES_PER_CODE:
                out.append(
                    {
                        "code": code,
                        "row": None,
                        "message": (
                            f"{count - MAX_EXAMPLES_PER_CODE} more '{code}' issues not listed"
                        ),
                        "rejected": False,
                    }
                )
        return out

    def as_dict(self) -> dict:
        return {
            "path": self.path,
            "format": self.format,
            "encoding": self.encoding,
            "rows_read": self.rows_read,
            "rows_used": self.rows_used,
            "rows_rejected": self.rows_rejected,
            "records": self.records,
            "period": {
                "start": _iso(self.period_start),
                "end": _iso(self.period_end),
            },
            "issues": self.summary_issues(),
        }


def _short(value: object, limit: int = 200) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _iso(ts) -> str | None:
    if ts is None:
        return None
    try:
        return ts.isoformat().replace("+00:00", "Z")
    except AttributeError:
        return str(ts)
