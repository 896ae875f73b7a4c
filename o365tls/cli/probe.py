"""``o365tls probe``: check servers from the outside (STARTTLS, TLS versions, certificate)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ..errors import EXIT_FINDINGS, UsageError
from .common import app, safe

#: Table columns for the TLS versions, and how each version result is shown.
_SHOWN = {
    "accepted": "yes",
    "refused": "no",
    "not-testable": "n/t",
    "no-starttls": "-",
    "not-tried": "-",
    "failed": "err",
}


@app.command("probe")
def probe_command(
    hosts: Annotated[
        list[str] | None,
        typer.Argument(
            help="Servers to probe: HOST, HOST:PORT or [IPv6]:PORT (port 25 when not given).",
            show_default=False,
        ),
    ] = None,
    from_findings: Annotated[
        Path | None,
        typer.Option(
            "--from",
            help="A findings.json from `o365tls analyze`: probe the servers among its "
            "findings (mail servers, partner MTAs, unclassified on-prem or partner "
            "hosts), by HELO name, reverse DNS name or IP.",
        ),
    ] = None,
    port: Annotated[
        int, typer.Option("--port", min=1, max=65535, help="Port for the hosts taken from --from.")
    ] = 25,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            help="Write the results to this JSON file; give it to `o365tls "
            "analyze` with the exports and each finding on a probed "
            "host shows the result.",
        ),
    ] = None,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout",
            min=0.1,
            help="Seconds each step (DNS, connect, banner, EHLO, STARTTLS, "
            "handshake) may take before it counts as a timeout.",
        ),
    ] = 10.0,
    helo: Annotated[
        str | None,
        typer.Option("--helo", help="Name to send in EHLO (default: this machine's DNS name)."),
    ] = None,
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", min=1, max=64, help="Servers probed at once.")
    ] = 4,
    fail_on_legacy: Annotated[
        bool,
        typer.Option(
            "--fail-on-legacy",
            help="Exit 3 when a server that answered offers no STARTTLS or "
            "accepts TLS 1.1 or older (servers that could not be reached "
            "do not count).",
        ),
    ] = False,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print the results as JSON (the same document -o writes) instead of a table.",
        ),
    ] = False,
) -> None:
    """Verify servers: banner, STARTTLS offered, TLS versions accepted, certificate."""
    from .. import __version__
    from .. import probe as probing

    targets = _targets(hosts or [], from_findings, port)
    if helo is not None and not (probing.valid_host(helo) and helo.isascii()):
        raise UsageError(
            f"--helo {safe(helo)!r} is not a host name",
            hint="give this machine's DNS name, e.g. --helo relay.example.com",
        )
    results = list(probing.probe_all(targets, timeout=timeout, helo=helo, jobs=jobs))
    if output is not None:
        probing.write_document(results, output, __version__)
    if as_json:
        typer.echo(json.dumps(probing.document(results, __version__), indent=2, ensure_ascii=False))
    else:
        _table(results, probing)
    if fail_on_legacy and any(r.legacy for r in results):
        raise typer.Exit(EXIT_FINDINGS)


def _targets(hosts: list[str], from_findings: Path | None, port: int) -> list:
    from .. import probe as probing

    targets = []
    for text in hosts:
        try:
            targets.append(probing.Target.parse(text))
        except ValueError as exc:
            raise UsageError(
                f"{safe(text)}: {safe(exc)}", hint="give HOST, HOST:PORT or [IPv6]:PORT"
            ) from None
    if from_findings is not None:
        try:
            doc = json.loads(from_findings.read_text(encoding="utf-8-sig"))
            found = probing.targets_from_findings(doc, port)
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise UsageError(
                f"{from_findings}: cannot read the findings ({safe(exc)})",
                hint="give the findings.json that `o365tls analyze -o` wrote",
            ) from None
        if not found:
            typer.echo(
                f"{safe(from_findings)}: no finding names a server to probe "
                "(mail server or partner MTA with a host name or IP)",
                err=True,
            )
        targets.extend(t for t in found if t not in targets)
    if not targets and from_findings is None:
        raise UsageError("no server to probe", hint="give HOST[:PORT] or --from findings.json")
    return targets


def _table(results: list, probing) -> None:
    versions = probing.VERSIONS
    width = max([len("server"), *(len(str(r.target)) for r in results)])
    typer.echo(
        f"{'server':<{width}} {'address':<16} {'result':<16} {'STARTTLS':<8} "
        + " ".join(f"{v:<6}" for v in versions)
        + "  certificate"
    )
    for r in results:
        tls = " ".join(f"{_SHOWN.get(v.result, v.result):<6}" for v in r.versions)
        starttls = "-" if r.starttls is None else ("yes" if r.starttls else "NO")
        typer.echo(
            safe(
                f"{str(r.target):<{width}} {r.address or '-':<16} {r.outcome:<16} "
                f"{starttls:<8} {tls}  {_certificate(r)}"
            )
        )
        for line in _details(r):
            typer.echo(safe(f"    {line}"))
    if any(v.result == "not-testable" for r in results for v in r.versions):
        typer.echo(
            "n/t: this machine's OpenSSL cannot offer that version, so the server was "
            "not asked; probe from a machine whose OpenSSL still can."
        )


def _certificate(r) -> str:
    cert = r.certificate
    if cert is None:
        return r.certificate_problem or "-"
    name = cert.common_name or (cert.names[0] if cert.names else cert.subject)
    flags = ["EXPIRED" if r.expired else f"until {cert.not_after:%Y-%m-%d}"]
    if cert.self_signed:
        flags.append("self-signed")
    if not r.name_matches:
        flags.append(f"does not name {r.host}")
    return f"{name} ({', '.join(flags)})"


def _details(r) -> list[str]:
    lines = []
    if r.reason:
        lines.append(r.reason)
    if r.banner:
        lines.append(f"banner: {r.banner}")
    lines.extend(
        f"{v.version} {v.result}: {v.detail}"
        for v in r.versions
        if v.detail and v.result != "accepted"
    )
    return lines
