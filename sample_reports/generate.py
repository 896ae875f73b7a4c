"""Write the Northwind Traders sample exports (see README.md), byte-for-byte reproducibly.

    .venv/bin/python sample_reports/generate.py              # rewrite the committed files
    .venv/bin/python sample_reports/generate.py --out DIR    # write them somewhere else
    .venv/bin/python sample_reports/generate.py --summary    # print the README numbers block

Standard library only. Every random choice comes from a generator seeded with a fixed string.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.dont_write_bytecode = True  # a __pycache__ here would be read as an export
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from northwind import config, eop, exch01, numbers, story  # noqa: E402

RUNSPACE = config.RUNSPACE


def model():
    """The fortnight's messages and EXCH01's SMTP sessions of 2026-11-20 08:00-10:00."""
    messages = story.all_messages()
    rng = random.Random("northwind/exch01-logs")
    receive = exch01.receive_sessions(messages, rng)
    send = exch01.send_sessions(messages, rng)
    exch01.number_sessions(receive + send)
    return messages, receive, send, rng


def build() -> dict[str, bytes]:
    """Every file, by its path under the output folder."""
    messages, receive, send, rng = model()
    return {
        "exo/inbound-messages-report.csv": eop.connector_report(messages, "inbound"),
        "exo/outbound-messages-report.csv": eop.connector_report(messages, "outbound"),
        "exo/smtp-auth-clients-report.csv": eop.smtp_auth_report(messages),
        "exo/message-trace.csv": eop.message_trace(messages, RUNSPACE),
        "exo/message-trace-detail.csv": eop.message_trace_detail(messages, RUNSPACE),
        "exo/historical-search/MTSummary_NorthwindSenders_Nov9-22.csv":
            eop.historical_summary(messages),
        "exo/historical-search/MTDetail_ContosoLogistics_Nov9-22.csv":
            eop.historical_extended(messages),
        "exo/inbound-connectors.json": config.inbound_connectors(),
        "exo/outbound-connectors.csv": config.outbound_connectors(RUNSPACE),
        "exch01/RECV2026112008-1.log": exch01.protocol_log(receive, "SMTP Receive Protocol Log", 8),
        "exch01/RECV2026112009-1.log": exch01.protocol_log(receive, "SMTP Receive Protocol Log", 9),
        "exch01/SEND2026112008-1.log": exch01.protocol_log(send, "SMTP Send Protocol Log", 8),
        "exch01/MSGTRK2026112008-1.log": exch01.tracking_log(messages, 8, rng),
        "exch01/receive-connectors.csv": config.receive_connectors(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE,
                        help="folder to write into (default: next to this script)")
    parser.add_argument("--summary", action="store_true",
                        help="print the numbers block of README.md instead of writing files")
    args = parser.parse_args(argv)
    if args.summary:
        messages, receive, send, _rng = model()
        sys.stdout.write(numbers.summary(messages, receive, send))
        return 0
    for name, data in build().items():
        path = args.out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
