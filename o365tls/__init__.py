"""o365tls: find the Exchange Online mail flows that still use legacy TLS or no TLS.

The public API (the CLI is a thin shell over it)::

    import o365tls
    gathered = o365tls.gather(["exports/"])     # every file read, streaming, + its report
    reports = o365tls.inspect(["exports/"])     # what each file is, rows read/used/rejected
    results = o365tls.analyze(gathered, o365tls.Options(inventory="devices.csv"))
    o365tls.write_outputs(results, "out/")       # findings.json, flows.csv, reports
    o365tls.FORMATS                              # every supported export format
    for r in o365tls.probe_servers([o365tls.Target.parse("mx.example.com")]):
        print(r.summary())                       # STARTTLS, TLS versions, certificate

Heavy modules (pandas) are imported on first use, so that ``import o365tls`` stays cheap.
"""

from __future__ import annotations

__version__ = "0.1.0"

_LAZY = {
    "load": ("o365tls.importers", "load"),
    "inspect": ("o365tls.importers", "inspect"),
    "iter_load": ("o365tls.importers", "iter_load"),
    "Dataset": ("o365tls.importers", "Dataset"),
    "FORMATS": ("o365tls.importers", "FORMATS"),
    "gather": ("o365tls.inputs", "gather"),
    "Gathered": ("o365tls.inputs", "Gathered"),
    "analyze": ("o365tls.analysis", "analyze"),
    "Options": ("o365tls.analysis", "Options"),
    "Results": ("o365tls.analysis.results", "Results"),
    "write_outputs": ("o365tls.render", "write_outputs"),
    "ReportOptions": ("o365tls.render", "ReportOptions"),
    "redact": ("o365tls.analysis.redact", "redact"),
    "review": ("o365tls.review", "review"),
    "record": ("o365tls.review", "record"),
    "normalize_tls": ("o365tls.tls", "normalize_tls"),
    "probe_servers": ("o365tls.probe", "probe_all"),
    "Target": ("o365tls.probe", "Target"),
    "ProbeResult": ("o365tls.probe", "ProbeResult"),
    "FileReport": ("o365tls.quality", "FileReport"),
    "Issue": ("o365tls.quality", "Issue"),
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'o365tls' has no attribute {name!r}")
