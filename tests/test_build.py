"""The build cache: keyed by the inputs, written atomically, skipped reasoning on a warm start."""

from __future__ import annotations

import shutil

import pytest

from lineage.build import SyntaxProblem, build_graph
from lineage.namespaces import LIN, MODEL, data_graph_iri

from .conftest import DATA


@pytest.fixture
def root(fixture_root):
    shutil.copy(DATA / "valid" / "minimal.ttl", fixture_root / "data" / "acme.ttl")
    return fixture_root


def test_second_build_comes_from_the_cache_with_the_same_graph(root, tmp_path, monkeypatch):
    monkeypatch.setenv("LINEAGE_CACHE_DIR", str(tmp_path / "cache"))
    cold = build_graph(root=root)
    warm = build_graph(root=root)
    assert not cold.from_cache and warm.from_cache
    assert warm.key == cold.key
    assert set(warm.dataset.quads()) == set(cold.dataset.quads())
    assert (MODEL["acme-chat"], LIN.descendantOf, MODEL["acme-base"]) in warm.inferred
    assert list((tmp_path / "cache").glob("*.tmp")) == []


def test_a_changed_input_misses_the_cache(root, tmp_path, monkeypatch):
    monkeypatch.setenv("LINEAGE_CACHE_DIR", str(tmp_path / "cache"))
    first = build_graph(root=root)
    data = root / "data" / "acme.ttl"
    data.write_text(data.read_text().replace('rdfs:label "acme-chat"', 'rdfs:label "Acme Chat"'))
    second = build_graph(root=root)
    assert second.key != first.key and not second.from_cache


def test_a_graph_with_violations_is_not_cached(fixture_root, tmp_path, monkeypatch):
    monkeypatch.setenv("LINEAGE_CACHE_DIR", str(tmp_path / "cache"))
    shutil.copy(DATA / "invalid" / "ModelShape-noCycle.ttl", fixture_root / "data" / "cycle.ttl")
    graph = build_graph(root=fixture_root)
    assert graph.violations
    assert not (tmp_path / "cache").exists() or list((tmp_path / "cache").iterdir()) == []


def test_a_syntax_error_names_file_line_and_column(root, tmp_path, monkeypatch):
    monkeypatch.setenv("LINEAGE_CACHE_DIR", str(tmp_path / "cache"))
    bad = root / "data" / "broken.ttl"
    bad.write_text(
        "@prefix lin: <https://w3id.org/model-lineage/ontology#> .\n\n<urn:a> lin:p <urn:b>\n<urn:c> lin:p <urn:d> .\n"
    )
    with pytest.raises(SyntaxProblem) as caught:
        build_graph(root=root)
    assert (caught.value.path, caught.value.line) == (bad, 4)
    assert str(caught.value).startswith(f"{bad}:4:")
    assert not (tmp_path / "cache").exists() or list((tmp_path / "cache").iterdir()) == []


def test_each_data_file_is_its_own_named_graph(built):
    names = {str(g.identifier) for g in built.dataset.graphs()}
    assert "https://w3id.org/model-lineage/graph/data/openai" in names
    assert "https://w3id.org/model-lineage/graph/ontology" in names
    openai = built.dataset.graph(data_graph_iri("openai"))
    assert (MODEL.chatgpt, LIN.fineTunedFrom, None) in openai
    assert (MODEL.chatgpt, LIN.fineTunedFrom, None) not in built.dataset.graph(data_graph_iri("meta"))
