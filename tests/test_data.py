"""Issue 11: every edge between two models in data/ is backed by a claim that quotes at least one full
sentence of its source and gives the source's web address; and the graph answers the questions people
ask about today's models."""

from __future__ import annotations

import re

import pytest
from rdflib import RDFS, URIRef
from rdflib.namespace import DCTERMS

from lineage import catalog
from lineage.explain.chains import NoLineage, explain
from lineage.names import Names
from lineage.namespaces import LIN, MODEL, SCHEMA, SERIES

SENTENCE = re.compile(r"""^["'“‘(]?[A-Za-z0-9][^\n…|]*\S\s+\S[^\n…|]*[.!?]["'”’)]?$""")
"""Starts like a sentence (a letter or digit: a model id may start it, maybe after an opening quote) and
ends with a full stop, an exclamation or question mark (maybe before a closing quote), with at least two
words, and joins no fragments (no ellipsis) nor table cells (no |)."""
LIST_ITEM = re.compile(r"""^[A-Za-z0-9][\w.-]* (is|are|was|were) [^\n…|]+$""")
"""A whole clause a source writes without a full stop (a list item: "text-davinci-003 is an improvement on
text-davinci-002"), accepted when the claim's locator says the source writes it without a full stop."""


def full_sentence(quote: str, locator: str) -> bool:
    if any(mark in quote for mark in ("…", "...", "|")):
        return False
    return bool(SENTENCE.match(quote) or ("without a full stop" in locator and LIST_ITEM.match(quote)))


def edge_kinds(graph) -> set[URIRef]:
    tops = (LIN.descendantOf, LIN.learnedFrom)
    kinds = {p for top in tops for p in graph.transitive_subjects(RDFS.subPropertyOf, top) if isinstance(p, URIRef)}
    return kinds | {LIN.pointsTo}


def edges(built) -> list[tuple[URIRef, URIRef, URIRef]]:
    graph = built.asserted()
    kinds = edge_kinds(graph)
    return sorted((s, p, o) for s, p, o in graph if p in kinds and isinstance(s, URIRef) and isinstance(o, URIRef))


def test_every_model_to_model_edge_has_a_claim_with_a_full_sentence_and_a_web_address(built):
    graph = built.asserted()
    found = edges(built)
    assert len(found) > 250  # the curated graph, not an empty one
    problems = []
    for child, kind, parent in found:
        claims = [
            c
            for c in graph.objects(child, LIN.hasClaim)
            if (c, LIN.claimedParent, parent) in graph and (c, LIN.claimedKind, kind) in graph
        ]
        good = [
            c
            for c in claims
            if any(full_sentence(str(q).strip(), str(graph.value(c, LIN.locator) or "")) for q in graph.objects(c, LIN.quote))
            and any(str(u).startswith(("https://", "http://")) for u in graph.objects(graph.value(c, LIN.source), SCHEMA.url))
            and graph.value(graph.value(c, LIN.source), DCTERMS.title) is not None
        ]
        if not good:
            quotes = [str(q) for c in claims for q in graph.objects(c, LIN.quote)]
            problems.append(f"{child.n3()} {kind.n3()} {parent.n3()}: quotes {quotes}")
    assert not problems, "edges without a claim quoting a full sentence at a web address:\n" + "\n".join(problems)


def test_the_sentence_rule_itself():
    assert full_sentence("ChatGPT is fine-tuned from a model in the GPT-3.5 series, which finished training in early 2022.", "")
    assert full_sentence('"Based on pythia-12b, Dolly is trained on ~15k instruction/response fine tuning records."', "")
    assert full_sentence("phi-1 is obtained by finetuning phi-1-base on the CodeExercises dataset.", "")
    assert not full_sentence("possibly internal", "")
    assert not full_sentence("base_model: meta-llama/Llama-2-7b", "")
    assert not full_sentence("we use reinforcement learning from human feedback (RLHF) … to fine-tune GPT-3.", "")
    assert not full_sentence("InstructGPT-3 175B SFT | davinci-instruct-beta | 175B.", "")
    assert not full_sentence("text-davinci-003 is an improvement on text-davinci-002", "section 2")
    assert full_sentence("text-davinci-003 is an improvement on text-davinci-002", "a list item, without a full stop")


def test_coverage_is_at_least_200_models_from_15_developers_and_reaches_2025(built):
    covered = catalog.coverage(built.asserted())
    assert covered.models >= 200 and covered.developers >= 15
    assert covered.newest_release >= "2025-01-01"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("GPT-3", SERIES["gpt-3"]),  # a family: no model is called that
        ("Llama 2", SERIES["llama-2"]),
        ("Llama 3.1 8B Instruct", MODEL["llama-3.1-8b-instruct"]),
        ("meta-llama/Llama-3.1-8B-Instruct", MODEL["llama-3.1-8b-instruct"]),
        ("deepseek r1 distill qwen 7b", MODEL["deepseek-r1-distill-qwen-7b"]),
        ("Qwen2.5-Math-7B", MODEL["qwen2.5-math-7b"]),
        ("chatgpt", MODEL["chatgpt"]),
    ],
)
def test_names_people_type_resolve(built, typed, expected):
    assert Names.of(built.asserted()).resolve(typed, family=True) == expected


def test_chatgpt_descends_from_gpt_3_the_family(built):
    answer = explain(built.asserted(), "chatgpt", "GPT-3")
    assert answer.family and answer.descends
    last = {chain[-1].parent for chain in answer.chains}
    assert last == {str(MODEL["unidentified-gpt-3-family-model"])}
    assert all(hop.claims for chain in answer.chains for hop in chain)  # each hop with its source


def test_r1_distill_descends_from_qwen_math_and_learned_from_r1(built):
    weights = explain(built.asserted(), "deepseek-r1-distill-qwen-7b", "qwen2.5-math-7b")
    assert weights.descends and weights.chains[0][0].kind == "fine-tuned from"
    knowledge = explain(built.asserted(), "deepseek-r1-distill-qwen-7b", "deepseek-r1")
    assert not knowledge.descends
    assert [[hop.parent for hop in chain] for chain in knowledge.learned] == [[str(MODEL["deepseek-r1"])]]
    with pytest.raises(NoLineage):
        explain(built.asserted(), "deepseek-r1", "qwen2.5-math-7b")
