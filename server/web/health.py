"""``/health``: whether the app is serving, and what."""

from __future__ import annotations

from flask import Blueprint, jsonify
from werkzeug.wrappers import Response

from lineage.web.state import current_state

bp = Blueprint("health", __name__)


@bp.get("/health")
def health() -> Response:
    state = current_state()
    return jsonify(
        status="ok",
        triples=state.triples,
        graphs=len(state.engine.graphs),
        workers=state.pool.alive(),
        saved_queries=len(state.engine.saved),
    )

