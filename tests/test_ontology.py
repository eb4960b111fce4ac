"""The ontology document: complete header, every term documented the same way, parses everywhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS

from lineage.namespaces import LIN, ONTOLOGY_IRI
from lineage.query.saved import load_query
from lineage.version import __version__

from .conftest import ROOT

LINEAGE = ROOT / "ontology" / "lineage.ttl"


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(LINEAGE)


def lin_terms(graph: Graph) -> set[URIRef]:
    return {s for s in graph.subjects(RDF.type, None) if isinstance(s, URIRef) and str(s).startswith(str(LIN._NS))}


def test_header_is_complete(ontology):
    for prop in (DCTERMS.title, DCTERMS.description, DCTERMS.license, DCTERMS.created, DCTERMS.modified):
        assert ontology.value(ONTOLOGY_IRI, prop) is not None, prop
    assert ontology.value(ONTOLOGY_IRI, OWL.versionInfo) == Literal(__version__)
    assert ontology.value(ONTOLOGY_IRI, OWL.versionIRI) == URIRef(f"{ONTOLOGY_IRI}/{__version__}")


def test_changelog_names_the_current_version():
    assert f"## {__version__}" in (ROOT / "ontology" / "CHANGELOG.md").read_text()


def test_every_term_is_labelled_defined_and_attributed(ontology):
    for term in lin_terms(ontology):
        labels = list(ontology.objects(term, RDFS.label))
        definitions = list(ontology.objects(term, SKOS.definition))
        assert len(labels) == 1 and labels[0].language == "en", term
        assert len(definitions) == 1 and definitions[0].language == "en", term
        assert ontology.value(term, RDFS.isDefinedBy) == ONTOLOGY_IRI, term


def test_namespace_object_matches_the_ontology(ontology):
    declared = {str(t)[len(str(LIN._NS)) :] for t in lin_terms(ontology)}
    assert declared == set(LIN.__annotations__)


def blocks(text: str) -> dict[str, list[tuple[str, list[str]]]]:
    """Term blocks of the Turtle source, by section: (term, [predicates in order])."""
    sections: dict[str, list[tuple[str, list[str]]]] = {}
    current = None
    for chunk in re.split(r"\n\s*\n", text):
        heading = re.match(r"### (.+)", chunk.strip())
        if heading:
            current = heading.group(1)
            sections[current] = []
            chunk = chunk.strip().split("\n", 1)[1] if "\n" in chunk.strip() else ""
        first = chunk.strip().split("\n")[0] if chunk.strip() else ""
        if current and first.startswith("lin:"):
            predicates = [
                line.split()[0]
                for line in chunk.strip().split("\n")[1:]
                if line.startswith("    ") and not line.startswith("        ")
            ]
            sections[current].append((first.strip(), predicates))
    return sections


def test_terms_are_grouped_alphabetically_in_sosa_order():
    sections = blocks(LINEAGE.read_text())
    assert list(sections) == [
        "Annotation properties",
        "Classes",
        "Object properties",
        "Datatype properties",
        "Individuals",
    ]
    order = ["a", "rdfs:label", "skos:definition"]
    for section, terms in sections.items():
        names = [t for t, _ in terms]
        assert names == sorted(names, key=str.lower), f"{section} not alphabetical"
        for term, predicates in terms:
            assert predicates[: len(order)] == order, f"{term}: starts {predicates[:3]}"
            assert predicates[-1] == "rdfs:isDefinedBy", f"{term}: does not end with rdfs:isDefinedBy"
            if "skos:example" in predicates:
                assert predicates.index("skos:example") == len(predicates) - 2, f"{term}: skos:example misplaced"


def test_descendant_of_is_transitive_with_inverse_and_kinds(ontology):
    assert (LIN.descendantOf, RDF.type, OWL.TransitiveProperty) in ontology
    assert (LIN.ancestorOf, OWL.inverseOf, LIN.descendantOf) in ontology
    assert (LIN.derivedFrom, RDFS.subPropertyOf, LIN.descendantOf) in ontology
    kinds = set(ontology.subjects(RDFS.subPropertyOf, LIN.derivedFrom))
    assert kinds == {
        LIN.fineTunedFrom,
        LIN.continuedPretrainingFrom,
        LIN.prunedFrom,
        LIN.upcycledFrom,
        LIN.upscaledFrom,
        LIN.checkpointOf,
        LIN.quantizedFrom,
        LIN.convertedFrom,
        LIN.adapterOf,
        LIN.mergedFrom,
        LIN.improvementOf,
        LIN.distilledFrom,  # deprecated in 0.2.0, kept: terms are never deleted
        LIN.snapshotOf,  # deprecated in 0.2.0
    }
    assert (LIN.distilledFrom, OWL.deprecated, Literal(True)) in ontology
    assert (LIN.snapshotOf, OWL.deprecated, Literal(True)) in ontology


def test_knowledge_lineage_is_transitive_and_never_weight_lineage(ontology):
    """learnedFrom (teachers, generated data) is transitive and is not under descendantOf, nor is an alias pointer."""
    assert (LIN.learnedFrom, RDF.type, OWL.TransitiveProperty) in ontology
    assert set(ontology.subjects(RDFS.subPropertyOf, LIN.learnedFrom)) == {LIN.distillationTeacher, LIN.usedDataGeneratedBy}
    weights = set(ontology.transitive_subjects(RDFS.subPropertyOf, LIN.descendantOf))
    assert not weights & {LIN.learnedFrom, LIN.distillationTeacher, LIN.usedDataGeneratedBy, LIN.pointsTo}
    assert (LIN.learnedFrom, RDFS.subPropertyOf, LIN.descendantOf) not in ontology
    assert (LIN.UndisclosedLineageModel, RDFS.subClassOf, LIN.Model) in ontology
    assert (LIN.ModelAlias, RDFS.subClassOf, LIN.Model) in ontology


def test_alignments_align_with_prov_fair4ml_and_schema():
    graph = Graph().parse(ROOT / "ontology" / "alignments.ttl")
    prov, fair4ml, schema = "http://www.w3.org/ns/prov#", "https://w3id.org/fair4ml#", "https://schema.org/"
    assert (LIN.derivedFrom, RDFS.subPropertyOf, URIRef(prov + "wasDerivedFrom")) in graph
    assert (LIN.fineTunedFrom, RDFS.subPropertyOf, URIRef(fair4ml + "fineTunedFrom")) in graph
    assert (LIN.derivedFrom, RDFS.subPropertyOf, URIRef(schema + "isBasedOn")) in graph


TURTLE = sorted(p for folder in ("ontology", "data", "tests/data") for p in (ROOT / folder).rglob("*.ttl"))
QUERIES = sorted((ROOT / "queries").rglob("*.rq"))


@pytest.mark.parametrize("path", TURTLE, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_turtle_file_parses(path: Path):
    assert len(Graph().parse(path)) > 0


@pytest.mark.parametrize("path", QUERIES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_query_file_parses_with_a_header(path: Path):
    query = load_query(path)
    assert query.summary and query.form in {"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"}
