"""The lineage command, run as a user runs it: real builds, real parsers, exit codes and messages."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner
from rdflib import OWL, RDF, RDFS, Graph, URIRef
from rdflib.compare import isomorphic

from lineage.build import build_graph, parse_dataset, quiet_dataset_deprecations
from lineage.cli import main
from lineage.cli.graph import EXPORT_FORMATS
from lineage.formats.owl import read_ontologies, whole_graph
from lineage.namespaces import BASE, MODEL, ONTOLOGY_IRI

from .conftest import DATA, ROOT

CHATGPT_DAVINCI = (
    "<https://w3id.org/model-lineage/model/chatgpt> <https://w3id.org/model-lineage/ontology#descendantOf> "
    "<https://w3id.org/model-lineage/model/unidentified-gpt-3-family-model> ."
)


@pytest.fixture
def runner(built):
    """A CLI runner over the bundled graph, which the session build has already cached."""
    pass

    build_graph(root=ROOT)  # fill this session's private cache, so commands start warm
    return CliRunner()


def test_check_passes_on_the_bundled_data(runner):
    result = runner.invoke(main, ["check"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok:") and "no violations" in result.output


@pytest.mark.parametrize(
    "fixture, expected",
    [
        ("ModelShape-noCycle", "Lineage cycle"),
        ("ModelShape-notBeforeParent", "before its ancestor"),
        ("ModelShape-edgeBackedByClaim", "backed by no claim"),
        ("ModelShape-releaseDate", "valid xsd:date"),
    ],
)
def test_check_exits_1_naming_the_problem_in_an_added_file(runner, tmp_path, fixture, expected):
    added = tmp_path / f"{fixture}.ttl"
    shutil.copy(DATA / "invalid" / f"{fixture}.ttl", added)
    result = runner.invoke(main, ["check", str(added)])
    assert result.exit_code == 1
    assert expected in result.output
    assert f"{added}:" in result.output
    assert f"linsh:{fixture}" in result.output


def test_check_exits_2_on_a_syntax_error_with_file_line_column(runner, tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text('@prefix lin: <https://w3id.org/model-lineage/ontology#> .\n<urn:a> lin:p "open .\n')
    result = runner.invoke(main, ["check", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}:2:" in result.output
    assert "Traceback" not in result.output


def test_check_takes_a_folder(runner, tmp_path):
    shutil.copy(DATA / "valid" / "minimal.ttl", tmp_path / "acme.ttl")
    result = runner.invoke(main, ["check", str(tmp_path)])
    assert result.exit_code == 0, result.output


def test_explain_shows_every_hop_with_its_source(runner):
    result = runner.invoke(main, ["explain", "chatgpt", "unidentified-gpt-3-family-model"])
    assert result.exit_code == 0, result.output
    assert "ChatGPT (research release) --fine-tuned from--> unidentified GPT-3.5 model" in result.output
    assert '"Introducing ChatGPT" (2022-11-30)' in result.output
    assert "--descendant of--> unidentified-gpt-3-family-model" in result.output
    assert "follows from: text-davinci-002 fine-tuned from code-davinci-002" in result.output
    assert "Competing claims" in result.output and "Yao Fu" in result.output


def test_explain_json_has_one_chain_per_path(runner):
    result = runner.invoke(main, ["explain", "text-davinci-003", "unidentified-gpt-3-family-model", "--format", "json"])
    data = json.loads(result.output)
    (chain,) = data["chains"]
    assert [hop["parent"].rsplit("/", 1)[-1] for hop in chain] == ["text-davinci-002", "code-davinci-002", "unidentified-gpt-3-family-model"]
    assert all(hop["claims"] and hop["claims"][0]["quote"] for hop in chain)


def test_explain_finds_every_chain_through_a_model_with_two_parents(runner):
    result = runner.invoke(main, ["explain", "gpt-3.5-turbo-0301", "text-davinci-003", "--format", "json"])
    chains = json.loads(result.output)["chains"]
    assert sorted(len(c) for c in chains) == [1, 2]


@pytest.mark.parametrize(
    "args, message",
    [
        (["chatgtp", "unidentified-gpt-3-family-model"], "unknown model 'chatgtp'; did you mean chatgpt"),
        (["unidentified-gpt-3-family-model", "chatgpt"], "does not descend from"),
    ],
)
def test_explain_exits_1_with_a_clear_message(runner, args, message):
    result = runner.invoke(main, ["explain", *args])
    assert result.exit_code == 1
    assert message in result.output


def test_query_runs_the_seed_question(runner):
    result = runner.invoke(main, ["query", "is-chatgpt-descended-from-gpt-3"])
    assert (result.exit_code, result.output) == (0, "true\n")


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "tsv"])
def test_query_formats(runner, fmt):
    result = runner.invoke(main, ["query", "ancestors", "--param", "model=text-davinci-003", "--format", fmt])
    assert result.exit_code == 0, result.output
    assert "code-davinci-002" in result.output
    if fmt == "json":
        rows = json.loads(result.output)["results"]["bindings"]
        assert {r["ancestor"]["value"].rsplit("/", 1)[-1] for r in rows} == {
            "text-davinci-002",
            "code-davinci-002",
            "unidentified-gpt-3-family-model",
        }
    if fmt == "tsv":
        assert result.output.splitlines()[0].startswith("?child\t?kind")


def test_query_reports_a_missing_parameter(runner):
    result = runner.invoke(main, ["query", "ancestors"])
    assert result.exit_code == 1 and "needs parameter model" in result.output


def test_query_reports_an_unknown_query(runner):
    result = runner.invoke(main, ["query", "ancestor"])
    assert result.exit_code == 1 and "did you mean ancestors" in result.output


def test_export_nt_inferred_holds_chatgpt_descendant_of_the_gpt_3_family_model(runner):
    result = runner.invoke(main, ["export", "--format", "nt", "--inferred"])
    assert result.exit_code == 0
    assert CHATGPT_DAVINCI in result.output.splitlines()
    plain = runner.invoke(main, ["export", "--format", "nt"])
    assert CHATGPT_DAVINCI not in plain.output.splitlines()


@pytest.mark.parametrize("fmt", list(EXPORT_FORMATS))
def test_every_export_parses_back_isomorphic(runner, built, tmp_path, fmt):
    out = tmp_path / f"export.{fmt}"
    result = runner.invoke(main, ["export", "--format", fmt, "--inferred", "-o", str(out)])
    assert result.exit_code == 0, result.output
    rdflib_format, quads = EXPORT_FORMATS[fmt]
    parse_as = {"pretty-xml": "xml"}.get(rdflib_format, rdflib_format)
    if quads:
        back = parse_dataset(out.read_bytes(), parse_as)
        expected = {str(g.identifier) for g in built.dataset.graphs() if len(g)}
        assert {str(g.identifier) for g in back.graphs() if len(g)} == expected
        for name in expected:
            assert isomorphic(back.graph(URIRef(name)), built.dataset.graph(URIRef(name))), name
    else:
        with quiet_dataset_deprecations():
            back = Graph().parse(data=out.read_bytes(), format=parse_as)
        ontologies = read_ontologies(built)
        main_ontology = next(o for o in ontologies if o.iri == ONTOLOGY_IRI)
        assert isomorphic(back, whole_graph(built, main_ontology, BASE, inferred=True))


@pytest.mark.parametrize("fmt", ["xml", "turtle", "jsonld", "nt"])
def test_export_is_one_owl_document_with_one_header_and_no_imports(runner, tmp_path, fmt):
    """Issue 14: one owl:Ontology (not one per data file, each importing the ontology), as /graph serves."""
    out = tmp_path / f"export.{fmt}"
    assert runner.invoke(main, ["export", "--format", fmt, "-o", str(out)]).exit_code == 0
    with quiet_dataset_deprecations():
        back = Graph().parse(data=out.read_bytes(), format=EXPORT_FORMATS[fmt][0])
    assert list(back.subjects(RDF.type, OWL.Ontology)) == [URIRef(BASE + "graph")]
    assert not list(back.triples((None, OWL.imports, None)))
    assert (MODEL.chatgpt, RDFS.label, None) in back


def test_export_refuses_an_unknown_format_and_writes_nothing(runner, tmp_path):
    out = tmp_path / "out.ttl"
    result = runner.invoke(main, ["export", "--format", "yaml", "-o", str(out)])
    assert result.exit_code == 2
    assert "yaml" in result.output
    assert not out.exists()


@pytest.mark.parametrize("fmt", ["xml", "turtle"])
def test_export_loads_in_the_owl_api(runner, tmp_path, fmt):
    """The whole graph as one document, as Protégé opens it: every triple read, DL, consistent, the
    lineage entailed. (RDF/XML is written declarations first: see server/rdfxml.py.)"""
    from .owlapi import run_owlapi

    out = tmp_path / f"lineage.{fmt}"
    assert runner.invoke(main, ["export", "--format", fmt, "-o", str(out)]).exit_code == 0
    edge = (
        "https://w3id.org/model-lineage/model/chatgpt",
        "https://w3id.org/model-lineage/ontology#descendantOf",
        "https://w3id.org/model-lineage/model/unidentified-gpt-3-family-model",
    )
    report = run_owlapi([str(out)], entail=[edge])
    (document,) = report["documents"]
    assert document["unparsed"] == 0, document["unparsedTriples"]
    assert not document.get("missingImports"), document["missingImports"]
    assert report["dlViolations"] == []
    assert report["consistent"] is True
    assert report["entailments"][0]["entailed"] is True
