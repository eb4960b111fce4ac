"""Where the served quads live: one small interface, three stores behind it.

* :class:`MemoryBackend`: the built graph (``kg.build``) copied into an in-memory Oxigraph store,
  as the endpoint has always served it;
* :class:`FolderBackend`: a store folder built by ``lineage bigbuild`` (:mod:`lineage.bigbuild.folder`),
  opened read-only, once in each process that queries it (a RocksDB handle is not carried
  across ``fork``: the workers open their own);
* :class:`RemoteBackend`: a SPARQL 1.1 endpoint holding our named graphs (what ``lineage push``
  put there). Only the server process talks to it; the query workers have no network.

Each answers :meth:`Backend.query` with Oxigraph's result objects (solutions, a boolean, triples)
over the union of our graphs, or over the graphs a request names. :class:`BackendStore` is an
rdflib store reading through a backend, so the pages' graph code works on any of them.

``--store`` takes ``sparql:QUERY_URL`` for a remote endpoint, and ``DIR`` or ``oxigraph:DIR``
for a folder (see :func:`open_backend`).
"""

from __future__ import annotations

import contextlib
import heapq
import os
import re
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import OrderedDict
from collections.abc import Generator, Iterable, Iterator
from pathlib import Path
from typing import Any, cast

import pyoxigraph as ox
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import XSD
from rdflib.store import Store

from lineage.namespaces import BASE, GRAPH_INFERRED, PREFIXES

GRAPHS_PREFIX = f"{BASE}graph/"
"""Every named graph of ours is under it; a remote store may hold others, which are not served."""

COUNTS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
TRIPLES = "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }"
MODELS = "SELECT (COUNT(DISTINCT ?m) AS ?n) WHERE { ?m a lin:Model }"
FAMILIES = "SELECT (COUNT(DISTINCT ?m) AS ?n) WHERE { ?m a lin:Model FILTER NOT EXISTS { ?m lin:descendantOf ?up } }"


def largest_families_query(limit: int) -> str:
    """The roots (models with no ancestor) with most descendants, and how many each has: counted per model
    first, the root test after (once per model with descendants, not once per descendant: 5x faster)."""
    return f"""SELECT ?root ?n WHERE {{
      {{ SELECT ?root (COUNT(?d) AS ?n) WHERE {{ ?d lin:descendantOf ?root }} GROUP BY ?root }}
      FILTER NOT EXISTS {{ ?root lin:descendantOf ?up }} ?root a lin:Model .
    }} ORDER BY DESC(?n) ?root LIMIT {limit}"""


class BackendError(Exception):
    """The store could not answer: an HTTP status for the client and a message saying why."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


_deadlines = threading.local()


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Within the block, this thread's calls to a remote store share ``seconds`` in all: each call gets
    what is left, and none starts once it is spent (503). A page makes many calls; each is bounded,
    and so is their sum."""
    previous = getattr(_deadlines, "until", None)
    _deadlines.until = time.monotonic() + seconds
    try:
        yield
    finally:
        _deadlines.until = previous


def time_left(limit: float) -> float:
    """``limit``, or less when the thread's :func:`deadline` is nearer; :class:`BackendError` 503 when spent."""
    until = getattr(_deadlines, "until", None)
    if until is None:
        return limit
    left = until - time.monotonic()
    if left <= 0:
        raise BackendError(503, "the store's answers took longer than the time limit for this request")
    return min(limit, left)


def to_ox(node: Any) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """An rdflib term as an Oxigraph term; ValueError when it is not a valid RDF term (a bad IRI)."""
    if isinstance(node, URIRef):
        return ox.NamedNode(str(node))
    if isinstance(node, BNode):
        return ox.BlankNode(str(node))
    if isinstance(node, Literal):
        if node.language:
            return ox.Literal(str(node), language=node.language)
        return ox.Literal(str(node), datatype=ox.NamedNode(str(node.datatype or XSD.string)))
    raise TypeError(f"not an RDF term: {node!r}")


def to_rdflib(node: Any) -> Any:
    """An Oxigraph term as an rdflib term."""
    if isinstance(node, ox.NamedNode):
        return URIRef(node.value)
    if isinstance(node, ox.BlankNode):
        return BNode(node.value)
    if isinstance(node, ox.Literal):
        if node.language:
            return Literal(node.value, lang=node.language)
        datatype = node.datatype.value
        return Literal(node.value, datatype=None if datatype == str(XSD.string) else URIRef(datatype))
    raise TypeError(f"unexpected term {node!r}")


def prologue(base: str | None = None) -> str:
    """``BASE`` and our ``PREFIX`` declarations, for an engine that does not know them; a query's own
    declarations come after, so they win."""
    lines = [f"BASE <{base}>"] if base else []
    lines += [f"PREFIX {prefix}: <{namespace}>" for prefix, namespace in PREFIXES.items()]
    return "\n".join(lines) + "\n"


class Backend:
    """The quads a state serves. ``graphs``: our named graphs, sorted; the default graph is their union.

    ``local`` backends are queried in the query workers (inherited through ``fork``); the others
    only in the server process."""

    local = True
    describe = "in memory"
    statistics: dict[str, Any] | None = None  # counted when the store was built (bigbuild's manifest)

    def __init__(self, graphs: Iterable[URIRef]):
        self.graphs: tuple[URIRef, ...] = tuple(sorted(graphs, key=str))

    def query(
        self,
        text: str,
        *,
        default: list[URIRef] | None = None,
        named: list[URIRef] | None = None,
        base: str | None = None,
        form: str = "SELECT",
        timeout: float | None = None,
    ) -> Any:
        """Evaluate ``text`` (our prefixes predeclared) over ``default`` (None: the union of our graphs)
        and ``named`` graphs; Oxigraph's answer. Raises :class:`BackendError`."""
        raise NotImplementedError

    def counts(self) -> dict[URIRef, int]:
        """Triples per named graph, from one ``GROUP BY ?g`` query."""
        found = {URIRef(row["g"].value): int(row["n"].value) for row in self.query(COUNTS, named=list(self.graphs))}
        return {iri: found.get(iri, 0) for iri in self.graphs}

    def triples(self) -> int:
        """Distinct triples in the union of our graphs."""
        return int(next(iter(self.query(TRIPLES)))["n"].value)

    def quads(self, pattern: tuple, graphs: list[URIRef]) -> Iterator[ox.Quad] | None:
        """``(s, p, o, g)`` Oxigraph terms matching ``pattern`` (rdflib terms or None; blank nodes
        too) in ``graphs``: how a stored blank node is looked up, as SPARQL has no name for one (a
        query's ``_:b`` is a fresh variable). None when the backend cannot be asked that (a remote
        endpoint)."""
        return None

    def ping(self, timeout: float) -> None:
        """Check that the store answers within ``timeout`` seconds; :class:`BackendError` if not."""

    def close(self) -> None:
        pass


class _OxigraphBackend(Backend):
    """A backend that is a ``pyoxigraph.Store`` in this process."""

    def store(self) -> ox.Store:
        raise NotImplementedError

    def query(
        self,
        text: str,
        *,
        default: list[URIRef] | None = None,
        named: list[URIRef] | None = None,
        base: str | None = None,
        form: str = "SELECT",
        timeout: float | None = None,
    ) -> Any:
        options: dict[str, Any] = {"prefixes": PREFIXES, "base_iri": base}
        if default is None:
            options["use_default_graph_as_union"] = True  # and every named graph is available
        else:
            options["default_graph"] = [ox.NamedNode(str(g)) for g in default]
            options["named_graphs"] = [ox.NamedNode(str(g)) for g in named or []]
        return self.store().query(text, **options)

    def quads(self, pattern: tuple, graphs: list[URIRef]) -> Iterator[ox.Quad]:
        subject, predicate, obj = [None if t is None else to_ox(t) for t in pattern]
        for graph in graphs:
            name = ox.NamedNode(str(graph))
            # a literal subject raises TypeError, which the caller reads as "matches nothing"
            yield from self.store().quads_for_pattern(subject, predicate, obj, name)  # type: ignore[arg-type]


class MemoryBackend(_OxigraphBackend):
    """The built rdflib dataset, copied into an in-memory Oxigraph store (done before the workers fork)."""

    def __init__(self, dataset: Dataset):
        from lineage.build import serialize_dataset

        names = [
            named.identifier
            for named in dataset.graphs()
            if isinstance(named.identifier, URIRef) and named.identifier != DATASET_DEFAULT_GRAPH_ID
        ]
        super().__init__(names)
        self.dataset = dataset
        self._store = ox.Store()
        self._store.load(serialize_dataset(dataset, "nquads"), format=ox.RdfFormat.N_QUADS)

    def store(self) -> ox.Store:
        return self._store

    def counts(self) -> dict[URIRef, int]:
        return {iri: len(self.dataset.graph(iri)) for iri in self.graphs}

    def triples(self) -> int:
        return len(self.dataset)


class FolderBackend(_OxigraphBackend):
    """A store folder built by ``lineage bigbuild``, opened read-only in each process that queries it."""

    def __init__(self, directory: Path):
        from lineage.bigbuild import folder as stores

        self.directory = Path(directory)
        opened = stores.open(self.directory)  # checks the manifest; BuildError when not a store
        self.manifest = opened.manifest
        self._stores: dict[int, ox.Store] = {os.getpid(): opened.store}
        present = {g.value for g in opened.store.named_graphs() if isinstance(g, ox.NamedNode)}
        super().__init__(URIRef(g) for g in opened.graphs if g in present)
        self.describe = f"the store folder {self.directory}"
        self.statistics = self.manifest.get("statistics")

    def counts(self) -> dict[URIRef, int]:
        if self.statistics:
            found = self.statistics["counts"]
            return {iri: found.get(str(iri), 0) for iri in self.graphs}
        return super().counts()

    def triples(self) -> int:
        return self.statistics["triples"] if self.statistics else super().triples()

    def store(self) -> ox.Store:
        """This process's read-only handle. A handle inherited through ``fork`` is never used nor dropped."""
        pid = os.getpid()
        found = self._stores.get(pid)
        if found is None:
            found = self._stores[pid] = ox.Store.read_only(str(self.directory / "oxigraph"))
        return found


class RemoteBackend(Backend):
    """A SPARQL 1.1 Protocol endpoint (``…/query`` of ``oxigraph serve``, Fuseki's ``…/sparql``, …)."""

    local = False

    def __init__(self, url: str, *, timeout: float = 30.0):
        self.url = url
        self.timeout = timeout
        self.describe = f"the SPARQL endpoint {url}"
        rows = self._select(COUNTS, None, None, None, timeout)
        found = {URIRef(row["g"].value): int(row["n"].value) for row in rows}
        self._counts = {iri: n for iri, n in found.items() if str(iri).startswith(GRAPHS_PREFIX)}
        if not self._counts:
            raise BackendError(502, f"the SPARQL endpoint {url} holds none of our graphs (under <{GRAPHS_PREFIX}>)")
        super().__init__(self._counts)

    def counts(self) -> dict[URIRef, int]:
        return {iri: self._counts[iri] for iri in self.graphs}

    def ping(self, timeout: float) -> None:
        self.query("ASK {}", form="ASK", timeout=timeout)

    def _select(self, text: str, default, named, base, timeout) -> Any:
        return self.query(text, default=default, named=named, base=base, form="SELECT", timeout=timeout)

    def query(
        self,
        text: str,
        *,
        default: list[URIRef] | None = None,
        named: list[URIRef] | None = None,
        base: str | None = None,
        form: str = "SELECT",
        timeout: float | None = None,
    ) -> Any:
        graphs = getattr(self, "graphs", None)
        fields: list[tuple[str, str]] = [("query", prologue(base) + text)]
        if graphs is not None:  # None while finding which graphs there are
            fields += [("default-graph-uri", str(g)) for g in (graphs if default is None else default)]
            fields += [("named-graph-uri", str(g)) for g in (graphs if named is None else named)]
        graph_form = form in ("CONSTRUCT", "DESCRIBE")
        request = urllib.request.Request(
            self.url,
            data=urllib.parse.urlencode(fields).encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/n-triples" if graph_form else "application/sparql-results+json",
                "User-Agent": "lineage-serve",
            },
        )
        limit = time_left(timeout or self.timeout)
        try:
            response = urllib.request.urlopen(request, timeout=limit)  # noqa: S310 - the operator's URL
        except urllib.error.HTTPError as error:
            body = error.read(2000).decode("utf-8", "replace").strip()
            raise BackendError(
                502, f"the SPARQL store at {self.url} answered {error.code} {error.reason}: {body}"
            ) from None
        except urllib.error.URLError as error:
            if isinstance(error.reason, TimeoutError | socket.timeout):
                raise _timed_out(limit) from None
            raise BackendError(502, f"cannot reach the SPARQL store at {self.url}: {error.reason}") from None
        except TimeoutError:
            raise _timed_out(limit) from None
        except OSError as error:
            raise BackendError(502, f"cannot reach the SPARQL store at {self.url}: {error}") from None
        try:
            if graph_form:
                return _Closing(ox.parse(response, format=ox.RdfFormat.N_TRIPLES), response, limit, self.url)
            answer = ox.parse_query_results(response, format=ox.QueryResultsFormat.JSON)
        except TimeoutError:
            response.close()
            raise _timed_out(limit) from None
        except (SyntaxError, ValueError, OSError) as error:
            response.close()
            raise BackendError(502, f"the SPARQL store at {self.url} sent an unreadable answer: {error}") from None
        if isinstance(answer, ox.QueryBoolean):
            response.close()
            return answer
        return _Closing(answer, response, limit, self.url)


def _timed_out(limit: float) -> BackendError:
    return BackendError(503, f"the query ran longer than its time limit of {limit:g} s and was stopped")


class _Closing:
    """Solutions or triples read from an HTTP answer as they are iterated; the answer closed at the end.
    Reading errors become :class:`BackendError`."""

    def __init__(self, inner: Any, response: Any, limit: float, url: str):
        self._inner, self._response, self._limit, self._url = inner, response, limit, url
        self.variables = getattr(inner, "variables", None)

    def __iter__(self) -> Iterator[Any]:
        try:
            yield from self._inner
        except TimeoutError:
            raise _timed_out(self._limit) from None
        except (SyntaxError, ValueError, OSError) as error:
            raise BackendError(502, f"the SPARQL store at {self._url} sent an unreadable answer: {error}") from None
        finally:
            self._response.close()


def open_backend(spec: str, *, timeout: float = 30.0) -> Backend:
    """The backend ``--store`` names: ``sparql:URL`` (a remote endpoint), ``oxigraph:DIR`` or ``DIR``."""
    if spec.startswith("sparql:"):
        url = spec[len("sparql:") :]
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"--store {spec}: sparql: needs the http(s) URL of a SPARQL query endpoint")
        return RemoteBackend(url, timeout=timeout)
    folder = spec[len("oxigraph:") :] if spec.startswith("oxigraph:") else spec
    return FolderBackend(Path(folder))


# -- rdflib graphs over a backend ---------------------------------------------------------------------

UNION = URIRef("urn:x-lineage:union")
"""The identifier of a :class:`BackendStore` graph that reads every graph of ours."""
ASSERTED = URIRef("urn:x-lineage:asserted")
"""… that reads every graph but the inferred one."""


class BackendStore(Store):
    """A read-only rdflib store answering triple patterns with SPARQL queries on a backend.

    A graph over it reads the union of our graphs (identifier :data:`UNION`), the asserted ones
    (:data:`ASSERTED`) or one named graph. What a served state holds never changes, so answers
    are kept (the last ``cache`` patterns; answers longer than ``keep`` rows are not kept).
    """

    context_aware = True
    graph_aware = True
    transaction_aware = False
    formula_aware = False

    def __init__(self, backend: Backend, *, cache: int = 20_000, keep: int = 5_000):
        super().__init__()
        self.backend = backend
        self.asserted = [g for g in backend.graphs if g != GRAPH_INFERRED]
        self._cache: OrderedDict[tuple, list] = OrderedDict()
        self._size, self._keep = cache, keep
        self._namespaces: dict[str, URIRef] = {}
        self.queries = 0  # how many were sent: for tests and measurements

    def graph(self, identifier: URIRef) -> Graph:
        return Graph(store=self, identifier=identifier)

    def _graphs_of(self, context: Any) -> list[URIRef] | None:
        """The default graphs a pattern in ``context`` reads; None: each graph apart (quads)."""
        identifier = getattr(context, "identifier", context)
        if identifier is None or identifier == DATASET_DEFAULT_GRAPH_ID:
            return None
        if identifier == UNION:
            return list(self.backend.graphs)
        if identifier == ASSERTED:
            return self.asserted
        return [identifier] if identifier in self.backend.graphs else []

    def rows(self, pattern: tuple, graphs: list[URIRef] | None, limit: int | None = None) -> list[tuple]:
        """``(s, p, o)`` rows (``(s, p, o, g)`` when ``graphs`` is None) matching ``pattern``; at most
        ``limit`` (some of them, in the store's order) when given."""
        key = (pattern, None if graphs is None else tuple(graphs), limit)
        found = self._cache.get(key)
        if found is not None:
            self._cache.move_to_end(key)
            return found
        if any(isinstance(t, BNode) for t in pattern):
            return self._blank_rows(pattern, graphs, limit)
        try:
            terms = [None if t is None else str(to_ox(t)) for t in pattern]
        except (ValueError, TypeError):  # not a valid term (a malformed IRI from a URL): matches nothing
            return []
        names = ("?s", "?p", "?o")
        where = " ".join(t or n for t, n in zip(terms, names, strict=True))
        wanted = [n for t, n in zip(terms, names, strict=True) if t is None]
        if graphs is None:
            text = f"SELECT DISTINCT {' '.join(wanted)} ?g WHERE {{ GRAPH ?g {{ {where} }} }}"
        else:
            text = f"SELECT DISTINCT {' '.join(wanted) or '?x'} WHERE {{ {where} }}"
        if graphs == []:
            return []
        if limit is not None:
            text += f" LIMIT {int(limit)}"
        self.queries += 1
        answer = self.backend.query(text, default=graphs, named=list(self.backend.graphs))
        found = []
        for row in answer:
            spo = tuple(pattern[i] if pattern[i] is not None else to_rdflib(row[names[i][1:]]) for i in range(3))
            found.append(spo if graphs is not None else (*spo, URIRef(row["g"].value)))
        if len(found) <= self._keep:
            self._cache[key] = found
            if len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return found

    def _blank_rows(self, pattern: tuple, graphs: list[URIRef] | None, limit: int | None) -> list[tuple]:
        """:meth:`rows` for a pattern with a blank node: asked of the store by pattern (a remote
        endpoint cannot be asked about one of its blank nodes: nothing matches there)."""
        quads = self.backend.quads(pattern, list(self.backend.graphs) if graphs is None else graphs)
        found: dict[tuple, None] = {}
        try:
            for quad in quads or ():
                spo = tuple(to_rdflib(term) for term in (quad.subject, quad.predicate, quad.object))
                found[spo if graphs is not None else (*spo, URIRef(cast(ox.NamedNode, quad.graph_name).value))] = None
                if limit is not None and len(found) >= limit:
                    break
        except (ValueError, TypeError):  # not a valid term (a malformed IRI from a URL): matches nothing
            return []
        return list(found)

    def triples(self, triple_pattern: tuple, context: Any = None) -> Iterator[tuple]:
        graphs = self._graphs_of(context)
        if graphs is not None:
            for row in self.rows(tuple(triple_pattern), graphs):
                yield row, iter(())
            return
        grouped: dict[tuple, list[URIRef]] = {}
        for *spo, g in self.rows(tuple(triple_pattern), None):
            grouped.setdefault(tuple(spo), []).append(g)
        for triple, names in grouped.items():
            yield triple, iter(self.graph(n) for n in names)

    def __len__(self, context: Any = None) -> int:
        graphs = self._graphs_of(context)
        text = "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }"
        if graphs is None:
            text = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
        return int(next(iter(self.backend.query(text, default=graphs or [])))["n"].value)

    def contexts(self, triple: Any = None) -> Generator[Graph, None, None]:
        for iri in self.backend.graphs:
            if triple is None or any(True for _ in self.triples(triple, iri)):
                yield self.graph(iri)

    def bind(self, prefix: str, namespace: Any, override: bool = True) -> None:
        if override or prefix not in self._namespaces:
            self._namespaces[prefix] = URIRef(namespace)

    def namespace(self, prefix: str) -> URIRef | None:
        return self._namespaces.get(prefix)

    def prefix(self, namespace: Any) -> str | None:
        return next((p for p, n in self._namespaces.items() if n == URIRef(namespace)), None)

    def namespaces(self) -> Iterator[tuple[str, URIRef]]:
        yield from self._namespaces.items()

    def add_graph(self, graph: Graph) -> None:
        pass  # the graphs are the backend's; nothing is created

    def _refuse(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("a served store is read-only")

    add = addN = remove = remove_graph = _refuse


def _stored(graph: Graph) -> tuple[BackendStore, list[URIRef]] | None:
    """The store ``graph`` reads and the graphs it reads there; None for a graph in memory."""
    store = graph.store
    return (store, store._graphs_of(graph) or []) if isinstance(store, BackendStore) else None


def holds_any(graph: Graph, pattern: tuple) -> bool:
    """Whether some triple of ``graph`` matches ``pattern``: on a store, a query for one row, not for
    every row (a root of the Hugging Face tree is the subject of 274k triples)."""
    if stored := _stored(graph):
        store, graphs = stored
        return bool(graphs) and bool(store.rows(pattern, graphs, 1))
    return pattern in graph


def some_subjects(graph: Graph, predicate: URIRef, obj: Any, limit: int) -> list[Any]:
    """At most ``limit`` subjects of ``(?, predicate, obj)`` in ``graph`` (which ones is up to the
    store): a root with 160k children is not fetched whole to show a few of them."""
    if stored := _stored(graph):
        store, graphs = stored
        return [s for s, _p, _o in store.rows((None, predicate, obj), graphs, limit)] if graphs else []
    found: list[Any] = []
    for subject in graph.subjects(predicate, obj, unique=True):
        if len(found) >= limit:
            break
        found.append(subject)
    return found


def count_subjects(graph: Graph, predicate: URIRef, obj: Any) -> int:
    """How many distinct subjects ``(?, predicate, obj)`` has in ``graph`` (one COUNT on a store)."""
    if (stored := _stored(graph)) and not isinstance(obj, BNode):
        store, graphs = stored
        text = f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s {to_ox(predicate)} {to_ox(obj)} }}"
        return int(next(iter(store.backend.query(text, default=graphs)))["n"].value) if graphs else 0
    return len(set(graph.subjects(predicate, obj)))


def first_values(graph: Graph, subject: Any, limit: int) -> dict[Any, tuple[list[Any], int]]:
    """Each predicate of ``subject`` in ``graph``: its first ``limit`` distinct values in the order of
    their text, and how many it has. On a store, a subject with more than a few thousand statements
    (a root's ``lin:ancestorOf`` has one per descendant) gets a count per predicate; a large one's
    values stream by and only the first ``limit`` become rdflib terms."""
    values: dict[Any, set] = {}
    rows: Iterable[tuple]
    if stored := _stored(graph):
        store, graphs = stored
        if not graphs:
            return {}
        few = None if isinstance(subject, BNode) else _FEW + 1  # a blank node has no name to count it by
        rows = store.rows((subject, None, None), graphs, few)
        if few is not None and len(rows) >= few:
            return _first_values_counted(store, graphs, subject, limit)
    else:
        rows = graph.triples((subject, None, None))
    for _s, p, o in rows:
        values.setdefault(p, set()).add(o)
    return {p: (sorted(found, key=str)[:limit], len(found)) for p, found in values.items()}


_FEW = 5_000
"""Statements of a subject that :func:`first_values` fetches whole from a store."""


def _text(term: Any) -> str:
    """What ``str()`` gives of the rdflib term for an Oxigraph term."""
    return term.value


def _first_values_counted(store: BackendStore, graphs: list[URIRef], subject: Any, limit: int) -> dict:
    s = to_ox(subject)
    text = f"SELECT ?p (COUNT(DISTINCT ?o) AS ?n) WHERE {{ {s} ?p ?o }} GROUP BY ?p"
    out = {}
    for row in store.backend.query(text, default=graphs):
        p, n = to_rdflib(row["p"]), int(row["n"].value)
        if n <= limit:
            found = [o for _s, _p, o in store.rows((subject, p, None), graphs)]
        else:  # sorted here: Oxigraph's ORDER BY took 17 s for a root's 274k values, this takes 1 s
            answer = store.backend.query(f"SELECT DISTINCT ?o WHERE {{ {s} {to_ox(p)} ?o }}", default=graphs)
            found = [to_rdflib(o) for o in heapq.nsmallest(limit, (r["o"] for r in answer), key=_text)]
        out[p] = (sorted(found, key=str), n)
    return out


# -- names --------------------------------------------------------------------------------------------


def resolve_in(backend: Backend, name: str, kind: str = "model", *, family: bool = False) -> URIRef:
    """What :class:`lineage.names.Names` does, by SPARQL on ``backend`` (a store too big to index in
    memory): the ``kind`` resource called ``name`` — an IRI, a slug, a model id with or without its
    owner, a label or alternative label, in the same normalised forms — or, with ``family``, the series
    of that name; else :class:`UnknownName` with names that contain it."""
    from lineage.names import KINDS, UnknownName, keys

    found = _find_in(backend, name, kind)
    if found is None and family and kind == "model":
        found = _find_in(backend, name, "series")
    if found is not None:
        return found
    namespace, cls = KINDS[kind]
    wanted = keys(name)[0] if keys(name) else name.lower()
    close = [
        row["s"].value[len(str(namespace)) :]
        for row in backend.query(
            f"SELECT DISTINCT ?s WHERE {{ ?s a/rdfs:subClassOf* {to_ox(cls)} . "
            f"FILTER(STRSTARTS(STR(?s), {ox.Literal(str(namespace))}) "
            f"&& CONTAINS(LCASE(STR(?s)), {ox.Literal(wanted)})) }} ORDER BY STRLEN(STR(?s)) ?s LIMIT 3"
        )
    ]
    raise UnknownName(kind, name, close)


def _find_in(backend: Backend, name: str, kind: str) -> URIRef | None:
    from lineage.names import KINDS, NAME_PROPERTIES, keys

    namespace, cls = KINDS[kind]
    text = name.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1]
    member = f"?s a/rdfs:subClassOf* {to_ox(cls)} ."
    forms = keys(text)
    tried = [text] if re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+", text) else []
    tried += [str(namespace) + form for form in forms if re.fullmatch(r"[a-z0-9][a-z0-9._-]*", form)]
    candidates = " ".join(str(ox.NamedNode(t)) for t in tried)
    if candidates:
        for row in backend.query(f"SELECT ?s WHERE {{ VALUES ?s {{ {candidates} }} {member} }} LIMIT 1"):
            return URIRef(row["s"].value)
    names = "|".join(to_ox(p).__str__() for p in NAME_PROPERTIES)
    exact = " ".join(str(ox.Literal(t)) for t in dict.fromkeys([text, *forms]))
    lowered = ", ".join(str(ox.Literal(f)) for f in forms)
    for pattern in (
        f"VALUES ?n {{ {exact} }} ?s {names} ?n .",
        f"?s {names} ?n . FILTER(LCASE(STR(?n)) IN ({lowered}) "
        f"|| REPLACE(LCASE(STR(?n)), \"[\\\\s_-]+\", \"-\") IN ({lowered}))",
    ):
        for row in backend.query(f"SELECT ?s WHERE {{ {member} {pattern} }} ORDER BY ?s LIMIT 1"):
            return URIRef(row["s"].value)
    return None
