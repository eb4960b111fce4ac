"""SHACL validation with pyshacl, each violation located at its file and line."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyshacl
from rdflib import RDF, Dataset, Graph, URIRef
from rdflib.namespace import SH

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

