"""Limits and safety of the public endpoint: no outbound access, no update, bounded size, time and rows.

The time-limit tests run against a real socket server (waitress in a thread) so that a runaway
query and a concurrent simple one are really served side by side.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import threading
import time
import urllib.parse

import pytest

from lineage.query import sandbox

COUNT_PRODUCT = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
# Catastrophic backtracking for a backtracking regex engine (Python's holds the interpreter for ages);
# Oxigraph's regex engine runs in linear time, so the endpoint answers it at once.
REGEX_BOMB = (
    'SELECT * WHERE { BIND("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!" AS ?x) FILTER(REGEX(?x, "^(a+)+$")) }'
)
SIMPLE = "ASK { model:chatgpt lin:descendantOf model:unidentified-gpt-3-family-model }"


def http_get(address: tuple[str, int], query: str, **params) -> tuple[int, dict, bytes, float]:
    """GET /sparql over a real socket: status, headers, body and seconds taken."""
    started = time.monotonic()
    connection = http.client.HTTPConnection(*address, timeout=30)
    try:
        connection.request("GET", "/sparql?" + urllib.parse.urlencode({"query": query, **params}))
        response = connection.getresponse()
        body = response.read()
        return response.status, dict(response.getheaders()), body, time.monotonic() - started
    finally:
        connection.close()


@pytest.fixture
def listener():
    """A loopback port that is listening; ``connections()`` says how many clients connected to it.

    Nothing ever accepts: a connection attempt completes in the kernel's backlog, where a
    non-blocking accept finds it afterwards.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.setblocking(False)

    def connections() -> int:
        seen = 0
        while True:
            try:
                conn, _ = sock.accept()
            except BlockingIOError:
                return seen
            conn.close()
            seen += 1

    yield sock.getsockname()[1], connections
    sock.close()


# -- nothing is ever fetched --------------------------------------------------------------------------


def test_listener_sees_a_connection(listener):
    """The probe below is only worth something if it notices a client: it does."""
    port, connections = listener
    socket.create_connection(("127.0.0.1", port), timeout=1).close()
    assert connections() == 1


@pytest.mark.parametrize(
    "query, params",
    [
        ("SELECT * WHERE { SERVICE <http://127.0.0.1:{port}/sparql> { ?s ?p ?o } }", {}),
        ("SELECT * WHERE { SERVICE SILENT <http://127.0.0.1:{port}/> { ?s ?p ?o } }", {}),
        ("SELECT * WHERE { ?s ?p ?o OPTIONAL { SERVICE <http://127.0.0.1:{port}/> { ?s ?q ?r } } } LIMIT 1", {}),
        ("SELECT * WHERE { ?s ?p ?o FILTER EXISTS { SERVICE <http://127.0.0.1:{port}/> { ?s ?q ?r } } } LIMIT 1", {}),
        ("SELECT * WHERE { { SELECT ?s WHERE { SERVICE <http://127.0.0.1:{port}/> { ?s ?p ?o } } } }", {}),
        ("ASK { SERVICE ?where { ?s ?p ?o } VALUES ?where { <http://127.0.0.1:{port}/> } }", {}),
        ("SELECT * FROM <http://127.0.0.1:{port}/x> WHERE { ?s ?p ?o }", {}),
        ("SELECT * FROM NAMED <http://127.0.0.1:{port}/x> WHERE { GRAPH ?g { ?s ?p ?o } }", {}),
        ("SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }", {}),
        ("SELECT * FROM NAMED <file:///etc/passwd> WHERE { GRAPH ?g { ?s ?p ?o } }", {}),
        ("SELECT * WHERE { ?s ?p ?o } LIMIT 1", {"default-graph-uri": "http://127.0.0.1:{port}/x"}),
        ("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 1", {"named-graph-uri": "http://127.0.0.1:{port}/x"}),
        ("SELECT * WHERE { ?s ?p ?o } LIMIT 1", {"default-graph-uri": "file:///etc/passwd"}),
        ("SELECT * WHERE { GRAPH <file:///etc/passwd> { ?s ?p ?o } }", {}),
        ("SELECT * WHERE { GRAPH <http://127.0.0.1:{port}/x> { ?s ?p ?o } }", {}),
        ("DESCRIBE <http://127.0.0.1:{port}/x>", {}),
        ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 1", {"format": "jsonld"}),
    ],
)
def test_no_outbound_connection_and_no_file_read(client, listener, query, params):
    port, connections = listener
    query = query.replace("{port}", str(port))
    params = {key: value.replace("{port}", str(port)) for key, value in params.items()}
    response = client.get("/sparql", query_string={"query": query, "timeout": "3", **params})
    assert response.status_code in (200, 400), response.data
    if response.status_code == 200 and "GRAPH <" in query:
        assert b'"bindings":[]' in response.data.replace(b" ", b"")  # a graph not in the dataset is empty
    assert b"root:" not in response.data
    assert connections() == 0


@pytest.mark.parametrize("keyword", ["SERVICE", "service", "SeRvIcE"])
def test_service_is_refused_before_evaluation(client, keyword):
    response = client.get(
        "/sparql", query_string={"query": f"SELECT * WHERE {{ {keyword} <http://example.org/> {{ ?s ?p ?o }} }}"}
    )
    assert response.status_code == 400
    assert "SERVICE" in response.get_data(as_text=True)


def test_service_in_a_literal_is_not_refused(client):
    """The check walks the algebra: the word in a string or an IRI is no SERVICE clause."""
    response = client.get(
        "/sparql",
        query_string={"query": 'ASK { BIND("SERVICE <http://x/> {}" AS ?x) FILTER(?x != <http://service/>) }'},
    )
    assert response.status_code == 200


def test_workers_refuse_network_access(listener):
    """Defence in depth: even code that tries, inside a worker, cannot open a connection."""
    port, connections = listener

    def handler(_state, job):
        socket.create_connection(("127.0.0.1", job), timeout=1).close()

    pool = sandbox.Pool(handler, None, 1)
    try:
        with pytest.raises(sandbox.SandboxError, match="outbound network access is not allowed"):
            pool.run(port, timeout=5)
    finally:
        pool.close()
    assert connections() == 0


# -- read-only -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "update",
    [
        "INSERT DATA { <http://example.org/a> <http://example.org/b> <http://example.org/c> }",
        "DELETE WHERE { ?s ?p ?o }",
        "LOAD <http://127.0.0.1:9/data.ttl>",
        "LOAD <file:///etc/passwd> INTO GRAPH <http://example.org/g>",
        "CLEAR ALL",
        "DROP DEFAULT",
        "CREATE GRAPH <http://example.org/g>",
    ],
)
@pytest.mark.parametrize("how", ["get-query", "form-query", "form-update", "direct-query", "direct-update"])
def test_updates_are_refused(client, built, update, how):
    before = len(built.dataset)
    if how == "get-query":
        response = client.get("/sparql", query_string={"query": update})
    elif how.startswith("form"):
        response = client.post("/sparql", data={how.split("-")[1]: update})
    else:
        kind = how.split("-")[1]
        response = client.post("/sparql", data=update.encode(), content_type=f"application/sparql-{kind}")
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "read-only" in text
    assert len(built.dataset) == before


def test_update_param_on_get_is_refused(client):
    assert client.get("/sparql", query_string={"update": "CLEAR ALL"}).status_code == 400


# -- sizes ---------------------------------------------------------------------------------------------


def test_query_length_limit(client, app):
    limit = app.config["MAX_QUERY_LENGTH"]
    long_query = "ASK {}" + " " * limit
    response = client.get("/sparql", query_string={"query": long_query})
    assert response.status_code == 413
    assert str(limit) in response.get_data(as_text=True)
    direct = client.post("/sparql", data=long_query.encode(), content_type="application/sparql-query")
    assert direct.status_code == 413


def test_body_size_limit(client, app):
    body = b"ASK {}" + b" " * app.config["MAX_CONTENT_LENGTH"]
    assert client.post("/sparql", data=body, content_type="application/sparql-query").status_code == 413
    form = b"query=ASK+%7B%7D" + b"+" * app.config["MAX_CONTENT_LENGTH"]
    assert client.post("/sparql", data=form, content_type="application/x-www-form-urlencoded").status_code == 413


# -- deep recursion ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query, status",
    [
        ("SELECT * WHERE {" + "{" * 2000 + "?s ?p ?o" + "}" * 2000 + "}", 400),
        ("ASK { FILTER(" + "(" * 5000 + "1" + ")" * 5000 + ") }", 400),
        ("SELECT * WHERE { ?s " + "(" * 1500 + "lin:derivedFrom" + ")*" * 1500 + " ?o } LIMIT 1", 400),
        ("ASK { FILTER(" + " + ".join(["1"] * 500) + " > 0) }", 200),
        ("SELECT * WHERE { ?s " + "/".join(["lin:derivedFrom"] * 2000) + " ?o }", 503),  # the time limit ends it
    ],
    ids=["nested-groups", "nested-parentheses", "nested-path", "long-sum", "long-path"],
)
def test_deep_queries_are_400_never_500(client, query, status):
    """RecursionError while parsing or evaluating is the client's 400, not the server's 500."""
    response = client.post("/sparql", data={"query": query, "timeout": "5"})
    assert response.status_code == status, response.data
    if status == 400:
        assert "nested too deeply" in response.get_data(as_text=True)


# -- rows ----------------------------------------------------------------------------------------------


def test_result_row_cap_is_signalled(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "RESULT_LIMIT", 7)
    response = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert response.status_code == 200
    assert response.headers["X-Lineage-Truncated"] == "true"
    assert response.headers["X-Lineage-Result-Limit"] == "7"
    assert len(response.json["results"]["bindings"]) == 7
    graph = client.get("/sparql", query_string={"query": "CONSTRUCT WHERE { ?s ?p ?o }", "format": "nt"})
    assert graph.headers["X-Lineage-Truncated"] == "true"
    assert len(graph.data.strip().splitlines()) == 7
    small = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 3"})
    assert "X-Lineage-Truncated" not in small.headers


# -- time ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query", [COUNT_PRODUCT, COUNT_PRODUCT.replace("?g ?h ?i", "?g ?h ?i . ?j ?k ?l")], ids=["cartesian", "cartesian-4"]
)
def test_runaway_query_is_stopped_while_others_are_answered(live_server, query):
    """503 within limit + 1 s; a simple query sent meanwhile answers in under 0.5 s."""
    outcome: dict = {}

    def runaway():
        outcome["runaway"] = http_get(live_server, query, timeout="1")

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.2)  # the runaway query is now holding its worker
    status, _headers, body, seconds = http_get(live_server, SIMPLE, format="json")
    assert status == 200, body
    assert b'"boolean":true' in body.replace(b" ", b"")
    assert seconds < 0.5
    thread.join()
    status, headers, body, seconds = outcome["runaway"]
    assert status == 503, body
    assert b"time limit of 1 s" in body
    assert seconds < 2.5
    assert headers["Access-Control-Allow-Origin"] == "*"
    # The killed worker was replaced: the pool is whole and answers.
    health = http.client.HTTPConnection(*live_server, timeout=5)
    try:
        health.request("GET", "/health")
        assert b'"workers":3' in health.getresponse().read()
    finally:
        health.close()


def test_cartesian_select_star_is_capped_or_stopped(live_server, app):
    """Without an aggregate, the cartesian product streams: the row cap ends it, well within the limit."""
    status, headers, _body, seconds = http_get(live_server, "SELECT * { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }", timeout="1")
    assert seconds < 2.5
    assert status == 503 or headers.get("X-Lineage-Truncated") == "true"


def test_busy_server_answers_503_with_retry_after(built):
    """Every worker taken for longer than a request may wait: 503 at once, with Retry-After, unlike a timeout."""
    from lineage.web import create_app

    app = create_app({"TESTING": True, "GRAPH": built, "QUERY_WORKERS": 1, "QUERY_TIMEOUT": 10})
    try:
        runaway = threading.Thread(
            target=lambda: app.test_client().get("/sparql", query_string={"query": COUNT_PRODUCT, "timeout": "1.5"})
        )
        runaway.start()
        time.sleep(0.3)
        response = app.test_client().get("/sparql", query_string={"query": SIMPLE, "timeout": "0.3"})
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "1"
        assert "busy" in response.get_data(as_text=True)
        runaway.join()
        timed_out = app.test_client().get("/sparql", query_string={"query": COUNT_PRODUCT, "timeout": "0.5"})
        assert timed_out.status_code == 503 and "Retry-After" not in timed_out.headers
    finally:
        app.extensions["lineage"].close()


def test_catastrophic_regex_is_answered_at_once(client):
    """Oxigraph's regex engine has no catastrophic backtracking: the classic bomb is just a query."""
    started = time.monotonic()
    response = client.get("/sparql", query_string={"query": REGEX_BOMB, "timeout": "5"})
    assert response.status_code == 200, response.data
    assert response.json["results"]["bindings"] == []  # "aaa…!" does not match ^(a+)+$
    assert time.monotonic() - started < 2


def test_configured_limit_caps_the_requested_one(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "QUERY_TIMEOUT", 1.0)
    started = time.monotonic()
    response = client.get("/sparql", query_string={"query": COUNT_PRODUCT, "timeout": "100"})
    assert response.status_code == 503
    assert time.monotonic() - started < 2.5


def test_saved_queries_are_time_limited_too(client, app):
    response = client.get("/queries/ancestors", query_string={"model": "chatgpt", "timeout": "0.000001"})
    assert response.status_code == 503


# -- the sandbox itself ---------------------------------------------------------------------------------


def _spin(_state, job):
    if job == "spin":
        while True:
            pass
    if job == "fail":
        raise ValueError("no good")
    return job


def test_pool_kills_replaces_and_survives_errors():
    pool = sandbox.Pool(_spin, None, 1)
    try:
        first = pool.alive()
        with pytest.raises(sandbox.Timeout):
            pool.run("spin", timeout=0.3)
        with pytest.raises(sandbox.SandboxError, match="ValueError: no good"):
            pool.run("fail", timeout=1)
        assert pool.run("ok", timeout=1) == "ok"
        assert pool.alive() == first == 1
    finally:
        pool.close()
    assert pool.alive() == 0


def test_pool_replaces_a_worker_that_died_while_idle():
    pool = sandbox.Pool(_spin, None, 1)
    try:
        (pid,) = list(pool._all)
        os.kill(pid, signal.SIGKILL)
        time.sleep(0.2)
        assert pool.run("ok", timeout=1) == "ok"  # handed to a fresh worker, not failed
        assert list(pool._all) != [pid]
    finally:
        pool.close()


def test_pool_busy_when_every_worker_is_taken():
    pool = sandbox.Pool(_spin, None, 1)
    try:
        thread = threading.Thread(target=lambda: pytest.raises(sandbox.Timeout, pool.run, "spin", 1.0))
        thread.start()
        time.sleep(0.1)
        with pytest.raises(sandbox.Busy):
            pool.run("ok", timeout=0.2)
        thread.join()
        assert pool.run("ok", timeout=1) == "ok"
    finally:
        pool.close()
