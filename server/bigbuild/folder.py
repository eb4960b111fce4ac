"""The built graph in a persistent Oxigraph store: build it into a folder, reopen it in a second.

:func:`build` is the path for big graphs (``lineage bigbuild``). It gives the answers of
``kg.build`` — the same inferred triples, the same SHACL verdicts — without rdflib, owlrl or
pyshacl touching the data:

1. the inputs are read once into integer tables (``lineage.bigbuild.facts``), the shapes are checked on
   them (``lineage.bigbuild.shapes``) and, if nothing is violated, owlrl's inferences are computed from
   the ontology's compiled axioms (``lineage.bigbuild.closure``) and written out as N-Triples;
2. the tables are freed and Oxigraph's bulk loader, on threads of its own, parses every input into
   its named graph and the inferences into ``…/graph/inferred`` (with ``overlap=True`` it loads the
   inputs during step 1 instead: sooner done with spare cores, but the two memory peaks add up);
3. a manifest (inputs, counts, seconds) is written; the folder replaces the previous store in one
   rename, so a reader never sees half a store.

A graph that breaks the shapes is reported and not stored, as ``kg.build`` does not cache it.
Storing is what takes time at scale: Oxigraph writes each quad into six indexes (see
``bench/README.md`` for the figures).

Named graphs, as in ``kg``: ``…/graph/ontology`` (both ontology files), ``…/graph/data/<stem>`` for
each curated data file, ``…/graph/import/<stem>`` for each further input (an import), and
``…/graph/inferred``. :func:`open` returns a :class:`LineageStore` over a built folder: a read-only
``pyoxigraph.Store`` (query it with ``use_default_graph_as_union=True`` for the union of asserted
and inferred triples, as the HTTP endpoint serves it) and the manifest.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import resource
import shutil
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import pyoxigraph as ox
from rdflib import RDF, Graph

from lineage.bigbuild.closure import Inferred, Rules, materialise
from lineage.bigbuild.facts import BlankNames, Facts, rdf_format, relabelled, syntax_problem
from lineage.bigbuild.shapes import Shapes
from lineage.build import BuildError, Inputs, Violation, parse_turtle
from lineage.namespaces import BASE, GRAPH_INFERRED, GRAPH_ONTOLOGY, LIN, data_graph_iri
from lineage.paths import project_root
from lineage.version import __version__

MANIFEST = "lineage-store.json"
FORMAT = 1  # of the folder; bumped when the layout changes
_CODE = ("facts.py", "closure.py", "shapes.py", "folder.py")


def import_graph_iri(stem: str) -> str:
    """The named graph of an input that is not a curated data file."""
    return f"{BASE}graph/import/{stem}"


def graph_names(inputs: Inputs, root: Path) -> dict[str, Path]:
    """Named graph IRI of each data input: curated files under ``data/``, imports under ``import/``."""
    curated = (root / "data").resolve()
    names: dict[str, Path] = {}
    for path in inputs.data:
        make = data_graph_iri if path.resolve().parent == curated else import_graph_iri
        stem, n = path.stem, 1
        while str(make(stem)) in names:
            n += 1
            stem = f"{path.stem}-{n}"
        names[str(make(stem))] = path
    return names


def inputs_key(inputs: Inputs) -> str:
    """A key for the inputs and the code that builds: contents of small files, size and time of big ones."""
    digest = hashlib.sha256()
    here = Path(__file__).parent
    for part in (__version__, ox.__version__, str(FORMAT)):
        digest.update(part.encode() + b"\0")
    for name in _CODE:
        digest.update((here / name).read_bytes())
    for path in inputs.all():
        stat = path.stat()
        digest.update(f"{path.resolve()}\0{stat.st_size}\0".encode())
        if stat.st_size <= 16 << 20:
            digest.update(path.read_bytes())
        else:
            digest.update(str(stat.st_mtime_ns).encode())
    return digest.hexdigest()[:32]


@dataclass
class Report:
    """What a build did: counts, seconds per stage, peak memory; violations when it stopped."""

    directory: Path
    key: str
    graphs: dict[str, str]  # graph IRI -> file
    entailments: str = "all"  # or "lineage"
    asserted: int = 0
    inferred: int = 0
    violations: list[Violation] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    peak_rss_mb: float = 0.0
    statistics: dict = field(default_factory=dict)  # lineage_statistics and graph_statistics
    blank_node_files: list[str] = field(default_factory=list)  # inputs with blank nodes

    @property
    def stored(self) -> bool:
        return not self.violations

    def summary(self) -> str:
        stages = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in self.seconds.items())
        if self.violations:
            return f"{len(self.violations)} violations; nothing stored ({stages})"
        return (
            f"stored {self.asserted} asserted and {self.inferred} inferred triples in {self.directory} "
            f"({stages}; peak memory {self.peak_rss_mb:.0f} MB)"
        )

    def manifest(self) -> dict:
        return {
            "format": FORMAT,
            "version": __version__,
            "key": self.key,
            "graphs": self.graphs,
            "entailments": self.entailments,
            "asserted": self.asserted,
            "inferred": self.inferred,
            "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "seconds": self.seconds,
            "peak_rss_mb": self.peak_rss_mb,
            "statistics": self.statistics,
            "blank_node_files": self.blank_node_files,
        }


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


Job = tuple[Path, str, str | None, BlankNames | None]
"""What the loader stores: a file, its graph, its base IRI (None: our own output, loaded leniently)
and, when it has blank nodes, how :class:`~lineage.bigbuild.facts.Facts` labelled them."""


class _Loader:
    """Oxigraph's bulk loader on a thread of its own (it releases the GIL), fed a queue of files."""

    def __init__(self, store: ox.Store):
        self.store = store
        self.error: BaseException | None = None
        self.seconds = 0.0
        self._jobs: list[Job] = []
        self._thread: threading.Thread | None = None

    def start(self, jobs: list[Job]) -> None:
        self._jobs = jobs
        self._thread = threading.Thread(target=self._run, name="oxigraph-bulk-load", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        started = time.perf_counter()
        try:
            for path, graph, base, names in self._jobs:
                if names is not None:  # blank nodes: stored with the labels the build gave them
                    self.store.bulk_extend(relabelled(path, base, names, graph))
                    continue
                try:
                    self.store.bulk_load(
                        path=str(path),
                        format=rdf_format(path),
                        to_graph=ox.NamedNode(graph),
                        base_iri=base,
                        lenient=base is None,  # what we wrote from terms Oxigraph has already checked
                    )
                except SyntaxError as error:
                    raise syntax_problem(path, error) from None
        except BaseException as error:  # reported by wait()
            self.error = error
        self.seconds += time.perf_counter() - started

    def release(self) -> None:
        """Let go of the store (it closes when its last reference goes); the loads are done."""
        del self.store

    def wait(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self.error is not None:
            error, self.error = self.error, None
            raise error


def build(
    directory: Path,
    extra: Sequence[Path] = (),
    *,
    root: Path | None = None,
    overlap: bool = False,
    entailments: str = "all",
    log=None,
) -> Report:
    """Build ontology, data and ``extra`` inputs into a store in ``directory`` (see the module docstring).

    With ``overlap`` Oxigraph loads the asserted triples while they are checked and reasoned over
    (faster on more cores; the two memory peaks add up); without, it loads everything after (the
    tables are freed first: the peak is the larger of the two). ``entailments="lineage"`` stores only
    the inferences about lineage (:meth:`~lineage.bigbuild.closure.Rules.lineage_scope`): about half as many
    triples to load, but the store then answers less than ``kg.build``'s graph. ``log`` is called
    with one line per stage. Raises :class:`~lineage.build.BuildError` (a syntax error, an axiom or shape the fast path
    does not compile, an inconsistency) and leaves ``directory`` as it was."""
    say = log or (lambda line: None)
    root = root or project_root()
    inputs = Inputs.bundled(root, extra)
    names = graph_names(inputs, root)
    report = Report(Path(directory), inputs_key(inputs), {g: str(p) for g, p in names.items()}, entailments)
    directory = Path(directory)
    work = directory.with_name(f".{directory.name}.building-{os.getpid()}")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    started = time.perf_counter()
    store: ox.Store | None  # None once its job is done: the store closes when the last reference goes
    store = ox.Store(str(work / "oxigraph"))
    loader: _Loader | None
    loader = _Loader(store)
    asserted = [(p, str(GRAPH_ONTOLOGY), p.resolve().as_uri()) for p in inputs.ontology]
    asserted += [(p, g, p.resolve().as_uri()) for g, p in names.items()]
    loaded_early = False
    try:
        with _stage(report, "compile"):
            rules, shapes, facts = compile_inputs(inputs)
        if overlap or shapes.needs_store():
            loader.start([(*job, None) for job in asserted])
            loaded_early = True
        with _stage(report, "read"):
            read_inputs(facts, inputs, names.values(), say)
        report.asserted = facts.triples
        with _stage(report, "validate"):
            if shapes.needs_store():
                loader.wait()
            graphs = [f"<{GRAPH_ONTOLOGY}>", *(f"<{g}>" for g in names)]
            found = shapes.validate(facts, store, graphs)
            report.violations = shapes.violations(found, facts)
        say(f"validated: {len(report.violations)} violations")
        if report.violations:
            loader.wait()
            loader.release()
            store = None
            shutil.rmtree(work, ignore_errors=True)
            return report
        with _stage(report, "reason"):
            if entailments not in ("all", "lineage"):
                raise BuildError(f"entailments {entailments!r}: 'all' or 'lineage'")
            inferred = materialise(rules, facts, scope=rules.lineage_scope() if entailments == "lineage" else None)
            report.inferred = len(inferred)
            report.statistics = lineage_statistics(facts, inferred)
            read = {str(GRAPH_ONTOLOGY): sum(n for p, n in facts.files if p in inputs.ontology)}
            read |= {g: n for g, (p, n) in zip(names, facts.files[len(inputs.ontology) :], strict=True)}
            read[str(GRAPH_INFERRED)] = report.inferred
            inferred_file, inferred_blank = work / "inferred.nt", work / "inferred-blank.nt"
            _write_lines(inferred_file, inferred.lines(), inferred_blank)
            blank = facts.blank_names
            report.blank_node_files = sorted(str(path) for path in blank)
            del inferred, facts
        say(f"reasoned: {report.inferred} inferred triples")
        with _stage(report, "store"):
            loader.wait()
            jobs = _asserted_jobs(store, asserted, blank, loaded_early)
            loader.start([*jobs, *_inferred_jobs(inferred_file, inferred_blank)])
            loader.wait()
            inferred_file.unlink()
            inferred_blank.unlink()
            store.flush()
        with _stage(report, "count"):
            report.statistics = graph_statistics(store, read) | report.statistics
            loader.release()
            store = None
        report.seconds["total"] = time.perf_counter() - started
        report.peak_rss_mb = peak_rss_mb()
        (work / MANIFEST).write_text(json.dumps(report.manifest(), indent=2) + "\n", encoding="utf-8")
        _replace(work, directory)
        say(report.summary())
        return report
    except BaseException:
        with contextlib.suppress(BaseException):
            loader.wait()
        loader = store = None  # noqa: F841 - closes the store before its folder goes
        shutil.rmtree(work, ignore_errors=True)
        raise


LARGEST_FAMILIES = 50
"""Families whose sizes the build counts, for the index page of a big store."""


def lineage_statistics(facts: Facts, inferred: Inferred) -> dict:
    """Models, families (models with no ancestor) and the largest families with their sizes, from the
    build's own tables (asserted and inferred ``rdf:type lin:Model`` and ``lin:descendantOf``): what
    ``MODELS``, ``FAMILIES`` and :func:`largest_families_query` answer on the store, at a million
    models in a second instead of a quarter of a minute."""
    import numpy as np

    def asserted(predicate: str) -> np.ndarray:
        return np.frombuffer(facts.pairs.get(predicate, b""), dtype=np.int64).reshape(-1, 2)

    def pairs(predicate: str) -> np.ndarray:
        more = inferred.properties.get(predicate, np.zeros((0, 2), dtype=np.int64))
        return np.unique(np.concatenate([asserted(predicate), more]), axis=0)

    none = np.zeros(0, dtype=np.int64)
    model = facts.find(f"<{LIN.Model}>")
    typed = asserted(f"<{RDF.type}>")
    models = np.union1d(
        typed[typed[:, 1] == model, 0] if model is not None else none, inferred.types.get(f"<{LIN.Model}>", none)
    )
    lineage = pairs(f"<{LIN.descendantOf}>")
    roots = np.setdiff1d(models, lineage[:, 0])
    heads, sizes = np.unique(lineage[np.isin(lineage[:, 1], roots), 1], return_counts=True)
    named = [(size, facts.text(node)) for size, node in zip(sizes.tolist(), heads.tolist(), strict=True)]
    ranked = sorted((-size, text[1:-1]) for size, text in named if text[0] == "<")  # as ORDER BY DESC(?n) ?root
    return {
        "models": len(models),
        "families": len(roots),
        "largest": [[iri, -size] for size, iri in ranked[:LARGEST_FAMILIES]],
    }


def graph_statistics(store: ox.Store, read: dict[str, int]) -> dict:
    """Triples per named graph and distinct triples in their union. ``read``: the triples read into
    each graph; they are its count when the store holds as many quads as were read in all (no triple
    was repeated within a graph), else each graph is counted in the store.

    The distinct count is the largest asserted graph and the inferred graph (no inferred triple is
    asserted), plus the triples of the other graphs that are in neither, each counted once."""
    counts = dict(read)
    if len(store) != sum(read.values()):
        for graph in read:
            found = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
            counts[graph] = int(next(iter(cast(ox.QuerySolutions, found)))["n"].value)
    asserted = [g for g in counts if g != str(GRAPH_INFERRED)]
    largest = ox.NamedNode(max(asserted, key=lambda g: counts[g]))
    others: set[ox.Triple] = set()
    for graph in asserted:
        if graph != largest.value:
            for quad in store.quads_for_pattern(None, None, None, ox.NamedNode(graph)):
                if ox.Quad(quad.subject, quad.predicate, quad.object, largest) not in store:
                    others.add(quad.triple)
    return {"counts": counts, "triples": counts[largest.value] + counts.get(str(GRAPH_INFERRED), 0) + len(others)}


def compile_inputs(inputs: Inputs) -> tuple[Rules, Shapes, Facts]:
    """The ontology's rules, the compiled shapes, and an empty table that feeds both."""
    ontology = Graph()
    for path in inputs.ontology:
        parse_turtle(path, ontology)
    rules = Rules.compile(ontology)
    shapes = Shapes.load(inputs.shapes)
    predicates = set(rules.sup) | set(rules.inverse) | rules.symmetric | rules.transitive
    facts = Facts(keep_literals=rules.literal_predicates(predicates) | shapes.keep_literals(), watch=shapes.watchers())
    return rules, shapes, facts


def read_inputs(facts: Facts, inputs: Inputs, data: Iterable[Path], say=lambda line: None) -> None:
    """The ontology files, then the data files, into ``facts``."""
    for path in inputs.ontology:
        facts.read(path, base_iri=path.resolve().as_uri())
    facts.end_ontology()
    for path in data:
        facts.read(path, base_iri=path.resolve().as_uri())
        say(f"read {path.name}: {facts.files[-1][1]} triples")


@dataclass
class Checked:
    """The fast path without a store: what :func:`check` found."""

    facts: Facts
    violations: list[Violation]
    inferred: Inferred | None  # None when there are violations (nothing is reasoned over then)


def check(extra: Sequence[Path] = (), *, root: Path | None = None, store: ox.Store | None = None) -> Checked:
    """Read, validate and (when valid) reason over ontology, data and ``extra``, in memory only.

    ``store`` (with the same triples, in the named graphs :func:`build` uses) is needed only when a
    SPARQL constraint has no compiled equivalent. Raises as :func:`build` does."""
    root = root or project_root()
    inputs = Inputs.bundled(root, extra)
    names = graph_names(inputs, root)
    rules, shapes, facts = compile_inputs(inputs)
    read_inputs(facts, inputs, names.values())
    found = shapes.validate(facts, store, [f"<{GRAPH_ONTOLOGY}>", *(f"<{g}>" for g in names)])
    violations = shapes.violations(found, facts)
    return Checked(facts, violations, None if violations else materialise(rules, facts))


@contextlib.contextmanager
def _stage(report: Report, name: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        report.seconds[name] = report.seconds.get(name, 0.0) + time.perf_counter() - started


def _write_lines(path: Path, lines: Iterable[str], blank: Path) -> None:
    """The lines into ``path``; those with a blank node (or what looks like one) into ``blank``."""
    with path.open("w", encoding="utf-8") as out, blank.open("w", encoding="utf-8") as out_blank:
        batch: list[str] = []
        for line in lines:
            if "_:" in line:
                out_blank.write(line)
                continue
            batch.append(line)
            if len(batch) >= 65536:
                out.write("".join(batch))
                batch.clear()
        out.write("".join(batch))


def _asserted_jobs(
    store: ox.Store, asserted: list[tuple[Path, str, str]], blank: dict[Path, BlankNames], loaded: bool
) -> list[Job]:
    """What is left to load of the inputs. A file with blank nodes is stored with the labels the
    build gave them; when the inputs were ``loaded`` already (by Oxigraph, with labels of its own),
    each graph that holds such a file is emptied and stored again."""
    again = {graph for path, graph, _ in asserted if path in blank} if loaded else set()
    for graph in again:
        store.clear_graph(ox.NamedNode(graph))
    return [
        (path, graph, base, blank[path].fresh() if path in blank else None)
        for path, graph, base in asserted
        if not loaded or graph in again
    ]


def _inferred_jobs(lines: Path, blank: Path) -> list[Job]:
    """The inferences (as :func:`_write_lines` split them): those with blank nodes keep the labels
    the build wrote."""
    jobs: list[Job] = [(lines, str(GRAPH_INFERRED), None, None)]
    if blank.stat().st_size:
        jobs.append((blank, str(GRAPH_INFERRED), None, BlankNames("", by_order=False)))
    return jobs


def _replace(work: Path, directory: Path) -> None:
    """Put the new store in place of the old one: two renames, the old one removed after."""
    old = directory.with_name(f".{directory.name}.old-{os.getpid()}")
    if directory.exists():
        if not (directory / MANIFEST).exists() and any(directory.iterdir()):
            raise BuildError(f"{directory}: not a lineage store (no {MANIFEST}); not replacing it")
        directory.rename(old)
    work.rename(directory)
    shutil.rmtree(old, ignore_errors=True)


@dataclass
class LineageStore:
    """A built store, opened read-only."""

    directory: Path
    store: ox.Store
    manifest: dict

    @property
    def graphs(self) -> list[str]:
        return [str(GRAPH_ONTOLOGY), *self.manifest["graphs"], str(GRAPH_INFERRED)]

    def query(self, sparql: str, **options):
        """A SPARQL query over the union of all graphs (asserted and inferred), unless told otherwise."""
        options.setdefault("use_default_graph_as_union", True)
        return self.store.query(sparql, **options)

    def fresh(self, extra: Sequence[Path] = (), *, root: Path | None = None) -> bool:
        """Whether the store was built from these inputs, by this code."""
        return self.manifest.get("key") == inputs_key(Inputs.bundled(root or project_root(), extra))


def open(directory: Path) -> LineageStore:  # noqa: A001 - the module's verb, as in pyoxigraph
    """Open a built store read-only; raises :class:`~lineage.build.BuildError` when it is not one."""
    directory = Path(directory)
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BuildError(f"{directory}: not a lineage store ({error})") from None
    if manifest.get("format") != FORMAT:
        raise BuildError(f"{directory}: store format {manifest.get('format')}, this code reads {FORMAT}: rebuild it")
    return LineageStore(directory, ox.Store.read_only(str(directory / "oxigraph")), manifest)
