"""Real SPARQL clients against the live server over a real socket: SPARQLWrapper (Python) and Comunica (Node).

Answers are checked against the built graph itself (``built.union()`` read with rdflib, in this process),
so a client, the protocol and the server must all be right for a test to pass.

Comunica is an npm project in ``tests/clients`` (``package.json`` and its lock file pin it); CI installs
it with ``npm ci --prefix tests/clients`` before pytest. Without Node.js or without that install the
Comunica tests fail, saying what to run; they are never skipped.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import threading
import warnings
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.dom.minidom import Document

import pytest
from rdflib import RDF, RDFS, Graph, Literal, URIRef
from SPARQLWrapper import CSV, GET, JSON, JSONLD, N3, POST, POSTDIRECTLY, RDFXML, TSV, TURTLE, URLENCODED, XML
from SPARQLWrapper import SPARQLWrapper as Wrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from lineage.namespaces import LIN, MODEL

GPT3_FAMILY = MODEL["unidentified-gpt-3-family-model"]  # what ChatGPT descends from: "a GPT-3 model"

CLIENTS = Path(__file__).resolve().parent / "clients"
INSTALL = "npm ci --prefix tests/clients"

PREFIXES = f"PREFIX lin: <{LIN}>\nPREFIX model: <{MODEL}>\nPREFIX rdfs: <{RDFS}>\n"
SELECT = (
    PREFIXES
    + "SELECT ?ancestor ?label WHERE { model:chatgpt lin:descendantOf ?ancestor . ?ancestor rdfs:label ?label }"
)
ASK_TRUE = PREFIXES + "ASK { model:chatgpt lin:descendantOf model:unidentified-gpt-3-family-model }"
ASK_FALSE = PREFIXES + "ASK { model:unidentified-gpt-3-family-model lin:descendantOf model:chatgpt }"
CONSTRUCT = PREFIXES + "CONSTRUCT { model:chatgpt lin:descendantOf ?a } WHERE { model:chatgpt lin:descendantOf ?a }"
DESCRIBE = PREFIXES + "DESCRIBE model:chatgpt"

# (SPARQLWrapper's setMethod, setRequestMethod): GET, POST form-encoded, POST application/sparql-query.
METHODS = {"get": (GET, URLENCODED), "post-form": (POST, URLENCODED), "post-direct": (POST, POSTDIRECTLY)}


@pytest.fixture(scope="module")
def endpoint(live_server) -> str:
    host, port = live_server
    return f"http://{host}:{port}/sparql"


@pytest.fixture(scope="module")
def ancestors(built) -> set[URIRef]:
    """What the graph says ChatGPT descends from (unidentified-gpt-3-family-model among them), read in-process."""
    found = {a for a in built.union().objects(MODEL.chatgpt, LIN.descendantOf) if isinstance(a, URIRef)}
    assert GPT3_FAMILY in found
    return found


@pytest.fixture(scope="module")
def labels(built) -> dict[URIRef, Literal]:
    union = built.union()
    return {s: o for s, o in union.subject_objects(RDFS.label) if isinstance(s, URIRef) and isinstance(o, Literal)}


def descent(ancestors: set[URIRef]) -> set[tuple]:
    return {(MODEL.chatgpt, LIN.descendantOf, a) for a in ancestors}


# -- SPARQLWrapper ----------------------------------------------------------------------------------


def wrapper(endpoint: str, query: str, fmt: str, method: str = "get", only_conneg: bool = False) -> Wrapper:
    client = Wrapper(endpoint)
    client.setQuery(query)
    client.setReturnFormat(fmt)
    http_method, request_method = METHODS[method]
    client.setMethod(http_method)
    client.setRequestMethod(request_method)
    client.setOnlyConneg(only_conneg)
    return client


def rows_of(converted: object, fmt: str) -> list[dict[str, str]]:
    """SELECT rows as SPARQLWrapper hands them back: a JSON dict, an XML DOM, or CSV/TSV bytes."""
    if fmt == JSON:
        assert isinstance(converted, dict)
        return [{k: v["value"] for k, v in b.items()} for b in converted["results"]["bindings"]]
    if fmt == XML:
        assert isinstance(converted, Document)
        rows = []
        for result in converted.getElementsByTagName("result"):
            row = {}
            for binding in result.getElementsByTagName("binding"):
                term = next(n for n in binding.childNodes if n.nodeType == n.ELEMENT_NODE)
                row[binding.getAttribute("name")] = term.firstChild.data if term.firstChild else ""
            rows.append(row)
        return rows
    assert isinstance(converted, bytes)
    text = converted.decode("utf-8")
    if fmt == CSV:
        return list(csv.DictReader(io.StringIO(text)))
    header, *lines = text.splitlines()
    names = [name.lstrip("?") for name in header.split("\t")]
    return [{n: t.strip("<>") for n, t in zip(names, line.split("\t"), strict=True)} for line in lines]


def graph_of(converted: object) -> Graph:
    """A CONSTRUCT/DESCRIBE answer as SPARQLWrapper hands it back: Turtle bytes or an rdflib graph."""
    if isinstance(converted, bytes):
        return Graph().parse(data=converted, format="turtle")
    assert isinstance(converted, Graph)
    graph = Graph()
    for triple in converted.triples((None, None, None)):
        graph.add(triple)
    return graph


def converted(client: Wrapper) -> object:
    """``query().convert()``; SPARQLWrapper builds rdflib's deprecated ConjunctiveGraph for RDF/XML and JSON-LD."""
    result = client.query()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "ConjunctiveGraph is deprecated", DeprecationWarning)
        return result.convert()


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("fmt", [JSON, XML, CSV, TSV])
def test_sparqlwrapper_select(endpoint, ancestors, fmt, method):
    rows = rows_of(converted(wrapper(endpoint, SELECT, fmt, method)), fmt)
    assert {URIRef(row["ancestor"]) for row in rows} == ancestors
    assert "unidentified GPT-3 family model" in {row["label"].split('"')[1] if fmt == TSV else row["label"] for row in rows}


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("fmt", [JSON, XML])
def test_sparqlwrapper_ask(endpoint, fmt, method):
    answers = []
    for query in (ASK_TRUE, ASK_FALSE):
        answer = converted(wrapper(endpoint, query, fmt, method))
        if fmt == XML:
            assert isinstance(answer, Document)
            answers.append(answer.getElementsByTagName("boolean")[0].firstChild.data)
        else:
            assert isinstance(answer, dict)
            answers.append(answer["boolean"])
    assert answers == (["true", "false"] if fmt == XML else [True, False])


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("fmt", [TURTLE, RDFXML, N3, JSONLD])
def test_sparqlwrapper_construct(endpoint, ancestors, fmt, method):
    """Content negotiation alone (SPARQLWrapper's onlyConneg): the Accept header picks the syntax."""
    graph = graph_of(converted(wrapper(endpoint, CONSTRUCT, fmt, method, only_conneg=True)))
    assert set(graph) == descent(ancestors)


# SPARQLWrapper's default sends, besides Accept, ``format`` parameters of its own making: for RDF/XML
# ``format=rdf+xml&format=application/rdf+xml``, for N3 ``format=n3``, for JSON-LD
# ``format=json-ld&format=application/ld+json,application/x-json+ld``. Every value counts.


@pytest.mark.parametrize("fmt", [TURTLE, RDFXML, N3, JSONLD])
def test_sparqlwrapper_construct_with_its_format_parameters(endpoint, ancestors, fmt):
    graph = graph_of(converted(wrapper(endpoint, CONSTRUCT, fmt)))
    assert set(graph) == descent(ancestors)


@pytest.mark.parametrize("method", ["get", "post-direct"])
def test_sparqlwrapper_describe(endpoint, labels, method):
    graph = graph_of(converted(wrapper(endpoint, DESCRIBE, TURTLE, method)))
    assert (MODEL.chatgpt, RDF.type, LIN.Model) in graph
    assert (MODEL.chatgpt, RDFS.label, labels[MODEL.chatgpt]) in graph
    assert labels[MODEL.chatgpt].language == "en"


@pytest.mark.parametrize("method", METHODS)
def test_sparqlwrapper_syntax_error_is_query_bad_formed(endpoint, method):
    with pytest.raises(QueryBadFormed) as caught:
        wrapper(endpoint, PREFIXES + "SELECT ?x WHERE { ?x lin:descendantOf }", JSON, method).query()
    assert "malformed query at line 4" in str(caught.value)


# -- Comunica ---------------------------------------------------------------------------------------


def run_comunica(jobs: list[dict], clients: Path = CLIENTS) -> dict[str, dict[str, str]]:
    """Run ``jobs`` with ``tests/clients/comunica.mjs`` in one Node process: job name -> output or error."""
    node = shutil.which("node")
    if node is None:
        pytest.fail(f"Node.js is not installed: the Comunica tests need Node 20 or later; then run: {INSTALL}")
    if not (clients / "node_modules" / "@comunica" / "query-sparql").is_dir():
        pytest.fail(f"Comunica is not installed in {clients}/node_modules; run: {INSTALL}")
    done = subprocess.run(
        [node, str(clients / "comunica.mjs")],
        input=json.dumps(jobs),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


class Comunica:
    """Comunica's answers to this module's jobs, all run together when a test first asks for one."""

    def __init__(self, jobs: list[dict]):
        self.jobs = jobs
        self._answers: dict[str, dict[str, str]] | None = None

    def __call__(self, name: str) -> str:
        if self._answers is None:
            self._answers = run_comunica(self.jobs)
        answer = self._answers[name]
        assert "error" not in answer, f"Comunica failed on job {name}:\n{answer.get('error')}"
        return answer["output"]

    def results(self, name: str) -> dict:
        return json.loads(self(name))

    def rows(self, name: str) -> list[dict[str, dict]]:
        return self.results(name)["results"]["bindings"]


@pytest.fixture(scope="module")
def notes() -> Iterator[str]:
    """A second source for Comunica: one N-Triples document on a loopback HTTP server."""
    document = f'<{GPT3_FAMILY}> <http://example.org/note> "the GPT-3 base model" .\n'.encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            self.send_response(200)
            self.send_header("Content-Type", "application/n-triples")
            self.send_header("Content-Length", str(len(document)))
            self.end_headers()
            self.wfile.write(document)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/notes.nt"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


FEDERATED = PREFIXES + (
    "SELECT ?ancestor ?label ?note WHERE { model:chatgpt lin:descendantOf ?ancestor . "
    "?ancestor rdfs:label ?label . ?ancestor <http://example.org/note> ?note }"
)


@pytest.fixture(scope="module")
def comunica(endpoint, notes) -> Comunica:
    typed = {"type": "sparql", "value": endpoint}
    results, triples = "application/sparql-results+json", "application/n-triples"
    jobs = [
        ("select", [typed], SELECT, results),
        ("ask-true", [typed], ASK_TRUE, results),
        ("ask-false", [typed], ASK_FALSE, results),
        ("ask-long", [typed], ASK_TRUE + "# " + "long " * 1000 + "\n", results),  # too long for GET: POSTed
        ("construct", [typed], CONSTRUCT, triples),
        ("select-bare-url", [endpoint], SELECT, results),  # Comunica must find out what the URL is
        ("federated", [typed, notes], FEDERATED, results),
    ]
    return Comunica([{"name": n, "sources": s, "query": q, "mediaType": m} for n, s, q, m in jobs])


def test_comunica_select(comunica, ancestors, labels):
    rows = comunica.rows("select")
    assert {URIRef(row["ancestor"]["value"]) for row in rows} == ancestors
    for row in rows:
        label = labels[URIRef(row["ancestor"]["value"])]
        assert row["label"] == {"type": "literal", "value": str(label), "xml:lang": label.language}


def test_comunica_ask(comunica):
    assert comunica.results("ask-true")["boolean"] is True
    assert comunica.results("ask-false")["boolean"] is False
    assert comunica.results("ask-long")["boolean"] is True


def test_comunica_construct(comunica, ancestors):
    assert set(Graph().parse(data=comunica("construct"), format="nt")) == descent(ancestors)


def test_comunica_finds_the_endpoint_in_the_service_description(comunica, ancestors):
    """Given a bare URL, Comunica first GETs it as RDF, reads ``sd:endpoint`` there, then sends SPARQL."""
    assert {URIRef(row["ancestor"]["value"]) for row in comunica.rows("select-bare-url")} == ancestors


def test_comunica_federates_the_endpoint_with_another_source(comunica, labels):
    """Two sources: Comunica splits the query, probes our endpoint (COUNT, ASK) and joins what comes back."""
    rows = comunica.rows("federated")
    assert [(r["ancestor"]["value"], r["label"]["value"], r["note"]["value"]) for r in rows] == [
        (str(GPT3_FAMILY), str(labels[GPT3_FAMILY]), "the GPT-3 base model")
    ]


def test_comunica_missing_is_a_failure_that_says_what_to_run(tmp_path, monkeypatch):
    with pytest.raises(pytest.fail.Exception, match=f"Comunica is not installed .*; run: {INSTALL}"):
        run_comunica([], clients=tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(pytest.fail.Exception, match=f"Node.js is not installed.*; then run: {INSTALL}"):
        run_comunica([])
