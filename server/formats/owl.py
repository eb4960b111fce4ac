"""The graph as OWL: each ontology file with its header, and ontology plus data as ONE document.

One document with one ``owl:Ontology`` header (the data files' own headers, each importing the
ontology, are left out), as ``/graph`` serves it and ``lineage export --format xml`` writes it:
the OWL API then reads ontology and data together, with no import to resolve.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rdflib import OWL, RDF, RDFS, XSD, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS
from rdflib.term import Node

from lineage.build import Inputs, KnowledgeGraph, parse_turtle
from lineage.version import __version__

CC_BY = URIRef("https://creativecommons.org/licenses/by/4.0/")


RESERVED = tuple(str(ns) for ns in (RDF, RDFS, OWL, XSD))


@dataclass
class OntologyFile:
    """One ontology file of the build: its ontology IRI and version IRI, its triples and its text."""

    path: Path
    iri: URIRef
    version_iri: URIRef | None
    graph: Graph
    text: bytes

    @property
    def license(self) -> Node:
        return self.graph.value(self.iri, DCTERMS.license) or CC_BY


def read_ontologies(graph: KnowledgeGraph | Inputs) -> list[OntologyFile]:
    """Each ontology input of the build (or of ``Inputs``) that declares an ``owl:Ontology``, parsed on its own."""
    files = []
    inputs = graph.inputs if isinstance(graph, KnowledgeGraph) else graph
    for path in inputs.ontology:
        parsed = parse_turtle(path)
        for iri in parsed.subjects(RDF.type, OWL.Ontology):
            if isinstance(iri, URIRef):
                version = parsed.value(iri, OWL.versionIRI)
                version_iri = version if isinstance(version, URIRef) else None
                files.append(OntologyFile(path, iri, version_iri, parsed, path.read_bytes()))
                break
    return files


def is_owl_axiom(triple: tuple[Any, Any, Any]) -> bool:
    """An inferred triple worth giving an OWL tool: not about the reserved vocabulary, not ``owl:Thing``.

    owlrl also derives that ``xsd:date`` is a datatype, that ``owl:Nothing`` is a sub-class of
    every class, that every class is a sub-class of ``owl:Thing``: true, useless, and in RDF
    outside OWL 2 DL.
    """
    s, _, o = triple
    return not str(s).startswith(RESERVED) and o != OWL.Thing


def whole_graph(graph: KnowledgeGraph, main: OntologyFile, base: str, *, inferred: bool) -> Graph:
    """The ontology, alignments and data (and the inferences) as ONE ontology with one header."""
    asserted = graph.asserted()
    headers = set(asserted.subjects(RDF.type, OWL.Ontology))
    merged = Graph()
    for triple in asserted:
        if triple[0] not in headers:
            merged.add(triple)
    if inferred:
        for triple in graph.inferred:
            if triple[0] not in headers and is_owl_axiom(triple):
                merged.add(triple)
    iri = URIRef(base + "graph" + ("?inferred=true" if inferred else ""))
    what = "the ontology, its alignments, every model, claim and source" + (
        ", and the OWL 2 RL inferences" if inferred else ""
    )
    merged.add((iri, RDF.type, OWL.Ontology))
    merged.add((iri, DCTERMS.title, Literal("Model Lineage Graph", lang="en")))
    merged.add((iri, DCTERMS.description, Literal(f"The Model Lineage Graph as one OWL document: {what}.", lang="en")))
    merged.add((iri, DCTERMS.license, main.license))
    merged.add((iri, OWL.versionInfo, Literal(__version__)))
    merged.add((iri, RDFS.seeAlso, main.iri))
    for prop in (DCTERMS.title, DCTERMS.description, DCTERMS.license):
        merged.add((prop, RDF.type, OWL.AnnotationProperty))
    return merged

