"""Hot reload (``lineage serve --watch``): rebuild when ``ontology/`` or ``data/`` changes, swap only a valid graph.

A daemon thread looks at the ``*.ttl`` files of the served root every ``WATCH_INTERVAL`` seconds
(their size, modification time and inode: polling needs no dependency and works on every file
system). A change is acted on once the files have stayed the same for one more look, so an editor
that saves in several writes causes one build. The build (:func:`lineage.build.build`, cache allowed)
runs in that thread, never in a request. Only a graph that parses, is consistent and has no SHACL
violation is served: then a whole new :class:`~lineage.web.state.ServedState` (engine, VoID counts, query
workers forked from the new graph) replaces the old one in one assignment. Otherwise the old graph
stays and the log says why, with file and line where known.

A request takes one state for its whole life (:func:`lineage.web.state.current_state`), so it never sees half
of a reload. A replaced state is closed once no request uses it, or after a grace period of the
query time limit plus five seconds, which a job on its workers cannot outlive.

Forking after the server started. The new workers are forked from a process whose other threads
(waitress's) are serving, which the initial pool never is. Two things from those threads must not
leak into the new processes, which :func:`_forking_safely` takes care of:

* **Their sockets and pipes.** A forked process holds a copy of every descriptor: the listening
  socket, open client connections, the control sockets of older query pools. A copy keeps a
  connection from closing and keeps an older pool's template from seeing end-of-file. In the
  child, every socket and pipe that existed before the fork (file descriptors above 2) is replaced
  by ``/dev/null``, which lets go of the socket while keeping the number taken.
* **Locks held by a thread that does not exist in the child.** CPython resets its own (import,
  logging, threading) after a fork, but not the lock of a buffered stream: a waitress thread caught
  writing to stderr would leave it locked for ever. The child gets fresh ``sys.stdout`` and
  ``sys.stderr`` objects. Query evaluation takes no other lock that a server thread could hold.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import stat
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from flask import Flask

from lineage.build import BuildError, Inputs, KnowledgeGraph, SyntaxProblem, build_graph
from lineage.paths import project_root
from lineage.web.state import ServedState

log = logging.getLogger(__name__)

WATCHED = ("ontology", "data")  # folders of the root whose *.ttl files are inputs of the build
SHOWN_VIOLATIONS = 20  # at most this many violations in one log message

Files = dict[str, tuple[int, int, int]]
"""``"data/x.ttl"`` -> (modification time in ns, size, inode) of each watched file."""


def scan(root: Path) -> Files:
    """The watched files under ``root`` as they are now."""
    found: Files = {}
    for folder in WATCHED:
        for path in sorted((root / folder).glob("*.ttl")):
            try:
                info = path.stat()
            except FileNotFoundError:  # removed since the listing
                continue
            found[f"{folder}/{path.name}"] = (info.st_mtime_ns, info.st_size, info.st_ino)
    return found


def describe_changes(before: Files, after: Files) -> str:
    """``data/a.ttl changed, data/b.ttl added``: what differs between two scans."""
    changes = []
    for name in sorted(before.keys() | after.keys()):
        if name not in before:
            changes.append(f"{name} added")
        elif name not in after:
            changes.append(f"{name} removed")
        elif before[name] != after[name]:
            changes.append(f"{name} changed")
    return ", ".join(changes) or "nothing changed"


class Watcher:
    """Watches the inputs of ``app``'s graph and swaps in a new state when a valid build comes out.

    ``attempts`` counts builds tried, ``reloads`` the ones now or once served. Stop it with
    :meth:`stop` before closing the app's state.
    """

    def __init__(self, app: Flask, *, interval: float = 1.0, grace: float | None = None):
        if not interval > 0:
            raise ValueError(f"setting WATCH_INTERVAL (LINEAGE_WATCH_INTERVAL) must be positive, not {interval!r}")
        self.app = app
        self.root = Path(app.config["ROOT"]) if app.config["ROOT"] else project_root()
        self.interval = interval
        self.grace = float(app.config["QUERY_TIMEOUT"]) + 5.0 if grace is None else grace
        self.attempts = 0
        self.reloads = 0
        self.failure: tuple[float, str] | None = None  # when the last reload failed, and why; None once one succeeds
        self._seen = scan(self.root)  # the files as the last build (or the start) found them
        self._looked = self._seen  # the files as the last look found them
        self._retired: list[tuple[ServedState, float]] = []  # replaced states and when, not closed yet
        self._stopping = threading.Event()
        self._lock = threading.Lock()  # one reload at a time
        self._thread: threading.Thread | None = None

    # -- the thread ---------------------------------------------------------------------------------

    def start(self) -> Watcher:
        self._thread = threading.Thread(target=self._run, name="lineage-watch", daemon=True)
        self._thread.start()
        log.info("watching %s and %s under %s for changes", *(f"{folder}/" for folder in WATCHED), self.root)
        return self

    def stop(self, timeout: float | None = 60.0) -> None:
        """Stop watching (waiting for a build under way) and close every replaced state. Idempotent."""
        self._stopping.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.error("the watcher did not stop within %g s; the states it replaced are left open", timeout)
                return
        with self._lock:
            self._reap(force=True)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        while not self._stopping.wait(self.interval):
            try:
                self.poll()
            except Exception:  # the thread must outlive any surprise; the old graph is still served
                log.exception("watching the graph's files failed; still watching")

    def poll(self) -> None:
        """One look: close what is no longer used, and reload when the files changed and then held still."""
        with self._lock:
            if self._app_closed():
                log.info("the app's graph was closed: no longer watching")
                self._stopping.set()
                self._reap(force=True)
                return
            self._reap()
        files = scan(self.root)
        settled = files == self._looked
        self._looked = files
        if settled and files != self._seen:
            self.reload(files)

    # -- reloading ----------------------------------------------------------------------------------

    def reload(self, files: Files | None = None) -> bool:
        """Build the graph from the files now on disk; serve it if it is valid. True when swapped."""
        with self._lock:
            files = scan(self.root) if files is None else files
            changes = describe_changes(self._seen, files)
            self._seen = files
            self.attempts += 1
            log.info("reloading: %s", changes)
            started = time.monotonic()
            current: ServedState = self.app.extensions["lineage"]
            graph = self._build(current)
            if graph is None:
                return False
            if scan(self.root) != files:
                log.info("not reloaded: files changed during the build; building again once they hold still")
                return False
            try:
                with _forking_safely():
                    state = ServedState(graph, current.engine.saved, int(self.app.config["QUERY_WORKERS"]))
            except Exception as error:
                self._fail("not reloaded: the query workers could not start: %s", error)
                return False
            if self._stopping.is_set() or self._app_closed():
                state.close()  # stopped or closed meanwhile: nothing must outlive the app
                return False
            self.app.extensions["lineage"] = state  # the swap: requests from now on take the new state
            current.retire()
            self._retired.append((current, time.monotonic()))
            self.reloads += 1
            self.failure = None
            log.info(
                "reloaded: %d triples in %d graphs (%s, %.1f s)",
                state.triples,
                len(state.engine.graphs),
                "from the cache" if graph.from_cache else "built",
                time.monotonic() - started,
            )
            self._reap()
            return True

    def _build(self, current: ServedState) -> KnowledgeGraph | None:
        """The new graph, or None (and the reason logged) when it must not be served."""
        use_cache = bool(self.app.config["USE_CACHE"])
        assert current.graph is not None  # a store is never watched (create_app refuses WATCH with one)
        try:
            if Inputs.bundled(self.root).key() == current.graph.key:
                log.info("not reloaded: the inputs are the same as the served graph's")
                self.failure = None  # a broken edit undone: what is served is what is on disk
                return None
            graph = build_graph(root=self.root, use_cache=use_cache)
        except SyntaxProblem as problem:
            self._fail(
                "not reloaded: %s:%d:%d: %s", self._shown(problem.path), problem.line, problem.column, problem.reason
            )
            return None
        except BuildError as error:
            self._fail("not reloaded: %s", self._relative(str(error)))
            return None
        except (OSError, UnicodeDecodeError) as error:  # a file removed or half written during the build
            self._fail("not reloaded: %s", self._relative(f"{error.__class__.__name__}: {error}"))
            return None
        if graph.violations:
            count = len(graph.violations)
            shown = [
                str(dataclasses.replace(v, file=self._shown(v.file) if v.file else None))
                for v in graph.violations[:SHOWN_VIOLATIONS]
            ]
            more = [f"... and {count - SHOWN_VIOLATIONS} more"] if count > SHOWN_VIOLATIONS else []
            self._fail(
                "not reloaded: %d violation%s: %s",
                count,
                "" if count == 1 else "s",
                "\n  ".join([*shown, *more]),
            )
            return None
        return graph

    def _fail(self, message: str, *args: object) -> None:
        """Log why a reload was refused, and keep it for ``/health`` (degraded until a reload succeeds)."""
        log.error(message, *args)
        text = message % args
        self.failure = (time.time(), text if len(text) <= 500 else text[:500] + " …")

    def _app_closed(self) -> bool:
        """The app's owner closed its state (the current one, or one not yet reaped): it is shutting down."""
        current: ServedState = self.app.extensions["lineage"]
        return current.closed or any(state.closed for state, _ in self._retired)

    def _reap(self, *, force: bool = False) -> None:
        """Close the replaced states no request uses any more (all of them when ``force``)."""
        now = time.monotonic()
        kept = []
        for state, since in self._retired:
            users = state.users
            if force or users == 0 or now - since > self.grace:
                if users and not force:
                    log.warning("closing a replaced graph's query workers with %d requests still on them", users)
                state.close()
            else:
                kept.append((state, since))
        self._retired = kept

    def _shown(self, path: str | Path) -> str:
        """``data/x.ttl`` for a file under the root; other paths as they are."""
        try:
            return str(Path(path).resolve().relative_to(self.root.resolve()))
        except ValueError:
            return str(path)

    def _relative(self, text: str) -> str:
        for prefix in {str(self.root.resolve()), str(self.root)}:
            text = text.replace(prefix + os.sep, "")
        return text


def init_app(app: Flask) -> Watcher:
    """Start watching the app's inputs (``WATCH_INTERVAL`` seconds between looks)."""
    watcher = Watcher(app, interval=float(app.config.get("WATCH_INTERVAL", 1.0)))
    app.extensions["lineage.watch"] = watcher
    return watcher.start()


def stop(app: Flask) -> None:
    """Stop the app's watcher, if it has one, and close the states it replaced."""
    watcher: Watcher | None = app.extensions.pop("lineage.watch", None)
    if watcher is not None:
        watcher.stop()


# -- forking while other threads run -------------------------------------------------------------------

_fork_lock = threading.Lock()
_fork_hook_installed = False
_inherited: dict[int, tuple[int, int]] | None = None  # armed: fd -> (device, inode) to let go of in a child


@contextlib.contextmanager
def _forking_safely() -> Iterator[None]:
    """Around code that forks: a child forked meanwhile drops the sockets and pipes that existed
    before (identified by inode, so one opened meanwhile under a reused number is kept) and gets
    fresh standard streams. The parent is not changed."""
    global _fork_hook_installed, _inherited
    with _fork_lock:
        if not _fork_hook_installed and hasattr(os, "register_at_fork"):  # no fork, no hook (Windows)
            os.register_at_fork(after_in_child=_after_fork_in_child)
            _fork_hook_installed = True
        _inherited = _sockets_and_pipes()
        try:
            yield
        finally:
            _inherited = None


def _open_descriptors() -> list[int]:
    for folder in ("/proc/self/fd", "/dev/fd"):
        with contextlib.suppress(OSError):
            return sorted(int(name) for name in os.listdir(folder))
    return []


def _sockets_and_pipes() -> dict[int, tuple[int, int]]:
    found = {}
    for fd in _open_descriptors():
        if fd <= 2:
            continue
        try:
            info = os.fstat(fd)
        except OSError:  # the listing's own descriptor, closed by now
            continue
        if stat.S_ISSOCK(info.st_mode) or stat.S_ISFIFO(info.st_mode):
            found[fd] = (info.st_dev, info.st_ino)
    return found


def _after_fork_in_child() -> None:
    """Runs in every child forked from this process; acts only in one forked while armed."""
    global _inherited
    inherited, _inherited = _inherited, None
    if inherited is None:
        return
    try:
        null = os.open(os.devnull, os.O_RDWR)
        for fd, identity in inherited.items():
            with contextlib.suppress(OSError):
                info = os.fstat(fd)
                if (info.st_dev, info.st_ino) == identity:
                    os.dup2(null, fd)
        os.close(null)
    except OSError:  # a hook after fork must not raise; the child works without it
        pass
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        with contextlib.suppress(AttributeError, OSError, ValueError):  # e.g. a stream with no descriptor
            encoding = getattr(stream, "encoding", None) or "utf-8"
            # the new stream replaces sys.stdout or sys.stderr: it stays open (closefd=False: the descriptor is theirs)
            replacement = open(stream.fileno(), "w", encoding=encoding, errors="backslashreplace", closefd=False)  # noqa: SIM115
            setattr(sys, name, replacement)
