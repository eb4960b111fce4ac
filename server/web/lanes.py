"""Admission in the web app: which lane a request takes, and 503 with ``Retry-After`` when it is full.

Control requests (``/health``, static files) take no lane. Every other request takes the ``pages``
lane here, before its view runs, except ad-hoc queries at ``/sparql``, which take the ``sparql``
lane around the query itself (:func:`lineage.web.sparql.answer`), so the query page and the service
description stay as cheap as pages. When the served store is remote, every such request also takes
the ``remote`` lane, and all of its calls to the store together are bounded by ``STORE_REQUEST_TIMEOUT``
(a page makes many; a query's own call, by the query time limit).
A store that fails answers 502 or 503 with its message, on every route.
"""

from __future__ import annotations

import contextlib

from flask import Flask, current_app, g, request
from werkzeug.exceptions import HTTPException

from lineage.query.admission import Admission, Refused
from lineage.stores.backend import BackendError, deadline
from lineage.web.errors import http_error
from lineage.web.state import current_state

CONTROL = frozenset({"health.health", "static"})
"""Endpoints that never wait for a lane."""

PAGE_SECONDS = 1.0
"""What a page is expected to take at most, for ``Retry-After`` (pages have no time limit of their own)."""


def admission() -> Admission:
    return current_app.extensions["lineage.admission"]


def refusal(refused: Refused) -> HTTPException:
    """503 with ``Retry-After``: the request was not started; try again then."""
    error = http_error(503, refused.message, lane=refused.lane, retry_after=refused.retry_after)
    error.retry_after = refused.retry_after  # type: ignore[attr-defined]  # werkzeug sends it as Retry-After
    return error


def enter_lane() -> None:
    """``before_request``: hold the request's lanes until it ends (released in :func:`leave_lanes`)."""
    if request.endpoint is None or request.endpoint in CONTROL:
        return
    held = g.lineage_lanes = contextlib.ExitStack()
    limit = float(current_app.config["QUERY_TIMEOUT"])
    if not current_state().backend.local:
        held.enter_context(admission()["remote"].admit(expected=limit))
        held.enter_context(deadline(float(current_app.config["STORE_REQUEST_TIMEOUT"])))
    if request.endpoint != "sparql.endpoint":
        held.enter_context(admission()["pages"].admit(expected=PAGE_SECONDS))


def leave_lanes(_error: BaseException | None) -> None:
    held: contextlib.ExitStack | None = g.pop("lineage_lanes", None)
    if held is not None:
        held.close()


def store_failed(error: BackendError) -> HTTPException:
    """A store that could not answer: its status (502 unreachable or wrong, 503 too slow) and why."""
    status = error.status if error.status in (502, 503, 504) else 502
    return http_error(status, error.message)


def init_app(app: Flask) -> Admission:
    """The app's lanes, from its settings (see :data:`lineage.web.DEFAULTS`)."""
    config = app.config
    lanes = Admission(
        workers=int(config["QUERY_WORKERS"]),
        wait=float(config["QUERY_QUEUE_WAIT"]),
        queue=int(config["QUERY_QUEUE"]),
        per_client=int(config["CLIENT_QUERIES"]),
        page_slots=int(config["PAGE_SLOTS"]),
        remote_slots=int(config["REMOTE_SLOTS"]),
    )
    app.extensions["lineage.admission"] = lanes
    app.before_request(enter_lane)
    app.teardown_request(leave_lanes)
    app.register_error_handler(Refused, lambda refused: app.handle_http_exception(refusal(refused)))
    app.register_error_handler(BackendError, lambda error: app.handle_http_exception(store_failed(error)))
    return lanes
