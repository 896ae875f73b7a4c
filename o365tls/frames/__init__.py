"""The columnar toolkit: Arrow and pandas helpers that know columns, not formats or findings.

:mod:`.arrow` parses and cleans exported values and holds the Arrow text kernels;
:mod:`.groupby` reduces one frame per group in a single pass. Every layer above may use them;
they import no layer above.
"""
