"""The SPARQL 1.1 Protocol query operation at ``/sparql``, the saved-query API, the service description.

The server process reads the HTTP request (protocol form, size limits, dataset parameters, content
negotiation) and hands a :class:`Job` to a worker process (:mod:`server.sandbox`); everything a
client's query text can influence runs there. rdflib's parser checks the query (its form, no
update, no ``SERVICE``, only graphs of this dataset; its errors carry line and column); Oxigraph
evaluates it on the same quads (``pyoxigraph``: the same answers as rdflib's evaluator on our
queries, one to two orders of magnitude sooner), with a row cap; the answer is serialised in the
negotiated format. A worker that runs past the time limit is killed and the client gets 503.

The dataset a query sees is the union of all named graphs by default, or the graphs that
``default-graph-uri``/``named-graph-uri`` (or the query's ``FROM``/``FROM NAMED``) select; only
graphs of this dataset, and nothing is ever fetched. Oxigraph would follow ``SERVICE`` to the
network: it never sees one (refused at the check, and the workers have no network anyway).
"""

from __future__ import annotations

import codecs
import functools
import itertools
import threading
import time
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Flask, current_app, g, jsonify, request, url_for
from pyparsing import ParseBaseException
from rdflib import RDF, RDFS, XSD, BNode, Dataset, Graph, Literal, Namespace, URIRef, Variable
from rdflib.graph import ModificationException
from rdflib.namespace import VOID
from rdflib.paths import Path
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.plugins.sparql.sparql import Query
from rdflib.query import Result
from werkzeug.datastructures import CombinedMultiDict, MultiDict
from werkzeug.exceptions import HTTPException, default_exceptions
from werkzeug.wrappers import Response

from . import conneg, html, sandbox
from .backend import Backend, BackendError, MemoryBackend, resolve_in, to_rdflib
from .kg import KnowledgeGraph
from .names import KINDS, UnknownName
from .namespaces import PREFIXES
from .queries import QueryError, SavedQuery, bind, with_values

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
FORMS = {"SelectQuery": "SELECT", "AskQuery": "ASK", "ConstructQuery": "CONSTRUCT", "DescribeQuery": "DESCRIBE"}
RESERVED_PARAMS = {"format", "timeout"}
TRUNCATED_HEADER = "X-Lineage-Truncated"
LIMIT_HEADER = "X-Lineage-Result-Limit"

bp = Blueprint("sparql", __name__)


# -- the dataset a query sees -----------------------------------------------------------------------


class DatasetView(Dataset):
    """An RDF dataset for one query over graphs of a store: read-only, nothing copied.

    ``default`` lists the graphs whose merge is the default graph (None: all of them, the union);
    ``named`` the named graphs (``GRAPH ?g`` ranges over them; any other name matches nothing).
    rdflib's evaluator needs a :class:`Dataset`; the methods it calls are overridden here.
    """

    def __init__(self, store: Any, named: Iterable[URIRef], default: Iterable[URIRef] | None = None):
        super().__init__(store=store, default_union=True)
        self._named = tuple(named)
        self._named_set = frozenset(self._named)
        self._default = None if default is None else frozenset(default)

    @property  # type: ignore[override, misc]
    def default_context(self) -> Graph:
        """rdflib's evaluator asks for this by its deprecated name; the answer is the same."""
        return self._default_context

    def graph_for(self, identifier: Any) -> Graph:
        if isinstance(identifier, Graph):
            identifier = identifier.identifier
        if identifier in self._named_set:
            return Graph(store=self.store, identifier=identifier)
        return Graph(identifier=identifier)  # a graph outside the dataset: empty

    def get_context(self, identifier: Any, quoted: bool = False, base: str | None = None) -> Graph:
        return self.graph_for(identifier)

    def contexts(self, triple: Any = None) -> Iterator[Graph]:  # type: ignore[override]
        for iri in self._named:
            graph = self.graph_for(iri)
            if triple is None or triple in graph:
                yield graph

    graphs = contexts  # type: ignore[assignment]

    def triples(self, triple_or_quad: Any, context: Any = None) -> Iterator[Any]:  # type: ignore[override]
        s, p, o, c = self._spoc(triple_or_quad)
        if c is None and context is not None and context is not self:
            c = context
        if c is not None and c is not self:
            yield from self.graph_for(c).triples((s, p, o))
            return
        if isinstance(p, Path):
            for s1, o1 in p.eval(self, s, o):
                yield s1, p, o1
            return
        for (s1, p1, o1), graphs in self.store.triples((s, p, o), context=None):
            if self._default is None or any(g is not None and g.identifier in self._default for g in graphs):
                yield s1, p1, o1

    def triples_choices(self, triple: Any, context: Any = None) -> Iterator[Any]:  # type: ignore[override]
        subjects, predicates, objects = (part if isinstance(part, list) else [part] for part in triple)
        for s, p, o in itertools.product(subjects, predicates, objects):
            yield from self.triples((s, p, o), context)

    def __len__(self) -> int:
        return sum(1 for _ in self.triples((None, None, None)))

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise ModificationException()

    add = addN = remove = graph = parse = remove_graph = update = _refuse  # type: ignore[assignment]


# -- jobs, replies and the worker side --------------------------------------------------------------


@dataclass
class Job:
    """What a worker needs to answer one request; picklable."""

    media: dict[str, str | None]  # query form -> negotiated media type (None: nothing acceptable)
    timeout: float
    limit: int
    text: str = ""
    saved: str | None = None  # run this saved query instead of ``text``
    values: dict[str, str] = field(default_factory=dict)  # saved query parameters
    default_graphs: list[str] = field(default_factory=list)
    named_graphs: list[str] = field(default_factory=list)
    base: str | None = None  # the base IRI of a query that declares none: the endpoint's URL


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = ""
    truncated: bool = False
    message: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    plan: Plan | None = None  # a checked query for the server process to evaluate (remote backends)


class Refusal(Exception):
    """The request cannot be answered: HTTP status, a message and details (line, column, ...)."""

    def __init__(self, status: int, message: str, **details: Any):
        super().__init__(message)
        self.status, self.message, self.details = status, message, details


@dataclass
class Plan:
    """A checked query, ready to evaluate on a backend (the worker's answer when the backend is remote)."""

    form: str
    media: str  # the negotiated media type of the answer
    text: str
    default: list[str] | None  # None: the union of our graphs
    named: list[str] | None
    base: str | None


@dataclass
class Engine:
    """What a worker holds (inherited through fork): the backend that evaluates the queries (and,
    for the built graph, the rdflib dataset that names are resolved in), and the saved queries."""

    backend: Backend
    saved: dict[str, SavedQuery]
    dataset: Dataset | None = None  # the built graph, when it is served from memory

    @property
    def graphs(self) -> tuple[URIRef, ...]:
        """The named graphs of the dataset."""
        return self.backend.graphs

    def view(self, default: Iterable[URIRef] | None = None, named: Iterable[URIRef] | None = None) -> DatasetView:
        if self.dataset is None:
            raise TypeError("this state serves a store: there is no in-memory dataset to view")
        return DatasetView(self.dataset.store, self.graphs if named is None else named, default)

    def bind(self, query: SavedQuery, values: dict[str, str]) -> dict[str, object]:
        """RDF terms for a saved query's parameters; names are resolved in the served data."""
        if self.dataset is not None:
            return bind(query, self.view(), values)
        lookup = Graph()  # the resolved IRIs, typed, so that queries.bind finds each as what it names
        resolved = dict(values)
        for param in query.params:
            if param.type in KINDS and values.get(param.name):
                try:
                    iri = resolve_in(self.backend, values[param.name], param.type)
                except UnknownName as error:
                    raise QueryError(f"parameter {param.name}: {error}") from None
                lookup.add((iri, RDF.type, KINDS[param.type][1]))
                resolved[param.name] = str(iri)
        return bind(query, lookup, resolved)


def execute(engine: Engine, job: Job) -> Reply:
    """Answer one job (in a worker process): parse, check, evaluate, serialise."""
    try:
        return _execute(engine, job)
    except Refusal as refusal:
        return Reply(refusal.status, message=refusal.message, details=refusal.details)
    except RecursionError:
        return Reply(400, message="the query is nested too deeply (recursion limit reached)")


@functools.lru_cache(maxsize=256)
def parse(text: str) -> Query:
    """The algebra of a query; :class:`Refusal` (400) for syntax errors and for updates.

    Kept per worker for the texts seen last (the graph never changes under a worker, and the
    algebra is never modified after this: :func:`choose_dataset` works on a copy)."""
    try:
        return _with_construct_where_template(translateQuery(parseQuery(text), initNs=PREFIXES))
    except ParseBaseException as error:
        if _is_update(text):
            raise Refusal(400, "SPARQL Update is not accepted: this endpoint is read-only") from None
        found = f", found {error.found}" if getattr(error, "found", "") else ""
        raise Refusal(
            400,
            f"malformed query at line {error.lineno}, column {error.col}: {error.msg}{found}",
            line=error.lineno,
            column=error.col,
        ) from None
    except RecursionError:
        raise
    except Exception as error:  # rdflib reports unknown prefixes and the like as Exception
        raise Refusal(400, f"malformed query: {error}") from None


def _with_construct_where_template(query: Query) -> Query:
    """``CONSTRUCT WHERE { … }``: its template is its pattern. rdflib finds the pattern only right under
    the projection and fails when a modifier (``LIMIT``, ``ORDER BY``, ``DISTINCT``) sits between."""
    algebra = query.algebra
    if algebra.name == "ConstructQuery" and not algebra.get("template"):
        node = algebra.get("p")
        while isinstance(node, CompValue) and node.name != "BGP":
            node = node.get("p")
        if isinstance(node, CompValue):
            algebra["template"] = node.triples
    return query


def _is_update(text: str) -> bool:
    try:
        parseUpdate(text)
    except Exception:  # not an update either
        return False
    return True


def walk(node: Any) -> Iterator[CompValue]:
    """Every algebra node under ``node``, including those inside expressions and sub-queries."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, CompValue):
            yield item
            stack.extend(item.values())
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)


@functools.lru_cache(maxsize=256)
def checked(text: str) -> Query:
    """:func:`parse`, then :func:`refuse_service`; kept per worker like the parse (a refusal is not kept)."""
    query = parse(text)
    refuse_service(query)
    return query


def refuse_service(query: Query) -> None:
    for node in walk(query.algebra):
        if node.name == "ServiceGraphPattern":
            where = node.get("term")
            where = where.n3() if hasattr(where, "n3") else str(where)
            raise Refusal(400, f"SERVICE {where} is not allowed: this endpoint makes no outbound requests")


def choose_dataset(engine: Engine, query: Query, job: Job) -> tuple[list[URIRef] | None, list[URIRef] | None]:
    """The protocol's dataset: ``default-graph-uri``/``named-graph-uri`` win over ``FROM``/``FROM NAMED``.

    Returns the default graphs (None: the union of all) and the named graphs (None: all). Every
    graph must be one of ours (400 otherwise); nothing is ever fetched from a graph's IRI.
    """
    clause = query.algebra.get("datasetClause") or []
    if job.default_graphs or job.named_graphs:
        default, named, where = job.default_graphs, job.named_graphs, "parameter"
    elif clause:
        default = [d["default"] for d in clause if "default" in d]
        named = [d["named"] for d in clause if "named" in d]
        where = "FROM"
    else:
        return None, None
    known = set(engine.graphs)
    unknown = sorted({str(iri) for iri in [*default, *named] if URIRef(str(iri)) not in known})
    if unknown:
        raise Refusal(
            400,
            f"not a graph of this dataset ({where}): {', '.join('<' + u + '>' for u in unknown)}; "
            f"graphs are fetched from nowhere. Named graphs: {', '.join('<' + str(g) + '>' for g in engine.graphs)}",
        )
    return [URIRef(str(i)) for i in default], [URIRef(str(i)) for i in named]


def _execute(engine: Engine, job: Job) -> Reply:
    """Check the query, then (when the backend is here) evaluate it, cap and serialise the answer."""
    plan = prepare(engine, job)
    if not engine.backend.local:
        return Reply(200, plan=plan)  # the server process asks the remote store
    return evaluate(engine.backend, plan, job.limit)


def prepare(engine: Engine, job: Job) -> Plan:
    """Check the query with rdflib's parser (form, no update, no ``SERVICE``, only our graphs) and
    choose its dataset and answer format."""
    if job.saved:
        saved = engine.saved[job.saved]
        try:
            text = job.text or with_values(saved, engine.bind(saved, job.values))
        except QueryError as error:
            raise Refusal(400, str(error)) from None
        query = checked(saved.text)
    else:
        text = job.text
        query = checked(text)
    form = FORMS[query.algebra.name]
    media_name = job.media.get(form)
    table = conneg.TABLES[form]
    if media_name is None:
        raise Refusal(
            406, f"a {form} result cannot be given in any type the request accepts; offered: {table.offered()}"
        )
    default, named = choose_dataset(engine, query, job)
    return Plan(
        form,
        media_name,
        text,
        None if default is None else [str(g) for g in default],
        None if named is None else [str(g) for g in named],
        job.base,
    )


def evaluate(backend: Backend, plan: Plan, limit: int, timeout: float | None = None) -> Reply:
    """Evaluate a checked query on ``backend``; the answer capped at ``limit`` rows or triples, serialised."""
    media = conneg.TABLES[plan.form].get(plan.media)
    form = plan.form
    try:
        outcome = backend.query(
            plan.text,
            default=None if plan.default is None else [URIRef(g) for g in plan.default],
            named=None if plan.named is None else [URIRef(g) for g in plan.named],
            base=plan.base,
            form=form,
            timeout=timeout,
        )
        truncated = False
        if form == "ASK":
            result = Result("ASK")
            result.askAnswer = bool(outcome)
            body = conneg.serialize_result(result, media)
        elif form == "SELECT":
            names = [v.value for v in outcome.variables]
            rows = list(itertools.islice(outcome, limit + 1))
            truncated = len(rows) > limit
            result = Result("SELECT")
            result.vars = [Variable(n) for n in names]
            result.bindings = [
                {Variable(n): _term(row[n]) for n in names if row[n] is not None} for row in rows[:limit]
            ]
            body = conneg.serialize_result(result, media)
        else:
            graph = Graph()
            for triple in itertools.islice(outcome, limit + 1):
                graph.add((_term(triple.subject), _term(triple.predicate), _term(triple.object)))
            if len(graph) > limit:
                truncated = True
                graph.remove(next(iter(graph)))
            body = conneg.serialize_graph(graph, media)
    except BackendError as error:
        return Reply(error.status, message=error.message)
    except (Refusal, RecursionError):
        raise
    except Exception as error:  # an evaluation failure is reported; the worker lives on
        return Reply(500, message=f"query evaluation failed: {error.__class__.__name__}: {error}")
    return Reply(200, body, conneg.content_type(media), truncated)


_term = to_rdflib


# -- the server side --------------------------------------------------------------------------------


class Lineage:
    """One served state of the app: the graph, the engine, the query workers, the VoID counts.

    ``app.extensions["lineage"]`` holds the current state. What a state serves never changes: a hot
    reload (:mod:`server.watch`) builds a whole new state and puts it in place with one assignment,
    then retires the old one. A request takes one state for its whole life through :func:`lineage`,
    which counts it here, so a retired state is closed only when no request uses it any more.
    """

    def __init__(
        self,
        graph: KnowledgeGraph | None,
        saved: dict[str, SavedQuery],
        workers: int,
        backend: Backend | None = None,
    ):
        if graph is None and backend is None:
            raise TypeError("a served state needs a built graph or a backend")
        self.graph = graph  # None when a store is served (``backend``)
        self.backend: Backend = backend or MemoryBackend(graph.dataset)  # type: ignore[union-attr]
        self.engine = Engine(self.backend, saved, graph.dataset if graph is not None and backend is None else None)
        self._counts: dict[URIRef, int] | None = None
        self._triples: int | None = None
        self._lock = threading.Lock()
        self._users = 0  # requests (app contexts) using this state
        self._retired = False
        # Fork last: the workers inherit everything above.
        self.pool: sandbox.Pool | sandbox.Inline = (
            sandbox.Pool(execute, self.engine, workers) if workers > 0 else sandbox.Inline(execute, self.engine)
        )
        self._finalizer = weakref.finalize(self, self.pool.close)

    @property
    def counts(self) -> dict[URIRef, int]:
        """Triples per named graph (counted when first asked for: a big store takes seconds)."""
        if self._counts is None:
            self._counts = self.backend.counts()
        return self._counts

    @property
    def triples(self) -> int:
        """Distinct triples served (counted when first asked for, like :attr:`counts`)."""
        if self._triples is None:
            self._triples = self.backend.triples()
        return self._triples

    def enter(self) -> bool:
        """Count one more request using this state; False if it was retired (the caller then leaves)."""
        with self._lock:
            self._users += 1
            return not self._retired

    def leave(self) -> None:
        with self._lock:
            self._users -= 1

    def retire(self) -> None:
        """This state has been replaced: requests that start from now on take the new one."""
        with self._lock:
            self._retired = True

    @property
    def users(self) -> int:
        with self._lock:
            return self._users

    @property
    def closed(self) -> bool:
        return not self._finalizer.alive

    def close(self) -> None:
        """Stop the query workers. Idempotent."""
        self._finalizer()


def init_app(
    app: Flask, graph: KnowledgeGraph | None, saved: dict[str, SavedQuery], backend: Backend | None = None
) -> Lineage:
    """Start the query workers over ``graph`` (or ``backend``, a store) and register the endpoint."""
    state = Lineage(graph, saved, int(app.config["QUERY_WORKERS"]), backend)
    app.extensions["lineage"] = state
    app.register_blueprint(bp)

    @app.teardown_appcontext
    def leave_state(_error: BaseException | None) -> None:
        taken = g.pop("lineage_state", None)
        if taken is not None:
            taken.leave()

    return state


def lineage() -> Lineage:
    """The served state for this request, taken at the first call and kept until the request ends.

    So every part of one request sees the same graph, even when a hot reload swaps it meanwhile.
    """
    state: Lineage | None = g.get("lineage_state")
    if state is None:
        while True:
            state = current_app.extensions["lineage"]
            if state.enter() or state is current_app.extensions["lineage"]:
                break
            state.leave()  # retired just now: the new state is in place already
        g.lineage_state = state
    return state


def http_error(status: int, message: str, **details: Any) -> HTTPException:
    """An HTTP error whose description is ``message``; ``details`` go into JSON error bodies."""
    error = default_exceptions[status](description=message)
    error.details = details  # type: ignore[attr-defined]
    return error


def _negotiate_all(params: MultiDict) -> dict[str, str | None]:
    fmt = params.getlist("format")
    chosen = {}
    for form, table in conneg.TABLES.items():
        media = conneg.negotiate(request.accept_mimetypes, table, fmt)
        chosen[form] = media.name if media else None
    return chosen


def _timeout(params: MultiDict) -> float:
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


def _one(values: list[str], what: str) -> str:
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
        text = _one(params.getlist("query"), "query parameter")
    elif request.mimetype == "application/x-www-form-urlencoded":
        params = CombinedMultiDict([request.form, request.args])
        if "update" in params:
            raise http_error(400, "SPARQL Update is not accepted: this endpoint is read-only")
        if "query" not in request.form:
            raise http_error(400, "a form POST needs a query parameter")
        text = _one(request.form.getlist("query"), "query parameter")
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


def _answer(job: Job) -> Response:
    deadline = time.monotonic() + job.timeout
    try:
        reply: Reply = lineage().pool.run(job, job.timeout)
    except sandbox.Timeout as error:
        raise http_error(503, f"{error}; simplify or narrow the query", timeout=job.timeout) from None
    except sandbox.Busy as error:  # every worker is taken: worth another try soon, unlike a timeout
        busy = http_error(503, f"{error}: the server is busy, try again later", timeout=job.timeout)
        busy.retry_after = 1  # type: ignore[attr-defined]  # werkzeug's ServiceUnavailable sends Retry-After
        raise busy from None
    except sandbox.SandboxError as error:
        raise http_error(500, f"the query could not be run: {error}") from None
    if reply.plan is not None:  # checked in a worker; the store is asked from here
        remaining = max(0.001, deadline - time.monotonic())
        reply = evaluate(lineage().backend, reply.plan, job.limit, remaining)
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
        media=_negotiate_all(params),
        timeout=_timeout(params),
        limit=int(current_app.config["RESULT_LIMIT"]),
        text=text,
        default_graphs=params.getlist("default-graph-uri"),
        named_graphs=params.getlist("named-graph-uri"),
        base=request.base_url,
    )
    return _answer(job)


def dataset_iri(base: str) -> URIRef:
    """The IRI of the dataset in the VoID description and in the SPARQL service description."""
    return URIRef(base + ".well-known/void#dataset")


def describe_service(endpoint_iri: str, state: Lineage) -> Graph:
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
    body = conneg.serialize_graph(describe_service(request.base_url, lineage()), media)
    return Response(body, content_type=conneg.content_type(media))


# -- the query page --------------------------------------------------------------------------------

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
    state = lineage()
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
    return html.render(
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


# -- saved queries ----------------------------------------------------------------------------------


@bp.get("/queries")
def list_queries() -> Response:
    table = conneg.with_html(conneg.JSON_ONLY)
    media = conneg.negotiate(request.accept_mimetypes, table, request.args.get("format") or None)
    if media is None:
        raise http_error(406, f"the list of saved queries is JSON or HTML; offered: {table.offered()}")
    saved = lineage().engine.saved
    listed = [{**query.to_dict(), "url": f"{request.root_url}queries/{name}"} for name, query in saved.items()]
    if media is conneg.HTML:
        for entry in listed:
            examples = {p["name"]: p["example"] for p in entry["params"] if p["example"]}
            entry["example_url"] = url_for("sparql.run_saved", name=entry["name"], **examples)
        return html.render("queries.html", queries=listed)
    return jsonify(listed)


@bp.get("/queries/<name>")
def run_saved(name: str) -> Response:
    saved = lineage().engine.saved
    if name not in saved:
        raise http_error(404, f"no saved query named {name!r}; GET /queries lists them")
    params = request.args
    values = {
        key: _one(params.getlist(key), f"value for parameter {key}") for key in params if key not in RESERVED_PARAMS
    }
    if wants_page(params):  # a browser: the query page, with these values (or the examples) in VALUES
        query = saved[name]
        values = values or {p.name: p.example for p in query.params if p.example}
        try:
            text = with_values(query, lineage().engine.bind(query, values))
        except QueryError as error:
            raise http_error(400, str(error)) from None
        return query_page(text, autorun=True)
    job = Job(
        media=_negotiate_all(params),
        timeout=_timeout(params),
        limit=int(current_app.config["RESULT_LIMIT"]),
        saved=name,
        values=values,
    )
    engine = lineage().engine
    if not engine.backend.local:  # names are resolved here: the workers cannot reach the store
        try:
            job.text = with_values(saved[name], engine.bind(saved[name], values))
        except QueryError as error:
            raise http_error(400, str(error)) from None
        job.values = {}
    return _answer(job)


@bp.get("/health")
def health() -> Response:
    state = lineage()
    return jsonify(
        status="ok",
        triples=state.triples,
        graphs=len(state.engine.graphs),
        workers=state.pool.alive(),
        saved_queries=len(state.engine.saved),
    )
