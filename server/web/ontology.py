"""The ontology and the whole graph as documents, and the VoID description of the dataset.

- ``/ontology`` answers for the ontology IRI, ``/ontology/<version>`` for its version IRI, and
  ``/ontology/alignments`` (and its version IRI) for the alignments: each ontology file of the build
  as its own OWL document, and for browsers the ontology's reference page, generated from the graph.
- ``/graph`` is the ontology plus every individual as ONE OWL ontology, what Protégé's "Open from
  URL" needs: the per-file ontology headers (and their ``owl:imports``) are replaced by one header,
  since the ontology is inside. ``?inferred=true`` adds the OWL-RL inferences that are OWL 2 DL
  axioms (not the reserved-vocabulary tautologies owlrl also derives).
- ``/.well-known/void`` describes the dataset in VoID, one subset per named graph.

Each answer is negotiated from one media-type table, or chosen by a suffix (``.ttl``, ``.rdf`` or
``.owl``, ``.jsonld``, ``.nt``, ``.html``). The ontology and the whole graph put RDF/XML first, so
``*/*`` and no ``Accept`` get RDF/XML: it is the one syntax every OWL 2 tool must read (the
OWL 2 Document Overview lists it as the only mandatory one), and Protégé, the OWL API and older
OWL tools ask for it first or only. A browser asks for ``text/html`` and gets the page; ``curl``
users ask for Turtle or use ``/ontology.ttl``, which is the Turtle source file itself, comments and
order kept. VoID is plain RDF metadata and puts Turtle first, like the service description.

RDF/XML is written with declarations first (see :mod:`lineage.formats.rdfxml`): OWL API 3.4.3 drops an
IRI-valued annotation whose annotation property is declared further down an RDF/XML document.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, current_app, redirect, request, url_for
from rdflib import OWL, RDF, RDFS, XSD, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS, VOID
from werkzeug.wrappers import Response

from lineage.build import Inputs, KnowledgeGraph
from lineage.formats import conneg
from lineage.formats.owl import OntologyFile, read_ontologies, whole_graph
from lineage.namespaces import GRAPH_INFERRED, GRAPH_ONTOLOGY, ONTOLOGY_IRI, SCHEMA
from lineage.stores.backend import Backend
from lineage.web.errors import http_error
from lineage.web.render import render
from lineage.web.sparql import FORMATS, RESULT_FORMATS, dataset_iri
from lineage.web.state import ServedState, current_state

RDF_XML = conneg.RDF_XML
RDF_FORMATS = (conneg.TURTLE, RDF_XML, conneg.JSON_LD, conneg.N_TRIPLES)

OWL_DOCUMENT = conneg.Table("OWL document", (RDF_XML, conneg.TURTLE, conneg.JSON_LD, conneg.N_TRIPLES))
"""The whole graph: RDF/XML first, for the OWL API and Protégé."""
ONTOLOGY = conneg.with_html(OWL_DOCUMENT)
"""The ontology: as the whole graph, plus the reference page for browsers."""
VOID_DOCUMENT = conneg.Table("VoID", RDF_FORMATS)

SUFFIXES = {
    "ttl": conneg.TURTLE,
    "rdf": RDF_XML,
    "owl": RDF_XML,
    "jsonld": conneg.JSON_LD,
    "nt": conneg.N_TRIPLES,
    "html": conneg.HTML,
}
"""The media type each suffix asks for."""
SUFFIX_OF = {media.name: suffix for suffix, media in reversed(SUFFIXES.items())}
"""The suffix links use for each media type (``.rdf``, not ``.owl``)."""

EXAMPLES = (
    "model/chatgpt",
    "model/unidentified-gpt-3-family-model",
    "model/llama-3.1-8b-instruct",
    "model/deepseek-r1-distill-qwen-7b",
    "org/openai",
)
"""Example resources for VoID, those of them that the graph holds."""
SECTIONS = (
    ("classes", "Classes", OWL.Class),
    ("object-properties", "Object properties", OWL.ObjectProperty),
    ("datatype-properties", "Datatype properties", OWL.DatatypeProperty),
    ("annotation-properties", "Annotation properties", OWL.AnnotationProperty),
    ("individuals", "Individuals", OWL.NamedIndividual),
)
"""Sections of the reference page: (anchor suffix, heading, the type whose terms it lists)."""
CHARACTERISTICS = {
    OWL.TransitiveProperty: "transitive",
    OWL.SymmetricProperty: "symmetric",
    OWL.AsymmetricProperty: "asymmetric",
    OWL.FunctionalProperty: "functional",
    OWL.InverseFunctionalProperty: "inverse functional",
    OWL.ReflexiveProperty: "reflexive",
    OWL.IrreflexiveProperty: "irreflexive",
}
ALIGNING = (RDFS.subClassOf, RDFS.subPropertyOf, OWL.equivalentClass, OWL.equivalentProperty)

bp = Blueprint("ontology", __name__)


# -- RDF/XML in an order the OWL API reads fully --------------------------------------------------


# -- the documents ----------------------------------------------------------------------------------




@dataclass
class Document:
    """What one path answers: an RDF graph in the formats of ``table``, or a page."""

    path: str  # without the leading slash: "ontology", "ontology/0.1.0", "graph"
    table: conneg.Table
    graph: Callable[[], Graph]  # the document's triples (called once and kept, unless not ``kept``)
    turtle: bytes | None = None  # served as Turtle verbatim (the source file) instead of a serialisation
    page: Callable[[], Response] | None = None  # the HTML answer, when the table offers HTML
    queries: tuple[str, ...] = ()  # query parameters that select another document ("inferred")
    kept: bool = True  # False: the graph depends on the request (VoID names this server's URLs)


@dataclass
class Published:
    """Shared state (``app.extensions["ontology"]``): the documents, built once, serialised once."""

    ontologies: list[OntologyFile]
    main: OntologyFile
    graph: KnowledgeGraph | None  # None: a store is served
    vocabularies: list[URIRef] = field(default_factory=list)  # for VoID
    examples: list[URIRef] = field(default_factory=list)  # for VoID
    documents: dict[str, Document] = field(default_factory=dict)
    _graphs: dict[str, Graph] = field(default_factory=dict)
    _bodies: dict[tuple[str, str], bytes] = field(default_factory=dict)

    def triples(self, doc: Document) -> Graph:
        if not doc.kept:
            return doc.graph()
        if doc.path not in self._graphs:
            self._graphs[doc.path] = doc.graph()
        return self._graphs[doc.path]

    def body(self, doc: Document, media: conneg.MediaType) -> bytes:
        """The document in ``media``; computed on first use and kept, unless it depends on the request."""
        key = (doc.path, media.name)
        if key in self._bodies:
            return self._bodies[key]
        if media.name == conneg.TURTLE.name and doc.turtle is not None:
            body = doc.turtle
        else:
            graph = self.triples(doc)
            body = conneg.serialize_graph(graph, media)
        if doc.kept:
            self._bodies[key] = body
        return body








def constant(graph: Graph) -> Callable[[], Graph]:
    return lambda: graph


def local_path(iri: Any, base: str) -> str | None:
    """``ontology/0.1.0`` for ``<base>ontology/0.1.0``; None for an IRI not under ``base``."""
    text = str(iri)
    return text[len(base) :] if text.startswith(base) and len(text) > len(base) else None


def build(
    graph: KnowledgeGraph | None, base: str, *, backend: Backend | None = None, root: Path | None = None
) -> Published:
    """The documents of ``graph`` under ``base`` (the ``BASE_IRI`` setting).

    Serving a store (``graph`` None, ``backend`` given), the ontology documents are read from the
    checkout's ontology files, the rest is asked of the store; the whole graph is not offered."""
    ontologies = read_ontologies(graph if graph is not None else Inputs.bundled(root))
    main = next((o for o in ontologies if o.iri == ONTOLOGY_IRI), ontologies[0])
    published = Published(ontologies, main, graph)
    if graph is not None:
        union = graph.union()
        published.vocabularies = sorted(vocabularies(union, base))
        published.examples = [URIRef(base + e) for e in EXAMPLES if (URIRef(base + e), None, None) in union]
    elif backend is not None:  # the vocabularies take a scan of the store: done when VoID is first asked for
        published.vocabularies = functools.partial(store_vocabularies, backend, base)  # type: ignore[assignment]
        published.examples = [URIRef(base + e) for e in EXAMPLES if store_holds(backend, URIRef(base + e))]
    for onto in ontologies:
        for iri in (onto.iri, onto.version_iri):
            path = local_path(iri, base) if iri is not None else None
            if path is None:
                continue
            page = ontology_page if onto is main else alignments_page
            published.documents[path] = Document(path, ONTOLOGY, constant(onto.graph), turtle=onto.text, page=page)
    for inferred in (False, True):
        path = "graph" + ("?inferred=true" if inferred else "")
        published.documents[path] = Document(
            path,
            OWL_DOCUMENT,
            functools.partial(whole_graph, graph, main, base, inferred=inferred) if graph is not None else no_dump,
            queries=("inferred",),
        )
    published.documents[".well-known/void"] = Document(".well-known/void", VOID_DOCUMENT, describe_dataset, kept=False)
    return published


def no_dump() -> Graph:
    raise http_error(
        501,
        "the whole graph is not offered as one document when a store is served: "
        "ask /sparql (CONSTRUCT) or the store itself for its named graphs",
    )


def store_vocabularies(backend: Backend, base: str) -> set[URIRef]:
    """:func:`vocabularies`, from the distinct properties and classes of a store."""
    found = Graph()
    for row in backend.query("SELECT DISTINCT ?p WHERE { ?s ?p ?o }"):
        found.add((RDF.type, RDF.type, URIRef(row["p"].value)))  # only the term matters
    for row in backend.query("SELECT DISTINCT ?c WHERE { ?s a ?c }"):
        found.add((RDF.type, RDF.type, URIRef(row["c"].value)))
    return vocabularies(found, base)  # rdf: is counted as rdf:type is used, which it always is


def store_holds(backend: Backend, iri: URIRef) -> bool:
    text = f"ASK {{ {{ <{iri}> ?p ?o }} UNION {{ ?s ?p <{iri}> }} }}"
    return bool(backend.query(text, form="ASK"))


def graph_titles(state: ServedState) -> dict[URIRef, Any]:
    """The ``dcterms:title`` each named graph gives itself."""
    if state.graph is not None:
        return {iri: state.graph.dataset.graph(iri).value(iri, DCTERMS.title) for iri in state.counts}
    rows = state.backend.query("SELECT ?g ?t WHERE { GRAPH ?g { ?g dcterms:title ?t } }")
    return {URIRef(row["g"].value): row["t"].value for row in rows}


_rebuilding = threading.Lock()


def published() -> Published:
    """The documents of the graph this request is served from (:func:`lineage.web.state.current_state`).

    After a hot reload (:mod:`lineage.web.watch`) swapped the graph, the first request on the new graph
    publishes it anew. A request that started before the swap keeps its old graph, and gets
    documents built for it but not kept: what it reads always matches the graph it queries.
    """
    served = current_state().graph
    state: Published = current_app.extensions["ontology"]
    if state.graph is served:
        return state
    if served is not current_app.extensions["lineage"].graph:
        return build(served, current_app.config["BASE_IRI"])
    with _rebuilding:
        state = current_app.extensions["ontology"]
        if state.graph is not served:
            state = build(served, current_app.config["BASE_IRI"])
            current_app.extensions["ontology"] = state
    return state


# -- serving ----------------------------------------------------------------------------------------


def find(path: str) -> tuple[Document, conneg.MediaType | None]:
    """The document at ``path`` and the media type its suffix names (None: negotiate); 404 if none."""
    documents = published().documents
    suffix: str | None = None
    if path not in documents and "." in path:
        path, suffix = path.rsplit(".", 1)
        if suffix not in SUFFIXES:
            path = ""
    if path in documents and documents[path].queries:
        path = _with_query(documents[path], path)
    doc = documents.get(path)
    if doc is None or (suffix is not None and SUFFIXES[suffix].name not in doc.table.names):
        raise http_error(404, f"nothing is published at {request.path}")
    return doc, SUFFIXES[suffix] if suffix else None


def _with_query(doc: Document, path: str) -> str:
    """The path of the variant the query parameters select: ``graph?inferred=true``."""
    for name in doc.queries:
        raw = request.args.get(name)
        if raw is None or raw.lower() in ("false", "0", "no"):
            continue
        if raw.lower() in ("true", "1", "yes", ""):
            return f"{path}?{name}=true"
        raise http_error(400, f"parameter {name}: {raw!r} is neither true nor false")
    return path


def alternates(doc: Document, chosen: conneg.MediaType) -> str:
    """``Link`` header value: the document in each other format, by suffix."""
    path, _, query = doc.path.partition("?")
    links = []
    for media in doc.table.types:
        if media.name != chosen.name:
            target = f"{request.script_root}/{path}.{SUFFIX_OF[media.name]}" + (f"?{query}" if query else "")
            links.append(f'<{target}>; rel="alternate"; type="{media.name}"')
    return ", ".join(links)


def serve(path: str) -> Response:
    doc, media = find(path)
    if media is None:
        media = conneg.negotiate(request.accept_mimetypes, doc.table, request.args.get("format") or None)
        if media is None:
            raise http_error(406, f"/{doc.path} is offered as {doc.table.offered()}")
    if media.name == conneg.HTML.name:
        assert doc.page is not None  # only tables with HTML have pages
        response = doc.page()
    else:
        response = Response(published().body(doc, media), content_type=conneg.content_type(media))
    response.headers["Link"] = alternates(doc, media)
    return response


@bp.get("/ontology")
@bp.get("/ontology.<suffix>")
@bp.get("/ontology/<path:rest>")
@bp.get("/graph")
@bp.get("/graph.<suffix>")
@bp.get("/.well-known/void")
@bp.get("/.well-known/void.<suffix>")
def document(suffix: str | None = None, rest: str | None = None) -> Response:
    """Every document of this module, found by its path (see :func:`find`)."""
    return serve(request.path.lstrip("/"))


# -- VoID -------------------------------------------------------------------------------------------


def vocabularies(graph: Graph, base: str) -> set[URIRef]:
    """Namespaces of the properties and classes used in ``graph``, except those of things under ``base``."""
    ontology_ns = str(ONTOLOGY_IRI) + "#"
    found = set()
    for _, p, o in graph:
        for term in (p, o) if p == RDF.type else (p,):
            if not isinstance(term, URIRef):
                continue
            text = str(term)
            ns = text[: max(text.rfind("#"), text.rfind("/")) + 1]
            if ns and (not ns.startswith(base) or ns == ontology_ns):
                found.add(URIRef(ns))
    return found


def describe_dataset() -> Graph:
    """The VoID description: dataset, one subset per named graph, endpoint, dump, vocabularies."""
    state, docs = current_state(), published()
    base = current_app.config["BASE_IRI"]
    void = Graph()
    void.bind("void", VOID)
    void.bind("formats", FORMATS)
    dataset = dataset_iri(base)
    main = docs.main
    void.add((dataset, RDF.type, VOID.Dataset))
    void.add((dataset, DCTERMS.title, Literal("Model Lineage Graph", lang="en")))
    void.add(
        (
            dataset,
            DCTERMS.description,
            Literal(
                "Where AI models come from, with the sources behind every lineage claim: models, their direct "
                "derivations, the claims and sources that back them, and the OWL 2 RL inferences. The dump "
                "holds the asserted triples as one OWL document; ?inferred=true adds the inferences.",
                lang="en",
            ),
        )
    )
    void.add((dataset, DCTERMS.license, main.license))
    void.add((dataset, VOID.triples, Literal(state.triples, datatype=XSD.integer)))
    void.add((dataset, VOID.sparqlEndpoint, URIRef(url_for("sparql.endpoint", _external=True))))
    void.add((dataset, VOID.dataDump, URIRef(request.url_root + "graph")))
    void.add((dataset, VOID.uriSpace, Literal(base)))
    for media in RDF_FORMATS:
        void.add((dataset, VOID.feature, RESULT_FORMATS[media.name]))
    for example in docs.examples:
        void.add((dataset, VOID.exampleResource, example))
    if callable(docs.vocabularies):
        docs.vocabularies = sorted(docs.vocabularies())
    for ns in docs.vocabularies:
        void.add((dataset, VOID.vocabulary, ns))
    titles = {GRAPH_ONTOLOGY: "The ontology and its alignments", GRAPH_INFERRED: "OWL 2 RL inferences"}
    own_titles = graph_titles(state)
    for iri, count in state.counts.items():
        void.add((dataset, VOID.subset, iri))
        void.add((iri, RDF.type, VOID.Dataset))
        void.add((iri, VOID.triples, Literal(count, datatype=XSD.integer)))
        title = titles.get(iri) or own_titles.get(iri)
        if title is not None:
            void.add((iri, DCTERMS.title, Literal(str(title), lang="en")))
    return void


# -- the reference page -----------------------------------------------------------------------------


@dataclass
class Term:
    """One term of the ontology as the reference page shows it."""

    iri: URIRef
    name: str  # the local name: the page anchor
    label: str
    definition: str | None
    kind: URIRef
    tags: list[str]
    facts: list[tuple[str, list[Any]]]  # ("sub-property of", [lin:derivedFrom]), ...
    examples: list[str]
    notes: list[str]


@dataclass
class TreeNode:
    term: Term
    children: list[TreeNode]


@dataclass
class Reference:
    """Everything the reference page shows, computed from the ontology and alignment graphs."""

    iri: URIRef
    header: dict[str, Any]
    sections: list[tuple[str, str, list[Term]]]  # (anchor, heading, terms)
    trees: list[tuple[str, list[TreeNode]]]  # ("Classes", roots), ("Object properties", roots)
    alignments: list[tuple[Term, URIRef, URIRef]]  # (our term, relation, their term)
    alignment_files: list[OntologyFile]


def _text(graph: Graph, subject: Any, predicate: URIRef) -> str | None:
    """One value of ``predicate``: the English one when there are several languages."""
    values = list(graph.objects(subject, predicate))
    values.sort(key=lambda v: (getattr(v, "language", None) not in (None, "en"), str(v)))
    return str(values[0]) if values else None


def reference(main: OntologyFile, others: list[OntologyFile]) -> Reference:
    """The reference page of ``main``, with the alignments the ``others`` add."""
    graph = main.graph
    namespace = str(main.iri) + "#"
    extra = Graph()
    for other in others:
        extra += other.graph
    terms = _terms(graph, namespace)
    for term in terms.values():
        term.tags += _tags(graph, term)
        term.facts += _facts(graph, extra, namespace, term)
    sections = [(anchor, heading, [t for t in terms.values() if t.kind == kind]) for anchor, heading, kind in SECTIONS]
    return Reference(
        iri=main.iri,
        header=_header(main),
        sections=[s for s in sections if s[2]],
        trees=[
            ("Classes", _tree(graph, terms, OWL.Class, RDFS.subClassOf)),
            ("Object properties", _tree(graph, terms, OWL.ObjectProperty, RDFS.subPropertyOf)),
        ],
        alignments=_alignments(extra, terms, namespace),
        alignment_files=others,
    )


def _ours(node: Any, namespace: str) -> bool:
    """Whether ``node`` is an IRI in the ontology's ``namespace``."""
    return isinstance(node, URIRef) and str(node).startswith(namespace)


def _terms(graph: Graph, namespace: str) -> dict[URIRef, Term]:
    """The ontology's own terms, section by section, each in the order of its name (tags and facts empty)."""
    terms: dict[URIRef, Term] = {}
    for _, _, kind in SECTIONS:
        for iri in sorted(set(graph.subjects(RDF.type, kind)), key=lambda i: str(i).lower()):
            if isinstance(iri, URIRef) and _ours(iri, namespace) and iri not in terms:
                name = str(iri)[len(namespace) :]
                terms[iri] = Term(
                    iri=iri,
                    name=name,
                    label=_text(graph, iri, RDFS.label) or name,
                    definition=_text(graph, iri, SKOS.definition),
                    kind=kind,
                    tags=[],
                    facts=[],
                    examples=sorted(str(v) for v in graph.objects(iri, SKOS.example)),
                    notes=sorted(str(v) for v in graph.objects(iri, SKOS.note)),
                )
    return terms


def _tags(graph: Graph, term: Term) -> list[str]:
    """The characteristics of a term (transitive, …) and whether it is deprecated."""
    tags = [tag for characteristic, tag in CHARACTERISTICS.items() if (term.iri, RDF.type, characteristic) in graph]
    if (term.iri, OWL.deprecated, Literal(True)) in graph:
        tags.append("deprecated")
    return tags


def _facts(graph: Graph, extra: Graph, namespace: str, term: Term) -> list[tuple[str, list[Any]]]:
    """What the page says of a term: its types, its place in the hierarchy, domain and range, and the
    terms elsewhere it is aligned with (``extra``: the alignment graphs)."""
    iri = term.iri

    def values(subject: Any, predicate: URIRef) -> list[Any]:
        return sorted(set(graph.objects(subject, predicate)), key=str)

    def subjects(predicate: URIRef, obj: Any) -> list[Any]:
        return sorted((s for s in set(graph.subjects(predicate, obj)) if _ours(s, namespace)), key=str)

    facts: list[tuple[str, list[Any]]] = []
    if term.kind == OWL.NamedIndividual:
        types = [t for t in values(iri, RDF.type) if t != OWL.NamedIndividual]
        facts.append(("instance of", types))
    parent = RDFS.subClassOf if term.kind == OWL.Class else RDFS.subPropertyOf
    word = "class" if term.kind == OWL.Class else "property"
    inverse = values(iri, OWL.inverseOf) + subjects(OWL.inverseOf, iri)
    aligned = {o for p in ALIGNING for o in extra.objects(iri, p) if not _ours(o, namespace)}
    for label, nodes in (
        (f"sub-{word} of", [v for v in values(iri, parent) if _ours(v, namespace)]),
        (f"super-{word} of", subjects(parent, iri)),
        ("inverse of", sorted(set(inverse), key=str)),
        ("domain", values(iri, RDFS.domain)),
        ("range", values(iri, RDFS.range)),
        ("domain includes", values(iri, SCHEMA.domainIncludes)),
        ("range includes", values(iri, SCHEMA.rangeIncludes)),
        ("aligned with", sorted(aligned, key=str)),
        ("equivalent to", values(iri, OWL.equivalentClass) + values(iri, OWL.equivalentProperty)),
        ("see also", values(iri, RDFS.seeAlso)),
    ):
        if nodes:
            facts.append((label, nodes))
    return facts


def _tree(graph: Graph, terms: dict[URIRef, Term], kind: URIRef, parent: URIRef) -> list[TreeNode]:
    """The terms of ``kind`` as a forest by ``parent`` (sub-class or sub-property of), roots first."""
    members = [t for t in terms.values() if t.kind == kind]

    def children(of: URIRef | None, above: frozenset[URIRef]) -> list[TreeNode]:
        found = []
        for term in members:
            supers = [v for v in graph.objects(term.iri, parent) if v in terms]
            if ((of is None and not supers) or of in supers) and term.iri not in above:
                found.append(TreeNode(term, children(term.iri, above | {term.iri})))
        return found

    return children(None, frozenset())


def _alignments(extra: Graph, terms: dict[URIRef, Term], namespace: str) -> list[tuple[Term, URIRef, URIRef]]:
    """(our term, relation, their term) for each alignment in ``extra``, by our term's name."""
    alignments = [
        (terms[s], p, o)
        for p in ALIGNING
        for s, o in extra.subject_objects(p)
        if isinstance(s, URIRef) and s in terms and isinstance(o, URIRef) and not _ours(o, namespace)
    ]
    alignments.sort(key=lambda a: (a[0].name.lower(), str(a[1]), str(a[2])))
    return alignments


def _header(main: OntologyFile) -> dict[str, Any]:
    """The ontology's title, description, dates, creator, version and licence."""
    header_keys = {
        "title": DCTERMS.title,
        "description": DCTERMS.description,
        "created": DCTERMS.created,
        "modified": DCTERMS.modified,
        "creator": DCTERMS.creator,
        "version": OWL.versionInfo,
    }
    header: dict[str, Any] = {key: _text(main.graph, main.iri, p) for key, p in header_keys.items()}
    header["license"] = main.graph.value(main.iri, DCTERMS.license)
    header["version_iri"] = main.version_iri
    return header


def formats(path: str, table: conneg.Table) -> list[tuple[str, str, str]]:
    """(label, media type, href) of each RDF format of the document at ``path``."""
    labels = {
        conneg.TURTLE.name: "Turtle",
        RDF_XML.name: "RDF/XML",
        conneg.JSON_LD.name: "JSON-LD",
        conneg.N_TRIPLES.name: "N-Triples",
    }
    return [
        (labels[m.name], m.name, f"{request.script_root}/{path}.{SUFFIX_OF[m.name]}")
        for m in table.types
        if m.name in labels
    ]


def ontology_page() -> Response:
    state = published()
    others = [o for o in state.ontologies if o is not state.main]
    base = current_app.config["BASE_IRI"]
    path = local_path(state.main.iri, base) or "ontology"
    return render(
        "ontology.html",
        ref=reference(state.main, others),
        formats=formats(path, OWL_DOCUMENT),
        graph_formats=formats("graph", OWL_DOCUMENT),
        alignment_links=[
            (_text(o.graph, o.iri, DCTERMS.title) or str(o.iri), formats(local_path(o.iri, base) or "", OWL_DOCUMENT))
            for o in others
        ],
        void=f"{request.script_root}/.well-known/void",
    )


def alignments_page() -> Response:
    """The alignments have no page of their own: they are a section of the ontology's."""
    state = published()
    path = local_path(state.main.iri, current_app.config["BASE_IRI"]) or "ontology"
    return redirect(f"{request.script_root}/{path}#sec-alignments", code=303)


def init_app(app: Flask) -> Published:
    """Publish the documents of the graph that :func:`lineage.web.state.init_app` serves."""
    served = app.extensions["lineage"]
    root = Path(app.config["ROOT"]) if app.config["ROOT"] else None
    state = build(served.graph, app.config["BASE_IRI"], backend=served.backend, root=root)
    app.extensions["ontology"] = state
    app.register_blueprint(bp)
    return state
