"""Work done ahead on threads, results taken in order: the one pipeline under the fast reader
(blocks parsed ahead) and the chunk conversion of ``--jobs`` (chunks converted ahead).

pyarrow's and pandas' Arrow kernels let go of the GIL, so a few threads keep both cores busy
while the caller works on the result in hand; taking results in input order keeps every
report, code and finding the same as a one-thread run.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def in_order(function: Callable[[T], R], items: Iterable[T], ahead: int,
             name: str = "o365tls") -> Iterator[R]:
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
