"""Work handed to a forked side process, so the second core works while this process
goes on (output files written beside analytics and the Neo4j load; one measure
computed beside the others).

A forked child shares the parent's memory copy-on-write, so the graph is not pickled;
only the work's result (small: a partition, or nothing for a writer) or its error
comes back. Without ``fork`` (Windows), or with ``parallel=False`` (``--jobs 1``), the
work runs inline, its errors raised at once, with the same result.
"""

from __future__ import annotations

import multiprocessing
import pickle
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, Generic, TypeVar

from graph_builder.errors import MilgraphError

T = TypeVar("T")


class SideWork(Generic[T]):
    """Work begun by :func:`start`: :meth:`wait` gives its result, or raises its error;
    ``seconds`` is how long it took, once done."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.seconds: float | None = None
        self._result: Any = None
        self._process: Any = None
        self._pipe: Connection | None = None

    def wait(self) -> T:
        """The result; the work's exception (or a MilgraphError naming the work, when
        the exception cannot cross processes or the child died) if it failed."""
        if self._pipe is not None:
            pipe, self._pipe = self._pipe, None
            try:
                kind, value = pipe.recv()
            except EOFError:  # killed (out of memory, a signal) before it could say
                kind, value = "died", None
            finally:
                pipe.close()
                self._process.join()
            if kind == "died":
                value = MilgraphError(
                    f"{self.label}: the side process died (exit code {self._process.exitcode})"
                )
            if kind == "ok":
                self.seconds, self._result = value
            else:
                self._result = value
        if isinstance(self._result, BaseException):
            raise self._result
        return self._result  # type: ignore[no-any-return]


def start(label: str, work: Callable[[], T], parallel: bool) -> SideWork[T]:
    """Run ``work`` in a forked child when ``parallel`` (and fork exists), else now."""
    side: SideWork[T] = SideWork(label)
    if not parallel or "fork" not in multiprocessing.get_all_start_methods():
        started = time.perf_counter()
        side._result = work()
        side.seconds = time.perf_counter() - started
        return side
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    # daemon: a parent that dies (Ctrl-C) does not leave a worker behind
    process = context.Process(target=_child, args=(label, work, send), name=label, daemon=True)
    process.start()
    send.close()
    side._process, side._pipe = process, receive
    return side


def _child(label: str, work: Callable[[], Any], send: Connection) -> None:
    started = time.perf_counter()
    try:
        result = work()
    except BaseException as exc:  # a bug or Ctrl-C too: reported, never silently lost
        if not isinstance(exc, MilgraphError | OSError):
            traceback.print_exc()
        send.send(("error", _portable(label, exc)))
        send.close()
        raise SystemExit(1) from None
    send.send(("ok", (time.perf_counter() - started, result)))
    send.close()


def _portable(label: str, exc: BaseException) -> BaseException:
    """The exception itself when it survives pickling whole (OSError does), else a
    MilgraphError with its message (InputError's arguments do not round-trip)."""
    try:
        copy = pickle.loads(pickle.dumps(exc))
        if type(copy) is type(exc) and str(copy) == str(exc):
            return exc
    except Exception:  # noqa: BLE001 - any pickling failure means: send the message
        pass
    kind = "" if isinstance(exc, MilgraphError) else f"{type(exc).__name__}: "
    return MilgraphError(f"{label}: {kind}{exc}")
