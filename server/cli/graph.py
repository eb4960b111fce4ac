"""The graph commands: check, build, bigbuild, export."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rdflib import RDF, Dataset

from lineage.build import BuildError, KnowledgeGraph, serialize_dataset
from lineage.cli.common import fail, load_graph, require_valid
from lineage.files import write_atomically
from lineage.formats import conneg
from lineage.formats.owl import read_ontologies, whole_graph
from lineage.namespaces import BASE, GRAPH_INFERRED, GRAPH_ONTOLOGY, LIN, ONTOLOGY_IRI, bind_prefixes

EXPORT_FORMATS = {
    "turtle": ("turtle", False),
    "xml": ("xml", False),
    "jsonld": ("json-ld", False),
    "nt": ("nt", False),
    "nquads": ("nquads", True),
    "trig": ("trig", True),
}


@click.command()
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


def export_document(graph: KnowledgeGraph, fmt: str, inferred: bool) -> bytes:
    """Ontology and data (and the inferences) as one document in ``fmt``."""
    rdflib_format, quads = EXPORT_FORMATS[fmt]
    if quads:
        out = Dataset()
        for iri in [GRAPH_ONTOLOGY, *graph.inputs.graph_names(), *([GRAPH_INFERRED] if inferred else [])]:
            target = out.graph(iri)
            for triple in graph.dataset.graph(iri):
                target.add(triple)
        bind_prefixes(out)
        return serialize_dataset(out, rdflib_format)
    # One OWL document, as /graph serves it: one header with the project's ontology IRI, no imports.
    ontologies = read_ontologies(graph)
    main = next((o for o in ontologies if o.iri == ONTOLOGY_IRI), ontologies[0])
    merged = whole_graph(graph, main, BASE, inferred=inferred)
    media = next(m for m in conneg.GRAPH.types if m.rdflib == rdflib_format)
    return conneg.serialize_graph(merged, media)


@click.command()
@click.option("--format", "fmt", type=click.Choice(list(EXPORT_FORMATS)), default="turtle", show_default=True)
@click.option("--inferred", is_flag=True, help="Include the OWL-RL inferences.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE, not stdout.")
def export(fmt: str, inferred: bool, output: Path | None) -> None:
    """Export the ontology and data (and with --inferred the inferences) as one RDF document."""
    data = export_document(load_graph(), fmt, inferred)
    if output is None:
        sys.stdout.buffer.write(data)
        return
    write_atomically(output, data)
    click.echo(f"wrote {output} ({len(data)} bytes, {fmt})", err=True)


@click.command()
@click.option("--no-cache", is_flag=True, help="Rebuild even when the cache is fresh.")
def build(no_cache: bool) -> None:
    """Build the graph (load, reason, validate) and cache it; report what it holds."""
    graph = load_graph(refresh=no_cache)
    state = "from cache" if graph.from_cache else "built"
    click.echo(f"{state}: {len(graph.asserted())} asserted, {len(graph.inferred)} inferred triples, key {graph.key}")
    require_valid(graph)


@click.command("bigbuild")
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
    from lineage.bigbuild import folder as store

    progress = sys.stderr.isatty()
    try:
        report = store.build(
            directory,
            paths,
            entailments=entailments,
            overlap=overlap,
            log=(lambda line: click.echo(line, err=True)) if progress else None,
        )
    except BuildError as error:
        fail(str(error), 2)
    for violation in report.violations:
        value = f", value {violation.value}" if violation.value else ""
        click.echo(f"{violation}\n    rule {violation.rule}{value}")
    click.echo(report.summary())
    if report.violations:
        sys.exit(1)

