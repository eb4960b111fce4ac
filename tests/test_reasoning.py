"""OWL-RL reasoning with owlrl: each test is named after the OWL 2 RL rule it relies on."""

from __future__ import annotations

import owlrl
import pytest
from rdflib import OWL, RDF, BNode, Graph, Literal, URIRef

from lineage.build import InconsistencyError, build_graph, is_well_formed, reason
from lineage.namespaces import GRAPH_INFERRED, LIN, MODEL

from .conftest import DATA, ROOT

GPT3_FAMILY = MODEL["unidentified-gpt-3-family-model"]  # what ChatGPT descends from: "a GPT-3 model"


def test_prp_trp_descendant_of_is_transitive(built):
    """prp-trp: chatgpt -> unidentified GPT-3.5 model -> unidentified-gpt-3-family-model gives chatgpt descendantOf unidentified-gpt-3-family-model."""
    assert (MODEL.chatgpt, LIN.descendantOf, GPT3_FAMILY) in built.inferred
    assert (MODEL.chatgpt, LIN.descendantOf, GPT3_FAMILY) not in built.asserted()


def test_prp_spo1_fine_tuned_implies_derived(built):
    """prp-spo1: fineTunedFrom is a sub-property of derivedFrom, and so of descendantOf."""
    edge = (MODEL["text-davinci-002"], LIN.fineTunedFrom, MODEL["code-davinci-002"])
    assert edge in built.asserted()
    assert (edge[0], LIN.derivedFrom, edge[2]) in built.inferred
    assert (edge[0], LIN.descendantOf, edge[2]) in built.inferred


def test_prp_inv1_ancestor_of_is_the_inverse(built):
    """prp-inv1: unidentified-gpt-3-family-model ancestorOf chatgpt follows from chatgpt descendantOf unidentified-gpt-3-family-model."""
    assert (GPT3_FAMILY, LIN.ancestorOf, MODEL.chatgpt) in built.inferred


def test_prp_dom_derived_models_are_typed(built):
    """prp-dom: the domain of derivedFrom makes every derived model a lin:DerivedModel."""
    assert (MODEL.chatgpt, RDF.type, LIN.DerivedModel) in built.inferred
    assert (GPT3_FAMILY, RDF.type, LIN.DerivedModel) not in built.union()


def test_prp_spo1_alignment_with_prov(built):
    """prp-spo1 through alignments.ttl: derivedFrom entails prov:wasDerivedFrom (not transitive there)."""
    prov = URIRef("http://www.w3.org/ns/prov#wasDerivedFrom")
    assert (MODEL["text-davinci-002"], prov, MODEL["code-davinci-002"]) in built.inferred
    assert (MODEL["text-davinci-002"], prov, GPT3_FAMILY) not in built.union()


def test_used_data_generated_by_is_not_descent(built):
    alpaca = MODEL["alpaca-7b"]
    assert (alpaca, LIN.usedDataGeneratedBy, MODEL["text-davinci-003"]) in built.asserted()
    assert (alpaca, LIN.descendantOf, MODEL["text-davinci-003"]) not in built.union()


def test_prp_spo1_used_data_and_teacher_imply_learned_from(built):
    """prp-spo1: usedDataGeneratedBy and distillationTeacher are sub-properties of learnedFrom."""
    distill, r1 = MODEL["deepseek-r1-distill-qwen-7b"], MODEL["deepseek-r1"]
    assert (distill, LIN.learnedFrom, r1) in built.inferred
    assert (MODEL["llama-3.2-1b"], LIN.learnedFrom, MODEL["llama-3.1-70b"]) in built.inferred


def test_prp_trp_learned_from_is_transitive_and_stays_apart_from_descent(built):
    """prp-trp on learnedFrom: R1-Distill learned from R1, which learned from R1-Zero; and it descends from
    neither (knowledge lineage never becomes weight lineage), but from Qwen2.5-Math-7B and Qwen2.5-7B."""
    distill, union = MODEL["deepseek-r1-distill-qwen-7b"], built.union()
    assert (distill, LIN.learnedFrom, MODEL["deepseek-r1-zero"]) in built.inferred
    assert (distill, LIN.descendantOf, MODEL["deepseek-r1"]) not in union
    assert (distill, LIN.descendantOf, MODEL["deepseek-r1-zero"]) not in union
    assert {MODEL["qwen2.5-math-7b"], MODEL["qwen2.5-7b"]} <= set(union.objects(distill, LIN.descendantOf))


def test_competing_claims_are_not_reasoned_over(built):
    """Yao Fu's and Matt Rickard's parents for ChatGPT are kept as claims, never as edges."""
    assert (MODEL.chatgpt, LIN.descendantOf, MODEL["text-davinci-003"]) not in built.union()


def test_inferred_and_asserted_are_disjoint(built):
    asserted = built.asserted()
    assert len(built.inferred) > 0
    assert not any(triple in asserted for triple in built.inferred)
    assert GRAPH_INFERRED in {g.identifier for g in built.dataset.graphs()}


def test_issue_50_owlrl_literal_subjects_are_dropped(built):
    """RDFLib/OWL-RL #50 and #63: the raw closure holds triples with literal subjects; ours does not."""
    raw = built.asserted()
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(raw)
    assert any(isinstance(s, Literal) for s, _, _ in raw)
    assert not any(isinstance(s, Literal) for s, _, _ in built.inferred)


def test_eq_ref_tautologies_are_dropped(built):
    assert not any(s == o for s, _, o in built.inferred.triples((None, OWL.sameAs, None)))


def test_cax_dw_inconsistency_fails_the_build_with_owlrls_message():
    """cax-dw: an individual in two disjoint classes is an inconsistency owlrl records; we raise it."""
    graph = Graph().parse(ROOT / "ontology" / "lineage.ttl")
    thing = URIRef("https://w3id.org/model-lineage/model/both")
    graph.add((LIN.Model, OWL.disjointWith, LIN.Source))
    graph.add((thing, RDF.type, LIN.Model))
    graph.add((thing, RDF.type, LIN.Source))
    with pytest.raises(InconsistencyError, match="inconsistent"):
        reason(graph)


def test_only_well_formed_triples_are_kept():
    assert is_well_formed((URIRef("urn:s"), URIRef("urn:p"), Literal(1)))
    assert is_well_formed((BNode(), URIRef("urn:p"), URIRef("urn:o")))
    assert not is_well_formed((Literal("x"), URIRef("urn:p"), URIRef("urn:o")))
    assert not is_well_formed((URIRef("urn:s"), BNode(), URIRef("urn:o")))


def test_the_valid_fixture_reasons(fixture_root):
    graph = build_graph([DATA / "valid" / "minimal.ttl"], root=fixture_root, use_cache=False)
    assert (MODEL["acme-chat"], LIN.descendantOf, MODEL["acme-base"]) in graph.inferred
