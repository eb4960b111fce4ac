"""What every command shares: failing with a message and exit code, building the graph, requiring it valid."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import click
from rdflib import Dataset, Graph, URIRef
from rdflib.graph import ReadOnlyGraphAggregate

from lineage.build import BuildError, KnowledgeGraph, build_graph


def fail(message: str, code: int = 1) -> None:
    click.echo(f"lineage: {message}", err=True)
    sys.exit(code)


def load_graph(extra: tuple[Path, ...] = (), *, refresh: bool = False, progress: bool | None = None) -> KnowledgeGraph:
    """Build (or take from the cache) the graph; a build error ends the command with its message.

    Files given on the command line are built with the bundled ones and cached like them, by a hash of
    every input's bytes (a graph with violations is never cached). ``progress``: show the build's steps
    (default: on a terminal only)."""
    try:
        shown = sys.stderr.isatty() if progress is None else progress
        return build_graph(extra, refresh=refresh, progress=shown)
    except BuildError as error:
        fail(str(error), 2)
    raise AssertionError("unreachable")


def require_valid(graph: KnowledgeGraph | Sources, doing: str = "") -> None:
    """End the command when the graph breaks the shapes."""
    if graph.violations:
        fail(f"{len(graph.violations)} violations; run 'lineage check' to see them{doing}")


def parse_params(params: tuple[str, ...]) -> dict[str, str]:
    values = {}
    for item in params:
        name, sep, value = item.partition("=")
        if not sep or not name:
            fail(f"--param {item!r}: write it as name=value", 2)
        values[name] = value
    return values



@dataclass
class Sources:
    """What a read command reads: the asserted triples, everything (with the inferences), and the
    dataset (named graphs kept) saved queries run on."""

    asserted: Graph
    union: Graph
    dataset: Graph
    violations: list = field(default_factory=list)


def _data_files(extra: tuple[Path, ...]) -> list[Path]:
    files: list[Path] = []
    for item in extra:
        files += sorted([*item.glob("*.ttl"), *item.glob("*.nt")]) if item.is_dir() else [item]
    return files


def load_sources(extra: tuple[Path, ...] = (), store: str | None = None) -> Sources:
    """The curated graph (ontology and data/) plus ``extra`` files, built, validated and reasoned; or,
    with ``store``, a store as ``serve --store`` reads it (a folder built by ``lineage bigbuild``,
    or ``sparql:QUERY_URL``), with ``extra`` files read beside it as they are (each its own graph,
    not reasoned: to reason over them, build them into the store). A source that cannot be read ends
    the command (exit 2)."""
    if store is None:
        kg = load_graph(extra)
        return Sources(kg.asserted(), kg.union(), kg.dataset, list(kg.violations))
    from lineage.build import parse_turtle
    from lineage.namespaces import BASE
    from lineage.stores.backend import ASSERTED, UNION, BackendError, BackendStore, open_backend

    try:
        backend = open_backend(store)
    except (BackendError, BuildError, OSError, ValueError) as error:
        fail(f"--store {store}: {getattr(error, 'message', None) or error}", 2)
    reader = BackendStore(backend)
    graphs = [reader.graph(g) for g in backend.graphs]
    added: list[Graph] = []
    for path in _data_files(extra):
        try:
            added.append(parse_turtle(path, Graph(identifier=URIRef(f"{BASE}graph/data/{path.stem}"))))
        except BuildError as error:
            fail(str(error), 2)
    if not added:
        return Sources(reader.graph(ASSERTED), reader.graph(UNION), Dataset(store=reader, default_union=True))
    return Sources(
        _Aggregate([reader.graph(ASSERTED), *added]),
        _Aggregate([reader.graph(UNION), *added]),
        _Aggregate([*graphs, *added]),
    )


class _Aggregate(ReadOnlyGraphAggregate):
    """A read-only union of graphs that can be a key of the name resolver's cache (by identity)."""

    __hash__ = object.__hash__  # type: ignore[assignment]

    def __eq__(self, other: object) -> bool:
        return self is other


def source_options(command: Callable) -> Callable:
    """``--data FILE`` (repeatable) and ``--store DIR``: the sources every read command reads."""
    command = click.option(
        "--store",
        metavar="DIR",
        help="Read a store instead of the curated graph: a folder built by 'lineage bigbuild' (DIR or "
        "oxigraph:DIR) or sparql:QUERY_URL, as 'serve --store' does.",
    )(command)
    return click.option(
        "--data",
        "extra",
        multiple=True,
        metavar="FILE",
        type=click.Path(exists=True, path_type=Path),
        help="Also read this Turtle or N-Triples file or folder, such as an import (repeatable).",
    )(command)
