"""``lineage push``: the build sent to a SPARQL 1.1 Graph Store."""

from __future__ import annotations

from pathlib import Path

import click

from lineage.build import BuildError
from lineage.cli.common import fail, load_graph, require_valid


@click.command("push")
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
    from lineage.publish import push as pushing

    try:
        pushing.Endpoint(url)
        for other in (update_url, prune_url):
            if other:
                pushing.Endpoint(other)
        prefix = pushing.check_iri(graph_prefix or pushing.GRAPH_BASE, "--graph-prefix")
    except pushing.PushError as error:
        fail(str(error), 2)
    if folder is not None:  # a bigbuild store: it was validated when it was built
        from lineage.bigbuild import folder as stores

        try:
            opened = stores.open(folder)
        except BuildError as error:
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

