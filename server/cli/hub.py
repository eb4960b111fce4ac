"""``lineage import hf`` and ``lineage harvest hf``: Hugging Face model cards and Hub records to lineage data."""

from __future__ import annotations

import datetime as dt
import io
import os
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


@click.group("harvest")
def harvest_group() -> None:
    """Fetch lineage from a model hub into a data file (check it with 'lineage check FILE')."""


@harvest_group.command("hf")
@click.option(
    "--model", "models", multiple=True, metavar="ID", help="A model to harvest, with its base models (repeatable)."
)
@click.option("--no-ancestors", is_flag=True, help="Do not walk to the base models' own records: they stay leaves.")
@click.option("--author", help="Every model of this user or organisation (the listing, page by page).")
@click.option("--search", help="Every model whose id contains this text.")
@click.option("--filter", "filters", multiple=True, metavar="TAG", help="Every model with this tag (repeatable: all).")
@click.option("--since", metavar="DATE", help="Of the listing, only models modified on or after DATE (YYYY-MM-DD).")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many models from the listing.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE, not stdout.")
@click.option(
    "--name", default="hub", show_default=True, help="The import's name: its graph is …/graph/import/hf-NAME."
)
@click.option("--format", "fmt", type=click.Choice(["turtle", "ntriples"]), help="As for 'lineage import hf'.")
@click.option(
    "--checkpoint",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Log every answer here and resume from it (default with -o: FILE.checkpoint; removed when done).",
)
@click.option("--retries", type=click.IntRange(min=0), default=5, show_default=True, help="Retries of a 429 or 5xx.")
@click.option("--max-wait", type=click.FloatRange(min=0), default=60.0, show_default=True, help="Longest pause, s.")
@click.option("--strict", is_flag=True, help="Exit 1 when a card was skipped (the rest is still written).")
def harvest_hf_command(
    models: tuple[str, ...],
    no_ancestors: bool,
    author: str | None,
    search: str | None,
    filters: tuple[str, ...],
    since: str | None,
    limit: int | None,
    output: Path | None,
    name: str,
    fmt: str | None,
    checkpoint: Path | None,
    retries: int,
    max_wait: float,
    strict: bool,
) -> None:
    """Harvest model records from the Hugging Face Hub and write their lineage as 'lineage import hf' does.

    --model ID fetches that model, then its base models, recursively, to the roots; --author, --search
    and --filter list models page by page. HF_ENDPOINT selects the server and HF_TOKEN authenticates,
    as in huggingface_hub. 429 (after Retry-After) and 5xx are retried with backoff; a base model the
    Hub does not serve is reported and kept as a leaf; a broken card is reported. When a request still
    fails the harvest stops (exit 1) and the same command resumes it from the checkpoint. Exit 0 when
    models were written, 1 when none was (or a request failed), 2 on a usage error.
    """
    from lineage.importers import harvest

    since_date = _harvest_usage(models, bool(author or search or filters), name, since)
    fmt = fmt or ("ntriples" if output is not None and output.suffix.lower() == ".nt" else "turtle")
    if checkpoint is None and output is not None:
        checkpoint = output.with_name(output.name + ".checkpoint")
    client = harvest.Client(
        harvest.endpoint(),
        token=os.environ.get("HF_TOKEN") or None,
        retries=retries,
        max_wait=max_wait,
        say=lambda message: click.echo(f"lineage: {message}", err=True),
    )
    try:
        found = harvest.harvest(
            client,
            models=models,
            author=author,
            search=search,
            filters=filters,
            since=since_date,
            limit=limit,
            ancestors=not no_ancestors,
            checkpoint=checkpoint,
            progress=sys.stderr.isatty(),
        )
    except harvest.HubError as error:
        resume = f"; run the same command again to resume from {checkpoint}" if checkpoint else ""
        fail(f"harvest stopped: {error}{resume}")
    except OSError as error:
        fail(f"harvest stopped: {error}", 2)
    except Exception as error:  # never a traceback: what was fetched is in the checkpoint
        resume = f"; what was fetched is kept in {checkpoint}" if checkpoint else ""
        fail(f"harvest stopped: unexpected {type(error).__name__}: {error}{resume}")
    for problem in found.problems:
        click.echo(f"lineage: {problem}", err=True)
    if not found.entries:
        fail(f"nothing to write: {found.summary()}")
    edges, added = _write_harvest(found, name, fmt, output)
    skipped = sum(1 for p in found.problems if not p.warning)
    text = f"{found.summary()}; wrote {len(found.entries)} models, {edges} edges"
    text += f" ({added} base models known by id only)" if added else ""
    click.echo(text + (f" to {output}" if output else "") + (f"; skipped {skipped} cards" if skipped else ""), err=True)
    if checkpoint is not None:
        checkpoint.unlink(missing_ok=True)
    if strict and skipped:
        sys.exit(1)


def _harvest_usage(models: tuple[str, ...], listing: bool, name: str, since: str | None) -> dt.date | None:
    """Check what a harvest was asked (exit 2 on a usage error); the --since date."""
    from lineage.importers import harvest, hf

    if not (models or listing):
        fail("say what to harvest: --model ID, --author NAME, --search TEXT or --filter TAG", 2)
    bad = [m for m in models if not hf.is_repo_id(m)]
    if bad:
        fail(f"--model {bad[0]!r} is not a Hub repo id (owner/name)", 2)
    if hf.slug(name) != name:
        fail(f"--name {name!r}: use lower-case letters, digits and hyphens", 2)
    try:
        return harvest.parse_since(since) if since else None
    except ValueError as error:
        fail(f"--since: {error}", 2)
    return None


def _write_harvest(found, name: str, fmt: str, output: Path | None) -> tuple[int, int]:
    """Write a harvest's entries as 'lineage import hf' writes them: to ``output`` atomically, or to
    stdout; the number of edges and of base models known by id only."""
    from lineage.importers import hf

    try:
        curated = hf.Curated.bundled()
    except BuildError as error:
        fail(str(error), 2)
    if output is None:
        stdout = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="\n", write_through=False)
        written = hf.write_document(found.entries, curated, name, stdout, fmt=fmt)
        stdout.flush()
        stdout.detach()
        return written
    with atomic_output(output) as out:
        return hf.write_document(found.entries, curated, name, out, fmt=fmt)
