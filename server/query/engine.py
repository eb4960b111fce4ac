"""The query engine: rdflib checks a query (form, no update, no SERVICE, only our graphs), Oxigraph evaluates it.

Everything a client's query text can influence runs here, in a worker process (:mod:`lineage.query.sandbox`).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pyparsing import ParseBaseException
from rdflib import RDF, Dataset, Graph, URIRef, Variable
from rdflib.graph import ModificationException
from rdflib.paths import Path
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.plugins.sparql.sparql import Query
from rdflib.query import Result
from rdflib.term import Identifier

from lineage.build import quiet_dataset_deprecations
from lineage.formats import conneg
from lineage.names import KINDS, UnknownName
from lineage.namespaces import PREFIXES
from lineage.query.saved import QueryError, SavedQuery, bind, with_values
from lineage.stores.backend import Backend, BackendError, resolve_in
from lineage.stores.backend import to_rdflib as _term

FORMS = {"SelectQuery": "SELECT", "AskQuery": "ASK", "ConstructQuery": "CONSTRUCT", "DescribeQuery": "DESCRIBE"}


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

    @property  # type: ignore[misc]  # rdflib's has a setter; a view is read-only
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

    add = addN = remove = graph = parse = remove_graph = update = _refuse


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

    def bind(self, query: SavedQuery, values: dict[str, str]) -> dict[str, Identifier]:
        """RDF terms for a saved query's parameters; names are resolved in the served data."""
        if self.dataset is not None:
            with quiet_dataset_deprecations():  # rdflib's own evaluator reads Dataset.identifier
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
        line, column, message = syntax_error(text, error)
        where = f"line {line}, column {column}"
        raise Refusal(400, f"malformed query at {where}: {message}", line=line, column=column) from None
    except RecursionError:
        raise
    except Exception as error:  # rdflib reports unknown prefixes and the like as Exception
        raise Refusal(400, f"malformed query: {error}") from None


_CLOSING = {"(": ")", "{": "}", "[": "]"}


_QUERY_FORMS = {"SelectQuery", "ConstructQuery", "DescribeQuery", "AskQuery"}
_GRAMMAR_WORDS = {
    **dict.fromkeys(_QUERY_FORMS, "a query (SELECT, CONSTRUCT, ASK or DESCRIBE)"),
    "end of text": "the end of the query",
    "GroupGraphPattern": "a graph pattern in braces { … }",
    "TriplesBlock": "a triple pattern",
    "Var": "a variable (?name)",
}


def syntax_error(text: str, error: ParseBaseException) -> tuple[int, int, str]:
    """Where a query's syntax breaks, and what is wrong there in words a user knows.

    rdflib's parser backtracks, so it reports the start of the clause that failed ("Expected
    SelectQuery, found 'FILTER'"), not the place that broke it. A bracket left open or closed
    unopened is the commonest cause: it is looked for first and reported where it is.
    """
    bracket = _unbalanced(text)
    if bracket is not None:
        return bracket
    expected = {a.strip() for a in error.msg.removeprefix("Expected ").strip("{} ").split("|")}
    found = f", found {error.found}" if getattr(error, "found", "") else ""
    if expected <= _QUERY_FORMS:
        at_start = not text[: error.loc].strip() or all(
            line.lstrip().startswith(("PREFIX", "BASE", "prefix", "base", "#")) or not line.strip()
            for line in text[: error.loc].splitlines()
        )
        if not at_start:  # rdflib backed out of the whole query: the clause that starts here is wrong
            return error.lineno, error.col, f"this clause is not valid SPARQL{found}"
    words = " or ".join(sorted({_GRAMMAR_WORDS.get(a, a) for a in expected}))
    return error.lineno, error.col, f"expected {words}{found}"


def _unbalanced(text: str) -> tuple[int, int, str] | None:
    """The first bracket closed unopened or opened and never closed, outside strings and comments:
    (line, column, what is wrong); None if every bracket is matched."""
    stack: list[tuple[str, int, int]] = []
    for number, line in enumerate(text.split("\n"), 1):
        quote, column = "", 0
        while column < len(line):
            char = line[column]
            if quote:
                if char == "\\":
                    column += 1
                elif char == quote:
                    quote = ""
            elif char in "\"'":
                quote = char
            elif char == "#":
                break
            elif char in _CLOSING:
                stack.append((char, number, column + 1))
            elif char in _CLOSING.values() and (not stack or _CLOSING[stack[-1][0]] != char):
                if stack:
                    opened, at_line, at_column = stack[-1]
                    return number, column + 1, (
                        f"{char!r} here, but the {opened!r} opened at line {at_line}, column {at_column} is not closed"
                    )
                return number, column + 1, f"{char!r} closes nothing that is open"
            elif char in _CLOSING.values():
                stack.pop()
            column += 1
    if stack:
        opened, number, column = stack[-1]
        return number, column, f"the {opened!r} opened here is never closed"
    return None


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

