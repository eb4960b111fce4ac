"""Real model-card shapes (tests/data/hf/real/): what ``lineage import hf`` makes of them.

The corpus is written by hand after the shapes the Hub holds: TheBloke's GPTQ, GGUF and AWQ cards
(``quantized_by``, ``model_creator``), PEFT adapters (``library_name: peft``, with and without the
adapter files), LazyMergekit cards whose YAML lists one base while the configuration merges three, a
card with CRLF line endings, ``base_model`` as a Hub URL, a local path, a folder shaped like a repo
id, an HF-cache snapshot path and an empty list, and bad cards (front matter never closed, tabs in
the YAML, a README that is only the Hub's ``Entry not found``). The expected edges are written out
here, one a card.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import SKOS

from lineage.build import build_graph
from lineage.importers import hf
from lineage.namespaces import LIN, MODEL

from .conftest import DATA, ROOT

REAL = DATA / "hf" / "real"
KINDS = {LIN[name] for name in hf.RELATIONS.values()} | {LIN.derivedFrom}

EXPECTED = {  # (card, kind, base model id): one line a card that names a resolvable base
    ("TheBloke/Llama-2-7B-Chat-GPTQ", "quantizedFrom", "meta-llama/Llama-2-7b-chat-hf"),  # quantize_config.json
    ("TheBloke/Mistral-7B-Instruct-v0.2-GGUF", "quantizedFrom", "mistralai/Mistral-7B-Instruct-v0.2"),
    ("TheBloke/zephyr-7B-beta-AWQ", "quantizedFrom", "HuggingFaceH4/zephyr-7b-beta"),  # AWQ in the name
    ("quantlab/tinyllama-chat-q4", "quantizedFrom", "TinyLlama/TinyLlama-1.1B-Chat-v1.0"),  # quantized_by only
    ("turboderp/Llama-3-8B-Instruct-exl2", "quantizedFrom", "meta-llama/Meta-Llama-3-8B-Instruct"),
    ("unsloth/llama-3-8b-bnb-4bit", "quantizedFrom", "meta-llama/Meta-Llama-3-8B"),  # bnb in the name
    ("gguf-outside/phi-x-GGUF", "quantizedFrom", "outsider/phi-x"),
    ("peftuser/llama2-7b-lora-alpaca", "adapterOf", "meta-llama/Llama-2-7b-hf"),  # library_name: peft only
    ("qlora-fan/mistral-7b-qlora-dolly", "adapterOf", "mistralai/Mistral-7B-v0.1"),  # CRLF, adapter files
    ("merger/NeuralTriple-7B", "mergedFrom", "mlabonne/NeuralHermes-2.5-Mistral-7B"),  # YAML: this one only
    ("merger/NeuralTriple-7B", "mergedFrom", "mistralai/Mistral-7B-v0.1"),  # the configuration: two more
    ("merger/NeuralTriple-7B", "mergedFrom", "HuggingFaceH4/zephyr-7b-beta"),
    ("merger/Slerpy-7B", "mergedFrom", "mistralai/Mistral-7B-Instruct-v0.2"),
    ("merger/Slerpy-7B", "mergedFrom", "HuggingFaceH4/zephyr-7b-beta"),
    ("urlfolk/mistral-7b-url-base", "derivedFrom", "mistralai/Mistral-7B-v0.1"),  # a URL, an inferred fine-tune
    ("cachefolk/llama-2-7b-from-cache", "derivedFrom", "meta-llama/Llama-2-7b-hf"),  # an HF-cache path
    ("statedfolk/zephyr-sft", "fineTunedFrom", "HuggingFaceH4/zephyr-7b-beta"),  # stated: finetune
}
WITHOUT_EDGE = {  # kept as models, with no edge: their base names no Hub model, or none at all
    "pathfolk/absolute-path": "2: warning: base_model '/home/alice/models/llama-7b' is a local path",
    "pathfolk/output-checkpoint": "2: warning: base_model 'outputs/checkpoint-1200' reads as a local folder",
    "pathfolk/legacy-id": "2: warning: base_model 'gpt2' is not a Hub repo id (owner/name)",
    "emptyfolk/empty-base-list": None,
}
BAD = {  # skipped, each reported at file:line with the reason
    "bad/unclosed-front-matter/README.md:1": "the YAML front matter has no closing '---' line",
    "bad/tab-indented-yaml/README.md:4": "broken YAML front matter: found character '\\t'",
    "bad/entry-not-found/README.md:1": "the file is the Hub's 'Entry not found' answer, not a model card",
}


@pytest.fixture(scope="module")
def curated() -> hf.Curated:
    return hf.Curated.bundled(ROOT)


@pytest.fixture(scope="module")
def result(curated) -> hf.Result:
    return hf.import_cards(REAL, curated=curated)


@pytest.fixture(scope="module")
def graph(result) -> Graph:
    return Graph().parse(data=result.turtle, format="turtle")


def node(repo_id: str, curated: hf.Curated) -> URIRef:
    return curated.models.get(repo_id.lower(), hf.model_iri(repo_id))


def test_the_corpus_is_real_shapes_crlf_included():
    assert b"\r\n" in (REAL / "qlora-fan/mistral-7b-qlora-dolly/README.md").read_bytes()
    assert (REAL / "bad/entry-not-found/README.md").read_text() == "Entry not found"


def test_every_card_with_a_resolvable_base_gets_its_expected_edge(graph, curated):
    expected = {(node(card, curated), LIN[kind], node(base, curated)) for card, kind, base in EXPECTED}
    assert {(s, p, o) for s, p, o in graph if p in KINDS} == expected


def test_every_bad_card_is_reported_with_place_and_reason_and_the_rest_kept(result):
    errors = {str(Path(p.where).relative_to(REAL)): p.reason for p in result.problems if not p.warning}
    assert set(errors) == set(BAD)
    for where, reason in BAD.items():
        assert errors[where].startswith(reason)
    cards = {card for card, _, _ in EXPECTED} | set(WITHOUT_EDGE)
    assert result.models == len(cards) == 18


def test_local_paths_never_become_models(graph, result, curated):
    warnings = {
        str(Path(p.where).parent.relative_to(REAL)): str(p).split("README.md:", 1)[1]
        for p in result.problems
        if p.warning
    }
    assert set(warnings) == {card for card, message in WITHOUT_EDGE.items() if message}
    for card, message in WITHOUT_EDGE.items():
        model = node(card, curated)
        assert (model, RDF.type, LIN.Model) in graph
        assert not [p for p in graph.predicates(model, None) if p in KINDS]
        if message:
            assert warnings[card].startswith(message)
    ids = {str(o) for o in graph.objects(None, LIN.modelId)}
    assert not ids & {"outputs/checkpoint-1200", "/home/alice/models/llama-7b", "gpt2", "alice/models"}
    assert all(hf.is_repo_id(i) for i in ids)


def _claim(graph: Graph, card: str, curated: hf.Curated) -> URIRef:
    (claim,) = [c for c in graph.objects(node(card, curated), LIN.hasClaim) if graph.value(c, LIN.claimedParent)]
    return claim


def test_a_stated_relation_and_an_inferred_one_are_told_apart_in_the_claim(graph, curated):
    stated = _claim(graph, "statedfolk/zephyr-sft", curated)
    assert graph.value(stated, LIN.confidence) == LIN.high
    assert graph.value(stated, SKOS.note) == Literal("The card states base_model_relation: finetune.")
    inferred = _claim(graph, "urlfolk/mistral-7b-url-base", curated)
    assert graph.value(inferred, LIN.claimedKind) == LIN.derivedFrom
    assert graph.value(inferred, LIN.confidence) == LIN.medium
    note = str(graph.value(inferred, SKOS.note))
    assert "no base_model_relation; taken as finetune" in note and "not lin:fineTunedFrom" in note
    assert "written as the URL https://huggingface.co/mistralai/Mistral-7B-v0.1" in note


@pytest.mark.parametrize(
    "card, because",
    [
        ("TheBloke/Llama-2-7B-Chat-GPTQ", "the repository has quantize_config.json"),
        ("TheBloke/zephyr-7B-beta-AWQ", "the repository's name says awq"),
        ("quantlab/tinyllama-chat-q4", "its card says quantized_by: quantlab"),
        ("unsloth/llama-3-8b-bnb-4bit", "the repository's name says bnb"),
        ("peftuser/llama2-7b-lora-alpaca", "its library_name is peft"),
        ("qlora-fan/mistral-7b-qlora-dolly", "the repository has adapter_config.json"),
        ("merger/NeuralTriple-7B", "it is tagged mergekit"),
    ],
)
def test_implied_relations_say_what_implied_them(graph, curated, card, because):
    assert f"as the Hub does: {because}." in str(graph.value(_claim(graph, card, curated), SKOS.note))


def test_a_cache_path_is_decoded_and_says_so(graph, curated):
    claim = _claim(graph, "cachefolk/llama-2-7b-from-cache", curated)
    note = str(graph.value(claim, SKOS.note))
    assert "a local Hugging Face cache path" in note
    assert "decoded as meta-llama/Llama-2-7b-hf at revision 01c7f73d771dfac7d292323805ebc428287df4f9" in note
    assert graph.value(claim, LIN.confidence) == LIN.medium


def test_a_lazymergekit_card_is_one_merge_claim_naming_the_configured_models(graph, curated):
    claim = _claim(graph, "merger/NeuralTriple-7B", curated)
    assert len(set(graph.objects(claim, LIN.claimedParent))) == 3
    quote = str(graph.value(claim, LIN.quote))
    assert quote.startswith("base_model: mlabonne/NeuralHermes-2.5-Mistral-7B\n- model: mistralai/Mistral-7B-v0.1")
    assert "mergekit configuration" in str(graph.value(claim, LIN.locator))


@pytest.mark.parametrize(
    "value, repo, note",
    [
        ("https://huggingface.co/a/b", "a/b", "URL"),
        ("https://hf.co/a/b/tree/main", "a/b", "URL"),
        ("http://www.huggingface.co/a/b/", "a/b", "URL"),
        ("~/.cache/huggingface/hub/models--Org--Name-7B/snapshots/0123abc/", "Org/Name-7B", "revision 0123abc"),
        ("C:\\Users\\x\\.cache\\huggingface\\hub\\models--Org--Name", "Org/Name", "cache path"),
        ("https://huggingface.co/datasets/a/b", None, "not a Hub repo id"),
        ("./out", None, "local path"),
        ("/data/llama", None, "local path"),
        ("D:\\models\\llama", None, "local path"),
        ("models/llama-7b", None, "local folder"),
        ("run/checkpoint-500", None, "local folder"),
        ("meta-llama/Llama-2-7b-hf", "meta-llama/Llama-2-7b-hf", ""),
    ],
)
def test_base_model_values_are_read_as_repo_ids_or_refused(value, repo, note):
    found, why = hf.read_base(value)
    assert found == repo
    assert note in why


def test_the_real_corpus_validates_with_the_bundled_data(tmp_path, result):
    path = tmp_path / "hf-real.ttl"
    path.write_text(result.turtle, encoding="utf-8")
    kg = build_graph([path], root=ROOT, use_cache=False)
    assert [str(v) for v in kg.violations] == []
    assert (MODEL["hf/merger/neuraltriple-7b"], LIN.descendantOf, MODEL["mistral-7b-v0.1"]) in kg.inferred
