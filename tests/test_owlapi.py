"""Load the ontology and data with the OWL API (as Protégé does) and check them.

Uses tests/owlapi.py -> tests/owlapi/OwlApiCheck.java (OWL API 3.4.3 + HermiT
1.3.8 from owlready2's HermiT.jar).  Needs a JDK; without one these tests fail
(they are never skipped).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from tests.owlapi import run_owlapi

ROOT = Path(__file__).resolve().parent.parent
LIN = "https://w3id.org/model-lineage/ontology#"
MODEL = "https://w3id.org/model-lineage/model/"

# ontology/shapes.ttl is SHACL, not OWL: it is deliberately not loaded.
ONTOLOGY_FILES = [
    ROOT / "ontology" / "lineage.ttl",
    ROOT / "ontology" / "alignments.ttl",
]

CHATGPT_FROM_DAVINCI = (MODEL + "chatgpt", LIN + "descendantOf", MODEL + "unidentified-gpt-3-family-model")
# Knowledge lineage: R1-Distill learned from R1, which learned from R1-Zero (learnedFrom is transitive) ...
DISTILL_LEARNED_FROM_R1_ZERO = (MODEL + "deepseek-r1-distill-qwen-7b", LIN + "learnedFrom", MODEL + "deepseek-r1-zero")
# ... and never inherits R1's weights: no descendantOf follows from learnedFrom.
DISTILL_FROM_R1 = (MODEL + "deepseek-r1-distill-qwen-7b", LIN + "descendantOf", MODEL + "deepseek-r1")


def _sources() -> list[Path]:
    data = sorted((ROOT / "data").glob("*.ttl"))
    missing = [str(p.relative_to(ROOT)) for p in ONTOLOGY_FILES if not p.is_file()]
    assert not missing, f"missing ontology files: {missing}"
    assert data, "no data/*.ttl files"
    return ONTOLOGY_FILES + data


def _dump(obj) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False)


@pytest.fixture(scope="module")
def report() -> dict:
    """One JVM run over lineage.ttl + alignments.ttl + data/*.ttl."""
    return run_owlapi(
        [str(p) for p in _sources()], entail=[CHATGPT_FROM_DAVINCI, DISTILL_LEARNED_FROM_R1_ZERO, DISTILL_FROM_R1]
    )


def test_every_document_is_loaded(report):
    got = [Path(d["source"]).resolve() for d in report["documents"]]
    assert got == [p.resolve() for p in _sources()]
    for d in report["documents"]:
        assert d["axioms"] > 0, f"{d['source']}: the OWL API found no axioms ({d['format']})"


def test_no_unparsed_triples(report):
    # "unparsedButTranslated": OWL API 3.4.3 also lists an IRI-valued ontology
    # header annotation (e.g. dcterms:license <...>) whose property is declared
    # only further down the file, although it did add it to the ontology's
    # annotations.  Those are not lost, so they are tolerated here.
    bad = {}
    for d in report["documents"]:
        assert d["unparsed"] is not None, f"{d['source']}: not parsed as RDF ({d['format']})"
        lost = sorted(set(d["unparsedTriples"]) - set(d["unparsedButTranslated"]))
        if lost:
            bad[d["source"]] = {"count": len(lost), "first": lost[:40]}
    assert not bad, "triples the OWL API could not turn into axioms:\n" + _dump(bad)


def test_no_malformed_constructs(report):
    # OWL API 3 maps malformed class expressions to http://org.semanticweb.owlapi/error#ErrorN
    bad = {d["source"]: d["errorAxioms"] for d in report["documents"] if d["errorAxioms"]}
    assert not bad, "axioms with OWL API error placeholders (malformed RDF):\n" + _dump(bad)


def test_in_owl2_dl_profile(report):
    details = [
        {
            "type": v["type"],
            "message": v["message"],
            "documents": [Path(s).name for s in v["documents"]],
        }
        for v in report["dlViolationDetails"]
    ]
    by_type = Counter(d["type"] for d in details)
    shown = 60
    assert report["dlViolations"] == [], (
        f"{len(details)} OWL 2 DL profile violation(s), by type {dict(by_type)}"
        + (f"; the first {shown}" if len(details) > shown else "")
        + ":\n"
        + _dump(details[:shown])
    )


def test_only_owl2_datatypes(report):
    # OWL 2 DL (Structural Specification 5.2) allows only the datatypes of the
    # OWL 2 datatype map; xsd:date, xsd:gYear, ... are not in it, and HermiT
    # ignores them with a warning.  OWL API 3.4.3's profile checker misses
    # this, so OwlApiCheck checks it itself (logical axioms only; uses in
    # annotations are listed in report["datatypeNotes"]).
    assert report["datatypeViolations"] == [], _dump(report["datatypeViolations"])
    assert report["reasonerWarnings"] == [], "HermiT warnings:\n" + _dump(sorted(set(report["reasonerWarnings"])))


def test_hermit_consistent(report):
    assert report["reasonerError"] is None, f"HermiT failed: {report['reasonerError']}"
    assert report["consistent"] is True


def test_transitive_lineage_entailed(report):
    e, _, _ = report["entailments"]
    assert (e["s"], e["p"], e["o"]) == CHATGPT_FROM_DAVINCI
    assert e["entailed"] is True, f"HermiT does not entail chatgpt descendantOf unidentified-gpt-3-family-model: {_dump(e)}"


def test_hermit_agrees_on_the_knowledge_lineage(report):
    """HermiT, like owlrl and the fast closure: learnedFrom is transitive, and never gives descendantOf."""
    _, learned, descends = report["entailments"]
    assert (learned["s"], learned["p"], learned["o"]) == DISTILL_LEARNED_FROM_R1_ZERO
    assert learned["entailed"] is True, _dump(learned)
    assert (descends["s"], descends["p"], descends["o"]) == DISTILL_FROM_R1
    assert descends["entailed"] is False, _dump(descends)


# --- the harness can fail ----------------------------------------------------

PREFIXES = """\
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix lin: <https://w3id.org/model-lineage/ontology#> .
@prefix m: <https://w3id.org/model-lineage/model/> .
"""


def test_harness_detects_dl_violation_and_inconsistency(tmp_path):
    # A transitive property may not be functional in OWL 2 DL (non-simple property).
    not_dl = tmp_path / "not_dl.ttl"
    not_dl.write_text(
        PREFIXES
        + """
lin:descendantOf a owl:ObjectProperty, owl:TransitiveProperty, owl:FunctionalProperty .
m:b lin:descendantOf m:a .
lin:releaseDate a owl:DatatypeProperty .
m:b lin:releaseDate "2020-01-01"^^<http://www.w3.org/2001/XMLSchema#date> .
"""
    )
    # An individual in two disjoint classes.
    inconsistent = tmp_path / "inconsistent.ttl"
    inconsistent.write_text(
        PREFIXES
        + """
lin:Model a owl:Class .
lin:Organization a owl:Class ; owl:disjointWith lin:Model .
m:acme a lin:Model, lin:Organization .
"""
    )
    # A data document without owl:imports or declarations: the OWL API cannot
    # type lin:fineTunedFrom and reports the triple as unparsed.
    untyped = tmp_path / "untyped.ttl"
    untyped.write_text(PREFIXES + "m:b lin:fineTunedFrom m:a .\n")

    r1 = run_owlapi([str(not_dl)])
    assert len(r1["dlViolations"]) >= 1, _dump(r1)
    assert any(v["type"] == "UseOfNonSimplePropertyInFunctionalPropertyAxiom" for v in r1["dlViolationDetails"])
    assert any("XMLSchema#date" in v for v in r1["datatypeViolations"]), _dump(r1["datatypeViolations"])

    r2 = run_owlapi(
        [str(inconsistent), str(untyped)],
        entail=[(MODEL + "b", LIN + "descendantOf", MODEL + "a")],
    )
    assert r2["consistent"] is False, _dump(r2)
    assert r2["entailments"][0]["entailed"] is None  # everything follows from an inconsistency
    assert r2["documents"][1]["unparsed"] >= 1, _dump(r2["documents"])
