"""The web app: the factory (defaults, then LINEAGE_* variables, then test config), the error handler and headers.

One blueprint module per area: :mod:`.sparql` (endpoint, service description, query page),
:mod:`.queries` (saved queries), :mod:`.health`, :mod:`.pages` (Linked Data pages), :mod:`.ontology`
(the ontology and graph documents, VoID); :mod:`.state` holds the served state, :mod:`.watch` reloads it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from lineage.build import BuildError, build_graph
from lineage.query.saved import load_all
from lineage.stores.backend import open_backend
from lineage.web import health, lanes, ontology, pages, queries, render, sparql, state, watch
from lineage.web.errors import handle_http_error

__version__ = "0.2.0"

DEFAULTS: dict[str, Any] = {
    "BASE_IRI": "https://w3id.org/model-lineage/",  # IRIs under it are served at their path here
    "ROOT": None,  # the checkout holding ontology/, data/ and queries/ (None: project_root())
    "USE_CACHE": True,  # take the built graph from the on-disk cache when the inputs are unchanged
    "GRAPH": None,  # a prebuilt KnowledgeGraph to serve (tests); None: build at start-up
    # serve a store instead: "sparql:QUERY_URL" or a folder built by `lineage bigbuild` (lineage.stores.backend)
    "STORE": None,
    "QUERY_TIMEOUT": 30.0,  # seconds a query may run; a request may ask for less with ?timeout=
    "QUERY_WORKERS": 3,  # query worker processes (ad-hoc queries take all but one); 0: in the request thread
    "RESULT_LIMIT": 10_000,  # rows (SELECT) or triples (CONSTRUCT, DESCRIBE) returned at most
    "MAX_QUERY_LENGTH": 64 * 1024,  # characters of query text
    "MAX_CONTENT_LENGTH": 256 * 1024,  # bytes of request body (Flask's own setting)
    "WATCH": False,  # rebuild when ontology/ or data/ changes; serve the new graph if valid (lineage.web.watch)
    "WATCH_INTERVAL": 1.0,  # seconds between two looks at the files when watching
    # Admission (lineage.query.admission): beyond these, 503 with Retry-After at once.
    "QUERY_QUEUE_WAIT": 0.25,  # seconds a request may wait for a slot in its lane
    "QUERY_QUEUE": 4,  # requests that may wait for a slot, per lane
    "CLIENT_QUERIES": 4,  # ad-hoc /sparql queries one client address may have in flight
    "PAGE_SLOTS": 4,  # pages and saved queries served at once
    "REMOTE_SLOTS": 4,  # requests talking to a remote store (STORE = sparql:URL) at once
    "STORE_REQUEST_TIMEOUT": 60.0,  # seconds all of one request's calls to a remote store may take together
}


ZERO_ALLOWED = frozenset({"QUERY_WORKERS", "QUERY_QUEUE_WAIT", "QUERY_QUEUE", "CLIENT_QUERIES"})
"""Settings that may be 0: no workers (queries in the request thread), no wait, no queue, no per-client cap."""


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """The web app over the built graph: defaults, then ``LINEAGE_*`` variables, then ``test_config``.

    The graph is built (or read from the cache) here, before the first request; a graph with SHACL
    violations is refused. With ``STORE``, a store is served instead (:mod:`lineage.stores.backend`). Query
    workers are forked last, so they share the built graph.
    """
    app = Flask(__name__)
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("LINEAGE")
    if test_config is not None:
        app.config.from_mapping(test_config)
    for key, kind in (
        ("QUERY_TIMEOUT", float),
        ("QUERY_WORKERS", int),
        ("RESULT_LIMIT", int),
        ("MAX_QUERY_LENGTH", int),
        ("QUERY_QUEUE_WAIT", float),
        ("QUERY_QUEUE", int),
        ("CLIENT_QUERIES", int),
        ("PAGE_SLOTS", int),
        ("REMOTE_SLOTS", int),
        ("STORE_REQUEST_TIMEOUT", float),
    ):
        try:
            app.config[key] = kind(app.config[key])
        except (TypeError, ValueError):
            raise ValueError(f"setting {key} (LINEAGE_{key}) must be a number, not {app.config[key]!r}") from None
        if app.config[key] < (0 if key in ZERO_ALLOWED else 1e-9):
            raise ValueError(f"setting {key} (LINEAGE_{key}) must be positive, not {app.config[key]!r}")

    root = Path(app.config["ROOT"]) if app.config["ROOT"] else None
    store = app.config["STORE"]
    graph, served = None, None
    if store:
        if app.config["WATCH"]:
            raise ValueError("setting WATCH: a store is rebuilt where it lives, not watched here; drop one of them")
        served = store if not isinstance(store, str) else open_backend(store, timeout=app.config["QUERY_TIMEOUT"])
    else:
        graph = app.config["GRAPH"] or build_graph(root=root, use_cache=bool(app.config["USE_CACHE"]))
        if graph.violations:
            raise BuildError(
                f"the graph has {len(graph.violations)} SHACL violations; run 'lineage check' to see them"
            )
    saved = load_all(root / "queries" if root else None)

    app.register_error_handler(HTTPException, handle_http_error)
    app.after_request(add_headers)
    render.init_app(app)
    state.init_app(app, graph, saved, served)
    lanes.init_app(app)
    for blueprint in (sparql.bp, queries.bp, health.bp):
        app.register_blueprint(blueprint)
    ontology.init_app(app)
    pages.init_app(app)
    if app.config["WATCH"]:  # last: the watcher may swap the graph from now on
        watch.init_app(app)
    return app


def add_headers(response: Response) -> Response:
    """CORS for every answer (the data is public; no credentials), ``Vary: Accept``."""
    response.vary.add("Accept")
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = "X-Lineage-Truncated, X-Lineage-Result-Limit"
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = request.headers.get(
            "Access-Control-Request-Headers", "Accept, Content-Type"
        )
        response.headers["Access-Control-Max-Age"] = "86400"
    return response
