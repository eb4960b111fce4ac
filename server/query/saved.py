"""Saved SPARQL queries: ``queries/*.rq`` files with a ``#+`` YAML header, run with bound parameters.

A header reads::

    #+ summary: Which models descend, directly or not, from a given model?
    #+ params:
    #+   - name: model
    #+     type: model
    #+     description: the model whose descendants to list
    #+ tags: [lineage]

``params`` may also be a plain list of names (``[model, ancestor]``); a parameter's type then
follows its name (model, ancestor, parent, series, method, org, source) or is a string.
Values are bound as RDF terms with ``initBindings``; they never become query text.
"""

from __future__ import annotations

import datetime
import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pyoxigraph as ox
import yaml
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.query import Result
from rdflib.term import Identifier

from lineage.build import quiet_dataset_deprecations
from lineage.names import KINDS, UnknownName, resolve
from lineage.namespaces import PREFIXES
from lineage.paths import project_root

_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_RESOURCE_KINDS = {"model": "model", "ancestor": "model", "parent": "model", "child": "model", **{k: k for k in KINDS}}
TYPES = {"model", "series", "method", "org", "source", "iri", "string", "integer", "date"}


class QueryError(ValueError):
    """A saved query or its parameters are wrong; the message says which and why."""


@dataclass
class Param:
    name: str
    type: str = "string"
    description: str = ""
    example: str = ""  # a value to try it with, as a person would type it (``chatgpt``)


@dataclass
class SavedQuery:
    name: str
    path: Path
    summary: str
    text: str
    params: list[Param] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)

    @cached_property
    def form(self) -> str:
        """SELECT, ASK, CONSTRUCT or DESCRIBE; a query that does not parse raises.

        Oxigraph parses it (against an empty store, so it is evaluated at no cost): ten times
        sooner than rdflib, which matters at start-up."""
        ox.Store().query(self.text, prefixes=PREFIXES)
        code = _IRIS_AND_STRINGS.sub(" ", _blank_comments(self.text))
        found = _FORM.search(code)
        if found is None:
            raise QueryError(f"{self.path}: no SELECT, ASK, CONSTRUCT or DESCRIBE")
        return found.group(1).upper()

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "summary": self.summary,
            "params": [vars(p) for p in self.params],
            "tags": self.tags,
            "form": self.form,
        }


def parse_header(text: str, path: Path) -> dict:
    """The YAML in the leading ``#+`` lines of a query file."""
    lines = []
    for line in text.splitlines():
        if line.startswith("#+"):
            lines.append(line[3:] if line.startswith("#+ ") else line[2:])
        elif line.strip() and not line.startswith("#"):
            break
    try:
        header = yaml.safe_load("\n".join(lines)) or {}
    except yaml.YAMLError as error:
        raise QueryError(f"{path}: bad #+ header: {error}") from None
    if not isinstance(header, dict):
        raise QueryError(f"{path}: the #+ header is not a mapping")
    return header


def load_query(path: Path, *, saved: bool = True) -> SavedQuery:
    """The query in ``path`` with its ``#+`` header. A saved query (``queries/``) needs a summary; a
    plain file given by path (``saved=False``) needs no header at all: its summary is its file name."""
    text = path.read_text(encoding="utf-8")
    header = parse_header(text, path)
    params = []
    for entry in header.get("params") or []:
        if isinstance(entry, str):
            entry = {"name": entry, "type": _RESOURCE_KINDS.get(entry, "string")}
        if not isinstance(entry, dict) or "name" not in entry:
            raise QueryError(f"{path}: each parameter needs a name")
        param = Param(
            str(entry["name"]),
            str(entry.get("type", "string")),
            str(entry.get("description", "")),
            str(entry.get("example", "")),
        )
        if param.type not in TYPES:
            raise QueryError(f"{path}: parameter {param.name} has unknown type {param.type!r}")
        params.append(param)
    if not header.get("summary"):
        if saved:
            raise QueryError(f"{path}: the #+ header needs a summary")
        header["summary"] = path.name
    query = SavedQuery(path.stem, path, str(header["summary"]), text, params, list(header.get("tags") or []))
    try:
        query.form  # noqa: B018 - parse now, so a broken query fails at load, not at first use
    except Exception as error:
        raise QueryError(f"{path}: {error}") from None
    return query


def queries_dir() -> Path:
    return project_root() / "queries"


def load_all(folder: Path | None = None) -> dict[str, SavedQuery]:
    """Every saved query in ``folder`` (not its ``checks/``), by name."""
    folder = folder or queries_dir()
    return {q.name: q for q in (load_query(p) for p in sorted(folder.glob("*.rq")))}


def find(name_or_file: str) -> SavedQuery:
    """A saved query by name, or a query file by path."""
    path = Path(name_or_file)
    if name_or_file.endswith(".rq") and path.exists():
        return load_query(path, saved=False)
    saved = load_all()
    if name_or_file in saved:
        return saved[name_or_file]
    close = difflib.get_close_matches(name_or_file, list(saved), n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else f"; saved queries: {', '.join(saved)}"
    raise QueryError(f"unknown query {name_or_file!r}{hint}")


def bind(query: SavedQuery, graph: Graph, values: dict[str, str]) -> dict[str, Identifier]:
    """RDF terms for the query's parameters; a missing, unknown or malformed one raises QueryError."""
    known = {p.name for p in query.params}
    extra = sorted(set(values) - known)
    if extra:
        raise QueryError(
            f"query {query.name} has no parameter {', '.join(extra)} (it takes: {', '.join(known) or 'none'})"
        )
    bindings: dict[str, Identifier] = {}
    for param in query.params:
        if param.name not in values or values[param.name] == "":
            raise QueryError(f"query {query.name} needs parameter {param.name} ({param.type})")
        bindings[param.name] = _term(param, values[param.name], graph)
    return bindings


_FORM = re.compile(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.IGNORECASE)
_IRIS_AND_STRINGS = re.compile(r"<[^<>\s]*>|\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'")


def _blank_comments(text: str) -> str:
    """``text`` with comment lines blanked out, every offset kept."""
    return "\n".join(" " * len(line) if line.lstrip().startswith("#") else line for line in text.split("\n"))


_OPENING = re.compile(r"\b(?:WHERE|ASK)\s*\{", re.IGNORECASE)


def with_values(query: SavedQuery, bindings: Mapping[str, Identifier]) -> str:
    """The query's text with ``bindings`` in a ``VALUES`` block opening its pattern: a standalone query
    to show, edit or send to another engine, with the answer that ``initBindings`` gives.

    (A trailing ``VALUES`` clause would not do: it joins the *results*, where a parameter that is
    not projected is unbound, so it would filter nothing.)"""
    names = [p.name for p in query.params if p.name in bindings]
    if not names:
        return query.text
    terms = " ".join(bindings[n].n3() for n in names)
    block = f"\n  VALUES ({' '.join('?' + n for n in names)}) {{ ({terms}) }}"
    found = _OPENING.search(_blank_comments(query.text))  # comment lines blanked, so offsets match the text
    if found is None:
        raise QueryError(f"query {query.name}: no WHERE {{ or ASK {{ to put the values in")
    return query.text[: found.end()] + block + query.text[found.end() :]


def _term(param: Param, value: str, graph: Graph):
    try:
        if param.type in KINDS:
            return resolve(graph, value, param.type)
        if param.type == "iri":
            if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s<>\"{}|\\^`]*$", value):
                raise ValueError("not an absolute IRI")
            return URIRef(value)
        if param.type == "integer":
            return Literal(int(value))
        if param.type == "date":
            return Literal(datetime.date.fromisoformat(value), datatype=XSD.date)
        return Literal(value)
    except UnknownName as error:
        raise QueryError(f"parameter {param.name}: {error}") from None
    except ValueError as error:
        raise QueryError(f"parameter {param.name}: {value!r} is not a valid {param.type} ({error})") from None


def run(
    query: SavedQuery, graph: Graph, values: dict[str, str] | None = None, *, lookup: Graph | None = None
) -> Result:
    """Run a saved query on ``graph`` with its parameters bound (names resolved in ``lookup``)."""
    with quiet_dataset_deprecations():
        bindings = bind(query, lookup if lookup is not None else graph, values or {})
        result = graph.query(query.text, initNs=PREFIXES, initBindings=bindings)
        if result.type != "ASK":
            result.bindings  # noqa: B018 - evaluate now, inside the warning filter
    return result
