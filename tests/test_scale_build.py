"""The big-graph build: the generator, a store built into a folder and opened again, the command.

The answers themselves (inferred triples, verdicts) are compared with owlrl's and pyshacl's in
``test_differential.py``; here: that the generator draws what it says, that ``store.build`` stores
what it computed in the named graphs the app serves, refuses what it cannot build, and never leaves
a half-built folder behind.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import RDF, BNode, Graph, Literal
from rdflib.compare import isomorphic

from lineage import cli
from lineage.bigbuild import folder as store
from lineage.bigbuild.closure import Unsupported
from lineage.build import BuildError, Inputs, KnowledgeGraph, SyntaxProblem, build_graph
from lineage.importers import hf
from lineage.namespaces import BASE, GRAPH_INFERRED, GRAPH_ONTOLOGY, LIN, MODEL
from lineage.stores import backend
from lineage.web import create_app

from .conftest import ROOT
from .test_differential import generator, write_forest

GPT3_FAMILY = MODEL["unidentified-gpt-3-family-model"]  # what ChatGPT descends from: "a GPT-3 model"

# -- the generator ---------------------------------------------------------------------------------


def test_same_seed_same_forest_other_seed_other_forest(tmp_path):
    gen = generator()
    a, b, c = gen.generate(500, 7), gen.generate(500, 7), gen.generate(500, 8)
    assert a.ids == b.ids and a.parents == b.parents and (a.created == b.created).all()
    assert a.parents != c.parents
    gen.write_ntriples(a, tmp_path / "a.nt", "x")
    gen.write_ntriples(b, tmp_path / "b.nt", "x")
    assert (tmp_path / "a.nt").read_bytes() == (tmp_path / "b.nt").read_bytes()


def test_forest_is_hugging_face_shaped():
    gen = generator()
    forest = gen.generate(20_000, 0)
    roots = [i for i, p in enumerate(forest.parents) if not p]
    assert len(roots) == gen.root_count(20_000) == 47
    depth = Counter(forest.depth.tolist())
    assert sum(depth[d] for d in (1, 2, 3, 4)) / (len(forest) - len(roots)) > 0.9  # mostly 1–4
    assert max(depth) >= 8  # with chains further down
    children = Counter(p for ps in forest.parents for p in ps)
    assert max(children.values()) > 100 * (forest.edges / len(children))  # heavy-tailed fan-out
    merges = [p for p, k in zip(forest.parents, forest.kind.tolist(), strict=True) if k == gen.MERGE]
    assert merges and all(2 <= len(p) <= 4 and len(set(p)) == len(p) for p in merges)
    assert all(len(p) == 1 for p, k in zip(forest.parents, forest.kind.tolist(), strict=True) if k in (0, 1, 2))
    kinds = Counter(forest.kind.tolist())
    assert kinds[gen.FINETUNE] > kinds[gen.QUANTIZED] > kinds[gen.ADAPTER] > kinds[gen.MERGE] > 0
    for child, parents in enumerate(forest.parents):  # dates increase down the tree
        assert all(forest.created[child] > forest.created[p] for p in parents)
    assert gen.largest_subtree(forest) > 0.15 * len(forest)


def test_ntriples_are_what_lineage_import_hf_makes_of_the_records(tmp_path):
    """The generator's records import without a problem, and its N-Triples are that import's graph."""
    gen = generator()
    forest = gen.generate(150, 11)
    gen.write_records(forest, tmp_path / "cards.jsonl")
    gen.write_ntriples(forest, tmp_path / "cards.nt", "cards")
    result = hf.import_cards(tmp_path / "cards.jsonl", name="cards", curated=hf.Curated())
    assert result.problems == []
    imported = Graph().parse(data=result.turtle, format="turtle")
    assert isomorphic(imported, Graph().parse(tmp_path / "cards.nt", format="nt"))


# -- the store -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def forest_file(tmp_path_factory) -> Path:
    path, _ = write_forest(tmp_path_factory.mktemp("forest"), 120, 21)
    return path


@pytest.fixture(scope="module")
def built_store(tmp_path_factory, forest_file):
    folder = tmp_path_factory.mktemp("stores") / "lineage"
    report = store.build(folder, [forest_file], root=ROOT)
    return folder, report


def test_build_stores_asserted_and_inferred_in_their_named_graphs(built_store, forest_file):
    folder, report = built_store
    assert report.stored and report.violations == []
    opened = store.open(folder)
    counts = {
        str(row["g"].value): int(row["n"].value)
        for row in opened.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    }
    checked = store.check([forest_file], root=ROOT)
    assert counts[str(GRAPH_INFERRED)] == len(checked.inferred) == report.inferred
    assert counts[str(GRAPH_ONTOLOGY)] > 300
    assert counts[f"{BASE}graph/data/meta"] > 100  # curated files under data/, imports under import/
    assert counts[f"{BASE}graph/import/{forest_file.stem}"] == checked.facts.files[-1][1]
    assert set(opened.graphs) >= set(counts)
    assert json.loads((folder / store.MANIFEST).read_text())["inferred"] == report.inferred
    assert opened.fresh([forest_file], root=ROOT)
    assert not opened.fresh([], root=ROOT)


def test_build_counts_what_a_server_would_otherwise_count(built_store):
    """The manifest's statistics are what the slow queries answer on the stored graph."""
    from lineage.namespaces import PREFIXES
    from lineage.stores.backend import COUNTS, FAMILIES, MODELS, TRIPLES, largest_families_query

    folder, report = built_store
    opened = store.open(folder)
    stats = opened.manifest["statistics"]
    assert stats == report.statistics

    def ask(text: str) -> list:
        return list(opened.query(text, prefixes=PREFIXES))

    assert stats["counts"] == {row["g"].value: int(row["n"].value) for row in ask(COUNTS)}
    assert sum(stats["counts"].values()) > stats["triples"]  # the curated files repeat a few triples
    assert stats["triples"] == int(ask(TRIPLES)[0]["n"].value)
    assert stats["models"] == int(ask(MODELS)[0]["n"].value) > 120
    assert stats["families"] == int(ask(FAMILIES)[0]["n"].value) > 1
    top = [[row["root"].value, int(row["n"].value)] for row in ask(largest_families_query(5))]
    assert stats["largest"][:5] == top and top[0][1] >= top[-1][1]


def test_a_triple_repeated_in_a_file_is_counted_once(tmp_path, forest_file):
    from lineage.stores.backend import COUNTS

    lines = forest_file.read_text().splitlines(keepends=True)
    repeated = tmp_path / "repeated.nt"
    repeated.write_text("".join(lines + lines[:3]))
    report = store.build(tmp_path / "store", [repeated], root=ROOT)
    counted = {row["g"].value: int(row["n"].value) for row in store.open(tmp_path / "store").query(COUNTS)}
    assert report.statistics["counts"] == counted
    assert counted[f"{BASE}graph/import/repeated"] == len(lines)


def test_index_of_a_big_store_shows_its_largest_families_and_says_how_many_more(built_store, monkeypatch):
    from lineage.web import create_app
    from lineage.web import pages as resource

    folder, report = built_store
    monkeypatch.setattr(resource, "BIG_INDEX", 50)
    monkeypatch.setattr(resource, "LARGEST", 3)
    app = create_app({"TESTING": True, "STORE": str(folder), "QUERY_WORKERS": 0})
    try:
        page = app.test_client().get("/", headers={"Accept": "text/html"}).get_data(as_text=True)
    finally:
        app.extensions["lineage"].close()
    stats = report.statistics
    families = page.split('id="families"')[1].split('class="columns')[0]
    where = [families.index(f'href="/{iri[len(BASE) :]}"') for iri, _ in stats["largest"][:3]]
    assert where == sorted(where)  # the largest first
    assert f"{stats['largest'][0][1]:,} descendants" in families
    more = families.split('id="more-families"')[1]
    assert f"The 3 largest of {stats['families']:,} families" in " ".join(more.split())


def test_stored_lineage_answers_as_the_core_build(built_store, built):
    """prp-trp and prp-inv1 in the store: the curated ancestors of ChatGPT, as build_graph has them."""
    folder, _ = built_store
    opened = store.open(folder)
    query = f"SELECT ?a WHERE {{ <{MODEL.chatgpt}> <{LIN.descendantOf}> ?a }}"
    ours = {row["a"].value for row in opened.query(query)}
    theirs = {str(o) for o in built.union().objects(MODEL.chatgpt, LIN.descendantOf)}
    assert ours == theirs and str(GPT3_FAMILY) in ours
    ask = f"ASK {{ <{GPT3_FAMILY}> <{LIN.ancestorOf}> <{MODEL.chatgpt}> }}"
    assert opened.query(ask)


BLANK_TURTLE = """\
@prefix lin: <https://w3id.org/model-lineage/ontology#> .
@prefix model: <https://w3id.org/model-lineage/model/> .
@prefix source: <https://w3id.org/model-lineage/source/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

model:chatgpt lin:hasClaim [
    a lin:LineageClaim ; lin:claimedParent model:davinci ; lin:claimedKind lin:fineTunedFrom ;
    lin:source source:gpt-3-paper ; lin:quote "A claim without an IRI." ; lin:claimDate "2020-05-28"^^xsd:date ;
    lin:confidence lin:low ; lin:inDefaultLineage false
] .
"""


def blank_ntriples(model: str, quote: str) -> str:
    """A claim on ``model`` as the blank node ``_:c``, in N-Triples."""
    lin, claim = "https://w3id.org/model-lineage/ontology#", "_:c"
    statements = [
        (f"<{MODEL[model]}>", f"<{lin}hasClaim>", claim),
        (claim, f"<{RDF.type}>", f"<{lin}LineageClaim>"),
        (claim, f"<{lin}claimedParent>", f"<{GPT3_FAMILY}>"),
        (claim, f"<{lin}claimedKind>", f"<{lin}fineTunedFrom>"),
        (claim, f"<{lin}source>", f"<{BASE}source/gpt-3-paper>"),
        (claim, f"<{lin}quote>", f'"{quote}"'),
        (claim, f"<{lin}claimDate>", '"2020-05-28"^^<http://www.w3.org/2001/XMLSchema#date>'),
        (claim, f"<{lin}confidence>", f"<{lin}low>"),
        (claim, f"<{lin}inDefaultLineage>", '"false"^^<http://www.w3.org/2001/XMLSchema#boolean>'),
    ]
    return "".join(" ".join(triple) + " .\n" for triple in statements)


@pytest.fixture(scope="module")
def blank_inputs(tmp_path_factory) -> tuple[list[Path], KnowledgeGraph]:
    """A Turtle ``[]`` and an N-Triples ``_:c`` (the same label in two files: two nodes); the core
    build with them."""
    folder = tmp_path_factory.mktemp("blank")
    (folder / "anonymous.ttl").write_text(BLANK_TURTLE)
    (folder / "labelled.nt").write_text(blank_ntriples("instructgpt", "One."))
    (folder / "labelled-too.nt").write_text(blank_ntriples("gpt-4", "Two."))
    extra = sorted(folder.iterdir())
    core = build_graph(extra, root=ROOT, use_cache=False)
    assert core.violations == []
    return extra, core


@pytest.mark.parametrize("overlap", [False, True], ids=["loaded-after", "loaded-while-read"])
def test_blank_nodes_are_stored_with_their_inferences(tmp_path, blank_inputs, overlap):
    """The blank nodes the inferences are about are the stored ones: the stored union is the core
    build's, blank nodes and all (Oxigraph's loaders would give each a new label)."""
    extra, core = blank_inputs
    union = core.union()
    report = store.build(tmp_path / "store", extra, root=ROOT, overlap=overlap)
    assert report.stored
    stored = Graph()
    for quad in store.open(tmp_path / "store").store:
        stored.add(tuple(backend.to_rdflib(term) for term in (quad.subject, quad.predicate, quad.object)))
    assert len({s for s in stored.subjects() if isinstance(s, BNode)}) == 3
    assert len(stored) == len(union) and isomorphic(stored, union)


def test_a_claim_without_an_iri_is_described_and_shown_from_a_store_as_in_memory(tmp_path, blank_inputs):
    """Pages look blank nodes up in the store by pattern (a SPARQL ``_:b`` would match anything), and
    a description includes the blank nodes it reaches."""
    extra, core = blank_inputs
    store.build(tmp_path / "store", extra, root=ROOT)
    apps = [create_app({"TESTING": True, "GRAPH": core, "QUERY_WORKERS": 0})]
    apps.append(create_app({"TESTING": True, "STORE": str(tmp_path / "store"), "QUERY_WORKERS": 0}))
    for model, quote in (("chatgpt", "A claim without an IRI."), ("gpt-4", "Two.")):
        answers = (app.test_client().get(f"/model/{model}.nt").data for app in apps)
        local, stored = (Graph().parse(data=answer, format="nt") for answer in answers)
        assert isomorphic(local, stored)
        claims = [c for c in stored.objects(MODEL[model], LIN.hasClaim) if isinstance(c, BNode)]
        assert [stored.value(c, LIN.quote) for c in claims] == [Literal(quote)]
        page = apps[1].test_client().get(f"/model/{model}", headers={"Accept": "text/html"}).get_data(as_text=True)
        assert quote in page
    graph = backend.BackendStore(backend.FolderBackend(tmp_path / "store")).graph(backend.UNION)
    (claim,) = [c for c in graph.objects(MODEL.chatgpt, LIN.hasClaim) if isinstance(c, BNode)]
    assert backend.first_values(graph, claim, 50)[LIN.quote] == ([Literal("A claim without an IRI.")], 1)
    assert backend.count_subjects(graph, LIN.hasClaim, claim) == 1


def test_reopening_is_fast(built_store):
    folder, _ = built_store
    started = time.perf_counter()
    opened = store.open(folder)
    assert opened.query("ASK { ?s ?p ?o }")
    assert time.perf_counter() - started < 5


def test_violations_store_nothing_and_keep_the_old_store(built_store, tmp_path, forest_file):
    folder, _ = built_store
    before = (folder / store.MANIFEST).read_text()
    broken = tmp_path / "broken.nt"
    lines = [line for line in forest_file.read_text().splitlines(keepends=True) if "#hasClaim>" not in line]
    broken.write_text("".join(lines))
    report = store.build(folder, [broken], root=ROOT)
    assert not report.stored
    assert {v.rule for v in report.violations} >= {"linsh:ModelShape-edgeBackedByClaim", "linsh:ClaimShape-attached"}
    assert (folder / store.MANIFEST).read_text() == before
    assert not list(folder.parent.glob(".lineage.building-*"))


def test_syntax_error_names_file_and_line(tmp_path):
    bad = tmp_path / "bad.nt"
    bad.write_text('<urn:a> <urn:b> "ok" .\n<urn:a> <urn:b> broken .\n')
    with pytest.raises(SyntaxProblem) as raised:
        store.build(tmp_path / "store", [bad], root=ROOT)
    assert raised.value.path == bad and raised.value.line == 2
    assert not (tmp_path / "store").exists()


def test_data_that_states_schema_is_refused(tmp_path):
    """A sub-class axiom in the data would change the rules: the fast path says so, build_graph it."""
    extra = tmp_path / "schema.ttl"
    extra.write_text(
        "@prefix lin: <https://w3id.org/model-lineage/ontology#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "lin:Chatbot rdfs:subClassOf lin:Model .\n"
    )
    with pytest.raises(Unsupported, match="subClassOf"):
        store.check([extra], root=ROOT)


def test_open_refuses_a_folder_that_is_not_a_store(tmp_path):
    with pytest.raises(BuildError, match="not a lineage store"):
        store.open(tmp_path)


def test_bigbuild_command(tmp_path, forest_file):
    runner = CliRunner()
    result = runner.invoke(cli.main, ["bigbuild", str(tmp_path / "s"), str(forest_file)])
    assert result.exit_code == 0, result.output
    assert "inferred" in result.output
    assert store.open(tmp_path / "s").manifest["asserted"] > 0


def test_lineage_entailments_are_the_lineage_part_of_all(forest_file):
    """entailments="lineage": the same lineage triples, and typings only of the models they link."""
    from lineage.bigbuild.closure import materialise

    inputs = Inputs.bundled(ROOT, [forest_file])
    rules, _, facts = store.compile_inputs(inputs)
    store.read_inputs(facts, inputs, store.graph_names(inputs, ROOT).values())
    everything = set(materialise(rules, facts).lines())
    lineage = set(materialise(rules, facts, scope=rules.lineage_scope()).lines())
    properties, classes = rules.lineage_scope()
    assert lineage < everything and len(lineage) < 0.7 * len(everything)
    assert {t for t in everything if t.split(" ")[1] in properties} <= lineage
    types = [t.split(" ") for t in lineage if t.split(" ")[1].endswith("#type>") and "/model/" in t.split(" ")[0]]
    assert types and {t[2] for t in types} <= classes
    assert not [t for t in lineage if t.split(" ")[0].startswith((f"<{BASE}claim/", f"<{BASE}source/"))]
