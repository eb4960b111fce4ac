"""Turn what a person types (a slug, an IRI, a public model id, a label) into the IRI it names."""

from __future__ import annotations

import difflib
import re

from rdflib import RDF, RDFS, Graph, URIRef
from rdflib.namespace import DCTERMS, Namespace

from .namespaces import LIN, METHOD, MODEL, ORG, SERIES, SOURCE


class UnknownName(LookupError):
    """No resource of the wanted kind has that name; carries close names to suggest."""

    def __init__(self, kind: str, name: str, suggestions: list[str]):
        self.kind, self.name, self.suggestions = kind, name, suggestions
        hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"unknown {kind} {name!r}{hint}")


KINDS: dict[str, tuple[Namespace, URIRef]] = {
    "model": (MODEL, LIN.Model),
    "series": (SERIES, LIN.ModelSeries),
    "method": (METHOD, LIN.TrainingMethod),
    "org": (ORG, LIN.Organization),
    "source": (SOURCE, LIN.Source),
}


def _members(graph: Graph, cls: URIRef) -> set[URIRef]:
    """Instances of ``cls`` and of its sub-classes (the graph may or may not hold inferences)."""
    classes = set(graph.transitive_subjects(RDFS.subClassOf, cls))
    return {s for c in classes for s in graph.subjects(RDF.type, c) if isinstance(s, URIRef)}


def resolve(graph: Graph, name: str, kind: str = "model") -> URIRef:
    """The IRI of the ``kind`` resource called ``name``; raises :class:`UnknownName` with suggestions."""
    namespace, cls = KINDS[kind]
    candidates = _members(graph, cls)
    text = name.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1]
    if re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+", text) and URIRef(text) in candidates:
        return URIRef(text)
    if re.fullmatch(r"[a-z0-9][a-z0-9._-]*", text.lower()) and namespace[text.lower()] in candidates:
        return namespace[text.lower()]
    names: dict[str, URIRef] = {}
    for iri in candidates:
        if str(iri).startswith(str(namespace)):
            names.setdefault(str(iri)[len(str(namespace)) :].lower(), iri)
        for literal in (*graph.objects(iri, LIN.modelId), *graph.objects(iri, RDFS.label)):
            names.setdefault(str(literal).lower(), iri)
    if text.lower() in names:
        return names[text.lower()]
    slugs = sorted(k for k, v in names.items() if str(v).startswith(str(namespace)) and str(v).endswith(k))
    close = difflib.get_close_matches(text.lower(), slugs, n=3, cutoff=0.6)
    if not close:
        close = [s for s in slugs if text.lower() in s][:3]
    raise UnknownName(kind, name, close)


def slug(iri: URIRef) -> str:
    """The last path segment of an IRI of a thing."""
    return str(iri).rstrip("/").rsplit("/", 1)[-1]


def label(graph: Graph, node) -> str:
    """A node's label (or a source's title), or its slug, or the node itself as text."""
    value = graph.value(node, RDFS.label)
    if value is None:
        value = graph.value(node, DCTERMS.title)
    if value is not None:
        return str(value)
    return slug(node) if isinstance(node, URIRef) else str(node)
