"""SHACL shapes: every rule has a smallest failing fixture, and the fixture fails that rule alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import SH

from lineage.build import build_graph
from lineage.namespaces import SHAPES

from .conftest import DATA, ROOT

INVALID = sorted((DATA / "invalid").glob("*.ttl"))


def named_rules() -> set[str]:
    """Local names of every property shape and SHACL-SPARQL constraint in shapes.ttl."""
    shapes = Graph().parse(ROOT / "ontology" / "shapes.ttl")
    nodes = set(shapes.objects(None, SH.property)) | set(shapes.objects(None, SH.sparql))
    return {str(n)[len(str(SHAPES)) :] for n in nodes if isinstance(n, URIRef) and str(n).startswith(str(SHAPES))}


def test_every_rule_is_named_and_has_a_message():
    shapes = Graph().parse(ROOT / "ontology" / "shapes.ttl")
    for node in set(shapes.objects(None, SH.property)) | set(shapes.objects(None, SH.sparql)):
        assert isinstance(node, URIRef), f"anonymous rule in shapes.ttl: {node}"
        assert shapes.value(node, SH.message) is not None, f"{node} has no sh:message"


def test_every_rule_has_a_smallest_failing_fixture():
    assert named_rules() == {path.stem for path in INVALID}


def test_the_valid_fixture_conforms(fixture_root):
    graph = build_graph([DATA / "valid" / "minimal.ttl"], root=fixture_root, use_cache=False)
    assert graph.violations == []
    assert len(graph.inferred) > 0


@pytest.mark.parametrize("fixture", INVALID, ids=[p.stem for p in INVALID])
def test_fixture_fails_exactly_its_rule(fixture: Path, fixture_root):
    graph = build_graph([fixture], root=fixture_root, use_cache=False)
    assert {v.rule for v in graph.violations} == {f"linsh:{fixture.stem}"}
    for violation in graph.violations:
        assert violation.file == str(fixture)
        assert violation.focus.startswith(
            ("model:", "claim:", "source:", "org:", "series:", "method:", "license:", "<")
        )
        assert violation.message


def test_bundled_data_conforms(built):
    assert [str(v) for v in built.violations] == []


def test_violation_names_file_and_line(fixture_root):
    fixture = DATA / "invalid" / "ModelShape-notBeforeParent.ttl"
    (violation,) = build_graph([fixture], root=fixture_root, use_cache=False).violations
    line = fixture.read_text().splitlines()[violation.line - 1]
    assert line.startswith("model:acme-chat ")
    assert "2023-12-01" in violation.message and "acme-base" in violation.message
