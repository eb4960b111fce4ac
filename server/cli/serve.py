"""``lineage serve``: the web app under waitress, optionally watching the sources."""

from __future__ import annotations

import click

from lineage.cli.common import fail, load_graph, require_valid


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 256), help="Request threads.")
@click.option(
    "--watch",
    is_flag=True,
    help="Rebuild when a file under ontology/ or data/ changes; serve the new graph only if it validates.",
)
@click.option(
    "--store",
    metavar="SPEC",
    help="Serve a store instead of the built graph: sparql:QUERY_URL (a SPARQL endpoint holding the graphs "
    "'lineage push' sent) or a folder built by 'lineage bigbuild' (DIR or oxigraph:DIR).",
)
def serve(host: str, port: int, threads: int, watch: bool, store: str | None) -> None:
    """Serve the graph over HTTP (SPARQL endpoint at /sparql) with waitress, a production WSGI server.

    With --watch, a valid rebuild replaces the served graph without a restart; an invalid one
    (syntax error, SHACL violation, inconsistency) is reported here with file:line and the old
    graph stays. Settings come from LINEAGE_* variables: LINEAGE_QUERY_TIMEOUT (seconds),
    LINEAGE_QUERY_WORKERS, LINEAGE_RESULT_LIMIT, LINEAGE_MAX_QUERY_LENGTH, LINEAGE_MAX_CONTENT_LENGTH,
    LINEAGE_WATCH_INTERVAL (seconds); admission: LINEAGE_QUERY_QUEUE_WAIT (seconds), LINEAGE_QUERY_QUEUE,
    LINEAGE_CLIENT_QUERIES, LINEAGE_PAGE_SLOTS, LINEAGE_REMOTE_SLOTS, LINEAGE_STORE_REQUEST_TIMEOUT
    (docs/operations.md, "Operating it").
    """
    import logging

    import waitress

    from lineage.web import create_app
    from lineage.web import watch as watching

    if store and watch:
        fail("--watch rebuilds the local graph; a --store is rebuilt where it lives (lineage push, bigbuild)", 2)
    graph = None
    if not store:
        graph = load_graph(progress=True)  # a cold first start takes seconds: say what it is doing
        require_valid(graph, "; not serving")
    watch_log = logging.getLogger(watching.__name__)
    level = watch_log.level
    reports = logging.StreamHandler()  # the watcher's reloads and refusals, on stderr
    reports.setFormatter(logging.Formatter("lineage: %(message)s"))
    propagate = watch_log.propagate
    if watch:
        watch_log.addHandler(reports)
        watch_log.setLevel(logging.INFO)
        watch_log.propagate = False  # said once, here, even if a library configured the root logger
    if graph is None:
        from lineage.build import BuildError
        from lineage.stores.backend import BackendError

        try:
            app = create_app({"STORE": store})
        except (BackendError, BuildError, ValueError) as error:
            fail(str(error))
        backend = app.extensions["lineage"].backend
        what = f"{len(backend.graphs)} graphs of {backend.describe}"
    else:
        app = create_app({"GRAPH": graph, "WATCH": watch})
        what = f"{len(graph.dataset)} triples"
    click.echo(f"serving {what} at http://{host}:{port}/sparql (Ctrl-C stops)", err=True)
    try:
        # channel_request_lookahead: waitress then tells the app when a client has gone (its query is stopped)
        waitress.serve(app, host=host, port=port, threads=threads, ident="lineage", channel_request_lookahead=1)
    finally:
        watching.stop(app)
        app.extensions["lineage"].close()
        watch_log.removeHandler(reports)
        watch_log.setLevel(level)
        watch_log.propagate = propagate

