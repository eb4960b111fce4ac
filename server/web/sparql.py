"""The SPARQL 1.1 Protocol query operation at ``/sparql``, the service description and the query page."""

from __future__ import annotations

import codecs
import contextlib
import math

from flask import Blueprint, current_app, request, url_for
from rdflib import RDF, RDFS, XSD, BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import VOID
from werkzeug.datastructures import CombinedMultiDict, MultiDict
from werkzeug.wrappers import Response

from lineage.formats import conneg
from lineage.namespaces import PREFIXES
from lineage.query import sandbox
from lineage.query.engine import Job, Reply, evaluate
from lineage.query.saved import QueryError, with_values
from lineage.stores.backend import deadline, to_rdflib
from lineage.web import render
from lineage.web.errors import http_error
from lineage.web.lanes import admission
from lineage.web.state import ServedState, current_state

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")


FORMATS = Namespace("http://www.w3.org/ns/formats/")


RESULT_FORMATS = {
    conneg.SPARQL_JSON.name: FORMATS.SPARQL_Results_JSON,
    conneg.SPARQL_XML.name: FORMATS.SPARQL_Results_XML,
    conneg.CSV.name: FORMATS.SPARQL_Results_CSV,
    conneg.TSV.name: FORMATS.SPARQL_Results_TSV,
    conneg.TURTLE.name: FORMATS.Turtle,
    conneg.RDF_XML.name: FORMATS.RDF_XML,
    conneg.JSON_LD.name: FORMATS["JSON-LD"],
    conneg.N_TRIPLES.name: FORMATS["N-Triples"],
    conneg.N_QUADS.name: FORMATS["N-Quads"],
    conneg.TRIG.name: FORMATS.TriG,
}


RESERVED_PARAMS = {"format", "timeout"}


TRUNCATED_HEADER = "X-Lineage-Truncated"


LIMIT_HEADER = "X-Lineage-Result-Limit"


bp = Blueprint("sparql", __name__)


_term = to_rdflib


def negotiate_all(params: MultiDict) -> dict[str, str | None]:
    fmt = params.getlist("format")
    chosen = {}
    for form, table in conneg.TABLES.items():
        media = conneg.negotiate(request.accept_mimetypes, table, fmt)
        chosen[form] = media.name if media else None
    return chosen


def time_limit(params: MultiDict) -> float:
    limit = float(current_app.config["QUERY_TIMEOUT"])
    raw = params.get("timeout")
    if raw in (None, ""):
        return limit
    try:
        value = float(raw)
    except ValueError:
        raise http_error(400, f"parameter timeout: {raw!r} is not a number of seconds") from None
    if not value > 0 or value == float("inf"):
        raise http_error(400, f"parameter timeout: {raw!r} must be a positive number of seconds")
    return min(value, limit)


def one_value(values: list[str], what: str) -> str:
    if len(values) > 1:
        raise http_error(400, f"one {what} per request, not {len(values)}")
    return values[0]


def _read_query() -> tuple[str | None, MultiDict]:
    """The query text (None: no query, so describe the service) and the other parameters."""
    if request.method == "GET":
        params: MultiDict = request.args
        if "update" in params:
            raise http_error(400, "SPARQL Update is not accepted: this endpoint is read-only")
        if "query" not in params:
            return None, params
        text = one_value(params.getlist("query"), "query parameter")
    elif request.mimetype == "application/x-www-form-urlencoded":
        params = CombinedMultiDict([request.form, request.args])
        if "update" in params:
            raise http_error(400, "SPARQL Update is not accepted: this endpoint is read-only")
        if "query" not in request.form:
            raise http_error(400, "a form POST needs a query parameter")
        text = one_value(request.form.getlist("query"), "query parameter")
    elif request.mimetype == "application/sparql-query":
        params = request.args
        charset = request.mimetype_params.get("charset", "utf-8")
        try:
            codecs.lookup(charset)
        except LookupError:
            raise http_error(415, f"unknown charset {charset!r}") from None
        data = request.get_data(cache=False)
        try:
            text = data.decode(charset)
        except UnicodeDecodeError as error:
            raise http_error(400, f"the query is not valid {charset}: {error.reason} at byte {error.start}") from None
    elif request.mimetype == "application/sparql-update":
        raise http_error(400, "SPARQL Update is not accepted: this endpoint is read-only")
    else:
        raise http_error(
            415,
            f"cannot read a query from {request.mimetype or 'a body without Content-Type'}; "
            "POST application/x-www-form-urlencoded (query=...) or application/sparql-query",
        )
    if not text.strip():
        raise http_error(400, "the query is empty")
    limit = int(current_app.config["MAX_QUERY_LENGTH"])
    if len(text) > limit:
        raise http_error(413, f"the query is {len(text)} characters long; the limit is {limit}")
    return text, params


def answer(job: Job) -> Response:
    """Run ``job`` on a query worker and answer with its reply.

    An ad-hoc query first takes the ``sparql`` lane (at most ``CLIENT_QUERIES`` from one address); a
    saved query already holds the ``pages`` lane. Either then waits at most ``QUERY_QUEUE_WAIT`` for a
    worker. Refused or busy: 503 with ``Retry-After``. A client that disconnects stops its worker."""
    with contextlib.ExitStack() as held:
        if job.saved is None:
            held.enter_context(admission()["sparql"].admit(client=request.remote_addr, expected=job.timeout))
        return _run(job)


def _run(job: Job) -> Response:
    state = current_state()
    pool = state.pool
    try:
        reply: Reply = pool.run(
            job,
            job.timeout,
            wait=float(current_app.config["QUERY_QUEUE_WAIT"]),
            cancelled=request.environ.get("waitress.client_disconnected"),
        )
    except sandbox.Timeout as error:
        raise http_error(503, f"{error}; simplify or narrow the query", timeout=job.timeout) from None
    except sandbox.Busy as error:  # every worker is taken: worth another try soon, unlike a timeout
        soonest = pool.soonest()
        retry = max(1, math.ceil(soonest)) if soonest is not None else 1
        busy = http_error(503, f"{error}: the server is busy, try again later", timeout=job.timeout, retry_after=retry)
        busy.retry_after = retry  # type: ignore[attr-defined]  # werkzeug's ServiceUnavailable sends Retry-After
        raise busy from None
    except sandbox.Cancelled as error:  # nobody reads the answer; the status is for the log
        raise http_error(503, str(error)) from None
    except sandbox.SandboxError as error:
        raise http_error(500, f"the query could not be run: {error}") from None
    if reply.plan is not None:  # checked in a worker; the store is asked from here, within the time limit
        with deadline(job.timeout):
            reply = evaluate(state.backend, reply.plan, job.limit, job.timeout)
        if reply.status == 503:  # the store did not answer in time: said as a worker's timeout is
            message = f"the query ran longer than its time limit of {job.timeout:g} s and was stopped"
            raise http_error(503, f"{message}; simplify or narrow the query", timeout=job.timeout)
    if reply.status != 200:
        raise http_error(reply.status, reply.message, **reply.details)
    response = Response(reply.body, status=200, content_type=reply.content_type)
    if reply.truncated:
        response.headers[TRUNCATED_HEADER] = "true"
        response.headers[LIMIT_HEADER] = str(job.limit)
    return response


@bp.route("/sparql", methods=["GET", "POST"])
def endpoint() -> Response:
    text, params = _read_query()
    if wants_page(params):
        return query_page(text or "", autorun=text is not None)
    if text is None:
        return service_description()
    job = Job(
        media=negotiate_all(params),
        timeout=time_limit(params),
        limit=int(current_app.config["RESULT_LIMIT"]),
        text=text,
        default_graphs=params.getlist("default-graph-uri"),
        named_graphs=params.getlist("named-graph-uri"),
        base=request.base_url,
    )
    return answer(job)


def dataset_iri(base: str) -> URIRef:
    """The IRI of the dataset in the VoID description and in the SPARQL service description."""
    return URIRef(base + ".well-known/void#dataset")


def describe_service(endpoint_iri: str, state: ServedState) -> Graph:
    """The SPARQL 1.1 Service Description of the endpoint, with VoID triple counts."""
    graph = Graph()
    graph.bind("sd", SD)
    graph.bind("void", VOID)
    graph.bind("formats", FORMATS)
    service = URIRef(endpoint_iri)
    graph.add((service, RDF.type, SD.Service))
    graph.add((service, SD.endpoint, service))
    graph.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    graph.add((service, SD.feature, SD.UnionDefaultGraph))
    for media in RESULT_FORMATS.values():
        graph.add((service, SD.resultFormat, media))
    # No sd:inputFormat: nothing is ever loaded (no LOAD, no FROM <url>), so no input format is supported.
    base = current_app.config["BASE_IRI"]
    dataset, default = dataset_iri(base), BNode()  # the dataset /.well-known/void describes
    graph.add((service, SD.defaultDataset, dataset))
    graph.add((dataset, RDFS.seeAlso, URIRef(request.host_url + ".well-known/void")))
    graph.add((dataset, RDF.type, SD.Dataset))
    graph.add((dataset, RDF.type, VOID.Dataset))
    graph.add((dataset, VOID.sparqlEndpoint, service))
    graph.add((dataset, VOID.triples, Literal(state.triples, datatype=XSD.integer)))
    graph.add((dataset, SD.defaultGraph, default))
    graph.add((default, RDF.type, SD.Graph))
    graph.add((default, VOID.triples, Literal(state.triples, datatype=XSD.integer)))
    for iri, count in state.counts.items():
        named, described = BNode(), BNode()
        graph.add((dataset, SD.namedGraph, named))
        graph.add((named, RDF.type, SD.NamedGraph))
        graph.add((named, SD.name, iri))
        graph.add((named, SD.graph, described))
        graph.add((described, RDF.type, SD.Graph))
        graph.add((described, VOID.triples, Literal(count, datatype=XSD.integer)))
    return graph


def service_description() -> Response:
    media = conneg.negotiate(request.accept_mimetypes, conneg.GRAPH, request.args.getlist("format"))
    if media is None:
        raise http_error(406, f"the service description is RDF; offered: {conneg.GRAPH.offered()}")
    body = conneg.serialize_graph(describe_service(request.base_url, current_state()), media)
    return Response(body, content_type=conneg.content_type(media))


DATA_TYPES = list(dict.fromkeys(t.name for table in (conneg.RESULTS, conneg.GRAPH) for t in table.types))


def wants_page(params: MultiDict) -> bool:
    """True when a person's browser asks: ``format=html``, or HTML preferred to every data type."""
    fmt = params.get("format")
    if fmt:
        return conneg.HTML.name == fmt.strip().lower() or fmt.strip().lower() in conneg.HTML.aliases
    return bool(request.accept_mimetypes) and (
        request.accept_mimetypes.best_match([*DATA_TYPES, conneg.HTML.name]) == conneg.HTML.name
    )


def examples() -> list[dict[str, str]]:
    """The saved queries as examples for the query page: each with its example values in ``VALUES``."""
    state = current_state()
    found = []
    for query in state.engine.saved.values():
        values = {p.name: p.example for p in query.params if p.example}
        try:
            text = with_values(query, state.engine.bind(query, values))
        except QueryError:  # an example names nothing in this graph: show the query unbound
            text = query.text
        found.append({"name": query.name, "summary": query.summary, "form": query.form, "text": text})
    return found


DEFAULT_QUERY = """# Which models is ChatGPT descended from? (lin:descendantOf is transitive: the reasoner closed it.)
SELECT ?ancestor ?label WHERE {
  model:chatgpt lin:descendantOf ?ancestor .
  OPTIONAL { ?ancestor rdfs:label ?label }
}
ORDER BY ?label
"""


def query_page(text: str, *, autorun: bool, status: int = 200) -> Response:
    return render.render(
        "query.html",
        status=status,
        query=text or DEFAULT_QUERY,
        autorun=autorun,
        examples=examples(),
        prefixes=PREFIXES,
        endpoint=url_for("sparql.endpoint"),
        timeout=current_app.config["QUERY_TIMEOUT"],
        limit=current_app.config["RESULT_LIMIT"],
    )

