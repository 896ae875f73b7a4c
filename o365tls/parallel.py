"""Work done ahead on threads, results taken in order: the one pipeline under the fast reader
(blocks parsed ahead) and the chunk conversion of ``--jobs`` (chunks converted ahead).

pyarrow's and pandas' Arrow kernels let go of the GIL, so a few threads keep both cores busy
while the caller works on the result in hand; taking results in input order keeps every
report, code and finding the same as a one-thread run. Work that is mostly Python between
short Arrow calls waits on the GIL in a thread: it goes to worker processes from
:func:`process_pool` (``--jobs`` file tasks, protocol logs prepared ahead).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections import deque
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from typing import TypeVar

from .errors import UsageError

#: The most cores used when the number of jobs is left to o365tls: each job holds a few chunks
#: of a large file (about 100 MB), so memory stays bounded on a machine with many cores.
MAX_DEFAULT_JOBS = 8


def default_jobs() -> int:
    """The cores this process may run on, at most :data:`MAX_DEFAULT_JOBS`."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # no affinity on this platform
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_DEFAULT_JOBS))


T = TypeVar("T")
R = TypeVar("R")


def in_order(
    function: Callable[[T], R], items: Iterable[T], ahead: int, name: str = "o365tls"
) -> Generator[R, None, None]:
    """``function(item)`` for each item, on up to ``ahead`` threads working ahead of the
    caller, yielded in item order. An exception raised by ``items`` itself (bad bytes, a
    damaged archive) or by ``function`` is raised in its turn, after the results before it."""
    source = iter(items)
    pending: deque[Future] = deque()
    exhausted = False
    with ThreadPoolExecutor(max_workers=ahead, thread_name_prefix=name) as pool:
        while True:
            while not exhausted and len(pending) < ahead:
                try:
                    item = next(source)
                except StopIteration:
                    exhausted = True
                    break
                except Exception as exc:  # noqa: BLE001 - raised in its turn, below
                    pending.append(_failed(exc))
                    exhausted = True
                    break
                pending.append(pool.submit(function, item))
                del item  # the worker holds it; a block is tens of MB
            if not pending:
                return
            result = pending.popleft().result()
            yield result
            del result


def _failed(exc: Exception) -> Future:
    future: Future = Future()
    future.set_exception(exc)
    return future


def process_pool(workers: int, preload: tuple[str, ...] = ()) -> ProcessPoolExecutor:
    """Worker processes started from a clean server process where the platform has one, not
    forked from this one: a fork of a process whose threads (Arrow's pools, in_order's) hold
    locks can hang. The server imports the modules named in ``preload`` once, so that each
    worker starts with them (the caller names its own module: this one knows no layer above
    it). A process has one server, and the first start decides what it imports.
    As with any such pool, a script that ends up here must guard its entry point (``if
    __name__ == "__main__":``): the workers import the script's main module."""
    _refuse_unguarded_script()
    context = _server_context(preload)
    if context is None:  # Windows
        return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
    return ProcessPoolExecutor(workers, mp_context=context)


def start_process_server(preload: tuple[str, ...] = ()) -> None:
    """Start the server that :func:`process_pool`'s workers come from now, when they will be
    needed soon: it imports ``preload`` (and with it pandas, pyarrow and the importers) on
    another core while this process goes on, instead of while the first worker is awaited.
    Best effort: where no server can start, :func:`process_pool` decides what happens."""
    _refuse_unguarded_script()
    if _server_context(preload) is None:
        return
    from multiprocessing import forkserver

    try:
        forkserver.ensure_running()
    except OSError:
        pass


def _server_context(preload: tuple[str, ...]):
    """The fork server's context, set to import ``preload``; None where the platform has
    no fork server."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return None
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(preload))
    return context


def _refuse_unguarded_script() -> None:
    if sys.modules.get("__mp_main__") is not sys.modules.get("__main__"):
        # This is a worker process importing the caller's script (multiprocessing runs it as
        # "__mp_main__" while "__main__" is still its own), and the script calls o365tls again:
        # without this stop, every worker would run the whole script (its analysis, its
        # outputs) again.
        raise UsageError(
            "o365tls started worker processes (--jobs / jobs=) from a script "
            "whose entry point is not guarded",
            hint='put the script\'s code under `if __name__ == "__main__":`',
        )
