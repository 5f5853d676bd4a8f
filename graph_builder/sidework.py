"""Output writing handed to a forked side process, so the second core writes files while
this process goes on with analytics and the Neo4j load.

Only writers go there: they read the built graph, write files atomically and hand back
nothing but how long they took, or their error. A forked child shares the parent's
memory copy-on-write, so the graph is not pickled. Without ``fork`` (Windows), or with
``parallel=False`` (``--jobs 1``), the work runs inline and its errors raise at once.
"""

from __future__ import annotations

import multiprocessing
import pickle
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from graph_builder.errors import MilgraphError


class SideWork:
    """Work begun by :func:`start`; :meth:`wait` returns its seconds or raises its error."""

    def __init__(self, label: str, seconds: float | None = None) -> None:
        self.label, self.seconds = label, seconds
        self._process: Any = None
        self._pipe: Connection | None = None

    def wait(self) -> float:
        """Seconds the work took; its exception (or a MilgraphError naming the work, when
        the exception cannot cross processes or the child died) if it failed."""
        if self.seconds is None:
            assert self._process is not None and self._pipe is not None
            try:
                kind, value = self._pipe.recv()
            except EOFError:  # killed (out of memory, a signal) before it could say
                kind, value = "died", None
            finally:
                self._pipe.close()
                self._process.join()
            if kind == "died":
                raise MilgraphError(
                    f"{self.label}: the side process died (exit code {self._process.exitcode})"
                )
            if kind == "error":
                raise value
            self.seconds = float(value)
        return self.seconds


def start(label: str, work: Callable[[], None], parallel: bool) -> SideWork:
    """Run ``work`` in a forked child when ``parallel`` (and fork exists), else now."""
    if not parallel or "fork" not in multiprocessing.get_all_start_methods():
        started = time.perf_counter()
        work()
        return SideWork(label, time.perf_counter() - started)
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    # daemon: a parent that dies (Ctrl-C) does not leave a writer behind
    process = context.Process(target=_child, args=(label, work, send), name=label, daemon=True)
    process.start()
    send.close()
    side = SideWork(label)
    side._process, side._pipe = process, receive
    return side


def _child(label: str, work: Callable[[], None], send: Connection) -> None:
    started = time.perf_counter()
    try:
        work()
    except BaseException as exc:  # a bug or Ctrl-C too: reported, never silently lost
        if not isinstance(exc, MilgraphError | OSError):
            traceback.print_exc()
        send.send(("error", _portable(label, exc)))
        send.close()
        raise SystemExit(1) from None
    send.send(("ok", time.perf_counter() - started))
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
