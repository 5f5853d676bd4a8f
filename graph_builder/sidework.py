"""Work handed to a forked side process, so the second core works while this process
goes on (output files written beside analytics and the Neo4j load; one measure
computed beside the others).

A forked child shares the parent's memory copy-on-write, so the graph is not pickled;
only the work's result (small: a partition, or nothing for a writer) or its error
comes back. Without a safe ``fork`` (Windows; macOS, where system libraries may crash a
forked child), or with ``parallel=False`` (``--jobs 1``), the work runs inline, its
errors raised at once, with the same result.

A child never prints: the parent may hold a console lock (rich's progress display) at
the moment of the fork, and a child printing would wait on it forever. Its traceback
travels back as a note on the exception.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import pickle
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Any, Generic, TypeVar

from graph_builder.errors import MilgraphError

T = TypeVar("T")
V = TypeVar("V")
PR_SET_PDEATHSIG = 1  # linux/prctl.h


class Cancelled(Exception):
    """A side process's inbox was closed without a value: its work is not wanted."""


class Inbox(Generic[V]):
    """One value handed to a forked side process after it started, so that it can do
    the work that needs no value first (the graph files rendered before the scores
    exist). Made before the process is started (:func:`start` with ``inbox=``); given
    once here, taken once there.

    The value travels through an unnamed temporary file both processes share, and only
    its length through a pipe: giving never waits for the side process to be ready
    to read (a pickled value larger than a pipe's buffer would).
    """

    def __init__(self) -> None:
        context = multiprocessing.get_context("fork")
        self._receive, self._send = context.Pipe(duplex=False)
        self._file = tempfile.TemporaryFile()  # unlinked at once: gone with its last user
        _OPEN_INBOXES.add(self)

    def give(self, value: V) -> None:
        """Hand ``value`` over (in this process). A side process that died meanwhile
        loses it; its own error is raised when it is waited for."""
        try:
            data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
            self._file.write(data)
            self._file.flush()
            self._send.send_bytes(len(data).to_bytes(8, "big"))
        except BrokenPipeError:
            pass
        finally:
            self.close()

    def close(self) -> None:
        """No value will come (in this process): a waiting :meth:`take` is cancelled."""
        _OPEN_INBOXES.discard(self)
        self._send.close()
        self._file.close()

    def take(self) -> V:
        """The value (in the side process), once given; Cancelled if none will be."""
        try:
            size = int.from_bytes(self._receive.recv_bytes(), "big")
        except EOFError:
            raise Cancelled from None
        return pickle.loads(os.pread(self._file.fileno(), size, 0))  # type: ignore[no-any-return]

    def _keep_only_receiving(self, own: bool) -> None:
        """In a forked child: drop the inherited copies of the ends it must not hold
        (a copy of a sending end would keep its reader from ever seeing the end)."""
        self._send.close()
        if not own:
            self._receive.close()
            self._file.close()


# Inboxes not yet given or closed, whose ends a newly forked side process must drop.
_OPEN_INBOXES: set[Inbox[Any]] = set()


class SideWork(Generic[T]):
    """Work begun by :func:`start`: :meth:`wait` gives its result, or raises its error;
    ``seconds`` is how long it took, once done; ``inline`` when it ran in this process."""

    def __init__(self, label: str, inline: bool) -> None:
        self.label, self.inline = label, inline
        self.seconds: float | None = None
        self._result: Any = None
        self._process: Any = None
        self._pipe: Connection | None = None
        self.inbox: Inbox[Any] | None = None

    def done(self) -> bool:
        """Whether the work has ended: :meth:`wait` would not wait (a dead child counts)."""
        return self._pipe is None or self._pipe.poll()

    def wait(self) -> T:
        """The result; the work's exception (or a MilgraphError naming the work, when
        the exception cannot cross processes or the child died) if it failed."""
        if self._pipe is not None:
            pipe, self._pipe = self._pipe, None
            try:
                kind, value = pipe.recv()
            except EOFError:  # killed (out of memory, a signal) before it could say
                kind, value = "died", None
            except BaseException as exc:  # Ctrl-C while waiting: asked again, raised again
                self._result = exc
                raise
            finally:
                pipe.close()
                self._process.join()
            if kind == "cancelled":
                value = Cancelled(self.label)
            elif kind == "died":
                value = MilgraphError(
                    f"{self.label}: the side process died (exit code {self._process.exitcode})"
                )
            elif kind == "error":
                value, trace = value
                if trace:
                    value.add_note(f"in the side process ({self.label}):\n{trace}")
            else:
                self.seconds, value = value
            self._result = value
        if isinstance(self._result, BaseException):
            raise self._result
        return self._result  # type: ignore[no-any-return]


class SideWorks:
    """Side works started in one block, by name; leaving the block waits for all of
    them, so none outlives a failure. Their errors are raised after every one ended:
    the block's own error first, theirs as notes on it."""

    def __init__(self, parallel: bool) -> None:
        self.parallel = parallel
        self.works: dict[str, SideWork[Any]] = {}  # not yet waited for
        self.done: dict[str, SideWork[Any]] = {}  # waited for (``seconds`` set if they worked)

    def start(
        self,
        name: str,
        label: str,
        work: Callable[[], Any],
        *,
        yields: bool = True,
        inbox: Inbox[Any] | None = None,
        starts_processes: bool = False,
    ) -> SideWork[Any]:
        self.works[name] = side = start(
            label,
            work,
            self.parallel,
            yields=yields,
            inbox=inbox,
            starts_processes=starts_processes,
        )
        return side

    def __enter__(self) -> SideWorks:
        return self

    def wait_all(self) -> None:
        """Wait for every work; raise the first failure, the others as notes on it."""
        self._settle(None)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._settle(error)

    def _settle(self, error: BaseException | None) -> None:
        works, self.works = self.works, {}  # settled once: a second call finds nothing
        self.done.update(works)
        for side in works.values():
            if side.inbox is not None:  # not given by now: it never will be
                side.inbox.close()
        failures = []
        for side in works.values():
            try:
                side.wait()
            except Cancelled:  # its value was never given: the failure is elsewhere
                pass
            except BaseException as exc:  # noqa: BLE001 - reported below, after every wait
                failures.append(exc)
        if error is None and failures:
            error = failures.pop(0)
            for other in failures:
                error.add_note(f"also failed: {other}")
            raise error
        for other in failures:
            if error is not None and other is not error:
                error.add_note(f"also failed: {other}")


def can_fork() -> bool:
    """Whether this platform forks safely: macOS lists fork, but its system frameworks
    are not fork-safe (Python's own default there is spawn)."""
    return sys.platform != "darwin" and "fork" in multiprocessing.get_all_start_methods()


def start(
    label: str,
    work: Callable[[], T],
    parallel: bool,
    *,
    yields: bool = True,
    inbox: Inbox[Any] | None = None,
    starts_processes: bool = False,
) -> SideWork[T]:
    """Run ``work`` in a forked child when ``parallel`` (and fork is safe), else now.

    ``yields``: the child runs at a lower priority (:data:`SIDE_NICENESS`); False for
    work the main line will soon wait for, which should not queue behind the others.
    ``inbox``: the one ``work`` takes a value from (a child is then required: inline,
    the work would wait for a value not yet given).
    ``starts_processes``: ``work`` may start processes of its own (a pool), which a
    daemonic child may not: the child is not daemonic then. It still dies with this
    process on Linux (see :func:`die_with`; its own processes must ask the same), and
    elsewhere is waited for by :class:`SideWorks` (or multiprocessing's exit hook).
    """
    if inbox is not None and not (parallel and can_fork()):
        raise ValueError("a side work with an inbox needs a forked child (parallel, fork)")
    if not parallel or not can_fork():
        side: SideWork[T] = SideWork(label, inline=True)
        started = time.perf_counter()
        side._result = work()
        side.seconds = time.perf_counter() - started
        return side
    side = SideWork(label, inline=False)
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    # daemon: a parent that exits (Ctrl-C) does not leave a worker behind (one that
    # starts processes is not: see starts_processes)
    process = context.Process(
        target=_child,
        args=(label, work, send, os.getpid(), yields, inbox),
        name=label,
        daemon=not starts_processes,
    )
    process.start()
    send.close()
    if inbox is not None:
        inbox._receive.close()  # the child's end
    side._process, side._pipe, side.inbox = process, receive, inbox
    return side


def _child(
    label: str,
    work: Callable[[], Any],
    send: Connection,
    parent: int,
    yields: bool,
    inbox: Inbox[Any] | None,
) -> None:
    die_with(parent)
    for other in list(_OPEN_INBOXES):
        other._keep_only_receiving(own=other is inbox)
    sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__  # never a console's redirect
    gc.disable()  # short-lived: collections would only copy the parent's pages
    if yields:
        _yield_to_parent()
    started = time.perf_counter()
    try:
        result = work()
    except Cancelled:
        send.send(("cancelled", None))
        send.close()
        os._exit(1)
    except BaseException as exc:  # a bug or Ctrl-C too: reported, never silently lost
        trace = (
            ""
            if isinstance(exc, MilgraphError | OSError | KeyboardInterrupt)
            else (traceback.format_exc())
        )
        send.send(("error", (_portable(label, exc), trace)))
        send.close()
        os._exit(1)
    send.send(("ok", (time.perf_counter() - started, result)))
    send.close()


# Side work takes the CPU the main line leaves: when more processes want the cores than
# there are (writers beside the Neo4j load, whose server answers each batch in turn),
# the main line and the server are served first and the writers fill the gaps.
SIDE_NICENESS = 10


def _yield_to_parent() -> None:
    try:
        os.nice(SIDE_NICENESS)
    except OSError:  # not allowed here: same priority as before
        pass


def die_with(parent: int) -> None:
    """Linux: be killed when the parent dies (killed by a timeout, the OOM killer), so
    no orphan replaces output or cache files after the run has ended. Elsewhere: the
    parent's daemon flag or waiting only. Called first thing in the new process (a
    process's own children do not inherit the request)."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # died before the request was made
        os._exit(1)


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
