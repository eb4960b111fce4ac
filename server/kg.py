"""Build the knowledge graph: load the Turtle sources, validate with pyshacl, reason with owlrl.

One named graph per source file (the ontology files share ``…/graph/ontology``), the OWL-RL
closure in ``…/graph/inferred``. A built graph is cached on disk as N-Quads, keyed by a hash of
every input, so an unchanged restart skips reasoning and validation.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import tempfile
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import owlrl
import pyshacl
import rdflib
from rdflib import OWL, RDF, BNode, Dataset, Graph, URIRef
from rdflib.namespace import SH
from rdflib.plugins.parsers.notation3 import BadSyntax

from . import __version__
from .namespaces import GRAPH_INFERRED, GRAPH_ONTOLOGY, bind_prefixes, data_graph_iri
from .progress import Steps

ERRNS = URIRef("http://www.daml.org/2002/03/agents/agent-ont#")

# Entailments that hold of every resource and say nothing about models: x owl:sameAs x and the
# like. owlrl adds one per resource (rule eq-ref); they are dropped from the inferred graph.
_REFLEXIVE_TAUTOLOGIES = {
    OWL.sameAs,
    OWL.equivalentClass,
    OWL.equivalentProperty,
    rdflib.RDFS.subClassOf,
    rdflib.RDFS.subPropertyOf,
}


class BuildError(Exception):
    """The inputs cannot be built into a graph. ``str()`` is one readable line (or a few)."""


class SyntaxProblem(BuildError):
    """A source file does not parse; carries file, line and column."""

    def __init__(self, path: Path, line: int, column: int, reason: str):
        self.path, self.line, self.column, self.reason = path, line, column, reason
        super().__init__(f"{path}:{line}:{column}: {reason}")


class InconsistencyError(BuildError):
    """owlrl found the asserted graph inconsistent with the ontology."""


def project_root() -> Path:
    """The checkout that holds ``ontology/`` and ``data/`` (``LINEAGE_ROOT`` overrides)."""
    return Path(os.environ.get("LINEAGE_ROOT") or Path(__file__).resolve().parents[1])


@dataclass(frozen=True)
class Inputs:
    """The files a build reads."""

    ontology: tuple[Path, ...]
    data: tuple[Path, ...]
    shapes: Path

    @classmethod
    def bundled(cls, root: Path | None = None, extra: Iterable[Path] = ()) -> Inputs:
        """The ontology and data in the checkout, plus ``extra`` data files or folders."""
        root = root or project_root()
        data = sorted((root / "data").glob("*.ttl"))
        seen = {path.resolve() for path in data}
        for item in extra:
            item = Path(item)
            more = sorted(item.glob("*.ttl")) if item.is_dir() else [item]
            for path in more:
                if not path.exists():
                    raise BuildError(f"{path}: no such file")
                if path.resolve() not in seen:
                    seen.add(path.resolve())
                    data.append(path)
        return cls(
            ontology=(root / "ontology" / "lineage.ttl", root / "ontology" / "alignments.ttl"),
            data=tuple(data),
            shapes=root / "ontology" / "shapes.ttl",
        )

    def all(self) -> tuple[Path, ...]:
        return (*self.ontology, *self.data, self.shapes)

    def key(self) -> str:
        """A hash of every input byte, the versions of the code and of the libraries that build."""
        digest = hashlib.sha256()
        for part in (__version__, rdflib.__version__, owlrl.__version__, pyshacl.__version__):
            digest.update(part.encode() + b"\0")
        digest.update(Path(__file__).read_bytes())
        for path in self.all():
            digest.update(str(path.name).encode() + b"\0" + path.read_bytes() + b"\0")
        return digest.hexdigest()[:32]

    def graph_names(self) -> dict[URIRef, Path]:
        """Named graph IRI of each data file; a second file with the same stem gets a suffix."""
        names: dict[URIRef, Path] = {}
        for path in self.data:
            stem, n = path.stem, 1
            while data_graph_iri(stem) in names:
                n += 1
                stem = f"{path.stem}-{n}"
            names[data_graph_iri(stem)] = path
        return names


@dataclass
class Violation:
    focus: str
    path: str | None
    message: str
    shape: str
    rule: str
    severity: str
    value: str | None = None
    file: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}: " if self.file and self.line else (f"{self.file}: " if self.file else "")
        path = f" path {self.path}" if self.path else ""
        return f"{where}{self.severity} {self.focus}{path}: {self.message}"


@dataclass
class KnowledgeGraph:
    """The built dataset: ontology, data graphs, inferred graph; read-only by convention."""

    dataset: Dataset
    inputs: Inputs
    key: str
    from_cache: bool = False
    violations: list[Violation] = field(default_factory=list)

    @property
    def data_graphs(self) -> list[Graph]:
        return [self.dataset.graph(iri) for iri in self.inputs.graph_names()]

    def asserted(self) -> Graph:
        """Ontology and data, without inferences, as one graph (a copy)."""
        graph = Graph()
        for g in [self.dataset.graph(GRAPH_ONTOLOGY), *self.data_graphs]:
            graph += g
        bind_prefixes(graph)
        return graph

    def union(self) -> Graph:
        """Asserted and inferred triples as one graph (a copy)."""
        graph = self.asserted()
        graph += self.dataset.graph(GRAPH_INFERRED)
        return graph

    @property
    def inferred(self) -> Graph:
        return self.dataset.graph(GRAPH_INFERRED)


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
        with _quiet_literal_warnings():
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
def _quiet_literal_warnings() -> Iterator[None]:
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


def is_well_formed(triple: tuple) -> bool:
    """An RDF triple: IRI or blank-node subject, IRI predicate (owlrl emits literal subjects)."""
    s, p, o = triple
    return isinstance(s, (URIRef, BNode)) and isinstance(p, URIRef) and not isinstance(o, Graph)


def reason(asserted: Graph) -> Graph:
    """The OWL-RL closure of ``asserted``, minus what was asserted, minus ill-formed triples.

    Raises :class:`InconsistencyError` with owlrl's messages when the closure holds its error markers.
    """
    closure = Graph()
    closure += asserted
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(closure)
    errors = sorted(str(o) for o in closure.objects(None, ERRNS + "error"))
    if errors:
        raise InconsistencyError("OWL-RL reasoning found the graph inconsistent:\n  " + "\n  ".join(errors))
    inferred = Graph()
    for triple in closure:
        s, p, o = triple
        if triple in asserted or not is_well_formed(triple):
            continue
        if s == o and p in _REFLEXIVE_TAUTOLOGIES:
            continue
        inferred.add(triple)
    return inferred


def validate(inputs: Inputs, dataset: Dataset) -> list[Violation]:
    """Check the asserted data against the SHACL shapes, with the ontology as ``ont_graph``."""
    shapes = parse_turtle(inputs.shapes)
    data = Graph()
    names = inputs.graph_names()
    for iri in names:
        data += dataset.graph(iri)
    ontology = Graph()
    ontology += dataset.graph(GRAPH_ONTOLOGY)
    conforms, report, _ = pyshacl.validate(
        data_graph=data,
        shacl_graph=shapes,
        ont_graph=ontology,
        inference="none",
        advanced=True,
        allow_warnings=True,
        abort_on_first=False,
    )
    if conforms:
        return []
    return sorted(_violations(report, dataset, names), key=lambda v: (v.file or "", v.line or 0, v.focus))


def _violations(report: Graph, dataset: Dataset, names: dict[URIRef, Path]) -> Iterator[Violation]:
    def text(node) -> str | None:
        if node is None:
            return None
        return report.namespace_manager.normalizeUri(node) if isinstance(node, URIRef) else str(node)

    bind_prefixes(report)
    texts: dict[Path, str] = {}
    for result in report.subjects(RDF.type, SH.ValidationResult):
        focus = report.value(result, SH.focusNode)
        file, line = _locate(focus, dataset, names, texts)
        yield Violation(
            focus=text(focus) or "?",
            path=text(report.value(result, SH.resultPath)),
            message=str(report.value(result, SH.resultMessage) or "constraint not met"),
            shape=text(report.value(result, SH.sourceShape)) or "?",
            rule=text(report.value(result, SH.sourceConstraint) or report.value(result, SH.sourceShape)) or "?",
            severity=(text(report.value(result, SH.resultSeverity)) or "sh:Violation").split(":")[-1],
            value=text(report.value(result, SH.value)),
            file=str(file) if file else None,
            line=line,
        )


def _locate(
    node, dataset: Dataset, names: dict[URIRef, Path], texts: dict[Path, str]
) -> tuple[Path | None, int | None]:
    """The data file that describes ``node`` and the line where it does, where that can be found.

    ``texts`` keeps each file's text, so a file with many violations is read once."""
    for iri, path in names.items():
        if (node, None, None) not in dataset.graph(iri):
            continue
        if path not in texts:
            texts[path] = path.read_text(encoding="utf-8")
        text = texts[path]
        needles = [f"<{node}>"]
        for prefix, ns in _PREFIX_LINE.findall(text):
            if isinstance(node, URIRef) and str(node).startswith(ns):
                needles.append(f"{prefix}:{str(node)[len(ns) :]}")
        for number, line in enumerate(text.splitlines(), 1):
            for needle in needles:
                if line.startswith(needle) and line[len(needle) : len(needle) + 1] in ("", " ", "\t"):
                    return path, number
        return path, None
    return None, None


_PREFIX_LINE = re.compile(r"^@prefix\s+([\w-]*):\s*<([^>]*)>", re.MULTILINE)


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


def cache_dir() -> Path:
    explicit = os.environ.get("LINEAGE_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "model-lineage"


def _umask() -> int:
    """This process's umask, read without changing it (``os.umask`` sets it, racing other threads)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            return next(int(line.split()[1], 8) for line in status if line.startswith("Umask:"))
    except (OSError, StopIteration, ValueError):
        return 0o022


def write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file beside ``path``, then rename: readers never see half a file."""
    with atomic_output(path, "wb") as handle:
        handle.write(data)


@contextlib.contextmanager
def atomic_output(path: Path, mode: str = "w") -> Iterator[IO]:
    """A file to write ``path`` through: a temporary file beside it, renamed over it only when the
    block ends without an error (else removed, and ``path`` is as it was)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes it 0600; the file gets what open() would give it
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as handle:
            yield handle
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def build(
    extra: Sequence[Path] = (),
    *,
    root: Path | None = None,
    use_cache: bool = True,
    refresh: bool = False,
    progress: bool = False,
) -> KnowledgeGraph:
    """Load, validate and reason; from the cache when nothing changed.

    ``refresh`` rebuilds and rewrites the cache entry. Violations do not raise: they are returned
    on the graph, which then has no inferences and is not cached. Syntax errors and
    inconsistencies raise :class:`BuildError`.
    """
    inputs = Inputs.bundled(root, extra)
    key = inputs.key()
    cached = cache_dir() / f"{key}.nq"
    if use_cache and not refresh and cached.exists():
        dataset = parse_dataset(cached.read_bytes(), "nquads")
        return KnowledgeGraph(dataset, inputs, key, from_cache=True)
    with Steps(len(inputs.ontology) + len(inputs.data) + 2, "building graph", enabled=progress) as steps:
        dataset = load(inputs, steps)
        kg = KnowledgeGraph(dataset, inputs, key)
        steps.advance("validating (SHACL)")
        kg.violations = validate(inputs, dataset)
        if kg.violations:
            # Data that breaks the shapes (a malformed date, say) can also trip owlrl's own
            # checks; the violations say more, so they are what is reported.
            return kg
        steps.advance("reasoning (OWL-RL)")
        target = dataset.graph(GRAPH_INFERRED)
        for triple in reason(kg.asserted()):
            target.add(triple)
    if use_cache:
        write_atomically(cached, serialize_dataset(dataset, "nquads"))
        for old in cached.parent.glob("*.nq"):
            if old != cached and old.stat().st_mtime < cached.stat().st_mtime - 3600:
                old.unlink(missing_ok=True)
    return kg
