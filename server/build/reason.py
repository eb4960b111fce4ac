"""OWL 2 RL reasoning with owlrl: the well-formed, new inferences, or the inconsistency found."""

from __future__ import annotations

import owlrl
import rdflib
from rdflib import OWL, BNode, Graph, URIRef

from lineage.build.errors import InconsistencyError

ERRNS = URIRef("http://www.daml.org/2002/03/agents/agent-ont#")


# Entailments that hold of every resource and say nothing about models: x owl:sameAs x and the
# like. owlrl adds one per resource (rule eq-ref); they are dropped from the inferred graph.
_REFLEXIVE_TAUTOLOGIES = {
    OWL.sameAs,
    OWL.equivalentClass,
    OWL.equivalentProperty,
    rdflib.RDFS.subClassOf,
    rdflib.RDFS.subPropertyOf,
}


def is_well_formed(triple: tuple) -> bool:
    """An RDF triple: IRI or blank-node subject, IRI predicate (owlrl emits literal subjects)."""
    s, p, o = triple
    return isinstance(s, (URIRef, BNode)) and isinstance(p, URIRef) and not isinstance(o, Graph)


def reason(asserted: Graph) -> Graph:
    """The OWL-RL closure of ``asserted``, minus what was asserted, minus ill-formed triples.

    Raises :class:`InconsistencyError` with owlrl's messages when the closure holds its error markers.
    """
    closure = Graph()
    closure += asserted
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(closure)
    errors = sorted(str(o) for o in closure.objects(None, ERRNS + "error"))
    if errors:
        raise InconsistencyError("OWL-RL reasoning found the graph inconsistent:\n  " + "\n  ".join(errors))
    inferred = Graph()
    for triple in closure:
        s, p, o = triple
        if triple in asserted or not is_well_formed(triple):
            continue
        if s == o and p in _REFLEXIVE_TAUTOLOGIES:
            continue
        inferred.add(triple)
    return inferred

