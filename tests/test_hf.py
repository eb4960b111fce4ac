"""The Hugging Face import (server/importers/hf.py, ``lineage import hf``) and licences along lineage.

The sample cards under tests/data/hf/ are written by hand in the shapes the Hub uses: a folder of
repositories (``cards/<owner>/<name>/README.md`` with the repositories' files beside them), the
same metadata for five of them as Hub API records (``records.jsonl``), and fuller API records with
dates (``hub.json``). The expected edges are read from the cards' own ``base_model`` fields.
"""

from __future__ import annotations

import datetime
import io
import json
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
import yaml
from click.testing import CliRunner
from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, OWL, SKOS, XSD

from lineage.build import KnowledgeGraph, build_graph
from lineage.cli import main
from lineage.files import write_atomically
from lineage.importers import hf
from lineage.namespaces import LICENSE, LIN, MODEL, ONTOLOGY_IRI, SCHEMA, SOURCE
from lineage.query import saved as queries

from .conftest import DATA, ROOT

HF = DATA / "hf"
CARDS = HF / "cards"
KINDS = {LIN[name]: relation for relation, name in hf.RELATIONS.items()} | {LIN.derivedFrom: "finetune"}

# What the Hub would infer for the sample cards that do not state base_model_relation, and why.
INFERRED = {
    "acme-labs/llama-2-7b-support-chat": "finetune",  # nothing points elsewhere
    "acme-labs/llama-2-7b-support-lora": "adapter",  # adapter_config.json, adapter_model.safetensors
    "quantfolk/llama-2-7b-support-chat-GGUF": "quantized",  # .gguf files
    "mergekit-fans/mistral-zephyr-slerp": "merge",  # two base models
    "chainlab/base-1b-instruct-dpo": "finetune",
    "chainlab/base-1b-instruct-dpo-AWQ": "quantized",  # AWQ in its name
    "listfolk/mistral-7b-code": "finetune",  # a list of one base model
    "otherlic/mistral-7b-custom": "finetune",
    "meta-llama/Llama-2-7b-chat-hf": "finetune",
    "warnfolk/mistral-7b-odd-fields": "finetune",
}
BAD = {
    "broken/yaml-card/README.md:3": "broken YAML front matter",
    "broken/unknown-relation/README.md:3": "unknown base_model_relation 'distillation'",
    "broken/self-reference/README.md:3": "base_model names the model itself",
    "broken/no-readme": "no README.md",
}
FIVE = [  # the repositories records.jsonl describes
    "acme-labs/llama-2-7b-support-chat",
    "acme-labs/llama-2-7b-support-lora",
    "quantfolk/llama-2-7b-support-chat-GGUF",
    "mergekit-fans/mistral-zephyr-slerp",
    "chainlab/base-1b-instruct",
]


def front_matter(readme: Path) -> dict | None:
    """The sample card's own metadata, read here independently of server/importers/hf.py (None: broken)."""
    text = readme.read_text(encoding="utf-8")
    if not text.startswith("---\n"):
        return {}
    try:
        return yaml.safe_load(text.split("\n---\n", 1)[0][4:]) or {}
    except yaml.YAMLError:
        return None


def good_cards() -> dict[str, dict]:
    """repo id -> metadata of every sample card outside broken/ (the bad ones are all there)."""
    cards = {}
    for readme in sorted(CARDS.glob("*/*/README.md")):
        repo = readme.parent.relative_to(CARDS).as_posix()
        if not repo.startswith("broken/"):
            cards[repo] = front_matter(readme)
    return cards


def bases_of(metadata: dict) -> list[str]:
    """The Hub repo ids a card names as its base (a local path names none)."""
    raw = metadata.get("base_model") or []
    return [b for b in ([raw] if isinstance(raw, str) else list(raw)) if not b.startswith((".", "/"))]


def kind_of(relation: str, stated: bool) -> URIRef:
    """The edge a relation gives: a fine-tune only inferred is lin:derivedFrom."""
    return LIN.derivedFrom if relation == "finetune" and not stated else LIN[hf.RELATIONS[relation]]


@pytest.fixture(scope="module")
def curated() -> hf.Curated:
    return hf.Curated.bundled(ROOT)


@pytest.fixture(scope="module")
def folder(curated) -> hf.Result:
    return hf.import_cards(CARDS, curated=curated)


@pytest.fixture(scope="module")
def graph(folder) -> Graph:
    return Graph().parse(data=folder.turtle, format="turtle")


@pytest.fixture(scope="module")
def imports(tmp_path_factory, folder, curated) -> list[Path]:
    """The sample folder and hub.json imported to Turtle files, as `lineage import hf -o` writes them."""
    where = tmp_path_factory.mktemp("imports")
    cards, hub = where / "hf-cards.ttl", where / "hf-hub.ttl"
    write_atomically(cards, folder.turtle.encode())
    write_atomically(hub, hf.import_cards(HF / "hub.json", curated=curated).turtle.encode())
    return [cards, hub]


@pytest.fixture(scope="module")
def imported_kg(imports) -> KnowledgeGraph:
    """The bundled data plus both imports, validated and reasoned: how `lineage check FILE` sees them."""
    return build_graph(imports, root=ROOT, use_cache=False)


def iri(repo_id: str, curated: hf.Curated) -> URIRef:
    return curated.models.get(repo_id.lower(), hf.model_iri(repo_id))


# -- what the cards say ----------------------------------------------------------------------------


def test_expected_edges_are_the_cards_own_base_models(graph, curated):
    expected = set()
    for repo, metadata in good_cards().items():
        relation = metadata.get("base_model_relation") or INFERRED.get(repo)
        for base in bases_of(metadata):
            expected.add((iri(repo, curated), kind_of(relation, "base_model_relation" in metadata), iri(base, curated)))
    found = {(s, p, o) for s, p, o in graph if p in KINDS}
    assert found == expected
    assert len(found) == 13


def test_every_sample_card_without_a_relation_has_its_inference_pinned():
    unstated = {repo for repo, m in good_cards().items() if bases_of(m) and not m.get("base_model_relation")}
    assert unstated == set(INFERRED)


def test_hub_ids_of_curated_models_are_the_curated_models(graph):
    """meta-llama/Llama-2-7b-hf is data/meta.ttl's Llama 2 7B (its lin:modelId), not a new model."""
    chat = MODEL["hf/acme-labs/llama-2-7b-support-chat"]
    assert (chat, LIN.derivedFrom, MODEL["llama-2-7b"]) in graph  # no base_model_relation: inferred
    assert (MODEL["hf/mergekit-fans/mistral-zephyr-slerp"], LIN.mergedFrom, MODEL["zephyr-7b-beta"]) in graph
    curated_chat = MODEL["llama-2-7b-chat"]  # its own card: a second source for its edge, nothing redeclared
    assert (curated_chat, LIN.derivedFrom, MODEL["llama-2-7b"]) in graph
    assert (curated_chat, RDF.type, None) not in graph and (curated_chat, RDFS.label, None) not in graph
    assert (curated_chat, LIN.releaseDate, None) not in graph
    assert (MODEL["hf/meta-llama/llama-2-7b-chat-hf"], None, None) not in graph


def test_iri_scheme_is_lower_case_and_maps_back_to_the_hub(graph):
    gguf = MODEL["hf/quantfolk/llama-2-7b-support-chat-gguf"]
    assert hf.model_iri("quantfolk/llama-2-7b-support-chat-GGUF") == gguf
    assert hf.repo_id_of(gguf) == "quantfolk/llama-2-7b-support-chat-gguf"
    assert hf.repo_id_of(MODEL["llama-2-7b"]) is None
    assert graph.value(gguf, LIN.modelId) == Literal("quantfolk/llama-2-7b-support-chat-GGUF")
    card = graph.value(gguf, LIN.describedBy)
    assert card == SOURCE["hf/quantfolk/llama-2-7b-support-chat-gguf"]
    assert graph.value(card, SCHEMA.url) == Literal("https://huggingface.co/quantfolk/llama-2-7b-support-chat-GGUF")
    assert (card, RDF.type, LIN.ModelCard) in graph


def test_every_edge_is_backed_by_a_claim_citing_the_card_with_its_yaml(graph):
    cards = good_cards()
    for child, kind, parent in [(s, p, o) for s, p, o in graph if p in KINDS]:
        (claim,) = [c for c in graph.objects(child, LIN.hasClaim) if (c, LIN.claimedParent, parent) in graph]
        repo = str(graph.value(graph.value(claim, LIN.source), SCHEMA.url)).removeprefix(hf.HUB)
        metadata = cards[repo]
        assert graph.value(claim, LIN.claimedKind) == kind
        assert graph.value(claim, LIN.inDefaultLineage) == Literal(True)
        quote = str(graph.value(claim, LIN.quote))
        assert quote.startswith("base_model: ") and str(graph.value(parent, LIN.modelId) or "") in quote
        note = str(graph.value(claim, SKOS.note))
        if metadata.get("base_model_relation"):
            assert quote.endswith(f"\nbase_model_relation: {metadata['base_model_relation']}")
            assert graph.value(claim, LIN.confidence) == LIN.high
            assert note == f"The card states base_model_relation: {metadata['base_model_relation']}."
        else:
            assert graph.value(claim, LIN.confidence) == LIN.medium
            assert f"taken as {KINDS[kind]}" in note
            assert ("lin:derivedFrom, not lin:fineTunedFrom" in note) == (kind == LIN.derivedFrom)
    lora = MODEL["hf/acme-labs/llama-2-7b-support-lora"]
    (claim,) = [c for c in graph.objects(lora, LIN.hasClaim) if graph.value(c, LIN.claimedParent)]
    assert "adapter_config.json" in str(graph.value(claim, SKOS.note))


def test_a_list_of_bases_is_quoted_as_the_list(graph):
    merge = MODEL["hf/mergekit-fans/mistral-zephyr-slerp"]
    quotes = {str(graph.value(c, LIN.quote)) for c in graph.objects(merge, LIN.hasClaim)}
    assert "base_model: [mistralai/Mistral-7B-v0.1, HuggingFaceH4/zephyr-7b-beta]" in quotes


def test_licences_task_and_library_come_from_the_card(graph):
    chat = MODEL["hf/acme-labs/llama-2-7b-support-chat"]
    assert graph.value(chat, LIN.license) == LICENSE["llama2"]
    assert graph.value(chat, LIN.pipelineTag) == Literal("text-generation")
    assert graph.value(chat, LIN.library) == Literal("transformers")
    (claim,) = [c for c in graph.objects(chat, LIN.hasClaim) if (c, RDF.type, LIN.LicenseClaim) in graph]
    assert graph.value(claim, LIN.quote) == Literal("license: llama2")
    assert (LICENSE["llama2"], None, None) not in graph  # the curated data declares it
    custom = LICENSE["otherlic-community-license"]  # license: other, with license_name and license_link
    assert graph.value(MODEL["hf/otherlic/mistral-7b-custom"], LIN.license) == custom
    assert graph.value(custom, RDFS.label) == Literal("otherlic-community-license")
    assert graph.value(custom, SCHEMA.url) == Literal("https://example.org/otherlic/LICENSE")


def test_a_base_outside_the_import_and_the_data_is_added_by_its_id(graph, folder):
    falcon = MODEL["hf/tiiuae/falcon-rw-1b"]
    assert (falcon, RDF.type, LIN.Model) in graph
    assert graph.value(falcon, LIN.modelId) == Literal("tiiuae/falcon-rw-1b")
    assert graph.value(graph.value(falcon, LIN.developedBy), RDFS.label) == Literal("tiiuae")
    assert folder.bases_added == 1


def test_output_is_one_ontology_document_importing_the_ontology(graph, folder):
    assert list(graph.subjects(RDF.type, OWL.Ontology)) == [folder.graph]
    assert folder.graph == URIRef("https://w3id.org/model-lineage/graph/import/hf-cards")
    assert graph.value(folder.graph, OWL.imports) == ONTOLOGY_IRI


# -- bad cards -------------------------------------------------------------------------------------


def test_bad_cards_are_reported_with_place_and_reason_and_the_rest_kept(folder, graph):
    errors = {str(Path(p.where).relative_to(CARDS)): p.reason for p in folder.problems if not p.warning}
    assert set(errors) == set(BAD)
    for where, reason in BAD.items():
        assert reason in errors[where]
    models = {str(o) for o in graph.objects(None, LIN.modelId)}
    assert {m for m in models if m.startswith("broken/")} == set()
    assert set(good_cards()) <= models | {"meta-llama/Llama-2-7b-chat-hf"}
    assert folder.models == len(good_cards()) == 15
    assert folder.summary() == (
        "imported 15 models, 13 edges (1 base model outside the import added by id); skipped 4 cards; 3 warnings"
    )


def test_a_field_of_the_wrong_form_is_a_warning_and_the_card_is_kept(folder, graph):
    warnings = sorted(str(p) for p in folder.problems if p.warning)
    assert [w.split("README.md:", 1)[1] for w in warnings] == [
        "2: warning: base_model './checkpoints/final' is a local path, not a Hub repo id; no edge for it",
        "3: warning: license 'Apache 2' is not a licence id; left out",
        "4: warning: pipeline_tag 'Text Generation' is not a plain name; left out",
    ]
    odd = MODEL["hf/warnfolk/mistral-7b-odd-fields"]
    assert (odd, LIN.derivedFrom, MODEL["mistral-7b-v0.1"]) in graph
    local = MODEL["hf/pathfolk/local-base"]  # kept, with no edge: a local path never becomes a model
    assert (local, RDF.type, LIN.Model) in graph and not set(graph.predicate_objects(local)) & {
        (p, o) for p in KINDS for o in graph.objects(local, p)
    }
    assert not [m for m in graph.objects(None, LIN.modelId) if "checkpoints" in str(m)]
    assert (odd, LIN.license, None) not in graph and (odd, LIN.pipelineTag, None) not in graph


def test_a_broken_jsonl_line_is_reported_with_its_line_number(tmp_path, curated):
    lines = (HF / "records.jsonl").read_text().splitlines()
    path = tmp_path / "some.jsonl"
    path.write_text("\n".join([lines[0], '{"id": "acme-labs/half", "cardData": {', lines[1], ""]))
    result = hf.import_cards(path, curated=curated)
    assert [str(p) for p in result.problems] == [
        f"{path}:2: not JSON: Expecting property name enclosed in double quotes (column 39)"
    ]
    assert result.models == 2


@pytest.mark.parametrize(
    "files, tags, name, bases, relation",
    [
        ((), (), "x", ("a/b", "c/d"), "merge"),
        (("adapter_config.json", "x.gguf"), (), "x", ("a/b", "c/d"), "merge"),  # several bases come first
        (("sub/adapter_model.bin",), ("gguf",), "x-GGUF", ("a/b",), "adapter"),  # then adapter files
        (("model.Q4_K_M.gguf",), (), "x", ("a/b",), "quantized"),
        (("model.safetensors",), ("GPTQ",), "x", ("a/b",), "quantized"),
        (("model.safetensors",), ("4-bit",), "x", ("a/b",), "quantized"),
        (("model.safetensors",), (), "llama-exl2-4.0bpw", ("a/b",), "quantized"),
        (("model.safetensors",), (), "awqward-model", ("a/b",), "finetune"),  # a word, not a substring
        (("model.safetensors",), ("merge",), "x", ("a/b",), "finetune"),
    ],
)
def test_relation_is_inferred_as_the_hub_does(files, tags, name, bases, relation):
    assert hf.infer_relation(f"owner/{name}", bases, files, tags)[0] == relation


@pytest.mark.parametrize(
    "text, valid",
    [
        ("meta-llama/Llama-2-7b-hf", True),
        ("TheBloke/Llama-2-7B-GGUF", True),
        ("a/b.c_d-e", True),
        ("gpt2", False),
        ("./checkpoints/final", False),
        ("https://huggingface.co/a/b", False),
        ("a/b/c", False),
        ("a--b/c", False),
        ("a/b..c", False),
        ("a/-b", False),
        ("a/" + "x" * 97, False),
    ],
)
def test_repo_ids_are_checked_as_the_hub_checks_them(text, valid):
    assert hf.is_repo_id(text) is valid


def test_a_card_is_quoted_as_written_and_an_other_licence_named_by_its_license_name():
    card = hf.Card(
        "a/b",
        "README.md",
        {
            "base_model": "c/d",
            "base_model_relation": "Adapter",
            "license": ["other", "MIT", "mit"],
            "license_name": "Llama 3 Community License",
        },
    )
    entry, problems = hf.check(card)
    assert problems == [] and entry is not None
    assert (entry.relation, entry.quotes) == ("adapter", {"c/d": "base_model: c/d\nbase_model_relation: Adapter"})
    assert entry.licences == (
        hf.Licence(
            "llama-3-community-license",
            "license: other\nlicense_name: Llama 3 Community License",
            "Llama 3 Community License",
        ),
        hf.Licence("mit", "license: MIT"),
    )


def written(path: Path, curated: hf.Curated, fmt: str) -> str:
    """What ``lineage import hf`` writes of ``path`` in ``fmt``."""
    out = io.StringIO()
    hf.import_cards(path, curated=curated, out=out, fmt=fmt)
    return out.getvalue()


def test_strings_are_escaped_for_turtle_and_ntriples(curated, tmp_path):
    link, name = 'https://example.org/a"b\\c', 'Odd "Licence"\n\té\x01 \\ end'
    card = {"license": "other", "license_link": link, "license_name": name, "base_model": "esc/base"}
    path = tmp_path / "escape.json"
    path.write_text(json.dumps({"id": "esc/model", "cardData": card}))
    for fmt, syntax in (("turtle", "turtle"), ("ntriples", "nt")):
        graph = Graph().parse(data=written(path, curated, fmt), format=syntax)
        licence = LICENSE["odd-licence-end"]
        assert (graph.value(licence, SCHEMA.url), graph.value(licence, RDFS.label)) == (Literal(link), Literal(name))


def test_ntriples_output_is_the_turtle_one_triple_a_line(folder, graph, curated):
    """The same graph; every line one triple that the strict N-Triples parsers of rdflib and Oxigraph
    read, with no prefix, comment or blank line."""
    text = written(CARDS, curated, "ntriples")
    assert isomorphic(Graph().parse(data=text, format="nt"), graph)
    lines = text.splitlines()
    assert len(lines) == len(graph) == len(list(ox.parse(text, format=ox.RdfFormat.N_TRIPLES)))
    assert all(line.startswith("<") and line.endswith(" .") for line in lines)


# -- the two inputs --------------------------------------------------------------------------------


def test_jsonl_records_and_the_folder_give_the_same_graph(tmp_path, curated):
    """records.jsonl holds the Hub API records of five sample repositories (without dates, which
    only the API has): imported from a folder of just those five, the graphs are the same."""
    for repo in FIVE:
        shutil.copytree(CARDS / repo, tmp_path / "records" / repo)
    from_folder = hf.import_cards(tmp_path / "records", curated=curated)
    from_records = hf.import_cards(HF / "records.jsonl", curated=curated)
    assert from_folder.graph == from_records.graph
    a, b = (Graph().parse(data=r.turtle, format="turtle") for r in (from_folder, from_records))
    assert len(a) > 100 and isomorphic(a, b)


def test_api_records_give_author_dates_and_report_bad_records(curated):
    result = hf.import_cards(HF / "hub.json", curated=curated)
    graph = Graph().parse(data=result.turtle, format="turtle")
    gptq = MODEL["hf/gptqfolk/llama-2-7b-chat-gptq"]
    assert graph.value(gptq, LIN.releaseDate) == Literal(datetime.date(2023, 7, 20), datatype=XSD.date)
    card = graph.value(gptq, LIN.describedBy)
    assert graph.value(card, DCTERMS.issued) == Literal(datetime.date(2023, 9, 1), datatype=XSD.date)
    assert (gptq, LIN.quantizedFrom, MODEL["llama-2-7b-chat"]) in graph  # tagged gptq
    assert [str(p).split("hub.json", 1)[1] for p in result.problems] == [
        "[2]: warning: createdAt 'yesterday' is not a date; left out",
        "[3]: the record has no id",
        "[4]: neworg/mistral-7b-tuned was already read from " + str(HF / "hub.json") + "[1]",
    ]
    assert result.models == 3


# -- validated and reasoned with the bundled data ------------------------------------------------


def test_imports_validate_with_the_bundled_data(imported_kg):
    assert [str(v) for v in imported_kg.violations] == []


def test_prp_trp_a_quantisation_of_a_fine_tune_descends_from_curated_llama_2(imported_kg):
    """prp-spo1 (quantizedFrom, fineTunedFrom ⊑ descendantOf) then prp-trp over two imported hops."""
    inferred = imported_kg.inferred
    assert (MODEL["hf/acme-labs/llama-2-7b-support-chat"], LIN.descendantOf, MODEL["llama-2-7b"]) in inferred
    assert (MODEL["hf/quantfolk/llama-2-7b-support-chat-gguf"], LIN.descendantOf, MODEL["llama-2-7b"]) in inferred
    awq = MODEL["hf/chainlab/base-1b-instruct-dpo-awq"]
    assert (awq, LIN.descendantOf, MODEL["hf/chainlab/base-1b"]) in inferred  # a chain of three
    assert (MODEL["hf/gptqfolk/llama-2-7b-chat-gptq"], LIN.descendantOf, MODEL["llama-2-7b"]) in inferred


def _licences(kg_: KnowledgeGraph, model: str) -> set[tuple[str, bool, str]]:
    result = queries.run(queries.find("licenses"), kg_.dataset, {"model": model}, lookup=kg_.union())
    return {(str(r["holder"]), bool(r["own"].toPython()), str(r["license"])) for r in result}


def test_a_fine_tune_of_llama_2_imported_from_a_card_is_bound_by_the_llama_2_licence(imported_kg):
    """Import sample cards -> build with them -> the licenses query: Llama 2's licence, from the paper."""
    llama2 = str(LICENSE["llama2"])
    for name in ("acme-labs/llama-2-7b-support-chat", "quantfolk/llama-2-7b-support-chat-GGUF"):
        assert (str(MODEL["llama-2-7b"]), False, llama2) in _licences(imported_kg, name)
    assert _licences(imported_kg, "gptqfolk/Llama-2-7B-Chat-GPTQ") == {
        (str(MODEL["hf/gptqfolk/llama-2-7b-chat-gptq"]), True, llama2),  # its own card's licence
        (str(MODEL["llama-2-7b-chat"]), False, llama2),
        (str(MODEL["llama-2-7b"]), False, llama2),
    }
    assert _licences(imported_kg, "tiiuae/falcon-rw-1b") == set()


# -- the command -----------------------------------------------------------------------------------


@pytest.fixture
def runner(built) -> CliRunner:
    build_graph(root=ROOT)  # fill this session's private cache, so commands without files start warm
    return CliRunner()


def test_cli_import_writes_the_file_and_reports_each_bad_card(runner, tmp_path, folder):
    out = tmp_path / "hf.ttl"
    result = runner.invoke(main, ["import", "hf", str(CARDS), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1] == folder.summary() + f"; wrote {out}"
    for where, reason in BAD.items():
        assert f"lineage: {CARDS / where}: {reason}" in result.stderr
    assert "Traceback" not in result.output
    assert isomorphic(Graph().parse(out), Graph().parse(data=folder.turtle, format="turtle"))
    assert [p.name for p in tmp_path.iterdir()] == ["hf.ttl"]  # written atomically, nothing left over
    (tmp_path / "plain.ttl").write_text("")
    assert out.stat().st_mode & 0o777 == (tmp_path / "plain.ttl").stat().st_mode & 0o777  # as open() makes files


def test_cli_import_to_stdout_and_by_name(runner, folder):
    result = runner.invoke(main, ["import", "hf", str(HF / "records.jsonl"), "--name", "five"])
    assert result.exit_code == 0, result.output
    graph = Graph().parse(data=result.stdout, format="turtle")
    assert list(graph.subjects(RDF.type, OWL.Ontology)) == [hf.graph_iri("five")]
    assert (
        result.stderr.strip()
        == "imported 5 models, 6 edges (1 base model outside the import added by id); skipped 0 cards"
    )


def test_cli_import_writes_ntriples_for_a_nt_output_or_when_asked(runner, tmp_path, graph):
    out = tmp_path / "hf.nt"
    result = runner.invoke(main, ["import", "hf", str(CARDS), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert isomorphic(Graph().parse(out, format="nt"), graph)
    result = runner.invoke(main, ["import", "hf", str(CARDS), "--format", "ntriples"])
    assert result.exit_code == 0, result.output
    assert result.stdout == out.read_text()
    result = runner.invoke(main, ["import", "hf", str(CARDS), "--format", "turtle", "-o", str(tmp_path / "x.nt")])
    assert isomorphic(Graph().parse(tmp_path / "x.nt", format="turtle"), graph)  # --format wins over the suffix


def test_cli_import_exits_1_and_writes_nothing_when_no_card_is_good(runner, tmp_path):
    shutil.copytree(CARDS / "broken", tmp_path / "cards" / "broken")
    out = tmp_path / "hf.ttl"
    result = runner.invoke(main, ["import", "hf", str(tmp_path / "cards"), "-o", str(out)])
    assert result.exit_code == 1
    assert "lineage: nothing to write: imported 0 models, 0 edges; skipped 4 cards" in result.stderr
    assert not out.exists()
    out.write_text("# an earlier import\n")  # the output is written as it is made: an old one must survive
    result = runner.invoke(main, ["import", "hf", str(tmp_path / "cards"), "-o", str(out)])
    assert result.exit_code == 1
    assert out.read_text() == "# an earlier import\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cards", "hf.ttl"]


def test_cli_import_strict_exits_1_when_a_card_was_skipped_but_writes_the_rest(runner, tmp_path):
    out = tmp_path / "hf.ttl"
    result = runner.invoke(main, ["import", "hf", str(HF / "hub.json"), "-o", str(out), "--strict"])
    assert result.exit_code == 1
    assert "skipped 2 cards" in result.stderr and out.exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["import", "hf", "no/such/folder"], "does not exist"),
        (["import", "hf", "README.md"], "neither a folder of model repositories nor a .json or .jsonl file"),
        (["import", "hf", "tests/data/hf/hub.json", "--name", "Bad Name"], "--name 'Bad Name': use lower-case"),
    ],
)
def test_cli_import_exits_2_when_the_input_cannot_be_read(runner, args, message, monkeypatch):
    monkeypatch.chdir(ROOT)
    result = runner.invoke(main, args)
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.output


def test_cli_licenses_lists_own_and_ancestors_licences(runner):
    result = runner.invoke(main, ["licenses", "llama-2-7b-chat"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "Licences binding Llama 2-Chat 7B (model:llama-2-7b-chat), its own and those of the models it descends from:"
    )
    assert lines[3].startswith("Llama 2 Community License Agreement [license:llama2]  Llama 2-Chat 7B (itself)")
    assert lines[4].startswith("Llama 2 Community License Agreement [license:llama2]  Llama 2 7B (ancestor)")
    assert lines[4].endswith("Llama 2: Open Foundation and Fine-Tuned Chat Models")


def test_cli_licenses_says_when_there_is_none(runner):
    result = runner.invoke(main, ["licenses", "chatgpt"])
    assert result.exit_code == 0
    assert result.stdout == (
        "No licence is recorded for ChatGPT (research release) (model:chatgpt) or for any model it descends from.\n"
    )


def test_cli_licenses_unknown_name_exits_1_with_suggestions(runner):
    result = runner.invoke(main, ["licenses", "llama-2-7b-chatt"])
    assert result.exit_code == 1
    assert result.stderr == (
        "lineage: unknown model 'llama-2-7b-chatt'; did you mean llama-2-7b-chat, llama-2-70b-chat, llama-2-13b-chat?\n"
    )


def test_cli_licenses_of_an_imported_fine_tune_end_to_end(runner, imports):
    """`lineage import hf` output loaded with --data: the Llama 2 licence reaches the imported adapter."""
    result = runner.invoke(
        main, ["licenses", "acme-labs/llama-2-7b-support-lora", "--data", str(imports[0]), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["model"] == str(MODEL["hf/acme-labs/llama-2-7b-support-lora"])
    assert answer["licenses"] == [
        {
            "license": str(LICENSE["llama2"]),
            "label": "Llama 2 Community License Agreement",
            "spdxId": None,
            "holder": str(MODEL["hf/acme-labs/llama-2-7b-support-lora"]),
            "holderLabel": "acme-labs/llama-2-7b-support-lora",
            "own": True,
            "sources": ["acme-labs/llama-2-7b-support-lora (model card)"],
        },
        {
            "license": str(LICENSE["llama2"]),
            "label": "Llama 2 Community License Agreement",
            "spdxId": None,
            "holder": str(MODEL["llama-2-7b"]),
            "holderLabel": "Llama 2 7B",
            "own": False,
            "sources": ["Llama 2: Open Foundation and Fine-Tuned Chat Models"],
        },
    ]
