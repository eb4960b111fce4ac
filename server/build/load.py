"""Reading Turtle into named graphs, and datasets to and from bytes."""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator
from pathlib import Path

from rdflib import Dataset, Graph
from rdflib.plugins.parsers.notation3 import BadSyntax

from lineage.build.errors import BuildError, SyntaxProblem
from lineage.build.inputs import Inputs
from lineage.namespaces import GRAPH_ONTOLOGY
from lineage.progress import Steps


def parse_turtle(path: Path, graph: Graph | None = None) -> Graph:
    """Parse one Turtle file; a syntax error becomes :class:`SyntaxProblem` with line and column."""
    graph = Graph() if graph is None else graph
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise SyntaxProblem(path, 1, error.start + 1, f"not UTF-8: {error.reason}") from None
    except OSError as error:
        raise BuildError(f"{path}: {error.strerror}") from None
    try:
        with quiet_literal_warnings():
            graph.parse(data=text, format="turtle", publicID=path.resolve().as_uri())
    except BadSyntax as error:
        raw = error._str.decode("utf-8", "replace")
        before = raw[: error._i]
        line = before.count("\n") + 1
        column = error._i - (before.rfind("\n") + 1) + 1
        raise SyntaxProblem(path, line, column, f"Turtle syntax error: {error._why}") from None
    except Exception as error:  # rdflib raises assorted errors for bad IRIs, literals, prefixes
        raise SyntaxProblem(path, 1, 1, f"Turtle error: {error}") from None
    return graph


@contextlib.contextmanager
def quiet_literal_warnings() -> Iterator[None]:
    """rdflib logs a traceback for each ill-typed literal ("2024-02-30"^^xsd:date); SHACL reports
    those as violations with file and line, so the traceback is only noise."""
    logger = logging.getLogger("rdflib.term")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def load(inputs: Inputs, steps: Steps | None = None) -> Dataset:
    """Parse every input into a dataset, one named graph per data file."""
    dataset = Dataset(default_union=True)
    ontology = dataset.graph(GRAPH_ONTOLOGY)
    for path in inputs.ontology:
        parse_turtle(path, ontology)
        if steps:
            steps.advance(f"parsed {path.name}")
    for iri, path in inputs.graph_names().items():
        parse_turtle(path, dataset.graph(iri))
        if steps:
            steps.advance(f"parsed {path.name}")
    return dataset


@contextlib.contextmanager
def quiet_dataset_deprecations() -> Iterator[None]:
    """rdflib's own N-Quads, TriG, JSON-LD and SPARQL code calls its deprecated Dataset and
    ConjunctiveGraph API; those warnings are rdflib's business, not the caller's."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="(Dataset|ConjunctiveGraph).* is deprecated", category=DeprecationWarning
        )
        yield


def serialize_dataset(dataset: Dataset, fmt: str) -> bytes:
    """N-Quads or TriG of a dataset, named graphs kept."""
    with quiet_dataset_deprecations():
        return dataset.serialize(format=fmt, encoding="utf-8")


def parse_dataset(data: bytes, fmt: str) -> Dataset:
    """A dataset (default graph = union of named graphs) from N-Quads or TriG."""
    dataset = Dataset(default_union=True)
    with quiet_dataset_deprecations():
        dataset.parse(data=data, format=fmt)
    return dataset

