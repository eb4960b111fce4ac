"""Linked Data: every IRI of the graph under ``BASE_IRI`` answers at its path, as RDF or as a page.

``/model/chatgpt`` stands for ``<BASE_IRI>model/chatgpt``. Its description is every triple with it
as subject (asserted and inferred; ``inferred=false`` keeps the asserted ones), the claims about it,
and the labels of what it links to. RDF formats are chosen by ``Accept`` (q-values, wildcards) or by
a suffix (``/model/chatgpt.ttl``); a browser gets a page. N-Quads and TriG keep the named graph of
each triple, so what the reasoner inferred is told apart from what a data file states.

Also here: the index page (families as trees, search by name) and ``/explain`` (why one model is an
ancestor of another: the chains of asserted edges and the claims behind each hop).
"""

from __future__ import annotations

import weakref
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field

from flask import Blueprint, Flask, current_app, jsonify, request, url_for
from rdflib import RDF, RDFS, BNode, Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, SKOS
from werkzeug.wrappers import Response

from lineage import catalog
from lineage.build import quiet_dataset_deprecations, serialize_dataset
from lineage.explain import diagram
from lineage.explain.chains import Claim, NoLineage, claims_about, explain, lineage_properties, most_specific, parents
from lineage.formats import conneg
from lineage.names import KINDS as NAMED_KINDS
from lineage.names import Names, UnknownName, keys, label, slug
from lineage.namespaces import GRAPH_INFERRED, LIN, bind_prefixes
from lineage.stores.backend import (
    ASSERTED,
    MODELS,
    UNION,
    BackendStore,
    count_subjects,
    first_values,
    holds_any,
    largest_families_query,
    resolve_in,
    some_subjects,
)
from lineage.web import render
from lineage.web.errors import http_error
from lineage.web.state import current_state

bp = Blueprint("pages", __name__)

KINDS = ("model", "org", "series", "source", "claim", "method", "license", "dataset")
"""The first path segment of the IRIs of things (``/model/…``): each such IRI has a page."""

SUFFIXES = {
    ".html": conneg.HTML,
    ".ttl": conneg.TURTLE,
    ".rdf": conneg.RDF_XML,
    ".jsonld": conneg.JSON_LD,
    ".nt": conneg.N_TRIPLES,
    ".nq": conneg.N_QUADS,
    ".trig": conneg.TRIG,
}
DESCRIPTION = conneg.Table(
    "description",
    (conneg.TURTLE, conneg.RDF_XML, conneg.JSON_LD, conneg.N_TRIPLES, conneg.N_QUADS, conneg.TRIG, conneg.HTML),
)
"""What a resource is given as: data first (a client that accepts anything gets Turtle), then a page."""

LABELS = (RDFS.label, DCTERMS.title, SKOS.prefLabel)
MAX_SEARCH = 50


# -- the graphs pages read ------------------------------------------------------------------------


@dataclass
class Views:
    """The served graph as pages read it: merged copies of the built graph, made once per served
    graph; or, when a store is served, graphs whose triples are asked of the store (and kept)."""

    asserted: Graph
    union: Graph
    properties: set[URIRef]  # lin:descendantOf and its sub-properties
    dataset: Dataset | None  # the built graph; None when a store is served
    store: BackendStore | None = None
    _families: list[Node] | None = None
    _coverage: catalog.Coverage | None = None

    def coverage(self) -> catalog.Coverage | None:
        """What the served graph covers, counted once per served graph (None from a store: not counted)."""
        if self._coverage is None and self.store is None:
            self._coverage = catalog.coverage(self.asserted)
        return self._coverage

    def is_inferred(self, triple: tuple) -> bool:
        return triple not in self.asserted

    def exists(self, iri: URIRef) -> bool:
        return holds_any(self.union, (iri, None, None)) or holds_any(self.union, (None, None, iri))

    def quads(self, pattern: tuple) -> Iterator[tuple]:
        """``(s, p, o, graph IRI)`` for each named graph holding a triple that matches ``pattern``."""
        if self.store is not None:
            yield from self.store.rows(pattern, None)
            return
        assert self.dataset is not None
        with quiet_dataset_deprecations():
            for s, p, o, graph in self.dataset.quads((*pattern, None)):
                yield s, p, o, graph.identifier if isinstance(graph, Graph) else graph


_views: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def namer(graph: Graph):
    """A ``label`` function for templates: takes IRIs as terms or as text (claims hold them as text)."""
    return lambda node: label(graph, node if isinstance(node, URIRef | Literal) else URIRef(str(node)))


def views() -> Views:
    """The views of the graph this request is served from (the same for the whole request)."""
    state = current_state()
    found = _views.get(state)
    if found is None:
        graph = state.graph
        if graph is None:  # a store: read through it
            store = BackendStore(state.backend)
            asserted, union = store.graph(ASSERTED), store.graph(UNION)
            for g in (asserted, union):
                bind_prefixes(g)
            found = Views(asserted, union, lineage_properties(asserted), None, store)
        else:
            asserted, union = graph.asserted(), graph.union()
            found = Views(asserted, union, lineage_properties(asserted), graph.dataset)
        _views[state] = found
    return found


# -- finding the resource a path names ------------------------------------------------------------


def locate(path: str) -> tuple[URIRef, conneg.MediaType | None]:
    """The IRI that ``path`` names and the media type its suffix asks for (None: negotiate); 404 if none."""
    base = current_app.config["BASE_IRI"]
    iri = URIRef(base + path)
    v = views()
    if v.exists(iri):
        return iri, None
    for suffix, media in SUFFIXES.items():
        if path.endswith(suffix) and v.exists(URIRef(base + path[: -len(suffix)])):
            return URIRef(base + path[: -len(suffix)]), media
    raise NotFound(iri)


def near_names(iri: URIRef) -> list[URIRef]:
    """Up to three things of the same kind whose names are close to the last segment of ``iri``."""
    base = current_app.config["BASE_IRI"]
    kind, _, name = str(iri)[len(base) :].partition("/")
    if kind not in NAMED_KINDS or not name:
        return []
    state = current_state()
    if state.graph is None:  # a store: the same resolver's rules, asked by SPARQL
        try:
            return [resolve_in(state.backend, name, kind)]
        except UnknownName as error:
            return [NAMED_KINDS[kind][0][s] for s in error.suggestions]
    names = Names.of(views().asserted)
    found = names.find(name, kind)
    return [found] if found is not None else [NAMED_KINDS[kind][0][s] for s in names.suggest(name, kind)]


class NotFound(Exception):
    def __init__(self, iri: URIRef):
        super().__init__(iri)
        self.iri = iri


def not_found(error: NotFound) -> Response:
    """404 in the negotiated format: an RDF client gets a document its parser reads (and that is empty)."""
    media = conneg.negotiate(request.accept_mimetypes, DESCRIPTION, request.args.get("format") or None)
    message = f"nothing is known about <{error.iri}> in this graph"
    close = near_names(error.iri)
    if close:
        message += f"; did you mean {', '.join(slug(iri) for iri in close)}?"
    if media is None or media is conneg.HTML:
        base = current_app.config["BASE_IRI"]
        links = [
            {"iri": str(iri), "path": "/" + str(iri)[len(base) :], "label": label(views().union, iri)} for iri in close
        ]
        raise http_error(404, message, suggestions=links)
    if media is conneg.JSON_LD:
        body = b"[]"
    elif media is conneg.RDF_XML:
        body = (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            f"<!-- 404 Not Found: {message.replace('--', '- -')} -->\n"
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>\n'
        ).encode()
    else:  # Turtle, N-Triples, N-Quads, TriG: a comment is a valid, empty document
        body = f"# 404 Not Found: {message}\n".encode()
    return Response(body, status=404, content_type=conneg.content_type(media))


# -- the description as RDF -----------------------------------------------------------------------


def description(iri: URIRef, *, inferred: bool = True) -> Dataset:
    """The quads that describe ``iri``: its own, its claims', those of the blank nodes they reach (as
    in a concise bounded description), and the labels of the IRIs they link to."""
    dataset = Dataset()
    v = views()
    subjects = [iri, *(c for c in v.asserted.objects(iri, LIN.hasClaim) if isinstance(c, URIRef | BNode))]
    described, linked = set(subjects), set()
    with quiet_dataset_deprecations():
        for subject in subjects:  # grows with the blank nodes reached
            for s, p, o, name in v.quads((subject, None, None)):
                if name == GRAPH_INFERRED and not inferred:
                    continue
                dataset.add((s, p, o, name))
                if isinstance(o, BNode) and o not in described:
                    described.add(o)
                    subjects.append(o)
                elif isinstance(o, URIRef) and o not in described:
                    linked.add(o)
        for node in sorted(linked):
            for prop in LABELS:
                for s, p, o, name in v.quads((node, prop, None)):
                    dataset.add((s, p, o, name))
    return dataset


def rdf_response(iri: URIRef, media: conneg.MediaType, *, inferred: bool) -> Response:
    dataset = description(iri, inferred=inferred)
    bind_prefixes(dataset)
    if media.name in conneg.QUAD_FORMATS:
        body = serialize_dataset(dataset, media.rdflib)
    else:
        merged = Graph()
        with quiet_dataset_deprecations():
            for s, p, o, _g in dataset.quads((None, None, None, None)):
                merged.add((s, p, o))
        body = conneg.serialize_graph(merged, media)
    return Response(body, content_type=conneg.content_type(media))


def alternates(path: str) -> str:
    """``Link`` header: the same description in each other format, by suffix."""
    root = request.script_root
    return ", ".join(f'<{root}/{path}{suffix}>; rel="alternate"; type="{m.name}"' for suffix, m in SUFFIXES.items())


# -- pages ----------------------------------------------------------------------------------------


@dataclass
class Fact:
    predicate: URIRef
    value: object
    inferred: bool
    more: int = 0  # further values of the predicate, not listed


MAX_VALUES = 50
"""Values listed per property in a page's statements (a root's lin:ancestorOf has one per descendant)."""


@dataclass
class Relative:
    """An ancestor or descendant: how far, and whether a data file states the edge or it is inferred."""

    iri: URIRef
    label: str
    distance: int
    direct_kind: str = ""  # the asserted edge's kind when the relation is direct


@dataclass
class Page:
    iri: URIRef
    label: str
    kind: str
    types: list[tuple[URIRef, bool]] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)


def facts_of(iri: URIRef) -> list[Fact]:
    """The statements about ``iri``: at most :data:`MAX_VALUES` per property, the rest counted."""
    v = views()
    found = []
    for p, (values, total) in first_values(v.union, iri, MAX_VALUES).items():
        found += [Fact(p, o, v.is_inferred((iri, p, o))) for o in values]
        if total > len(values):
            found[-1].more = total - len(values)
    return sorted(found, key=lambda f: (f.inferred, render.curie(f.predicate), f.more, str(f.value)))


def base_page(iri: URIRef, kind: str) -> Page:
    v = views()
    types = sorted(
        ((t, v.is_inferred((iri, RDF.type, t))) for t in v.union.objects(iri, RDF.type) if isinstance(t, URIRef)),
        key=lambda item: (item[1], str(item[0])),
    )
    return Page(iri, label(v.union, iri), kind, [t for t in types if t[0] != OWL.NamedIndividual], facts_of(iri))


MAX_RELATIVES = 200
"""Descendants listed on a model page, nearest first; the page counts the rest and links to the
saved query that lists them all (a root of the Hugging Face tree has hundreds of thousands)."""


def lineage_of(iri: URIRef, up: bool) -> list[Relative]:
    """Ancestors (``up``) or descendants, nearest first, by breadth-first walk over asserted edges;
    at most :data:`MAX_RELATIVES` descendants."""
    v = views()
    if up:
        inferred = set(v.union.objects(iri, LIN.descendantOf))
    else:
        inferred = set(some_subjects(v.union, LIN.descendantOf, iri, MAX_RELATIVES))
    distance: dict[URIRef, int] = {iri: 0}
    queue = deque([iri])
    direct: dict[URIRef, str] = {}
    while queue and (up or len(distance) <= MAX_RELATIVES):
        node = queue.popleft()
        if up:
            steps = parents(v.asserted, node, v.properties)
        else:
            steps = {}
            for prop in v.properties:
                for child in some_subjects(v.asserted, prop, node, MAX_RELATIVES):
                    steps.setdefault(child, []).append(prop)
        for other, props in sorted(steps.items()):
            if node == iri:
                direct[other] = diagram.kind_label(v.asserted, most_specific(v.asserted, props))
            if other not in distance:
                distance[other] = distance[node] + 1
                queue.append(other)
    found = {n for n in distance if n != iri} | {n for n in inferred if isinstance(n, URIRef) and n != iri}
    relatives = [Relative(n, label(v.union, n), distance.get(n, 0), direct.get(n, "")) for n in found]
    return sorted(relatives, key=lambda r: (r.distance or 99, r.label.lower()))[: None if up else MAX_RELATIVES]


def other_claims(iri: URIRef) -> list[dict]:
    """Date and method claims about ``iri`` (lineage claims are shown with :func:`claims_about`)."""
    v = views()
    found = []
    for node in sorted(v.asserted.objects(iri, LIN.hasClaim), key=str):
        if v.asserted.value(node, LIN.claimedParent) is not None:
            continue
        source = v.asserted.value(node, LIN.source)
        found.append(
            {
                "iri": node,
                "what": "date" if v.asserted.value(node, LIN.claimedDate) is not None else "method",
                "date": v.asserted.value(node, LIN.claimedDate),
                "methods": sorted(v.asserted.objects(node, LIN.method), key=str),
                "default": v.asserted.value(node, LIN.inDefaultLineage),
                "source": source,
                "source_title": v.asserted.value(source, DCTERMS.title) if source is not None else None,
                "publisher": v.asserted.value(source, LIN.publishedBy) if source is not None else None,
                "quote": v.asserted.value(node, LIN.quote),
                "note": v.asserted.value(node, SKOS.note),
            }
        )
    return found


def model_context(iri: URIRef) -> dict:
    v = views()
    g = v.union
    claims = claims_about(v.asserted, iri)
    parents_claimed = {c.parent for c in claims}
    descendants = lineage_of(iri, up=False)
    return {
        "ancestors": lineage_of(iri, up=True),
        "descendants": descendants,
        "descendants_total": (
            count_subjects(g, LIN.descendantOf, iri) if len(descendants) >= MAX_RELATIVES else len(descendants)
        ),
        "descendants_url": url_for("queries.run_saved", name="descendants", model=slug(iri)),
        "claims": claims,
        "disputed": len(parents_claimed) > 1 or any(not c.default for c in claims),
        "other_claims": other_claims(iri),
        "orgs": sorted(g.objects(iri, LIN.developedBy)),
        "series": sorted(g.objects(iri, LIN.memberOf)),
        "dates": sorted(g.objects(iri, LIN.releaseDate)),
        "sizes": sorted(g.objects(iri, LIN.parameterCount)),
        "methods": sorted(g.objects(iri, LIN.method)),
        "model_ids": sorted(g.objects(iri, LIN.modelId)),
        "described_by": sorted(g.objects(iri, LIN.describedBy)),
        "notes": sorted(g.objects(iri, SKOS.note)),
        "unidentified": (iri, RDF.type, LIN.UnidentifiedModel) in g,
        "svg": diagram.lineage_svg(g, iri, href=render.href, label=lambda n: label(g, n), min_scale=0.75),
        "query_url": url_for("queries.run_saved", name="ancestors", model=slug(iri)),
    }


def citing(source: URIRef) -> list[tuple[URIRef | None, Claim | dict]]:
    """Every claim that cites ``source``, with the model it is about."""
    v = views()
    found: list[tuple[URIRef | None, Claim | dict]] = []
    for claim in sorted(v.asserted.subjects(LIN.source, source), key=str):
        model = next(v.asserted.subjects(LIN.hasClaim, claim), None)
        if not isinstance(model, URIRef):
            continue
        if v.asserted.value(claim, LIN.claimedParent) is not None:
            found.extend((model, c) for c in claims_about(v.asserted, model) if c.iri == str(claim))
        else:
            found.extend((model, c) for c in other_claims(model) if c["iri"] == claim)
    return found


def kind_context(iri: URIRef, kind: str) -> dict:
    v = views()
    g = v.union
    if kind == "model":
        return model_context(iri)
    if kind == "org":
        return {
            "models": sorted(g.subjects(LIN.developedBy, iri), key=lambda m: label(g, m).lower()),
            "sources": sorted(g.subjects(LIN.publishedBy, iri), key=lambda s: label(g, s).lower()),
        }
    if kind == "series":
        return {"models": sorted(g.objects(iri, LIN.hasMember), key=lambda m: label(g, m).lower())}
    if kind == "source":
        return {
            "citing": citing(iri),
            "describes": sorted(g.subjects(LIN.describedBy, iri), key=lambda m: label(g, m).lower()),
        }
    if kind == "method":
        return {
            "models": sorted(
                {m for m in g.subjects(LIN.method, iri) if (m, RDF.type, LIN.Model) in g},
                key=lambda m: label(g, m).lower(),
            ),
            "claims": sorted(
                {c for c in g.subjects(LIN.method, iri) if (c, RDF.type, LIN.Claim) in g},
                key=str,
            ),
        }
    return {}


@bp.get("/<any(" + ", ".join(KINDS) + "):kind>/<path:name>")
def resource(kind: str, name: str) -> Response:
    path = f"{kind}/{name}"
    try:
        iri, media = locate(path)
    except NotFound as error:
        return not_found(error)
    if media is None:
        media = conneg.negotiate(request.accept_mimetypes, DESCRIPTION, request.args.get("format") or None)
        if media is None:
            raise http_error(406, f"a resource is described in: {DESCRIPTION.offered()}")
    inferred = request.args.get("inferred", "true").lower() not in ("false", "0", "no")
    base_path = str(iri)[len(current_app.config["BASE_IRI"]) :]
    if media is conneg.HTML:
        page = base_page(iri, kind)
        response = render.render(
            f"{kind}.html" if kind in ("model", "org", "series", "source", "method") else "resource.html",
            page=page,
            g=views().union,
            label=namer(views().union),
            **kind_context(iri, kind),
        )
    else:
        response = rdf_response(iri, media, inferred=inferred)
    response.headers["Link"] = alternates(base_path)
    return response


# -- the index: families as trees, search ---------------------------------------------------------


@dataclass
class Node:
    iri: URIRef
    label: str
    kind: str  # how it derives from its parent in the tree ("" for a root)
    children: list[Node] = field(default_factory=list)


BIG_INDEX = 2_000
"""A store with more models than this gets an index of its largest families, not of every model."""
LARGEST = 20  # families shown then
SHOWN_CHILDREN = 12  # direct children shown under each of them


def families() -> list[Node]:
    """Every model as a tree under its roots (models with no asserted parent); a model with two
    parents appears under each. From a big store, only the largest families (kept per served state)."""
    v = views()
    if v.store is None:
        return all_families(v)
    if v._families is None:
        backend = v.store.backend
        stats = backend.statistics or {}
        models = stats.get("models")
        if models is None:
            models = int(next(iter(backend.query(MODELS)))["n"].value)
        v._families = all_families(v) if models <= BIG_INDEX else largest_families(v, stats.get("largest"))
    return v._families


def family_count() -> int | None:
    """How many families (models with no ancestor) a big store holds, when its build counted them."""
    v = views()
    stats = (v.store.backend.statistics if v.store is not None else None) or {}
    return stats.get("families")


def largest_families(v: Views, counted: list[list] | None = None) -> list[Node]:
    """The :data:`LARGEST` families by descendants (``counted`` by the build, else asked now), each
    root with some of its direct children."""
    backend = v.store.backend  # type: ignore[union-attr]
    if counted is None:
        counted = [[row["root"].value, int(row["n"].value)] for row in backend.query(largest_families_query(LARGEST))]
    props = " ".join(f"<{p}>" for p in sorted(v.properties))
    found = []
    for iri, size in counted[:LARGEST]:
        root = URIRef(iri)
        # Asserted edges only (direct children), the first in the store's order, then sorted here:
        # ORDER BY in the query sorts all of a root's children first (160k, 10 s at 1M models).
        below = f"SELECT DISTINCT ?c WHERE {{ VALUES ?p {{ {props} }} ?c ?p <{root}> }} LIMIT {SHOWN_CHILDREN}"
        direct = backend.query(below, default=v.store.asserted, named=[])  # type: ignore[union-attr]
        children = sorted(
            (Node(URIRef(r["c"].value), label(v.union, URIRef(r["c"].value)), "") for r in direct),
            key=lambda n: n.label.lower(),
        )
        note = f"{size:,} descendants" + (f"; {len(children)} of its derived models shown" if children else "")
        found.append(Node(root, label(v.union, root), note, children))
    return found


def all_families(v: Views) -> list[Node]:
    g = v.asserted
    models = {m for m in v.union.subjects(RDF.type, LIN.Model) if isinstance(m, URIRef)}
    children: dict[URIRef, list[tuple[URIRef, str]]] = {}
    has_parent = set()
    for model in models:
        for parent, props in parents(g, model, v.properties).items():
            children.setdefault(parent, []).append((model, diagram.kind_label(g, most_specific(g, props))))
            has_parent.add(model)

    def grow(node: URIRef, kind: str, seen: frozenset) -> Node:
        below = sorted(children.get(node, []), key=lambda item: label(g, item[0]).lower())
        return Node(node, label(g, node), kind, [grow(c, k, seen | {node}) for c, k in below if c not in seen])

    roots = sorted(models - has_parent, key=lambda m: label(g, m).lower())
    return sorted((grow(r, "", frozenset()) for r in roots), key=lambda n: (-_size(n), n.label.lower()))


def _size(node: Node) -> int:
    return 1 + sum(_size(c) for c in node.children)


def _find_in_store(v: Views, text: str, kind: str) -> URIRef | None:
    assert v.store is not None
    try:
        return resolve_in(v.store.backend, text, kind)
    except UnknownName:
        return None


def search(text: str) -> list[URIRef]:
    """Models that ``text`` names or partly names, best first: the model the resolver finds (the same
    one the CLI and ``/explain`` would take), the members of a family it names, then models whose
    label, alternative label, model id or slug contains the text in any spacing."""
    v = views()
    g = v.union
    wanted = keys(text)
    if not wanted:
        return []
    first: list[URIRef] = []
    if v.store is None:
        names = Names.of(v.asserted)
        exact, family = names.find(text, "model"), names.find(text, "series")
        candidates = {
            iri for key, iris in names.by_key["model"].items() if any(w in key for w in wanted) for iri in iris
        }
    else:  # the same rules, asked of the store; the candidates are ranked here
        exact, family = _find_in_store(v, text, "model"), _find_in_store(v, text, "series")
        lowered = Literal(wanted[0]).n3()
        rows = v.store.backend.query(
            f"""SELECT DISTINCT ?m WHERE {{ ?m a lin:Model .
              {{ FILTER(CONTAINS(LCASE(STR(?m)), {lowered})) }} UNION
              {{ ?m rdfs:label|lin:modelId ?n FILTER(CONTAINS(LCASE(STR(?n)), {lowered})) }}
            }} LIMIT {MAX_SEARCH * 20}"""
        )
        candidates = {URIRef(row["m"].value) for row in rows}
    first = [exact] if exact is not None else []
    if family is not None:
        first += sorted(m for m in g.subjects(LIN.memberOf, family) if isinstance(m, URIRef))
    scored = []
    for model in candidates - set(first):
        found = [k for n in (slug(model), label(g, model), *map(str, g.objects(model, LIN.modelId))) for k in keys(n)]
        score = 0 if set(wanted) & set(found) else 1 if any(f.startswith(w) for f in found for w in wanted) else 2
        scored.append((score, label(g, model).lower(), model))
    return list(dict.fromkeys([*first, *(m for _s, _l, m in sorted(scored))]))[:MAX_SEARCH]


MAX_MEMBERS = 500  # of a class, listed on the index page from a store


def members(cls: URIRef) -> list[URIRef]:
    v = views()
    g = v.union
    if v.store is not None:
        rows = v.store.backend.query(
            f"SELECT DISTINCT ?s WHERE {{ ?s a <{cls}> FILTER(isIRI(?s)) }} LIMIT {MAX_MEMBERS}"
        )
        found = {URIRef(row["s"].value) for row in rows}
    else:
        found = {s for s in g.subjects(RDF.type, cls) if isinstance(s, URIRef)}
    return sorted(found, key=lambda s: label(g, s).lower())


@bp.get("/")
def index() -> Response:
    text = request.args.get("q", "")
    g = views().union
    return render.render(
        "index.html",
        q=text,
        found=search(text) if text.strip() else None,
        families=families(),
        family_total=family_count(),
        orgs=members(LIN.Organization),
        people=members(LIN.Person),
        series=members(LIN.ModelSeries),
        methods=members(LIN.TrainingMethod),
        sources=members(LIN.Source),
        label=namer(g),
        coverage=views().coverage(),
    )


# -- the models ----------------------------------------------------------------------------------


@bp.get("/models")
def models_page() -> Response:
    """Every model, filterable by ``developer`` and ``family`` (names the resolver knows); HTML or JSON."""
    media = render.html_or_json("the models are listed as")
    v = views()
    if v.store is not None:
        raise http_error(501, "the model list is not offered from a store: ask /sparql or /queries/descendants")
    developer, family = request.args.get("developer") or None, request.args.get("family") or None
    try:
        rows = catalog.models(v.asserted, developer=developer, family=family)
    except UnknownName as error:
        raise http_error(404, str(error)) from None
    covered = v.coverage()
    assert covered is not None  # counted in memory: a store was refused above
    if media is not conneg.HTML:
        return jsonify(models=[row.to_dict() for row in rows], coverage=covered.to_dict())
    return render.render("models.html", rows=rows, developer=developer, family=family, coverage=covered)


# -- explain --------------------------------------------------------------------------------------


@bp.get("/explain")
def explain_page() -> Response:
    """Why is ``model`` a descendant of ``ancestor``? The chains of asserted edges and their claims."""
    model, ancestor = request.args.get("model", ""), request.args.get("ancestor", "")
    if not model or not ancestor:
        raise http_error(400, "explain needs two parameters: model and ancestor (e.g. ?model=chatgpt&ancestor=davinci)")
    media = render.html_or_json("an explanation is given as")
    try:
        answer = explain(views().asserted, model, ancestor)
    except UnknownName as error:
        raise http_error(404, str(error)) from None
    except NoLineage as error:
        raise http_error(404, str(error)) from None
    if media is conneg.HTML:
        g = views().union
        return render.render("explain.html", answer=answer, label=namer(g))
    return jsonify(answer.to_dict())


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals.update(is_literal=lambda node: isinstance(node, Literal))
