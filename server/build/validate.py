"""SHACL validation with pyshacl, each violation located at its file and line."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyshacl
from rdflib import RDF, Dataset, Graph, URIRef
from rdflib.namespace import SH
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.sparql import Query
from rdflib.query import Result

from lineage.build.inputs import Inputs
from lineage.build.load import parse_turtle
from lineage.namespaces import GRAPH_ONTOLOGY, bind_prefixes


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


class PreparedQueries(Graph):
    """A graph that prepares each distinct SPARQL text once and reuses it.

    pyshacl runs every SHACL-SPARQL constraint once per focus node, as text with ``$this`` bound by
    ``initBindings``; rdflib parses the text on each call, which was nine tenths of validation (31 s
    for 345 models, 3.5 s prepared). A prepared query with the same bindings gives the same answer."""

    _prepared: dict[tuple, Query] | None = None

    def query(  # type: ignore[override]
        self,
        query_object: str | Query,
        processor: str = "sparql",
        result: str = "sparql",
        initNs: Mapping[str, Any] | None = None,  # noqa: N803 - rdflib's name
        initBindings: Mapping[str, Any] | None = None,  # noqa: N803
        use_store_provided: bool = True,
        **kwargs: Any,
    ) -> Result:
        if isinstance(query_object, str):
            if self._prepared is None:
                self._prepared = {}
            base = kwargs.pop("base", None)
            key = (query_object, base, tuple(sorted((initNs or {}).items())))
            prepared = self._prepared.get(key)
            if prepared is None:
                prepared = self._prepared[key] = prepareQuery(query_object, initNs=dict(initNs or {}), base=base)
            query_object = prepared
        return super().query(query_object, processor, result, initNs, initBindings, use_store_provided, **kwargs)


def validate(inputs: Inputs, dataset: Dataset) -> list[Violation]:
    """Check the asserted data against the SHACL shapes, the ontology mixed in (as pyshacl's ``ont_graph``
    would mix it: here once, by us, so that pyshacl validates our graph in place and its queries stay prepared)."""
    shapes = parse_turtle(inputs.shapes)
    data = PreparedQueries()
    names = inputs.graph_names()
    for iri in [*names, GRAPH_ONTOLOGY]:
        data += dataset.graph(iri)
    conforms, report, _ = pyshacl.validate(
        data_graph=data,
        shacl_graph=shapes,
        inference="none",
        advanced=True,
        allow_warnings=True,
        abort_on_first=False,
        inplace=True,  # nothing is inferred, so nothing is added: no copy of the graph is needed
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

