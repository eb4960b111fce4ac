"""``lineage serve --store``: the app served from a store gives the answers of the app over the built graph.

Two stores hold the curated graph: a real ``oxigraph serve`` on loopback (the graph pushed into it
with ``lineage.publish.push``), reached through a small recording proxy that can also stall or fail; and a
store folder built by ``lineage.bigbuild.folder.build`` (``lineage bigbuild``). For each, every saved query
(with its example values) and a few protocol queries are answered as the local app answers them;
pages show the same lineage; a resource's description is isomorphic to the local one.
"""

from __future__ import annotations

import io
import json
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from rdflib import Dataset, Graph, Literal
from rdflib.compare import isomorphic
from rdflib.namespace import VOID
from rdflib.query import Result

from lineage.bigbuild import folder as store
from lineage.build import quiet_dataset_deprecations
from lineage.namespaces import GRAPH_INFERRED, MODEL
from lineage.publish import push
from lineage.query import saved as queries
from lineage.stores.backend import BackendError, RemoteBackend
from lineage.web import create_app

from .conftest import free_port, oxigraph_serve

GPT3_FAMILY = MODEL["unidentified-gpt-3-family-model"]  # what ChatGPT descends from: "a GPT-3 model"

SAVED = queries.load_all()


@pytest.fixture(scope="module")
def oxigraph(tmp_path_factory, built) -> Iterator[str]:
    """``oxigraph serve`` on a free loopback port holding the curated graph: its base URL."""
    with oxigraph_serve(tmp_path_factory.mktemp("oxigraph-serving")) as base:
        with push.spooled(push.named_graphs(built)) as uploads:
            push.push(uploads, base + "/store", update_url=base + "/update")
        yield base


class Proxy(ThreadingHTTPServer):
    """Forwards ``POST /query`` to the real server; remembers each body; can stall or fail on demand."""

    daemon_threads = True

    def __init__(self, target: str):
        super().__init__(("127.0.0.1", 0), _Forward)
        self.target = target
        self.seen: list[bytes] = []
        self.delay = 0.0
        self.fail: int | None = None  # answer with this status instead of forwarding

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/query"


class _Forward(BaseHTTPRequestHandler):
    server: Proxy

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.seen.append(body)
        if self.server.delay:
            time.sleep(self.server.delay)
        if self.server.fail:
            message = b"the store is out of order today"
            self.send_response(self.server.fail)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(message)))
            self.end_headers()
            self.wfile.write(message)
            return
        headers = {k: v for k, v in self.headers.items() if k.lower() in ("content-type", "accept")}
        request = urllib.request.Request(self.server.target + "/query", data=body, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                status, kind, data = answer.status, answer.headers["Content-Type"], answer.read()
        except urllib.error.HTTPError as error:
            status, kind, data = error.code, error.headers.get("Content-Type", "text/plain"), error.read()
        except OSError as error:  # the server behind went away (a stalled request outlived the module)
            status, kind, data = 502, "text/plain", str(error).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client stopped waiting (the slow-store test)
            pass

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def proxy(oxigraph) -> Iterator[Proxy]:
    server = Proxy(oxigraph)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def remote_app(proxy):
    app = create_app({"TESTING": True, "STORE": "sparql:" + proxy.url, "QUERY_WORKERS": 2, "QUERY_TIMEOUT": 10})
    yield app
    app.extensions["lineage"].close()


@pytest.fixture(scope="module")
def folder_app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bigbuild") / "store"
    report = store.build(folder)
    assert report.stored, report.summary()
    app = create_app({"TESTING": True, "STORE": str(folder), "QUERY_WORKERS": 2, "QUERY_TIMEOUT": 10})
    yield app
    app.extensions["lineage"].close()


@pytest.fixture(autouse=True)
def healthy_proxy(request):
    """Every test starts with a proxy that forwards at once."""
    if "proxy" in request.fixturenames:
        proxy = request.getfixturevalue("proxy")
        proxy.delay, proxy.fail = 0.0, None


@pytest.fixture(params=["remote", "folder"])
def served(request):
    """A client of the app over each kind of store."""
    return request.getfixturevalue(f"{request.param}_app").test_client()


# -- comparing answers ---------------------------------------------------------------------------------

JSON = "application/sparql-results+json"


def answer(client, path: str, **params) -> Result | Graph:
    """The answer to a GET, parsed: a SPARQL result (SELECT, ASK) or a graph (CONSTRUCT, DESCRIBE)."""
    response = client.get(path, query_string=params, headers={"Accept": f"{JSON}, application/n-triples;q=0.9"})
    assert response.status_code == 200, response.get_data(as_text=True)
    if response.mimetype == JSON:
        return Result.parse(source=io.BytesIO(response.data), format="json")
    return Graph().parse(data=response.data, format="nt")


def same(local: Result | Graph, remote: Result | Graph) -> bool:
    if isinstance(local, Graph):
        return isinstance(remote, Graph) and len(local) == len(remote) and isomorphic(local, remote)
    if local.type == "ASK":
        return remote.type == "ASK" and local.askAnswer == remote.askAnswer

    def rows(result: Result) -> Counter:
        return Counter(tuple(unordered(value) for value in row) for row in result)

    return list(local.vars) == list(remote.vars) and rows(local) == rows(remote)


def unordered(value):
    """A ``GROUP_CONCAT(…; separator=", ")`` value as the set of its parts: SPARQL leaves their order open."""
    if isinstance(value, Literal) and ", " in value:
        return frozenset(str(value).split(", "))
    return value


@pytest.mark.parametrize("name", sorted(SAVED))
def test_saved_queries_answer_as_the_local_graph_does(name, client, served):
    examples = {p.name: p.example for p in SAVED[name].params if p.example}
    local = answer(client, f"/queries/{name}", **examples)
    assert same(local, answer(served, f"/queries/{name}", **examples))


GRAPH_DATA = "https://w3id.org/model-lineage/graph/data/openai"
PROTOCOL = [
    ({"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"}),
    ({"query": "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"}),
    ({"query": "ASK { model:chatgpt lin:descendantOf model:unidentified-gpt-3-family-model }"}),
    ({"query": "CONSTRUCT WHERE { model:chatgpt ?p ?o }"}),
    ({"query": "DESCRIBE model:chatgpt"}),
    ({"query": "SELECT ?p ?o WHERE { model:chatgpt ?p ?o }", "default-graph-uri": str(GRAPH_INFERRED)}),
    ({"query": "SELECT ?g ?o WHERE { GRAPH ?g { model:chatgpt ?p ?o } }", "named-graph-uri": str(GRAPH_INFERRED)}),
    ({"query": "SELECT ?s WHERE { ?s a lin:Model }", "default-graph-uri": GRAPH_DATA}),
    ({"query": f"SELECT ?o FROM <{GRAPH_INFERRED}> WHERE {{ model:chatgpt lin:descendantOf ?o }}"}),
    ({"query": f"SELECT ?g ?o FROM NAMED <{GRAPH_INFERRED}> WHERE {{ GRAPH ?g {{ model:chatgpt ?p ?o }} }}"}),
    ({"query": "SELECT ?x WHERE { BIND(<relative> AS ?x) }"}),
]


@pytest.mark.parametrize("params", PROTOCOL, ids=range(len(PROTOCOL)))
def test_protocol_queries_answer_as_the_local_graph_does(params, client, served):
    local = answer(client, "/sparql", **params)
    assert len(local) > 0 or getattr(local, "type", "") == "ASK"
    assert same(local, answer(served, "/sparql", **params))


def test_service_is_refused_and_never_reaches_the_store(remote_app, proxy):
    before = len(proxy.seen)
    query = "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }"
    response = remote_app.test_client().get("/sparql", query_string={"query": query})
    assert response.status_code == 400
    assert "SERVICE" in response.get_data(as_text=True)
    assert len(proxy.seen) == before


def test_a_graph_not_ours_is_refused_before_the_store_is_asked(remote_app, proxy):
    before = len(proxy.seen)
    params = {"query": "SELECT * WHERE { ?s ?p ?o }", "default-graph-uri": "http://example.org/elsewhere"}
    response = remote_app.test_client().get("/sparql", query_string=params)
    assert response.status_code == 400
    assert len(proxy.seen) == before


def test_a_slow_store_gives_503_after_the_time_limit(remote_app, proxy):
    proxy.delay = 3.0
    started = time.monotonic()
    response = remote_app.test_client().get("/sparql", query_string={"query": "ASK { ?s ?p ?o }", "timeout": "0.5"})
    assert response.status_code == 503
    assert "time limit of 0.5 s" in response.get_data(as_text=True)
    assert time.monotonic() - started < 2.5


def test_a_failing_store_gives_502_with_its_message(remote_app, proxy):
    proxy.fail = 500
    response = remote_app.test_client().get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"})
    assert response.status_code == 502
    text = response.get_data(as_text=True)
    assert "answered 500" in text and "out of order today" in text


def test_a_store_that_is_down_gives_502_saying_so(remote_app):
    backend = remote_app.extensions["lineage"].backend
    assert isinstance(backend, RemoteBackend)
    url, backend.url = backend.url, f"http://127.0.0.1:{free_port()}/query"
    try:
        response = remote_app.test_client().get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"})
    finally:
        backend.url = url
    assert response.status_code == 502
    assert "cannot reach the SPARQL store" in response.get_data(as_text=True)


def test_serving_a_store_that_is_down_fails_at_start_saying_so():
    with pytest.raises(BackendError, match="cannot reach the SPARQL store"):
        create_app({"TESTING": True, "STORE": f"sparql:http://127.0.0.1:{free_port()}/query", "QUERY_WORKERS": 0})


# -- pages -----------------------------------------------------------------------------------------------


def test_chatgpt_page_shows_its_ancestors_down_to_gpt_3_and_the_diagram(client, served):
    pages = [c.get("/model/chatgpt", headers={"Accept": "text/html"}) for c in (client, served)]
    assert [p.status_code for p in pages] == [200, 200]
    local, page = (p.get_data(as_text=True) for p in pages)
    assert "<svg" in page and 'href="/model/unidentified-gpt-3-family-model"' in page
    assert page.count('href="/model/') == local.count('href="/model/')
    svg = lambda text: text[text.index("<svg") : text.index("</svg>")]  # noqa: E731
    assert svg(page) == svg(local)


@pytest.mark.parametrize("inferred", ["true", "false"])
def test_description_of_chatgpt_is_the_local_one(client, served, inferred):
    local, remote = Dataset(), Dataset()
    for dataset, c in ((local, client), (remote, served)):
        response = c.get("/model/chatgpt.nq", query_string={"inferred": inferred})
        assert response.status_code == 200
        with quiet_dataset_deprecations():
            dataset.parse(data=response.data, format="nquads")
    names = {g.identifier for g in local.graphs() if len(g)}
    assert names == {g.identifier for g in remote.graphs() if len(g)}
    for name in names:
        assert isomorphic(local.graph(name), remote.graph(name)), name
    turtle = [Graph().parse(data=c.get("/model/chatgpt.ttl").data, format="turtle") for c in (client, served)]
    assert isomorphic(*turtle)


def test_index_and_search_find_the_models_the_local_app_finds(client, served):
    for c in (client, served):
        assert c.get("/", headers={"Accept": "text/html"}).status_code == 200
    local = client.get("/", query_string={"q": "llama"}, headers={"Accept": "text/html"}).get_data(as_text=True)
    found = served.get("/", query_string={"q": "llama"}, headers={"Accept": "text/html"}).get_data(as_text=True)
    section = lambda page: page.split('id="search-results"')[1].split("</section>")[0]  # noqa: E731
    assert section(local) == section(found)


def test_void_counts_are_the_local_ones(client, served):
    local = Graph().parse(data=client.get("/.well-known/void.ttl").data, format="turtle")
    remote = Graph().parse(data=served.get("/.well-known/void.ttl").data, format="turtle")

    def counts(graph: Graph) -> list[tuple[str, int]]:
        return sorted((str(s), int(o)) for s, o in graph.subject_objects(VOID.triples))

    assert counts(local) == counts(remote)


def test_the_whole_graph_document_is_refused_clearly(served):
    response = served.get("/graph", headers={"Accept": "text/turtle"})
    assert response.status_code == 501
    assert "/sparql" in response.get_data(as_text=True)


def test_explain_works_from_the_store(client, served):
    params = {"model": "chatgpt", "ancestor": "unidentified-gpt-3-family-model", "format": "json"}
    assert json.loads(served.get("/explain", query_string=params).data) == json.loads(
        client.get("/explain", query_string=params).data
    )


def test_names_resolve_through_the_store(served):
    response = served.get("/queries/ancestors", query_string={"model": "ChatGPT"}, headers={"Accept": "text/csv"})
    assert response.status_code == 200
    assert str(GPT3_FAMILY) in response.get_data(as_text=True)
    response = served.get("/queries/ancestors", query_string={"model": "chatgp"}, headers={"Accept": "text/csv"})
    assert response.status_code == 400
    assert "chatgpt" in response.get_data(as_text=True)


def test_health_says_what_is_served(served):
    health = json.loads(served.get("/health").data)
    assert health["status"] == "ok" and health["triples"] > 3000 and health["graphs"] >= 3
