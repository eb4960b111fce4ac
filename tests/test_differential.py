"""The fast build path gives owlrl's and pyshacl's answers: same inferred triples, same verdicts.

Graphs come from the Hugging Face–shaped generator (``bench/generate.py``) with several seeds, small
enough for owlrl and pyshacl, and from mutations of them that break each kind of rule (a cycle, an
edge without its claim, a model dated before its parent, ill-typed and out-of-range values, a
literal where a resource belongs …). Each is built twice: by ``build_graph`` (rdflib, owlrl, pyshacl)
and by ``store.check`` (``lineage.bigbuild.facts``, ``lineage.bigbuild.closure``, ``lineage.bigbuild.shapes``), and the two are
compared: every inferred triple (the lineage properties, and everything else owlrl infers), and every
validation result by focus node, path, source shape, rule, value and message.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import numpy as np
import pyoxigraph as ox
import pytest
from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import XSD

from lineage.bigbuild import folder as store
from lineage.bigbuild.shapes import EQUIVALENTS, Shapes, run_as_written
from lineage.build import Inputs, KnowledgeGraph, Violation, build_graph
from lineage.namespaces import BASE, GRAPH_ONTOLOGY, LIN

from .conftest import DATA, ROOT

PROV = "http://www.w3.org/ns/prov#"
LINEAGE_PROPERTIES = {
    LIN.descendantOf,
    LIN.ancestorOf,
    LIN.derivedFrom,
    LIN.fineTunedFrom,
    LIN.adapterOf,
    LIN.quantizedFrom,
    LIN.mergedFrom,
    URIRef(PROV + "wasDerivedFrom"),
    URIRef("https://schema.org/isBasedOn"),
    URIRef("https://w3id.org/fair4ml#fineTunedFrom"),
}


def generator():
    """``bench/generate.py`` as a module (``bench/`` is not a package)."""
    if "lineage_generate" not in sys.modules:
        spec = importlib.util.spec_from_file_location("lineage_generate", ROOT / "bench" / "generate.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["lineage_generate"] = module
        spec.loader.exec_module(module)
    return sys.modules["lineage_generate"]


def write_forest(folder: Path, models: int, seed: int) -> tuple[Path, object]:
    gen = generator()
    forest = gen.generate(models, seed)
    path = folder / f"hf-forest-{models}-{seed}.nt"
    gen.write_ntriples(forest, path, f"forest-{models}-{seed}")
    return path, forest


def verdicts(violations: list[Violation]) -> list[tuple]:
    return sorted((v.focus, v.path or "", v.shape, v.rule, v.value or "", v.message) for v in violations)


def both(root: Path, extra: list[Path]) -> tuple[KnowledgeGraph, store.Checked]:
    return build_graph(extra, root=root, use_cache=False), store.check(extra, root=root)


# -- clean graphs: the inferred triples ------------------------------------------------------------


# owlrl takes seconds from a hundred models up: a few small forests by default; set
# LINEAGE_DIFFERENTIAL_SWEEP=N to add N more seeds at 20–200 models (a slow, thorough run).
SWEEP = int(os.environ.get("LINEAGE_DIFFERENTIAL_SWEEP", "0"))
FORESTS = [(20, 1), (30, 2), (45, 3)] + [(20 + (seed * 37) % 181, 100 + seed) for seed in range(SWEEP)]
BROKEN = [(40, 4), (25, 5)] + [(25 + (seed * 29) % 100, 200 + seed) for seed in range(SWEEP)]


@pytest.mark.parametrize(("models", "seed"), FORESTS)
def test_random_forest_gives_owlrls_inferences(models, seed, fixture_root, tmp_path):
    path, _ = write_forest(tmp_path, models, seed)
    slow, fast = both(fixture_root, [path])
    assert slow.violations == [] and fast.violations == []
    ours = set(fast.inferred.graph())
    theirs = set(slow.inferred)
    for prop in LINEAGE_PROPERTIES:  # the lineage properties, one by one: the criterion
        assert {t for t in ours if t[1] == prop} == {t for t in theirs if t[1] == prop}, prop
    assert {t for t in theirs if t[1] == LIN.descendantOf}  # not vacuous
    assert ours == theirs  # and everything else owlrl infers (types, alignments, schema, datatypes)


def test_curated_data_gives_owlrls_inferences_and_no_violations(built):
    fast = store.check(root=ROOT)
    assert fast.violations == []
    assert set(fast.inferred.graph()) == set(built.inferred)
    assert len(fast.inferred) == len(built.inferred)


# -- broken graphs: the verdicts -------------------------------------------------------------------


def _model(forest, index: int) -> URIRef:
    return URIRef(f"{BASE}model/hf/{forest.ids[index]}")


def _lineage_claim(graph: Graph, model: URIRef) -> URIRef:
    return next(c for c in graph.objects(model, LIN.hasClaim) if (c, RDF.type, LIN.LineageClaim) in graph)


BROKEN_RULES = {  # what break_graph breaks
    "ModelShape-noCycle",
    "ModelShape-edgeBackedByClaim",
    "ClaimShape-attached",
    "ModelShape-notBeforeParent",
    "ModelShape-releaseDate",
    "ModelShape-parameterCount",
    "ModelShape-pipelineTag",
    "ClaimShape-quote",
    "ClaimShape-confidence",
    "ClaimShape-inDefaultLineage",
    "LineageClaimShape-claimedKind",
    "LineageClaimShape-defaultEdgeAsserted",
    "ModelShape-label",
    "ClaimShape-source",
    "ModelShape-developedBy",
    "SourceShape-issued",
    "ModelShape-licenseBackedByClaim",
    "SourceShape-dated",
    "LineageClaimShape-oneParentUnlessMerge",
}


def break_graph(path: Path, forest, seed: int) -> tuple[Path, set[str]]:
    """The forest with one of each kind of fault; the rules that must fail."""
    graph = Graph().parse(path, format="nt")
    singles = [i for i, p in enumerate(forest.parents) if len(p) == 1]
    roots = [i for i, p in enumerate(forest.parents) if not p]
    # a cycle: the root fine-tuned from its first child, claim and all
    root = roots[0]
    child = next(i for i in singles if forest.parents[i] == (root,))
    pick = [int(i) for i in np.random.default_rng(seed).permutation([i for i in singles if i != child])[:16]]
    looped, parent = _model(forest, root), _model(forest, child)
    claim = URIRef(f"{BASE}claim/broken/cycle")
    card = next(graph.objects(looped, LIN.describedBy))
    graph.add((looped, LIN.fineTunedFrom, parent))
    graph.add((looped, LIN.hasClaim, claim))
    for p, o in [
        (RDF.type, LIN.LineageClaim),
        (LIN.claimedParent, parent),
        (LIN.claimedKind, LIN.fineTunedFrom),
        (LIN.method, URIRef(BASE + "method/unstated")),
        (LIN.source, card),
        (LIN.quote, Literal("base_model: a cycle")),
        (LIN.confidence, LIN.high),
        (LIN.inDefaultLineage, Literal(True)),
    ]:
        graph.add((claim, p, o))
    # an edge whose claim is no longer linked
    unlinked = _model(forest, pick[0])
    graph.remove((unlinked, LIN.hasClaim, _lineage_claim(graph, unlinked)))
    # dated before its parent; an impossible date; two dates
    graph.set((_model(forest, pick[1]), LIN.releaseDate, Literal("2000-01-01", datatype=XSD.date)))
    graph.set((_model(forest, pick[2]), LIN.releaseDate, Literal("2024-13-45", datatype=XSD.date)))
    graph.add((_model(forest, pick[3]), LIN.releaseDate, Literal("2031-01-01", datatype=XSD.date)))
    # ill-typed and out-of-range values, a pattern, a length, an enumeration
    graph.add((_model(forest, pick[4]), LIN.parameterCount, Literal("lots", datatype=XSD.integer)))
    graph.add((_model(forest, pick[5]), LIN.parameterCount, Literal(0)))
    graph.set((_model(forest, pick[6]), LIN.pipelineTag, Literal("Text Generation")))
    claim6 = _lineage_claim(graph, _model(forest, pick[7]))
    graph.set((claim6, LIN.quote, Literal("x" * 501)))  # over ClaimShape-quote's sh:maxLength
    graph.set((claim6, LIN.confidence, URIRef(str(LIN) + "certain")))
    claim8 = _lineage_claim(graph, _model(forest, pick[8]))
    graph.set((claim8, LIN.inDefaultLineage, Literal("maybe", datatype=XSD.boolean)))
    claim9 = _lineage_claim(graph, _model(forest, pick[9]))
    graph.set((claim9, LIN.claimedKind, URIRef(str(LIN) + "cousinOf")))
    # a resource where a literal belongs, a literal where a resource belongs, a wrong class
    graph.set((_model(forest, pick[10]), RDFS.label, parent))
    graph.set((_lineage_claim(graph, _model(forest, pick[11])), LIN.source, Literal("a card")))
    graph.set((_model(forest, pick[12]), LIN.developedBy, parent))
    card13 = next(graph.objects(_model(forest, pick[13]), LIN.describedBy))
    graph.set((card13, URIRef("http://purl.org/dc/terms/issued"), Literal("March 2024")))
    # a licence without its claim, and a source that is neither dated nor a model card
    graph.add((_model(forest, pick[14]), LIN.license, URIRef(BASE + "license/wtfpl")))
    graph.remove((card, RDF.type, LIN.ModelCard))
    graph.add((card, RDF.type, LIN.Source))
    graph.remove((card, URIRef("http://purl.org/dc/terms/issued"), None))
    # a claim of one parent that names two
    claim15 = _lineage_claim(graph, _model(forest, pick[15]))
    graph.add((claim15, LIN.claimedParent, _model(forest, root)))
    out = path.with_name(path.stem + "-broken.nt")
    graph.serialize(out, format="nt", encoding="utf-8")
    return out, {f"linsh:{name}" for name in BROKEN_RULES}


@pytest.mark.parametrize(("models", "seed"), BROKEN)
def test_broken_forest_gives_pyshacls_verdicts(models, seed, fixture_root, tmp_path):
    path, forest = write_forest(tmp_path, models, seed)
    broken, expected = break_graph(path, forest, seed)
    slow, fast = both(fixture_root, [broken])
    assert expected <= {v.rule for v in slow.violations}  # the faults are there
    assert verdicts(fast.violations) == verdicts(slow.violations)
    assert fast.inferred is None  # nothing is reasoned over a graph that breaks the shapes


# the rules the broken forests leave unbroken (all of them in a sweep)
INVALID = [p for p in sorted((DATA / "invalid").glob("*.ttl")) if SWEEP or p.stem not in BROKEN_RULES]


@pytest.mark.parametrize("fixture", INVALID, ids=[p.stem for p in INVALID])
def test_smallest_failing_fixture_gives_pyshacls_verdict(fixture, fixture_root):
    slow, fast = both(fixture_root, [fixture])
    assert verdicts(fast.violations) == verdicts(slow.violations)
    assert {v.rule for v in fast.violations} == {f"linsh:{fixture.stem}"}


# -- the SHACL-SPARQL constraints: compiled equivalents and the queries as written ----------------


def test_every_sparql_constraint_has_a_compiled_equivalent():
    """A new or edited sh:sparql query runs as written on the store (slow at scale): review it,
    then register its equivalent in server/bigbuild/shapes.py under its new fingerprint."""
    shapes = Shapes.load(ROOT / "ontology" / "shapes.ttl")
    constraints = [c for shape in shapes.node_shapes for c in shape.sparql]
    assert constraints
    missing = [f"{c.iri} {c.fingerprint}" for c in constraints if (str(c.iri), c.fingerprint) not in EQUIVALENTS]
    assert missing == []
    assert not shapes.needs_store()


def test_sparql_constraints_as_written_on_oxigraph_agree_with_the_equivalents(fixture_root, tmp_path):
    path, forest = write_forest(tmp_path, 40, 6)
    broken, _ = break_graph(path, forest, 6)
    inputs = Inputs.bundled(fixture_root, [broken])
    names = store.graph_names(inputs, fixture_root)
    oxi = ox.Store()
    for p in inputs.ontology:
        oxi.load(path=str(p), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(str(GRAPH_ONTOLOGY)))
    for graph, p in names.items():
        fmt = ox.RdfFormat.N_TRIPLES if p.suffix == ".nt" else ox.RdfFormat.TURTLE
        oxi.load(path=str(p), format=fmt, to_graph=ox.NamedNode(graph), base_iri=p.resolve().as_uri())
    graphs = [f"<{GRAPH_ONTOLOGY}>", *(f"<{g}>" for g in names)]
    checked = store.check([broken], root=fixture_root)
    from lineage.bigbuild.shapes import _View

    view = _View(checked.facts)
    shapes = Shapes.load(inputs.shapes)
    compared = 0
    for shape in shapes.node_shapes:
        focus = view.instances(shape.targets)
        for constraint in shape.sparql:
            equivalent = EQUIVALENTS[(str(constraint.iri), constraint.fingerprint)]
            mine = {tuple(sorted(row.items())) for row in equivalent(view, focus)}
            written = {tuple(sorted(row.items())) for row in run_as_written(oxi, graphs, constraint)}
            assert mine == written, constraint.iri
            compared += bool(mine)
    assert compared >= 6  # most constraints have rows on the broken graph
