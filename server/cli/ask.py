"""The commands that answer questions: explain, query, licenses, models."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

import click
from rdflib import Literal, URIRef
from rdflib.query import Result, ResultRow

from lineage import catalog
from lineage.cli.common import fail, load_sources, parse_params, require_valid, source_options
from lineage.explain.chains import NoLineage, explain, format_text
from lineage.formats import conneg
from lineage.names import UnknownName
from lineage.namespaces import PREFIXES
from lineage.query.saved import QueryError, find, run


@click.command("explain")
@click.argument("model")
@click.argument("ancestor")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@source_options
def explain_command(model: str, ancestor: str, fmt: str, extra: tuple[Path, ...], store: str | None) -> None:
    """Show every chain of direct edges from MODEL up to ANCESTOR, with the claims behind each hop.

    ANCESTOR may be a family (GPT-3, Llama 2). The weight lineage comes first, then what MODEL learned
    from ANCESTOR (a teacher, or data it generated). Exit 0 if MODEL descends from ANCESTOR, 1 if not."""
    graph = load_sources(extra, store).asserted
    try:
        result = explain(graph, model, ancestor)
    except (UnknownName, NoLineage) as error:
        fail(str(error))
    click.echo(json.dumps(result.to_dict(), indent=2) if fmt == "json" else format_text(result))
    if not result.descends:  # "no", though it learned from the ancestor (shown above)
        sys.exit(1)


@click.command("licenses")
@click.argument("model")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@source_options
def licenses_command(model: str, fmt: str, extra: tuple[Path, ...], store: str | None) -> None:
    """List the licences of MODEL and of every model it descends from, and which model carries each.

    Runs the saved query 'licenses'. Names are slugs, IRIs, model ids or labels, as for explain; an
    unknown name exits 1 with close names.
    """
    from lineage.names import label, resolve

    sources = load_sources(extra, store)
    require_valid(sources)
    union = sources.union
    try:
        iri = resolve(union, model)
        result = run(find("licenses"), sources.dataset, {"model": str(iri)}, lookup=union)
    except (UnknownName, QueryError) as error:
        fail(str(error))
    rows: list[dict[str, Any]] = []
    for row in result:
        assert isinstance(row, ResultRow)  # a SELECT answers rows
        own = row["own"]
        rows.append(
            {
                "license": str(row["license"]),
                "label": str(row["licenseLabel"] or _term_text(row["license"])),
                "spdxId": str(row["spdxId"]) if row["spdxId"] is not None else None,
                "holder": str(row["holder"]),
                "holderLabel": str(row["holderLabel"] or _term_text(row["holder"])),
                "own": bool(own.toPython()) if isinstance(own, Literal) else False,
                "sources": str(row["sources"]).split(", ") if row["sources"] else [],
            }
        )
    if fmt == "json":
        click.echo(json.dumps({"model": str(iri), "label": label(union, iri), "licenses": rows}, indent=2))
        return
    name = f"{label(union, iri)} ({_term_text(iri)})"
    if not rows:
        click.echo(f"No licence is recorded for {name} or for any model it descends from.")
        return
    click.echo(f"Licences binding {name}, its own and those of the models it descends from:")
    cells: list[tuple[str, str, str]] = [("licence", "carried by", "source")] + [
        (
            f"{r['label']} [{r['spdxId'] or _term_text(URIRef(str(r['license'])))}]",
            str(r["holderLabel"]) + (" (itself)" if r["own"] else " (ancestor)"),
            "; ".join(r["sources"]),
        )
        for r in rows
    ]
    widths = [min(60, max(len(c[i]) for c in cells)) for i in range(3)]
    lines = ["  ".join(c[:60].ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    click.echo("\n".join(lines))


@click.command()
@click.argument("name")
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE", help="Bind a parameter (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv", "tsv"]), default="table", show_default=True)
@source_options
def query(name: str, params: tuple[str, ...], fmt: str, extra: tuple[Path, ...], store: str | None) -> None:
    """Run a saved query by NAME (see queries/) or a .rq FILE, with parameters bound."""
    try:
        saved = find(name)
    except QueryError as error:
        fail(str(error))
    sources = load_sources(extra, store)
    try:
        result = run(saved, sources.dataset, parse_params(params), lookup=sources.union)
    except QueryError as error:
        fail(str(error))
    click.echo(format_result(result, fmt), nl=False)


def _term_text(term) -> str:
    """A term for a terminal table: IRIs with the project's prefixes, literals as their text."""
    if term is None:
        return ""
    if isinstance(term, URIRef):
        for prefix, ns in PREFIXES.items():
            if str(term).startswith(ns):
                return f"{prefix}:{str(term)[len(ns) :]}"
    return str(term)


CLI_RESULT_FORMATS = {"json": conneg.SPARQL_JSON, "csv": conneg.CSV, "tsv": conneg.TSV}


def format_result(result: Result, fmt: str) -> str:
    """A query result as an aligned table, or as SPARQL JSON, CSV or TSV (graphs as Turtle)."""
    if result.type in ("CONSTRUCT", "DESCRIBE"):
        assert result.graph is not None  # a graph query answers a graph
        return conneg.serialize_graph(result.graph, conneg.TURTLE).decode("utf-8")
    if fmt in CLI_RESULT_FORMATS and not (result.type == "ASK" and fmt != "json"):
        text = conneg.serialize_result(result, CLI_RESULT_FORMATS[fmt]).decode("utf-8")
        return text if text.endswith("\n") else text + "\n"
    if result.type == "ASK":
        return f"{str(result.askAnswer).lower()}\n"
    names = [str(v) for v in result.vars or []]
    rows = [[row[i] for i in range(len(names))] for row in result if isinstance(row, ResultRow)]
    cells = [names] + [[_term_text(t) for t in row] for row in rows]
    widths = [min(60, max(len(r[i]) for r in cells)) for i in range(len(names))]
    lines = ["  ".join(c[:60].ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines) + "\n"



@click.command("models")
@click.option("--developer", metavar="NAME", help="Only models of this developer (a slug or name: meta-ai, 'Meta AI').")
@click.option("--family", metavar="NAME", help="Only models of this family (a slug or name: llama-3.1, 'Llama 3.1').")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@source_options
def models_command(
    developer: str | None, family: str | None, fmt: str, extra: tuple[Path, ...], store: str | None
) -> None:
    """List the models of the graph, with developer, family, release date and lineage status.

    The first line says what the graph covers: models, developers, families, newest release."""
    graph = load_sources(extra, store).asserted
    try:
        rows = catalog.models(graph, developer=developer, family=family)
    except UnknownName as error:
        fail(str(error))
    if fmt == "json":
        click.echo(json.dumps([row.to_dict() for row in rows], indent=2))
        return
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["slug", "label", "model_id", "developers", "families", "release", "status"])
        for row in rows:
            writer.writerow([row.slug, row.label, row.model_id, "; ".join(row.developers), "; ".join(row.families),
                             row.release, row.status])
        click.echo(out.getvalue(), nl=False)
        return
    if not developer and not family:
        click.echo(catalog.coverage(graph).sentence())
    click.echo(f"{len(rows)} model{'s' if len(rows) != 1 else ''}")
    width = max((len(row.slug) for row in rows), default=4)
    for row in rows:
        click.echo(f"{row.slug:<{width}}  {row.release or '—':<10}  {', '.join(row.developers):<20}  {row.status}")
