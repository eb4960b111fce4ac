"""The served state: the graph or store, the engine and its workers; one per build, swapped whole on reload."""

from __future__ import annotations

import threading
import time
import weakref

from flask import Flask, current_app, g
from rdflib import URIRef

from lineage.build import KnowledgeGraph
from lineage.query import sandbox
from lineage.query.engine import Engine, execute
from lineage.query.saved import SavedQuery
from lineage.stores.backend import Backend, MemoryBackend


class ServedState:
    """One served state of the app: the graph, the engine, the query workers, the VoID counts.

    ``app.extensions["lineage"]`` holds the current state. What a state serves never changes: a hot
    reload (:mod:`lineage.web.watch`) builds a whole new state and puts it in place with one assignment,
    then retires the old one. A request takes one state for its whole life through :func:`lineage`,
    which counts it here, so a retired state is closed only when no request uses it any more.
    """

    def __init__(
        self,
        graph: KnowledgeGraph | None,
        saved: dict[str, SavedQuery],
        workers: int,
        backend: Backend | None = None,
    ):
        if graph is None and backend is None:
            raise TypeError("a served state needs a built graph or a backend")
        self.graph = graph  # None when a store is served (``backend``)
        self.backend: Backend = backend or MemoryBackend(graph.dataset)  # type: ignore[union-attr]
        self.engine = Engine(self.backend, saved, graph.dataset if graph is not None and backend is None else None)
        self.built = time.time()  # when this state was made (the graph built or read from the cache)
        self._counts: dict[URIRef, int] | None = None
        self._triples: int | None = None
        self._lock = threading.Lock()
        self._users = 0  # requests (app contexts) using this state
        self._retired = False
        # Fork last: the workers inherit everything above.
        self.pool: sandbox.Pool | sandbox.Inline = (
            sandbox.Pool(execute, self.engine, workers) if workers > 0 else sandbox.Inline(execute, self.engine)
        )
        self._finalizer = weakref.finalize(self, self.pool.close)

    @property
    def counts(self) -> dict[URIRef, int]:
        """Triples per named graph (counted when first asked for: a big store takes seconds)."""
        if self._counts is None:
            self._counts = self.backend.counts()
        return self._counts

    @property
    def triples(self) -> int:
        """Distinct triples served (counted when first asked for, like :attr:`counts`)."""
        if self._triples is None:
            self._triples = self.backend.triples()
        return self._triples

    def enter(self) -> bool:
        """Count one more request using this state; False if it was retired (the caller then leaves)."""
        with self._lock:
            self._users += 1
            return not self._retired

    def leave(self) -> None:
        with self._lock:
            self._users -= 1

    def retire(self) -> None:
        """This state has been replaced: requests that start from now on take the new one."""
        with self._lock:
            self._retired = True

    @property
    def users(self) -> int:
        with self._lock:
            return self._users

    @property
    def closed(self) -> bool:
        return not self._finalizer.alive

    def close(self) -> None:
        """Stop the query workers. Idempotent."""
        self._finalizer()


def init_app(
    app: Flask, graph: KnowledgeGraph | None, saved: dict[str, SavedQuery], backend: Backend | None = None
) -> ServedState:
    """Start the query workers over ``graph`` (or ``backend``, a store) and register the endpoint."""
    state = ServedState(graph, saved, int(app.config["QUERY_WORKERS"]), backend)
    app.extensions["lineage"] = state

    @app.teardown_appcontext
    def leave_state(_error: BaseException | None) -> None:
        taken = g.pop("lineage_state", None)
        if taken is not None:
            taken.leave()

    return state


def current_state() -> ServedState:
    """The served state for this request, taken at the first call and kept until the request ends.

    So every part of one request sees the same graph, even when a hot reload swaps it meanwhile.
    """
    state: ServedState | None = g.get("lineage_state")
    if state is None:
        while True:
            state = current_app.extensions["lineage"]
            if state.enter() or state is current_app.extensions["lineage"]:
                break
            state.leave()  # retired just now: the new state is in place already
        g.lineage_state = state
    return state

