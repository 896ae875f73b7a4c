"""Fuzz tests of the importers: hostile inputs must be read or refused, never crash or hang.

What every test here asserts, for every input (:func:`tests.fuzz.harness.check_reports`):

* ``o365tls.load`` / ``o365tls.inspect`` return; no traceback escapes them;
* no ``import-failed`` issue (the loader's net for an importer that raised) and no
  ``not-accounted`` issue (rows an importer read and then lost);
* rows_read == rows_used + rows_rejected, every rejected row named by its row number, an
  unrecognised or unreadable file named by a whole-file issue;
* canonical records point at rows that were read, with non-negative message counts and TLS in
  the vocabulary;
* a per-example deadline (Hypothesis) and a hard wall-clock guard (SIGALRM in process; the
  largest inputs run in a child process with a timeout and a memory limit).

Run::

    .venv/bin/pytest -m "" tests/fuzz                             # CI: bounded, deterministic
    O365TLS_FUZZ_EXAMPLES=5000 .venv/bin/pytest -m "" tests/fuzz -p no:cacheprovider \\
        --hypothesis-show-statistics                              # long, random exploration

``O365TLS_FUZZ_EXAMPLES`` sets Hypothesis' ``max_examples`` for every fuzz test (the property
tests in test_accounting.py use a tenth of it, as each example runs a whole analysis) and
switches from the derandomized CI run to random exploration with the example database.
``O365TLS_FUZZ_HARD_SECONDS`` changes the in-process wall-clock guard (default 30 s).

Every crash or hang a long run finds gets its minimal input in test_regressions.py, with the
outcome it must have.
"""
