"""What every command shares: failing with a message and exit code, building the graph, requiring it valid."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from lineage.build import BuildError, KnowledgeGraph, build_graph


def fail(message: str, code: int = 1) -> None:
    click.echo(f"lineage: {message}", err=True)
    sys.exit(code)


def load_graph(extra: tuple[Path, ...] = (), *, refresh: bool = False, progress: bool | None = None) -> KnowledgeGraph:
    """Build (or take from the cache) the graph; a build error ends the command with its message.

    Files given on the command line are checked, not cached. ``progress``: show the build's steps
    (default: on a terminal only)."""
    try:
        shown = sys.stderr.isatty() if progress is None else progress
        return build_graph(extra, use_cache=not extra, refresh=refresh, progress=shown)
    except BuildError as error:
        fail(str(error), 2)
    raise AssertionError("unreachable")


def require_valid(graph: KnowledgeGraph, doing: str = "") -> None:
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

