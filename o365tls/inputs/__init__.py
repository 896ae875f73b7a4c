"""Inputs: the files read, streaming, into the one form the analysis takes.

:func:`gather` plans the files into tasks (protocol logs together, every other file on its
own), runs them on one core, worker processes or a Dask cluster, and combines the partial
results in file order into a :class:`Gathered`: TLS records with their scope
(:mod:`.scopes`), identity-only sightings reduced to codes (:mod:`.reducer`), connector
configuration, probe results and one report per file.
"""

from __future__ import annotations

from .gathering import Gathered, gather

__all__ = ["Gathered", "gather"]
