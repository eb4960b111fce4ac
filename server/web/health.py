"""``/health``: whether the app is serving, what, and how well; a status code a load balancer can use.

``ok`` (200): serving, nothing to report. ``degraded`` (200): serving, but the last ``--watch`` reload
failed (the previous graph is served), a lane keeps refusing requests, or some query workers are
missing. ``down`` (503): no query worker is alive, or the store does not answer. ``reasons`` says
which, ``since`` since when the status has held. It takes no lane, runs no query on the workers, and
asks a remote store one ``ASK {}`` with a one-second limit.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify
from werkzeug.wrappers import Response

from lineage.query.admission import Admission
from lineage.stores.backend import BackendError, deadline
from lineage.web.state import ServedState, current_state

bp = Blueprint("health", __name__)

STORE_PING = 1.0
"""Seconds a remote store has to answer the health check."""


def iso(when: float | None) -> str | None:
    return None if when is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when))


class Memory:
    """The last status and since when it has held (per app)."""

    def __init__(self) -> None:
        self.status, self.since = "ok", time.time()
        self._lock = threading.Lock()

    def update(self, status: str, since: float | None = None) -> float:
        with self._lock:
            if status != self.status:
                self.status, self.since = status, since if since is not None else time.time()
            return self.since


def assess(app: Flask, state: ServedState) -> tuple[str, list[str], float | None, int | None]:
    """Status, reasons, since when a degradation holds (when known), and the triples served (None: unknown)."""
    down: list[str] = []
    degraded: list[str] = []
    since: list[float] = []
    pool = state.pool
    if pool.size and pool.alive() == 0:
        down.append("no query worker is alive")
    elif pool.alive() < pool.size:
        degraded.append(f"{pool.alive()} of {pool.size} query workers are alive")
    triples: int | None = None
    try:
        if not state.backend.local:
            with deadline(STORE_PING):
                state.backend.ping(STORE_PING)
    except BackendError as error:
        down.append(f"the store does not answer: {error.message}")
    else:
        try:
            with deadline(STORE_PING):  # counted once per state; a big remote store may take longer: unknown
                triples = state.triples
        except BackendError:
            pass
    watcher = app.extensions.get("lineage.watch")
    failure = getattr(watcher, "failure", None)
    if failure is not None:
        when, message = failure
        served = iso(state.built)
        degraded.append(f"the last reload failed at {iso(when)}; serving the graph built at {served}: {message}")
        since.append(when)
    lanes: Admission | None = app.extensions.get("lineage.admission")
    for name, when in (lanes.saturated() if lanes is not None else {}).items():
        degraded.append(f"the {name} lane is saturated since {iso(when)}: requests are refused with 503")
        since.append(when)
    if down:
        return "down", down + degraded, None, triples
    if degraded:
        return "degraded", degraded, min(since) if since else None, triples
    return "ok", [], None, triples


@bp.get("/health")
def health() -> Response:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    state = current_state()
    status, reasons, began, triples = assess(app, state)
    memory: Memory = app.extensions.setdefault("lineage.health", Memory())
    since = memory.update(status, began)
    lanes: Admission | None = app.extensions.get("lineage.admission")
    body: dict[str, Any] = {
        "status": status,
        "reasons": reasons,
        "since": iso(since),
        "graph": {"built": iso(state.built), "triples": triples, "graphs": len(state.engine.graphs)},
        "lanes": lanes.report() if lanes is not None else {},
        # kept from before, for existing clients
        "triples": triples,
        "graphs": len(state.engine.graphs),
        "workers": state.pool.alive(),
        "saved_queries": len(state.engine.saved),
    }
    response = jsonify(body)
    response.status_code = 503 if status == "down" else 200
    response.headers["Cache-Control"] = "no-store"
    return response
