"""RDF/XML that the OWL API reads whole: declarations first, each subject's types first, same bytes every run.

rdflib's plain RDF/XML writer ("xml") writes one flat ``rdf:Description`` per subject in the order of
``subjects()``; "pretty-xml" nests descriptions, so a subject's place is not its own.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from rdflib import OWL, RDF, RDFS, BNode, Graph
from rdflib.term import Node

_DECLARATION_RANK: dict[Node, int] = {
    OWL.AnnotationProperty: 0,
    OWL.ObjectProperty: 0,
    OWL.DatatypeProperty: 0,
    RDF.Property: 0,
    OWL.Ontology: 1,
    OWL.Class: 2,
    RDFS.Datatype: 2,
}


class DeclarationsFirst(Graph):
    """A graph whose ``subjects()`` lists properties first, then ontology headers, classes, the rest.

    rdflib's RDF/XML writer writes one description per subject, in the order of ``subjects()``,
    which is otherwise the hash order of a set. OWL API 3.4.3 (Protégé 4, owlready2's HermiT.jar)
    loses an IRI-valued annotation (``lin:claimedKind lin:fineTunedFrom``,
    ``schema:domainIncludes lin:Model``, an ontology's ``dcterms:license``) whose annotation property
    is declared further down the document: it reports it unparsed. Declarations first, nothing is
    lost; the order is also the same on every run. A property whose description uses another
    property (``lin:claimDate schema:domainIncludes lin:Claim``) comes after that one.
    """

    def subjects(self, predicate: Any = None, object: Any = None, unique: bool = False) -> Generator[Node, None, None]:
        if predicate is not None or object is not None:
            yield from super().subjects(predicate, object, unique)
            return

        levels = self._property_levels()

        def rank(subject: Any) -> tuple[int, int, int, str]:
            types = [_DECLARATION_RANK.get(t, 3) for t in self.objects(subject, RDF.type)]
            return (min(types, default=3), levels.get(subject, 0), isinstance(subject, BNode), str(subject))

        yield from sorted(set(super().subjects()), key=rank)

    def _property_levels(self) -> dict[Node, int]:
        """0 for a property described without other declared properties, else 1 + the deepest one used."""
        properties = {s for t, r in _DECLARATION_RANK.items() if r == 0 for s in self.subjects(RDF.type, t)}
        levels = dict.fromkeys(properties, 0)
        for _ in properties:  # a level grows at most once a round; a cycle stops growing at the bound
            deeper = {
                p: max((levels[q] + 1 for q in self.predicates(p) if q in levels and q != p), default=0)
                for p in properties
            }
            if all(deeper[p] <= levels[p] for p in properties):
                break
            levels = {p: max(levels[p], deeper[p]) for p in properties}
        return levels


def ordered(graph: Graph) -> DeclarationsFirst:
    """A copy of ``graph`` that writes its RDF/XML declarations first, and each subject's types first.

    The writer lists a subject's predicates in the order they were added: ``rdf:type`` goes first,
    or OWL API 3.4.3 reads the annotations of an ``owl:Ontology`` header written before its type
    as annotation assertions on an individual instead of ontology annotations.
    """
    copy = DeclarationsFirst()
    for triple in sorted(graph, key=lambda t: (t[1] != RDF.type, t)):
        copy.add(triple)
    return copy
