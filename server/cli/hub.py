"""``lineage import hf``: Hugging Face model cards and Hub records to lineage data."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import IO

import click

from lineage.build import BuildError
from lineage.cli.common import fail
from lineage.files import atomic_output


@click.group("import")
def import_group() -> None:
    """Import lineage from other sources as a data file (check it with 'lineage check FILE')."""


@import_group.command("hf")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE, not stdout.")
@click.option("--name", help="The import's name: its graph is …/graph/import/hf-NAME (default: from PATH).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["turtle", "ntriples"]),
    help="What to write (default: ntriples when -o names a .nt file, else turtle).",
)
@click.option("--strict", is_flag=True, help="Exit 1 when a card was skipped (the rest is still written).")
def import_hf_command(path: Path, output: Path | None, name: str | None, fmt: str | None, strict: bool) -> None:
    """Import Hugging Face model cards: base models, kind of derivation, licence, task, library, dates.

    PATH is a folder of model repositories (PATH/<owner>/<name>/README.md, YAML front matter) or a
    .json/.jsonl file of records as the Hub API returns them. Writes one Turtle or N-Triples document
    (atomically with -o) whose every edge cites its card; 'lineage bigbuild' reads N-Triples about
    twice as fast. A bad card is reported on stderr (file:line: reason) and skipped. Exit 0 when at
    least one card was imported, 1 when none was (or, with --strict, when any was skipped), 2 when
    PATH cannot be read.
    """
    from lineage.importers import hf

    if name is not None and hf.slug(name) != name:
        fail(f"--name {name!r}: use lower-case letters, digits and hyphens", 2)
    fmt = fmt or ("ntriples" if output is not None and output.suffix.lower() == ".nt" else "turtle")

    def run(out: IO[str]) -> hf.Result:
        try:
            result = hf.import_cards(path, name=name, progress=sys.stderr.isatty(), out=out, fmt=fmt)
        except (hf.ImportError_, BuildError) as error:
            fail(str(error), 2)
        for problem in result.problems:
            click.echo(f"lineage: {problem}", err=True)
        if not result.models:
            fail(f"nothing to write: {result.summary()}")  # before -o's file replaces anything
        return result

    out: IO[str]
    if output is None:
        out = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="\n", write_through=False)
        result = run(out)
        out.flush()
        out.detach()
    else:
        with atomic_output(output) as out:
            result = run(out)
    click.echo(result.summary() + (f"; wrote {output}" if output else ""), err=True)
    if strict and result.skipped:
        sys.exit(1)

