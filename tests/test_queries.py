"""The answer of every saved query, pinned (STYLE.md points 10 to 12).

Every ``queries/*.rq`` and ``queries/checks/*.rq`` runs on a small fixture (tests/data/queries/fixture.ttl
on the real ontology, validated and reasoned) and on the bundled data; the answers are data, in
tests/data/queries/expected.yaml. The tests are parametrised over the query folders as they are at
collection time, so a query without an expected answer fails the suite.
"""

from __future__ import annotations

import datetime
import shutil
import warnings
from pathlib import Path

import pytest
import yaml
from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from lineage.build import Inputs, KnowledgeGraph, build_graph, load, quiet_dataset_deprecations, reason
from lineage.namespaces import GRAPH_INFERRED, LIN, MODEL, PREFIXES, data_graph_iri
from lineage.query import saved as queries

ROOT = Path(__file__).resolve().parents[1]
QUERIES = ROOT / "queries"
HERE = Path(__file__).resolve().parent / "data" / "queries"
FIXTURE = HERE / "fixture.ttl"
EXPECTED_FILE = HERE / "expected.yaml"

QUERY_FILES = sorted(QUERIES.glob("*.rq")) + sorted((QUERIES / "checks").glob("*.rq"))


def _name(path: Path) -> str:
    return path.relative_to(QUERIES).with_suffix("").as_posix()


QUERY_NAMES = [_name(path) for path in QUERY_FILES]
CHECK_NAMES = [name for name in QUERY_NAMES if name.startswith("checks/")]
EXPECTED: dict[str, list[dict]] = yaml.safe_load(EXPECTED_FILE.read_text(encoding="utf-8")) or {}
ANSWER_KEYS = {"ask", "equals", "contains", "excludes"}


def _graphs_for(name: str) -> list[str]:
    """The graphs a query is tested on: always the fixture and the real data, plus any its cases name."""
    named = {case.get("graph") for case in EXPECTED.get(name) or [] if isinstance(case, dict)}
    return ["fixture", "real", *sorted(str(graph) for graph in named - {"fixture", "real", None})]


ANSWER_PARAMS = [pytest.param(name, graph, id=f"{name}@{graph}") for name in QUERY_NAMES for graph in _graphs_for(name)]


# --- graphs -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def query_fixture_root(tmp_path_factory) -> Path:
    """A project root holding the real ontology and tests/data/queries/fixture.ttl as its only data."""
    root = tmp_path_factory.mktemp("query-fixture")
    (root / "ontology").mkdir()
    (root / "data").mkdir()
    for path in (ROOT / "ontology").glob("*.ttl"):
        shutil.copy(path, root / "ontology" / path.name)
    shutil.copy(FIXTURE, root / "data" / FIXTURE.name)
    return root


@pytest.fixture(scope="session")
def fixture_kg(query_fixture_root) -> KnowledgeGraph:
    return build_graph(root=query_fixture_root, use_cache=False)


@pytest.fixture(scope="session")
def broken_fixture(query_fixture_root):
    """``fixture+X``: the fixture plus tests/data/queries/X.ttl, loaded and reasoned without validation.

    These files break the rules on purpose; build_graph would stop at their SHACL violations before
    reasoning, and a check query is about what the reasoned graph holds."""
    cache = {}

    def get(extra: str):
        if extra not in cache:
            path = HERE / f"{extra}.ttl"
            assert path.is_file(), f"no file {path.relative_to(ROOT)} for graph fixture+{extra}"
            inputs = Inputs.bundled(query_fixture_root, [path])
            dataset = load(inputs)
            inferred = reason(KnowledgeGraph(dataset, inputs, inputs.key()).asserted())
            target = dataset.graph(GRAPH_INFERRED)
            for triple in inferred:
                target.add(triple)
            cache[extra] = dataset
        return cache[extra]

    return get


def _dataset(request, graph: str):
    if graph == "real":
        built = request.getfixturevalue("built")
        assert not built.violations, "data/ has violations, so it was not reasoned:\n" + "\n".join(
            map(str, built.violations)
        )
        return built.dataset
    if graph == "fixture":
        return request.getfixturevalue("fixture_kg").dataset
    if graph.startswith("fixture+"):
        return request.getfixturevalue("broken_fixture")(graph.removeprefix("fixture+"))
    raise AssertionError(f"unknown graph {graph!r} (fixture, fixture+<file>, real)")


# --- running and comparing --------------------------------------------------------------------


def _run(query: queries.SavedQuery, dataset, values: dict[str, str] | None = None):
    """The answer, materialised: a bool for ASK, else a list of {variable: term or None}.

    rdflib 7.6 warns about its own use of Dataset.default_context and Dataset.contexts on every
    query of a Dataset (https://github.com/RDFLib/rdflib/issues/3475); only those are muted, and
    only here."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=r"Dataset\.(default_context|contexts) is deprecated", category=DeprecationWarning
        )
        result = queries.run(query, dataset, values)
        if result.type == "ASK":
            return bool(result.askAnswer)
        variables = [str(v) for v in result.vars]
        return [dict(zip(variables, row, strict=True)) for row in result]


def _compact(iri: URIRef) -> str:
    best = max((ns for ns in PREFIXES.values() if iri.startswith(ns)), key=len, default=None)
    if best is None or len(iri) == len(best):
        return f"<{iri}>"
    prefix = next(p for p, ns in PREFIXES.items() if ns == best)
    return f"{prefix}:{iri[len(best) :]}"


def _text(term) -> str | None:
    if term is None:
        return None
    return _compact(term) if isinstance(term, URIRef) else str(term)


def _want(value):
    """An expected value as compared: text, None, or a set for a GROUP_CONCAT."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return frozenset(str(v) for v in value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _project(row: dict, template: dict) -> tuple:
    """``row`` reduced to the variables ``template`` names, in the form the template writes them."""
    out = []
    for key in sorted(template):
        assert key in row, f"the query has no variable ?{key} (it has {', '.join('?' + v for v in row)})"
        value = _text(row[key])
        if isinstance(template[key], frozenset):
            value = frozenset(value.split(", ")) if value else frozenset()
        out.append(value)
    return tuple(out)


def _wanted(rows: list[dict]) -> list[dict]:
    return [{key: _want(value) for key, value in row.items()} for row in rows]


def _check_case(name: str, case: dict, answer) -> None:
    where = f"{name} on {case['graph']} with {case.get('params') or {}}"
    if "ask" in case:
        assert isinstance(answer, bool), f"{where}: expected an ASK query"
        assert answer is case["ask"], f"{where}: ASK answered {answer}"
        return
    assert not isinstance(answer, bool), f"{where}: an ASK query needs `ask:`"
    if "equals" in case:
        wanted = _wanted(case["equals"] or [])
        if not wanted:
            assert answer == [], (
                f"{where}: expected no rows, got {[{k: _text(v) for k, v in r.items()} for r in answer]}"
            )
            return
        keys = set(wanted[0])
        assert all(set(row) == keys for row in wanted), f"{where}: rows under `equals` must name the same variables"
        got = [_project(row, wanted[0]) for row in answer]
        expected = [tuple(row[k] for k in sorted(row)) for row in wanted]
        if case.get("ordered"):
            assert got == expected, f"{where}: rows differ (in order)"
        else:
            assert set(got) == set(expected), (
                f"{where}: missing {set(expected) - set(got)}, unexpected {set(got) - set(expected)}"
            )
    for row in _wanted(case.get("contains") or []):
        got = {_project(actual, row) for actual in answer}
        assert tuple(row[k] for k in sorted(row)) in got, f"{where}: no row {row}"
    for row in _wanted(case.get("excludes") or []):
        got = {_project(actual, row) for actual in answer}
        assert tuple(row[k] for k in sorted(row)) not in got, f"{where}: unexpected row {row}"


def _load(name: str) -> queries.SavedQuery:
    return queries.load_query(QUERIES / f"{name}.rq")


# --- every query has an answer, and gives it --------------------------------------------------


def test_every_saved_query_has_an_expected_answer():
    """A .rq added without expected answers on the fixture and on the real data fails here."""
    missing = [
        f"{name} on {graph}"
        for name in QUERY_NAMES
        for graph in ("fixture", "real")
        if not any(isinstance(case, dict) and case.get("graph") == graph for case in EXPECTED.get(name) or [])
    ]
    assert QUERY_NAMES, "no saved queries found"
    assert not missing, f"no expected answer in {EXPECTED_FILE.relative_to(ROOT)} for: {', '.join(missing)}"


def test_expected_answers_are_for_queries_that_exist():
    stale = sorted(set(EXPECTED) - set(QUERY_NAMES))
    assert not stale, f"{EXPECTED_FILE.relative_to(ROOT)} has answers for queries that do not exist: {stale}"


def test_the_loader_sees_the_queries_tested_here():
    assert sorted(queries.load_all(QUERIES)) == sorted(n for n in QUERY_NAMES if "/" not in n)


@pytest.mark.parametrize("name", CHECK_NAMES)
def test_check_has_no_rows_on_data_and_some_on_its_fixture(name):
    """ODK: a *-violation query finds nothing in data/ and in the valid fixture, and fires on its own
    smallest failing fixture, tests/data/queries/checks/<name>.ttl."""
    assert name.endswith("-violation"), f"a check is named <what>-violation.rq, not {name}.rq"
    cases = EXPECTED.get(name) or []
    for graph in ("fixture", "real"):
        assert any(c.get("graph") == graph and c.get("equals") == [] for c in cases), (
            f"{name}: needs `equals: []` on {graph}"
        )
    own = f"fixture+{name}"
    assert (HERE / f"{name}.ttl").is_file(), f"{name}: no failing fixture {name}.ttl in {HERE.relative_to(ROOT)}"
    assert any(c.get("graph") == own and (c.get("equals") or c.get("contains")) for c in cases), (
        f"{name}: needs the rows it finds on {own}"
    )


@pytest.mark.parametrize(("name", "graph"), ANSWER_PARAMS)
def test_saved_query_answer(name, graph, request):
    cases = [case for case in EXPECTED.get(name) or [] if case.get("graph") == graph]
    assert cases, f"no expected answer for {name} on {graph} in {EXPECTED_FILE.relative_to(ROOT)}"
    query = _load(name)
    dataset = _dataset(request, graph)
    for case in cases:
        assert set(case) & ANSWER_KEYS, f"{name} on {graph}: a case needs one of {sorted(ANSWER_KEYS)}"
        assert set(case) <= ANSWER_KEYS | {"graph", "params", "ordered"}, f"{name} on {graph}: unknown keys in {case}"
        values = {key: str(value) for key, value in (case.get("params") or {}).items()}
        _check_case(name, case, _run(query, dataset, values))


# --- the fixture ------------------------------------------------------------------------------


def test_fixture_validates_and_is_reasoned(fixture_kg):
    """The fixture is valid data, so build_graph reasons over it and the answers above rest on owlrl."""
    assert fixture_kg.violations == []
    assert list(fixture_kg.inputs.graph_names()) == [data_graph_iri("fixture")]
    # prp-spo1 then prp-trp: two asserted hops become one inferred descendantOf.
    assert (MODEL["acme-instruct"], LIN.descendantOf, MODEL["acme-base"]) in fixture_kg.inferred
    assert (MODEL["acme-chat"], LIN.descendantOf, MODEL["acme-base"]) in fixture_kg.inferred
    # The competing claim is kept, not asserted.
    assert (MODEL["acme-chat"], LIN.fineTunedFrom, MODEL["acme-base"]) not in fixture_kg.union()


# --- parameters -------------------------------------------------------------------------------


@pytest.fixture
def echo(tmp_path):
    """A saved query that selects its bound parameters back."""
    path = tmp_path / "echo.rq"
    path.write_text(
        "#+ summary: Echo the parameters.\n"
        "#+ params:\n"
        "#+   - {name: count, type: integer}\n"
        "#+   - {name: day, type: date}\n"
        "#+   - {name: text, type: string}\n"
        "#+   - {name: iri, type: iri}\n"
        "SELECT ?count ?day ?text ?iri WHERE {}\n",
        encoding="utf-8",
    )
    return queries.find(str(path))


ECHO_OK = {"count": "3", "day": "2024-02-29", "text": "hello", "iri": "https://example.org/x"}


def test_typed_parameters_are_bound_as_typed_terms(echo, fixture_kg):
    (row,) = _run(echo, fixture_kg.dataset, ECHO_OK)
    assert row == {
        "count": Literal(3),
        "day": Literal("2024-02-29", datatype=XSD.date),
        "text": Literal("hello"),
        "iri": URIRef("https://example.org/x"),
    }
    assert row["count"].datatype == XSD.integer


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("count", "12x"),
        ("count", "3.5"),
        ("day", "2024-02-30"),
        ("day", "01/02/2024"),
        ("iri", "not an iri"),
        ("iri", "chatgpt> } ; DROP ALL #"),
    ],
)
def test_malformed_typed_parameter_is_refused_by_name(echo, fixture_kg, param, value):
    with pytest.raises(queries.QueryError, match=rf"parameter {param}\b") as error:
        _run(echo, fixture_kg.dataset, {**ECHO_OK, param: value})
    assert repr(value) in str(error.value)


@pytest.mark.parametrize("missing", ["model", "parent"])
def test_missing_parameter_is_named(fixture_kg, missing):
    values = {"model": "acme-chat", "parent": "acme-instruct"}
    del values[missing]
    with pytest.raises(queries.QueryError, match=rf"needs parameter {missing}\b"):
        _run(_load("edge-sources"), fixture_kg.dataset, values)


def test_empty_parameter_counts_as_missing(fixture_kg):
    with pytest.raises(queries.QueryError, match=r"needs parameter model\b"):
        _run(_load("ancestors"), fixture_kg.dataset, {"model": ""})


def test_unknown_parameter_is_named(fixture_kg):
    with pytest.raises(queries.QueryError, match=r"no parameter colour\b"):
        _run(_load("ancestors"), fixture_kg.dataset, {"model": "acme-chat", "colour": "red"})


def test_parameter_of_a_query_without_parameters_is_refused(fixture_kg):
    with pytest.raises(queries.QueryError, match=r"no parameter model\b.*takes: none"):
        _run(_load("is-chatgpt-descended-from-gpt-3"), fixture_kg.dataset, {"model": "acme-chat"})


def test_misspelt_model_name_suggests_the_close_one(built):
    with pytest.raises(queries.QueryError, match=r"parameter model\b") as error:
        _run(_load("ancestors"), built.dataset, {"model": "chatgtp"})
    assert "did you mean chatgpt" in str(error.value)


def test_misspelt_series_name_suggests_the_close_one(fixture_kg):
    with pytest.raises(queries.QueryError, match=r"parameter series\b") as error:
        _run(_load("series-members"), fixture_kg.dataset, {"series": "acme-l"})
    assert "did you mean acme-1" in str(error.value)


def test_a_name_is_resolved_by_kind(fixture_kg):
    """A series is not a model: the name must be of the parameter's kind."""
    with pytest.raises(queries.QueryError, match=r"parameter model\b.*unknown model 'acme-1'"):
        _run(_load("ancestors"), fixture_kg.dataset, {"model": "acme-1"})


def test_sparql_in_a_model_name_is_not_spliced(built):
    """The value is looked up as a name, never pasted into the query: it is an unknown model."""
    value = "chatgpt> } ; DROP ALL #"
    with pytest.raises(queries.QueryError, match=r"parameter model\b.*unknown model") as error:
        _run(_load("ancestors"), built.dataset, {"model": value})
    assert repr(value) in str(error.value)


@pytest.mark.parametrize(
    "value",
    [
        "chatgpt> } ; DROP ALL #",
        '" } INSERT DATA { <urn:a> <urn:b> <urn:c> } #',
        "?text",
    ],
)
def test_sparql_in_a_string_parameter_is_bound_as_a_literal(echo, fixture_kg, value):
    before = len(fixture_kg.dataset)
    (row,) = _run(echo, fixture_kg.dataset, {**ECHO_OK, "text": value})
    assert row["text"] == Literal(value)
    assert row["text"].datatype is None and row["text"].language is None
    assert len(fixture_kg.dataset) == before


@pytest.mark.parametrize("name", sorted(queries.load_all()))
def test_values_text_answers_as_bound_parameters(name, built):
    """The query page's text (the example values in a VALUES block) answers as the API's bound parameters."""
    query = queries.load_all()[name]
    values = {p.name: p.example for p in query.params}
    assert all(values.values()), f"{name}: every parameter needs an example"
    bound = queries.bind(query, built.union(), values)
    text = queries.with_values(query, bound)
    assert (text == query.text) == (not query.params)
    with quiet_dataset_deprecations():
        expected = built.dataset.query(query.text, initNs=PREFIXES, initBindings=bound)
        found = built.dataset.query(text, initNs=PREFIXES)
        if query.form == "ASK":
            assert found.askAnswer == expected.askAnswer
        else:
            rows = sorted(tuple(row) for row in expected)
            assert sorted(tuple(row) for row in found) == rows
            assert rows, f"{name}: the example values should give an answer"
