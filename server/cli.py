"""The ``lineage`` command: check, explain, query, export and serve the knowledge graph."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import click
from rdflib import RDF, Dataset, Graph, URIRef
from rdflib.query import Result

from . import __version__, conneg, kg
from .explain import NoLineage, explain, format_text
from .names import UnknownName
from .namespaces import GRAPH_INFERRED, GRAPH_ONTOLOGY, LIN, PREFIXES, bind_prefixes
from .queries import QueryError, find, run

EXPORT_FORMATS = {
    "turtle": ("turtle", False),
    "xml": ("xml", False),
    "jsonld": ("json-ld", False),
    "nt": ("nt", False),
    "nquads": ("nquads", True),
    "trig": ("trig", True),
}


def fail(message: str, code: int = 1) -> None:
    click.echo(f"lineage: {message}", err=True)
    sys.exit(code)


def load_graph(extra: tuple[Path, ...] = (), *, refresh: bool = False) -> kg.KnowledgeGraph:
    """Build (or take from the cache) the graph; a build error ends the command with its message.

    Files given on the command line are checked, not cached."""
    try:
        return kg.build(extra, use_cache=not extra, refresh=refresh, progress=sys.stderr.isatty())
    except kg.BuildError as error:
        fail(str(error), 2)
    raise AssertionError("unreachable")


def require_valid(graph: kg.KnowledgeGraph, doing: str = "") -> None:
    """End the command when the graph breaks the shapes."""
    if graph.violations:
        fail(f"{len(graph.violations)} violations; run 'lineage check' to see them{doing}")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="lineage")
def main() -> None:
    """Model Lineage Graph: where did this AI model come from, and who says so?"""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def check(paths: tuple[Path, ...]) -> None:
    """Validate the bundled graph plus the given Turtle files or folders.

    Exit 0 when clean, 1 on violations, 2 on a syntax error (printed as file:line:column).
    """
    graph = load_graph(paths)
    if graph.violations:
        for violation in graph.violations:
            click.echo(
                f"{violation}\n    rule {violation.rule}" + (f", value {violation.value}" if violation.value else "")
            )
        count = len(graph.violations)
        click.echo(f"{count} violation{'s' if count != 1 else ''}", err=True)
        sys.exit(1)
    models = len(set(graph.union().subjects(RDF.type, LIN.Model)))
    click.echo(
        f"ok: {len(graph.inputs.data)} data files, {models} models, "
        f"{len(graph.asserted())} asserted and {len(graph.inferred)} inferred triples, no violations"
        + (" (cached build)" if graph.from_cache else "")
    )


@main.command("explain")
@click.argument("model")
@click.argument("ancestor")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def explain_command(model: str, ancestor: str, fmt: str) -> None:
    """Show every chain of direct edges from MODEL up to ANCESTOR, with the claims behind each hop."""
    graph = load_graph().asserted()
    try:
        result = explain(graph, model, ancestor)
    except (UnknownName, NoLineage) as error:
        fail(str(error))
    click.echo(json.dumps(result.to_dict(), indent=2) if fmt == "json" else format_text(result))


@main.command("licenses")
@click.argument("model")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option(
    "--data",
    "extra",
    multiple=True,
    metavar="FILE",
    type=click.Path(exists=True, path_type=Path),
    help="Also load this Turtle file or folder, such as an import (repeatable).",
)
def licenses_command(model: str, fmt: str, extra: tuple[Path, ...]) -> None:
    """List the licences of MODEL and of every model it descends from, and which model carries each.

    Runs the saved query 'licenses'. Names are slugs, IRIs, model ids or labels, as for explain; an
    unknown name exits 1 with close names.
    """
    from .names import label, resolve

    graph = load_graph(tuple(extra))
    require_valid(graph)
    union = graph.union()
    try:
        iri = resolve(union, model)
        result = run(find("licenses"), graph.dataset, {"model": str(iri)}, lookup=union)
    except (UnknownName, QueryError) as error:
        fail(str(error))
    rows = [
        {
            "license": str(row["license"]),
            "label": str(row["licenseLabel"] or _term_text(row["license"])),
            "spdxId": str(row["spdxId"]) if row["spdxId"] is not None else None,
            "holder": str(row["holder"]),
            "holderLabel": str(row["holderLabel"] or _term_text(row["holder"])),
            "own": bool(row["own"].toPython()),
            "sources": str(row["sources"]).split(", ") if row["sources"] else [],
        }
        for row in result
    ]
    if fmt == "json":
        click.echo(json.dumps({"model": str(iri), "label": label(union, iri), "licenses": rows}, indent=2))
        return
    name = f"{label(union, iri)} ({_term_text(iri)})"
    if not rows:
        click.echo(f"No licence is recorded for {name} or for any model it descends from.")
        return
    click.echo(f"Licences binding {name}, its own and those of the models it descends from:")
    cells = [("licence", "carried by", "source")] + [
        (
            f"{r['label']} [{r['spdxId'] or _term_text(URIRef(r['license']))}]",
            r["holderLabel"] + (" (itself)" if r["own"] else " (ancestor)"),
            "; ".join(r["sources"]),
        )
        for r in rows
    ]
    widths = [min(60, max(len(c[i]) for c in cells)) for i in range(3)]
    lines = ["  ".join(c[:60].ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    click.echo("\n".join(lines))


@main.group("import")
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
    from . import hf

    if name is not None and hf.slug(name) != name:
        fail(f"--name {name!r}: use lower-case letters, digits and hyphens", 2)
    fmt = fmt or ("ntriples" if output is not None and output.suffix.lower() == ".nt" else "turtle")

    def run(out) -> hf.Result:
        try:
            result = hf.import_cards(path, name=name, progress=sys.stderr.isatty(), out=out, fmt=fmt)
        except (hf.ImportError_, kg.BuildError) as error:
            fail(str(error), 2)
        for problem in result.problems:
            click.echo(f"lineage: {problem}", err=True)
        if not result.models:
            fail(f"nothing to write: {result.summary()}")  # before -o's file replaces anything
        return result

    if output is None:
        out = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="\n", write_through=False)
        result = run(out)
        out.flush()
        out.detach()
    else:
        with kg.atomic_output(output) as out:
            result = run(out)
    click.echo(result.summary() + (f"; wrote {output}" if output else ""), err=True)
    if strict and result.skipped:
        sys.exit(1)


def _parse_params(params: tuple[str, ...]) -> dict[str, str]:
    values = {}
    for item in params:
        name, sep, value = item.partition("=")
        if not sep or not name:
            fail(f"--param {item!r}: write it as name=value", 2)
        values[name] = value
    return values


@main.command()
@click.argument("name")
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE", help="Bind a parameter (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv", "tsv"]), default="table", show_default=True)
def query(name: str, params: tuple[str, ...], fmt: str) -> None:
    """Run a saved query by NAME (see queries/) or a .rq FILE, with parameters bound."""
    try:
        saved = find(name)
    except QueryError as error:
        fail(str(error))
    graph = load_graph()
    try:
        result = run(saved, graph.dataset, _parse_params(params), lookup=graph.union())
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
        return conneg.serialize_graph(result.graph, conneg.TURTLE).decode("utf-8")
    if fmt in CLI_RESULT_FORMATS and not (result.type == "ASK" and fmt != "json"):
        text = conneg.serialize_result(result, CLI_RESULT_FORMATS[fmt]).decode("utf-8")
        return text if text.endswith("\n") else text + "\n"
    if result.type == "ASK":
        return f"{str(result.askAnswer).lower()}\n"
    names = [str(v) for v in result.vars]
    rows = [[row[i] for i in range(len(names))] for row in result]
    cells = [names] + [[_term_text(t) for t in row] for row in rows]
    widths = [min(60, max(len(r[i]) for r in cells)) for i in range(len(names))]
    lines = ["  ".join(c[:60].ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines) + "\n"


def export_document(graph: kg.KnowledgeGraph, fmt: str, inferred: bool) -> bytes:
    """Ontology and data (and the inferences) as one document in ``fmt``."""
    rdflib_format, quads = EXPORT_FORMATS[fmt]
    if quads:
        out = Dataset()
        for iri in [GRAPH_ONTOLOGY, *graph.inputs.graph_names(), *([GRAPH_INFERRED] if inferred else [])]:
            target = out.graph(iri)
            for triple in graph.dataset.graph(iri):
                target.add(triple)
        bind_prefixes(out)
        return kg.serialize_dataset(out, rdflib_format)
    merged: Graph = graph.union() if inferred else graph.asserted()
    media = next(m for m in conneg.GRAPH.types if m.rdflib == rdflib_format)
    return conneg.serialize_graph(merged, media)


@main.command()
@click.option("--format", "fmt", type=click.Choice(list(EXPORT_FORMATS)), default="turtle", show_default=True)
@click.option("--inferred", is_flag=True, help="Include the OWL-RL inferences.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE, not stdout.")
def export(fmt: str, inferred: bool, output: Path | None) -> None:
    """Export the ontology and data (and with --inferred the inferences) as one RDF document."""
    data = export_document(load_graph(), fmt, inferred)
    if output is None:
        sys.stdout.buffer.write(data)
        return
    kg.write_atomically(output, data)
    click.echo(f"wrote {output} ({len(data)} bytes, {fmt})", err=True)


@main.command()
@click.option("--no-cache", is_flag=True, help="Rebuild even when the cache is fresh.")
def build(no_cache: bool) -> None:
    """Build the graph (load, reason, validate) and cache it; report what it holds."""
    graph = load_graph(refresh=no_cache)
    state = "from cache" if graph.from_cache else "built"
    click.echo(f"{state}: {len(graph.asserted())} asserted, {len(graph.inferred)} inferred triples, key {graph.key}")
    require_valid(graph)


@main.command("bigbuild")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--entailments",
    type=click.Choice(["all", "lineage"]),
    default="all",
    show_default=True,
    help="Store all of owlrl's inferences, or only those about lineage (half as many to load).",
)
@click.option("--overlap", is_flag=True, help="Let Oxigraph load while the data is checked (faster, more memory).")
def bigbuild_command(directory: Path, paths: tuple[Path, ...], entailments: str, overlap: bool) -> None:
    """Build ontology, data and PATHS (Turtle or N-Triples files, folders) into a store in DIRECTORY.

    The path for big graphs (an import of the Hugging Face Hub): Oxigraph's parser and a persistent
    Oxigraph store, the SHACL shapes compiled to table checks, owlrl's inferences from the ontology's
    compiled axioms; the same answers as 'lineage build'. On violations nothing is stored and the
    previous store stays (exit 1); 2 on a syntax error or what the fast path cannot build.
    Serve the folder with 'lineage serve --store DIRECTORY'.
    """
    from . import store

    progress = sys.stderr.isatty()
    try:
        report = store.build(
            directory,
            paths,
            entailments=entailments,
            overlap=overlap,
            log=(lambda line: click.echo(line, err=True)) if progress else None,
        )
    except kg.BuildError as error:
        fail(str(error), 2)
    for violation in report.violations:
        value = f", value {violation.value}" if violation.value else ""
        click.echo(f"{violation}\n    rule {violation.rule}{value}")
    click.echo(report.summary())
    if report.violations:
        sys.exit(1)


@main.command("push")
@click.argument("url")
@click.option(
    "--update",
    "update_url",
    metavar="URL",
    help="SPARQL 1.1 Update endpoint of the same store (Oxigraph /update, Fuseki /DS/update): all graphs swap at once.",
)
@click.option("--graph-prefix", metavar="IRI", help="Name the graphs IRI+ontology, IRI+data/<stem>, IRI+inferred.")
@click.option("--no-inferred", is_flag=True, help="Send the asserted graphs only, not the inferences.")
@click.option(
    "--timeout", default=120.0, show_default=True, type=click.FloatRange(0, min_open=True), help="Seconds per answer."
)
@click.option(
    "--bulk", is_flag=True, help="Oxigraph: stage with its bulk loader (?no_transaction), ~10x faster on big graphs."
)
@click.option(
    "--store",
    "folder",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Push the store folder 'lineage bigbuild' built, not the graph 'lineage build' builds.",
)
@click.option(
    "--prune",
    "prune_url",
    metavar="QUERY_URL",
    help="Remove the graphs under the prefix that the store holds and the build no longer has (a data file "
    "removed); QUERY_URL is its SPARQL query endpoint (Oxigraph /query, Fuseki /DS/sparql), asked to list them.",
)
@click.option("--dry-run", is_flag=True, help="Print the graphs and triple counts that would be sent; send nothing.")
def push_command(
    url: str,
    update_url: str | None,
    graph_prefix: str | None,
    no_inferred: bool,
    timeout: float,
    bulk: bool,
    folder: Path | None,
    prune_url: str | None,
    dry_run: bool,
) -> None:
    """Send the built graph, named graphs kept, to the SPARQL 1.1 Graph Store Protocol endpoint URL.

    URL is e.g. http://HOST:7878/store (Oxigraph), http://HOST:3030/DS/data (Fuseki),
    http://HOST:7200/repositories/REPO/rdf-graphs/service (GraphDB); user:password@ in it is sent
    as Basic auth. Every graph is first PUT to a staging graph (urn:lineage:staging:…) and its
    triple count checked; then, with --update, one update request moves them all into place (one
    transaction), or else each graph is replaced with PUT in turn (atomic per graph at most). On any
    failure the staging graphs are removed, the server's graphs are left as they were, and the
    command exits 1 naming the URL, the graph, the HTTP status and the server's message.
    """
    from . import push as pushing

    try:
        pushing.Endpoint(url)
        for other in (update_url, prune_url):
            if other:
                pushing.Endpoint(other)
        prefix = pushing.check_iri(graph_prefix or pushing.GRAPH_BASE, "--graph-prefix")
    except pushing.PushError as error:
        fail(str(error), 2)
    if folder is not None:  # a bigbuild store: it was validated when it was built
        from . import store as stores

        try:
            opened = stores.open(folder)
        except kg.BuildError as error:
            fail(str(error), 2)
        stored = pushing.store_graphs(opened, prefix=prefix, inferred=not no_inferred)
        counts = {name: count for name, (_, count) in stored.items()}
        spool = pushing.spooled_store(opened, stored)
        shared = opened.manifest.get("blank_node_files")
        if not dry_run and shared:
            click.echo(
                f"lineage: warning: blank nodes in {', '.join(shared)}: each graph gets its own copy on the server",
                err=True,
            )
    else:
        graph = load_graph()
        require_valid(graph, "; not pushing")
        graphs = pushing.named_graphs(graph, prefix=prefix, inferred=not no_inferred)
        counts = {name: len(g) for name, g in graphs.items()}
        spool = pushing.spooled(graphs)
        if not dry_run and (shared := pushing.shared_blank_nodes(graphs.values())):
            click.echo(
                f"lineage: warning: {shared} blank nodes are in several graphs; each graph gets its own", err=True
            )
    if dry_run:
        click.echo(pushing.describe(counts, url, update_url))
        return

    def say(line: str) -> None:
        click.echo(f"lineage: {line}", err=True)

    try:
        with spool as uploads:
            prune = (prune_url, prefix) if prune_url else None
            summary = pushing.push(
                uploads, url, update_url=update_url, timeout=timeout, bulk=bulk, prune=prune, say=say
            )
    except pushing.PushError as error:
        fail(str(error))
    click.echo(str(summary))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 256), help="Request threads.")
@click.option(
    "--watch",
    is_flag=True,
    help="Rebuild when a file under ontology/ or data/ changes; serve the new graph only if it validates.",
)
@click.option(
    "--store",
    metavar="SPEC",
    help="Serve a store instead of the built graph: sparql:QUERY_URL (a SPARQL endpoint holding the graphs "
    "'lineage push' sent) or a folder built by 'lineage bigbuild' (DIR or oxigraph:DIR).",
)
def serve(host: str, port: int, threads: int, watch: bool, store: str | None) -> None:
    """Serve the graph over HTTP (SPARQL endpoint at /sparql) with waitress, a production WSGI server.

    With --watch, a valid rebuild replaces the served graph without a restart; an invalid one
    (syntax error, SHACL violation, inconsistency) is reported here with file:line and the old
    graph stays. Settings come from LINEAGE_* variables: LINEAGE_QUERY_TIMEOUT (seconds),
    LINEAGE_QUERY_WORKERS, LINEAGE_RESULT_LIMIT, LINEAGE_MAX_QUERY_LENGTH, LINEAGE_MAX_CONTENT_LENGTH,
    LINEAGE_WATCH_INTERVAL (seconds).
    """
    import logging

    import waitress

    from . import create_app
    from . import watch as watching

    if store and watch:
        fail("--watch rebuilds the local graph; a --store is rebuilt where it lives (lineage push, bigbuild)", 2)
    graph = None
    if not store:
        graph = load_graph()
        require_valid(graph, "; not serving")
    watch_log = logging.getLogger(watching.__name__)
    level = watch_log.level
    reports = logging.StreamHandler()  # the watcher's reloads and refusals, on stderr
    reports.setFormatter(logging.Formatter("lineage: %(message)s"))
    propagate = watch_log.propagate
    if watch:
        watch_log.addHandler(reports)
        watch_log.setLevel(logging.INFO)
        watch_log.propagate = False  # said once, here, even if a library configured the root logger
    if graph is None:
        from .backend import BackendError
        from .kg import BuildError

        try:
            app = create_app({"STORE": store})
        except (BackendError, BuildError, ValueError) as error:
            fail(str(error))
        backend = app.extensions["lineage"].backend
        what = f"{len(backend.graphs)} graphs of {backend.describe}"
    else:
        app = create_app({"GRAPH": graph, "WATCH": watch})
        what = f"{len(graph.dataset)} triples"
    click.echo(f"serving {what} at http://{host}:{port}/sparql (Ctrl-C stops)", err=True)
    try:
        waitress.serve(app, host=host, port=port, threads=threads, ident="lineage")
    finally:
        watching.stop(app)
        app.extensions["lineage"].close()
        watch_log.removeHandler(reports)
        watch_log.setLevel(level)
        watch_log.propagate = propagate
