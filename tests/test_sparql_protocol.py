"""The SPARQL 1.1 Protocol query operation at /sparql: forms, dataset, negotiation, errors, saved queries.

Every answer with a body in an RDF or SPARQL results format is parsed back by rdflib's parsers.
Queries run in the app's worker processes, exactly as in production.
"""

from __future__ import annotations

import html
import io
import json
import warnings

import pytest
from rdflib import RDF, RDFS, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.query import Result

from lineage.namespaces import GRAPH_INFERRED, GRAPH_ONTOLOGY, LIN, MODEL, data_graph_iri
from lineage.query import saved as queries
from lineage.query.engine import DatasetView
from lineage.web import create_app

GPT3_FAMILY = MODEL["unidentified-gpt-3-family-model"]  # what ChatGPT descends from: "a GPT-3 model"

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = Namespace("http://rdfs.org/ns/void#")
META = data_graph_iri("meta")
OPENAI = data_graph_iri("openai")

SELECT = "SELECT ?m ?label WHERE { ?m a lin:Model ; rdfs:label ?label } ORDER BY ?m LIMIT 5"
ASK = "ASK { model:chatgpt lin:descendantOf model:unidentified-gpt-3-family-model }"
CONSTRUCT = "CONSTRUCT { ?m lin:descendantOf ?a } WHERE { ?m lin:descendantOf ?a } LIMIT 10"
DESCRIBE = "DESCRIBE model:chatgpt"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"

RESULT_PARSERS = {
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
    "application/json": "json",
}
RDF_PARSERS = {
    "text/turtle": "turtle",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
    "application/n-triples": "nt",
    "application/n-quads": "nquads",
    "application/trig": "trig",
}


def send(client, how: str, query: str | None = None, accept: str | None = None, **params):
    """A protocol request: ``get``, ``form`` (POST url-encoded) or ``direct`` (POST application/sparql-query)."""
    headers = {"Accept": accept} if accept else {}
    if how == "get":
        return client.get("/sparql", query_string={**params, **({"query": query} if query else {})}, headers=headers)
    if how == "form":
        return client.post("/sparql", data={"query": query, **params}, headers=headers)
    if how == "direct":
        return client.post(
            "/sparql",
            data=query.encode(),
            content_type="application/sparql-query",
            query_string=params,
            headers=headers,
        )
    raise ValueError(how)


def parsed(response):
    """The body parsed by a real parser chosen by the Content-Type: a Result, a Graph or a Dataset."""
    media = response.mimetype
    if media in RESULT_PARSERS:
        return Result.parse(io.BytesIO(response.data), format=RESULT_PARSERS[media])
    assert media in RDF_PARSERS, f"unexpected Content-Type {response.content_type}"
    target = Dataset() if media in ("application/n-quads", "application/trig") else Graph()
    with warnings.catch_warnings():
        # rdflib's own parsers call APIs rdflib deprecates (ConjunctiveGraph, Dataset.default_context).
        warnings.filterwarnings(
            "ignore", "(ConjunctiveGraph|Dataset.default_context) is deprecated", DeprecationWarning
        )
        target.parse(data=response.data, format=RDF_PARSERS[media])
    return target


def triples(graph: Graph) -> set:
    if isinstance(graph, Dataset):
        return {(s, p, o) for s, p, o, _g in graph.quads((None, None, None, None))}
    return set(graph)


def count(response) -> int:
    assert response.status_code == 200, response.data
    return int(next(iter(parsed(response)))[0])


# -- the app factory ----------------------------------------------------------------------------------


def test_create_app_takes_env_then_test_config(monkeypatch, built):
    monkeypatch.setenv("LINEAGE_QUERY_TIMEOUT", "7")
    monkeypatch.setenv("LINEAGE_RESULT_LIMIT", "123")
    app = create_app({"GRAPH": built, "QUERY_WORKERS": 0, "RESULT_LIMIT": 5})
    try:
        assert app.config["QUERY_TIMEOUT"] == 7.0  # from LINEAGE_QUERY_TIMEOUT
        assert app.config["RESULT_LIMIT"] == 5  # test_config wins over the environment
        assert app.extensions["lineage"].graph is built
        response = app.test_client().get("/sparql", query_string={"query": SELECT})
        assert response.status_code == 200  # QUERY_WORKERS = 0: evaluated in the request thread
        assert len(parsed(response)) == 5
    finally:
        app.extensions["lineage"].close()


@pytest.mark.parametrize("setting, value", [("QUERY_TIMEOUT", "soon"), ("QUERY_TIMEOUT", 0), ("RESULT_LIMIT", -1)])
def test_create_app_refuses_bad_settings(built, setting, value):
    with pytest.raises(ValueError, match=setting):
        create_app({"GRAPH": built, "QUERY_WORKERS": 0, setting: value})


def test_serve_command_runs_waitress_over_the_built_graph(monkeypatch, built):
    import waitress
    from click.testing import CliRunner

    from lineage import cli
    from lineage.cli import serve

    served = {}

    def fake_serve(app, **options):
        served.update(options, app=app)
        served["health"] = app.test_client().get("/health").json

    monkeypatch.setattr(serve, "load_graph", lambda *args, **kwargs: built)
    monkeypatch.setattr(waitress, "serve", fake_serve)
    result = CliRunner().invoke(cli.main, ["serve", "--port", "5999", "--host", "127.0.0.1"])
    assert result.exit_code == 0, result.output
    assert (served["host"], served["port"]) == ("127.0.0.1", 5999)
    assert served["health"]["triples"] == len(built.dataset)
    assert served["app"].extensions["lineage"].pool.alive() == 0  # workers stopped when serving ends


def test_health(client, built):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json["status"] == "ok"
    assert response.json["triples"] == len(built.dataset)
    assert response.json["workers"] == 3


# -- the protocol table -------------------------------------------------------------------------------

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

CASES = [
    # (how, query, accept, params) -> (status, media type)
    ("get", SELECT, None, {}, 200, "application/sparql-results+json"),
    ("get", SELECT, "*/*", {}, 200, "application/sparql-results+json"),
    ("get", SELECT, BROWSER, {}, 200, "text/html"),  # a browser: the query page, the query in its editor
    ("get", SELECT, BROWSER, {"format": "json"}, 200, "application/sparql-results+json"),
    ("get", SELECT, "application/sparql-results+xml", {}, 200, "application/sparql-results+xml"),
    ("get", SELECT, "text/csv", {}, 200, "text/csv"),
    ("get", SELECT, "text/tab-separated-values", {}, 200, "text/tab-separated-values"),
    ("get", SELECT, "text/csv;q=0.5, application/sparql-results+xml", {}, 200, "application/sparql-results+xml"),
    ("get", SELECT, "text/*", {}, 200, "text/csv"),
    ("get", SELECT, "application/json", {}, 200, "application/json"),
    ("get", SELECT, "text/csv", {"format": "json"}, 200, "application/sparql-results+json"),
    ("get", SELECT, None, {"format": "tsv"}, 200, "text/tab-separated-values"),
    ("get", SELECT, None, {"format": "text/csv"}, 200, "text/csv"),
    ("get", SELECT, "image/png", {}, 406, "text/plain"),
    ("get", SELECT, None, {"format": "turtle"}, 406, "text/plain"),
    ("form", SELECT, None, {}, 200, "application/sparql-results+json"),
    ("form", SELECT, "application/sparql-results+xml", {}, 200, "application/sparql-results+xml"),
    ("form", SELECT, None, {"format": "csv"}, 200, "text/csv"),
    ("direct", SELECT, None, {}, 200, "application/sparql-results+json"),
    ("direct", SELECT, "text/tab-separated-values", {}, 200, "text/tab-separated-values"),
    ("get", ASK, None, {}, 200, "application/sparql-results+json"),
    ("get", ASK, "application/sparql-results+xml", {}, 200, "application/sparql-results+xml"),
    ("form", ASK, "application/sparql-results+xml", {}, 200, "application/sparql-results+xml"),
    ("get", ASK, "text/csv", {}, 406, "text/plain"),
    ("get", ASK, "text/tab-separated-values", {}, 406, "text/plain"),
    ("get", ASK, "text/csv, */*;q=0.1", {}, 200, "application/sparql-results+json"),
    ("get", CONSTRUCT, None, {}, 200, "text/turtle"),
    ("get", CONSTRUCT, BROWSER, {}, 200, "text/html"),
    ("get", CONSTRUCT, BROWSER, {"format": "ttl"}, 200, "text/turtle"),
    *[("get", CONSTRUCT, media, {}, 200, media) for media in RDF_PARSERS],
    ("form", CONSTRUCT, "application/n-quads", {}, 200, "application/n-quads"),
    ("direct", CONSTRUCT, "application/trig", {}, 200, "application/trig"),
    ("get", CONSTRUCT, "text/turtle", {"format": "jsonld"}, 200, "application/ld+json"),
    ("get", CONSTRUCT, None, {"format": "xml"}, 200, "application/rdf+xml"),
    ("get", CONSTRUCT, "application/sparql-results+json", {}, 406, "text/plain"),
    ("get", CONSTRUCT, None, {"format": "csv"}, 406, "text/plain"),
    ("get", DESCRIBE, None, {}, 200, "text/turtle"),
    ("direct", DESCRIBE, "application/n-triples", {}, 200, "application/n-triples"),
]


@pytest.mark.parametrize(
    "how, query, accept, params, status, media",
    [pytest.param(*case, id=f"{case[0]}-{case[1].split()[0]}-{case[2] or '-'}-{case[3] or ''}") for case in CASES],
)
def test_protocol(client, how, query, accept, params, status, media):
    response = send(client, how, query, accept, **params)
    assert (response.status_code, response.mimetype) == (status, media), response.data
    assert "Accept" in response.vary
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    if status != 200:
        return
    if media == "text/html":
        assert html.escape(query, quote=False) in response.get_data(as_text=True)
        return
    answer = parsed(response)
    form = query.split()[0]
    if form == "SELECT":
        assert len(answer) == 5
        rows = list(answer)
        assert all(str(row[0]).startswith(str(MODEL)) for row in rows)
        assert [str(row[0]) for row in rows] == sorted(str(row[0]) for row in rows)
    elif form == "ASK":
        assert answer.askAnswer is True
    elif form == "CONSTRUCT":
        found = triples(answer)
        assert len(found) == 10
        assert {p for _s, p, _o in found} == {LIN.descendantOf}
    else:
        assert (MODEL.chatgpt, RDF.type, LIN.Model) in triples(answer)


def test_406_lists_what_is_offered(client):
    response = send(client, "get", SELECT, "image/png")
    assert response.status_code == 406
    text = response.get_data(as_text=True)
    for media in RESULT_PARSERS:
        assert media in text


def test_direct_post_honours_charset(client):
    query = 'SELECT ?m WHERE { ?m rdfs:label "Vicuña-nonexistent" } '
    for charset in ("utf-16", "iso-8859-1"):
        response = client.post(
            "/sparql", data=query.encode(charset), content_type=f"application/sparql-query; charset={charset}"
        )
        assert response.status_code == 200, response.data
        assert len(parsed(response)) == 0
    wrong = client.post(
        "/sparql", data="SELECT * { ?s ?p ?o }".encode("utf-16"), content_type="application/sparql-query"
    )
    assert wrong.status_code == 400  # UTF-16 bytes read as UTF-8


def test_prefixes_of_the_project_are_predeclared(client):
    declared = send(client, "get", f"PREFIX lin: <{LIN}> PREFIX model: <{MODEL}> " + ASK)
    assert parsed(declared).askAnswer is True
    assert parsed(send(client, "get", ASK)).askAnswer is True


def test_select_results_hold_the_right_terms(client):
    query = (
        "SELECT ?m ?label ?none WHERE { BIND(model:chatgpt AS ?m) ?m rdfs:label ?label "
        "OPTIONAL { ?m lin:nothing ?none } }"
    )
    expected = [(MODEL.chatgpt, Literal("ChatGPT (research release)", lang="en"), None)]
    for accept in RESULT_PARSERS:
        rows = [tuple(row) for row in parsed(send(client, "get", query, accept))]
        if accept == "text/csv":  # CSV keeps values, not term kinds or language tags
            expected_csv = [(URIRef(MODEL.chatgpt), Literal("ChatGPT (research release)"), None)]
            assert [(URIRef(r[0]), Literal(str(r[1])), r[2]) for r in rows] == expected_csv
        else:
            assert rows == expected, accept


def test_tsv_escapes_terms():
    from lineage.formats.conneg import _tsv

    result = Result("SELECT")
    from rdflib import Variable

    result.vars = [Variable("x"), Variable("y")]
    result.bindings = [{Variable("x"): Literal("a\tb\nc"), Variable("y"): URIRef("http://example.org/")}]
    back = list(Result.parse(io.BytesIO(_tsv(result)), format="tsv"))
    assert back[0][0] == Literal("a\tb\nc")
    assert back[0][1] == URIRef("http://example.org/")


def test_json_ld_has_an_inline_context(client):
    response = send(client, "get", CONSTRUCT, "application/ld+json")
    document = json.loads(response.data)
    assert isinstance(document["@context"], dict)  # never a URL a reader would have to fetch
    assert document["@context"]["lin"] == str(LIN)


# -- the dataset: union by default, protocol parameters, FROM / FROM NAMED ----------------------------


def test_default_graph_is_the_union(client, built):
    assert count(send(client, "get", COUNT)) == len(built.dataset)


def test_named_graphs_are_reachable_with_graph(client, built):
    response = send(client, "get", "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    counts = {row[0]: int(row[1]) for row in parsed(response)}
    expected = {
        g.identifier: len(g) for g in built.dataset.graphs() if len(g) and g.identifier != DATASET_DEFAULT_GRAPH_ID
    }
    assert counts == expected
    assert {GRAPH_ONTOLOGY, GRAPH_INFERRED, META, OPENAI} <= set(counts)


@pytest.mark.parametrize("how", ["get", "form", "direct"])
def test_default_graph_uri(client, built, how):
    one = send(client, how, COUNT, **{"default-graph-uri": str(META)})
    assert count(one) == len(built.dataset.graph(META))
    merged = client.get(
        "/sparql", query_string=[("query", COUNT), ("default-graph-uri", str(META)), ("default-graph-uri", str(OPENAI))]
    )
    assert count(merged) == len(built.dataset.graph(META)) + len(built.dataset.graph(OPENAI))


def test_named_graph_uri_only_leaves_the_default_graph_empty(client):
    params = [("named-graph-uri", str(META)), ("named-graph-uri", str(GRAPH_ONTOLOGY))]
    assert count(client.get("/sparql", query_string=[("query", COUNT), *params])) == 0
    response = client.get("/sparql", query_string=[("query", "SELECT DISTINCT ?g { GRAPH ?g { ?s ?p ?o } }"), *params])
    assert {row[0] for row in parsed(response)} == {META, GRAPH_ONTOLOGY}
    response = client.get("/sparql", query_string=[("query", f"ASK {{ GRAPH <{OPENAI}> {{ ?s ?p ?o }} }}"), *params])
    assert parsed(response).askAnswer is False  # not among the named graphs of this request


def test_from_and_from_named_select_graphs_of_the_dataset(client, built):
    assert count(send(client, "get", f"SELECT (COUNT(*) AS ?n) FROM <{META}> WHERE {{ ?s ?p ?o }}")) == len(
        built.dataset.graph(META)
    )
    query = f"SELECT DISTINCT ?g FROM NAMED <{OPENAI}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    assert {row[0] for row in parsed(send(client, "get", query))} == {OPENAI}


def test_a_parsed_query_is_kept_and_keeps_its_from_clause(app, client, built):
    """Workers keep the algebra of recent texts: choosing the dataset must not consume FROM."""
    from lineage.query.engine import Job, choose_dataset, parse

    engine = app.extensions["lineage"].engine
    text = f"SELECT * FROM <{META}> WHERE {{ ?s ?p ?o }}"
    query = parse(text)
    assert parse(text) is query
    for _ in range(2):
        assert choose_dataset(engine, query, Job(media={}, timeout=1, limit=1)) == ([META], [])
    assert [d["default"] for d in query.algebra["datasetClause"]] == [META]
    counted = f"SELECT (COUNT(*) AS ?n) FROM <{META}> WHERE {{ ?s ?p ?o }}"
    for _ in range(2):  # the second answer comes from the kept algebra
        assert count(send(client, "get", counted)) == len(built.dataset.graph(META))


def test_protocol_dataset_overrides_from(client, built):
    query = f"SELECT (COUNT(*) AS ?n) FROM <{OPENAI}> WHERE {{ ?s ?p ?o }}"
    assert count(send(client, "get", query, **{"default-graph-uri": str(META)})) == len(built.dataset.graph(META))


@pytest.mark.parametrize(
    "params",
    [
        {"default-graph-uri": "https://example.org/not-ours"},
        {"named-graph-uri": "https://example.org/not-ours"},
        {"query": f"SELECT * FROM <{MODEL}nope> WHERE {{ ?s ?p ?o }}"},
    ],
)
def test_unknown_graphs_are_refused(client, params):
    query = params.pop("query", COUNT)
    response = send(client, "get", query, **params)
    assert response.status_code == 400
    assert "not a graph of this dataset" in response.get_data(as_text=True)


def test_dataset_view_merges_without_duplicates_and_copies_nothing():
    base = Dataset()
    a, b, c = (URIRef(f"https://example.org/{x}") for x in "abc")
    shared = (a, RDFS.label, Literal("shared"))
    base.graph(a).add(shared)
    base.graph(b).add(shared)
    base.graph(b).add((b, RDFS.label, Literal("only in b")))
    base.graph(c).add((c, RDFS.label, Literal("only in c")))
    view = DatasetView(base.store, named=[c], default=[a, b])
    assert len(view) == 2  # the shared triple counted once
    assert view.store is base.store
    assert [g.identifier for g in view.graphs()] == [c]
    assert len(view.get_context(a)) == 0  # not a named graph of the view
    result = view.query("SELECT ?g ?o WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert [(row[0], str(row[1])) for row in result] == [(c, "only in c")]
    with pytest.raises(Exception):  # noqa: B017 - rdflib's ModificationException
        view.add((a, RDFS.label, Literal("x")))
    assert len(base.graph(a)) == 1


# -- the service description --------------------------------------------------------------------------


def test_service_description(client, built):
    response = client.get("/sparql")
    assert response.status_code == 200
    assert response.mimetype == "text/turtle"
    graph = Graph().parse(data=response.data, format="turtle")
    service = URIRef("http://localhost/sparql")
    assert (service, RDF.type, SD.Service) in graph
    assert (service, SD.endpoint, service) in graph
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in graph
    assert len(set(graph.objects(service, SD.resultFormat))) == 10
    dataset = graph.value(service, SD.defaultDataset)
    default = graph.value(dataset, SD.defaultGraph)
    assert int(graph.value(default, VOID.triples)) == len(built.dataset)
    named = {
        graph.value(n, SD.name): int(graph.value(graph.value(n, SD.graph), VOID.triples))
        for n in graph.objects(dataset, SD.namedGraph)
    }
    assert named[META] == len(built.dataset.graph(META))
    assert named[GRAPH_INFERRED] == len(built.dataset.graph(GRAPH_INFERRED))
    assert GRAPH_ONTOLOGY in named


@pytest.mark.parametrize(
    "accept, media",
    [
        ("application/rdf+xml", "application/rdf+xml"),
        ("application/ld+json", "application/ld+json"),
        ("application/n-quads", "application/n-quads"),
    ],
)
def test_service_description_is_negotiated(client, accept, media):
    response = client.get("/sparql", headers={"Accept": accept})
    assert response.mimetype == media
    assert triples(parsed(response))


def test_service_description_406(client):
    response = client.get("/sparql", headers={"Accept": "text/csv"})
    assert response.status_code == 406
    assert "text/turtle" in response.get_data(as_text=True)


# -- errors -------------------------------------------------------------------------------------------


def test_malformed_query_reports_line_and_column(client):
    response = send(client, "get", "SELECT * WHERE {\n  ?s ?p ?o .\n  FILTER(\n}", "application/json")
    assert response.status_code == 400
    assert response.mimetype == "application/json"
    body = response.json
    assert (body["status"], body["error"]) == (400, "Bad Request")
    assert (body["line"], body["column"]) == (4, 1)  # the brace that closes while FILTER's bracket is open
    assert "at line 4, column 1: '}' here, but the '(' opened at line 3, column 9 is not closed" in body["message"]


def test_errors_are_short_text_by_default(client):
    response = send(client, "get", "SELECT ?x WHERE { ?x }")
    assert response.status_code == 400
    assert response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert text.startswith("400 Bad Request: malformed query at line 1")
    assert text.count("\n") == 1


@pytest.mark.parametrize(
    "request_kwargs, status",
    [
        ({"method": "POST", "data": b"query=x", "content_type": "text/plain"}, 415),
        ({"method": "POST", "data": {"query": "ASK {}"}, "content_type": "multipart/form-data"}, 415),
        ({"method": "POST", "data": b"ASK {}"}, 415),
        ({"method": "POST", "data": b"ASK {}", "content_type": "application/sparql-query; charset=klingon"}, 415),
        ({"method": "POST", "data": b"", "content_type": "application/sparql-query"}, 400),
        ({"method": "POST", "data": {"default-graph-uri": str(META)}}, 400),
        ({"method": "GET", "query_string": "query="}, 400),
        ({"method": "GET", "query_string": "query=ASK{}&query=ASK{}"}, 400),
        ({"method": "GET", "query_string": "query=ASK{}&timeout=soon"}, 400),
        ({"method": "GET", "query_string": "query=ASK{}&timeout=-1"}, 400),
        ({"method": "PUT", "data": b"ASK {}", "content_type": "application/sparql-query"}, 405),
        ({"method": "DELETE"}, 405),
    ],
)
def test_request_errors(client, request_kwargs, status):
    response = client.open("/sparql", **request_kwargs)
    assert response.status_code == status, response.data
    assert response.mimetype == "text/plain"
    assert response.get_data(as_text=True).startswith(f"{status} ")


def test_unknown_path_is_404(client):
    response = client.get("/no/such/thing")
    assert response.status_code == 404
    assert response.get_data(as_text=True).startswith("404 Not Found")
    assert client.get("/no/such/thing", headers={"Accept": "application/json"}).json["status"] == 404


# -- CORS ---------------------------------------------------------------------------------------------


def test_cors_on_get_post_and_preflight(client):
    assert send(client, "get", ASK).headers["Access-Control-Allow-Origin"] == "*"
    assert send(client, "form", ASK).headers["Access-Control-Allow-Origin"] == "*"
    preflight = client.options(
        "/sparql",
        headers={
            "Origin": "https://example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "content-type" in preflight.headers["Access-Control-Allow-Headers"].lower()


# -- saved queries ------------------------------------------------------------------------------------


def test_list_saved_queries(client):
    response = client.get("/queries")
    assert response.status_code == 200
    listed = {entry["name"]: entry for entry in response.json}
    saved = queries.load_all()
    assert set(listed) == set(saved)
    for name, query in saved.items():
        assert listed[name]["summary"] == query.summary
        assert [p["name"] for p in listed[name]["params"]] == [p.name for p in query.params]
        assert listed[name]["tags"] == query.tags
    assert client.get("/queries", headers={"Accept": "text/csv"}).status_code == 406


@pytest.mark.parametrize("accept", [None, "text/csv", "application/sparql-results+xml"])
def test_run_saved_query_with_a_parameter(client, accept):
    response = client.get(
        "/queries/ancestors", query_string={"model": "chatgpt"}, headers={"Accept": accept} if accept else {}
    )
    assert response.status_code == 200, response.data
    result = parsed(response)
    values = {term for row in result for term in row}
    assert any(str(term) == str(GPT3_FAMILY) for term in values)


def test_run_saved_ask_query(client):
    response = client.get("/queries/is-chatgpt-descended-from-gpt-3")
    assert response.status_code == 200, response.data
    assert isinstance(parsed(response).askAnswer, bool)


@pytest.mark.parametrize(
    "path, params, status, needle",
    [
        ("/queries/no-such-query", {}, 404, "no-such-query"),
        ("/queries/ancestors", {}, 400, "model"),
        ("/queries/ancestors", {"model": "no-such-model-at-all"}, 400, "model"),
        ("/queries/ancestors", {"model": "chatgpt", "colour": "blue"}, 400, "colour"),
        ("/queries/ancestors", {"model": "chatgpt", "format": "turtle"}, 406, "offered"),
    ],
)
def test_saved_query_errors(client, path, params, status, needle):
    response = client.get(path, query_string=params)
    assert response.status_code == status
    assert needle in response.get_data(as_text=True)


@pytest.mark.parametrize("modifiers", ["LIMIT 3", "ORDER BY ?s LIMIT 3", "OFFSET 2 LIMIT 3"])
def test_construct_where_with_solution_modifiers(client, modifiers):
    """The short form CONSTRUCT WHERE takes its template from its pattern, whatever modifiers follow."""
    query = f"CONSTRUCT WHERE {{ ?s lin:descendantOf model:unidentified-gpt-3-family-model }} {modifiers}"
    response = client.get("/sparql", query_string={"query": query, "format": "nt"})
    assert response.status_code == 200, response.data
    found = parsed(response)
    answer = triples(found)
    assert len(answer) == 3
    assert all(p == LIN.descendantOf and o == GPT3_FAMILY for _s, p, o in answer)


def test_service_description_links_the_void_description(client):
    """The default dataset of the service description is the dataset VoID describes, and says where."""
    from rdflib.namespace import VOID

    described = parsed(client.get("/sparql", headers={"Accept": "text/turtle"}))
    SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
    (dataset,) = set(described.objects(None, SD.defaultDataset))
    (void_url,) = set(described.objects(dataset, RDFS.seeAlso))
    void = client.get(str(void_url).replace("http://localhost", ""), headers={"Accept": "text/turtle"})
    assert void.status_code == 200
    assert (dataset, RDF.type, VOID.Dataset) in parsed(void)
