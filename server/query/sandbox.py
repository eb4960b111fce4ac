"""Run untrusted work in worker processes that can be killed: the only time limit CPython can enforce.

A thread cannot stop a query that holds the interpreter (a cartesian product, a catastrophic
``REGEX``): there is no safe way to interrupt it. A process can simply be killed. So:

* When the pool starts, it forks one **template** process. The template holds whatever the server
  held at that moment (the built graph), shares it copy-on-write, runs no threads and does nothing
  but fork **workers** on request. Workers are forked only there. The server forks a template again
  only when a hot reload (:mod:`lineage.web.watch`) starts a new pool; that fork cleans what it inherited
  from the server's threads (sockets, output locks) before doing anything else.
* Each worker talks to the server over its own socket pair; the server passes its end to the
  template with ``SCM_RIGHTS`` (``socket.send_fds``) and gets the worker's pid back.
* :meth:`Pool.run` waits a bounded time for an idle worker (:class:`Busy` after that), sends the
  job, and from then waits at most the time limit. A worker that does not answer in time is killed
  (``SIGKILL``) and replaced by a fresh fork of the template; the caller gets :class:`Timeout`. The
  same happens when the caller says its client has gone (``cancelled``): :class:`Cancelled`. Other
  requests use the other workers meanwhile. Admission in front of the pool
  (:mod:`lineage.query.admission`) keeps the wait short and says when to come back.
* Belt and braces: a worker arms ``SIGALRM`` a little after each job's limit, so a runaway query
  dies even if the server is gone; and a worker refuses every outbound network call (an audit
  hook), so nothing a client sends can make it connect anywhere.

Jobs and replies cross the socket pickled; both ends are this program, never a client.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import queue
import signal
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

log = logging.getLogger(__name__)

Handler = Callable[[Any, Any], Any]
"""``handler(state, job) -> reply``; runs in a worker, must return something picklable."""

WORKER_NICENESS = 5
"""Workers (forked from the template, which takes it) run this much nicer than the server: a runaway
query on every core still leaves the server's request threads the CPU they need."""

_CANCEL_CHECK = 0.2  # seconds between two looks at whether the caller gave up

# Audit events that mean "about to talk to the network". Raised inside a worker, they fail the job.
_NETWORK_EVENTS = frozenset({"socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "urllib.Request"})


class SandboxError(RuntimeError):
    """The job did not produce a reply."""


class Timeout(SandboxError):
    """The job ran past its time limit; its worker was killed."""


class Busy(SandboxError):
    """No worker became free within the time limit."""


class Cancelled(SandboxError):
    """The caller gave up (its client disconnected); the worker was stopped."""


class WorkerLost(SandboxError):
    """The worker died while running the job (a crash, not a timeout)."""


class OutboundRefused(PermissionError):
    """A worker tried to open a network connection."""


@dataclass
class _Failed:
    """What a worker sends back when the handler raised: the job failed, the worker is fine."""

    message: str


@dataclass
class _Worker:
    pid: int
    conn: Connection


class Inline:
    """Runs jobs in the calling thread: no isolation and no time limit (``QUERY_WORKERS = 0``)."""

    size = 0

    def __init__(self, handler: Handler, state: Any):
        self._handler, self._state = handler, state

    def run(
        self, job: Any, timeout: float, *, wait: float | None = None, cancelled: Callable[[], bool] | None = None
    ) -> Any:  # the same signature as Pool.run
        return self._handler(self._state, job)

    def alive(self) -> int:
        return 0

    def soonest(self) -> float | None:
        return None

    def close(self) -> None:
        pass


class Pool:
    """A fixed number of forked workers holding ``state``, each running ``handler(state, job)``."""

    def __init__(self, handler: Handler, state: Any, size: int = 2, *, grace: float = 2.0):
        if size < 1:
            raise ValueError("a pool needs at least one worker")
        if not hasattr(os, "fork") or not hasattr(socket, "send_fds"):
            raise RuntimeError("worker processes need os.fork and socket.send_fds (Linux, macOS)")
        self.size = size
        self._grace = grace
        self._closed = False
        self._lock = threading.Lock()  # one spawn conversation with the template at a time
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: dict[int, _Worker] = {}
        self._running: dict[int, float] = {}  # pid -> when its job's time limit ends (monotonic)
        ours, theirs = socket.socketpair()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the template process
            code = 0
            try:
                ours.close()
                _template(theirs, handler, state, grace)
            except BaseException:  # a child must never return into the parent's code
                code = 1
            finally:
                os._exit(code)
        theirs.close()
        self._template_pid = pid
        self._control = ours
        for _ in range(size):
            self._idle.put(self._spawn())

    # -- running jobs -------------------------------------------------------------------------------

    def run(
        self, job: Any, timeout: float, *, wait: float | None = None, cancelled: Callable[[], bool] | None = None
    ) -> Any:
        """The worker's reply to ``job``: :class:`Busy` when no worker is free within ``wait`` seconds
        (default ``timeout``), :class:`Timeout` when the job runs longer than ``timeout`` seconds,
        :class:`Cancelled` when ``cancelled()`` turns true meanwhile (looked at a few times a second).

        The time limit starts when a worker takes the job: a job that waited for a worker still gets
        its whole limit (waiting is bounded by ``wait``, not taken from the limit). A worker found dead
        when the job is handed over (it never started) is replaced and the job goes to another one.
        """
        waited = time.monotonic() + (timeout if wait is None else wait)
        while True:
            try:
                worker = self._idle.get(timeout=max(0.0, waited - time.monotonic()))
            except queue.Empty:
                raise Busy(f"no query worker became free within {timeout if wait is None else wait:g} s") from None
            try:
                worker.conn.send(job)
            except OSError:
                self._replace(worker)
                continue
            break
        deadline = time.monotonic() + timeout
        self._running[worker.pid] = deadline
        healthy = False
        try:
            try:
                while True:
                    left = deadline - time.monotonic()
                    step = left if cancelled is None else min(left, _CANCEL_CHECK)
                    if worker.conn.poll(max(0.0, step)):
                        break
                    if time.monotonic() >= deadline:
                        raise Timeout(f"the query ran longer than its time limit of {timeout:g} s and was stopped")
                    if cancelled is not None and cancelled():
                        raise Cancelled("the client went away; its query was stopped")
                reply = worker.conn.recv()
            except (EOFError, OSError) as error:
                raise WorkerLost(f"the query worker died ({error.__class__.__name__})") from None
            healthy = True
            if isinstance(reply, _Failed):
                raise SandboxError(reply.message)
            return reply
        finally:
            self._running.pop(worker.pid, None)
            if healthy:
                self._idle.put(worker)
            else:
                self._replace(worker)

    def soonest(self) -> float | None:
        """Seconds until the first running job must end (its time limit); None when none is running."""
        deadlines = list(self._running.values())
        return max(0.0, min(deadlines) - time.monotonic()) if deadlines else None

    def running(self) -> dict[int, float]:
        """The pid of each worker running a job, and when (``time.monotonic()``) its limit ends."""
        return dict(self._running)

    def alive(self) -> int:
        return len(self._all)

    # -- workers --------------------------------------------------------------------------------------

    def _spawn(self) -> _Worker:
        ours, theirs = socket.socketpair()
        try:
            with self._lock:
                if self._closed:
                    raise SandboxError("the pool is closed")
                socket.send_fds(self._control, [b"w"], [theirs.fileno()])
                data = _recv_exact(self._control, 4)
        finally:
            theirs.close()
        worker = _Worker(struct.unpack("!i", data)[0], Connection(ours.detach()))
        self._all[worker.pid] = worker
        return worker

    def _replace(self, worker: _Worker) -> None:
        self._kill(worker)
        if self._closed:
            return
        try:
            self._idle.put(self._spawn())
        except (OSError, SandboxError) as error:
            log.error("could not replace a query worker (%s); %d left", error, len(self._all))

    def _kill(self, worker: _Worker) -> None:
        self._all.pop(worker.pid, None)
        with contextlib.suppress(ProcessLookupError):
            os.kill(worker.pid, signal.SIGKILL)
        worker.conn.close()

    def close(self) -> None:
        """Stop every worker and the template. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            with contextlib.suppress(OSError):  # end of file for the template even if a later fork holds a copy
                self._control.shutdown(socket.SHUT_RDWR)
            self._control.close()  # the template sees end of file and exits
        for worker in list(self._all.values()):
            self._kill(worker)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self._template_pid, 0)


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise SandboxError("the worker template process has gone")
        data += chunk
    return data


# -- inside the child processes ----------------------------------------------------------------------


def _template(control: socket.socket, handler: Handler, state: Any, grace: float) -> None:
    """Fork a worker for each socket the server sends; exit when the server closes the control socket."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group: the server decides
    with contextlib.suppress(OSError):  # workers yield the CPU to the server's own threads (pages, /health)
        os.nice(WORKER_NICENESS)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # workers are reaped by the kernel, never zombies
    while True:
        try:
            message, fds, _flags, _address = socket.recv_fds(control, 16, 1)
        except OSError:
            return
        if not message:
            return
        if not fds:
            continue
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                control.close()
                _worker(fds[0], handler, state, grace)
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        os.close(fds[0])
        control.sendall(struct.pack("!i", pid))


def _refuse_network(event: str, _args: tuple) -> None:
    if event in _NETWORK_EVENTS:
        raise OutboundRefused(f"outbound network access is not allowed here ({event})")


def _worker(fd: int, handler: Handler, state: Any, grace: float) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGALRM, signal.SIG_DFL)  # the default action ends the process
    sys.addaudithook(_refuse_network)
    conn = Connection(fd)
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        limit = getattr(job, "timeout", None)
        if limit:
            signal.alarm(max(1, math.ceil(limit + grace)))
        try:
            reply = handler(state, job)
        except Exception as error:  # reported to the server; the worker carries on
            reply = _Failed(f"{error.__class__.__name__}: {error}")
        finally:
            signal.alarm(0)
        try:
            conn.send(reply)
        except (OSError, EOFError):
            return
        except Exception as error:  # e.g. an unpicklable reply
            conn.send(_Failed(f"{error.__class__.__name__}: {error}"))
