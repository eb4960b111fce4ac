"""Content negotiation and serialisation: one media-type table per kind of answer, werkzeug picks.

The first entry of a table is its default (what a client without preference gets); a ``format``
parameter (``format=json``, ``format=text/csv``) overrides ``Accept`` for links typed in a browser.
Accept headers are parsed by werkzeug (``request.accept_mimetypes``), never by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rdflib import XSD, BNode, Graph, Literal
from rdflib.query import Result
from werkzeug.datastructures import MIMEAccept

from lineage.build import quiet_dataset_deprecations
from lineage.formats.rdfxml import ordered
from lineage.namespaces import PREFIXES, bind_prefixes


@dataclass(frozen=True)
class MediaType:
    name: str  # what goes into Content-Type (without charset) and what Accept is matched against
    aliases: tuple[str, ...]  # short names for the ``format`` parameter
    rdflib: str  # the rdflib serializer


@dataclass(frozen=True)
class Table:
    """The media types one kind of answer can be given in; the first is the default."""

    kind: str
    types: tuple[MediaType, ...]

    @property
    def names(self) -> list[str]:
        return [t.name for t in self.types]

    @property
    def default(self) -> MediaType:
        return self.types[0]

    def get(self, name: str) -> MediaType:
        return next(t for t in self.types if t.name == name)

    def by_format(self, value: str) -> MediaType | None:
        value = value.strip().lower()
        return next((t for t in self.types if value == t.name or value in t.aliases), None)

    def offered(self) -> str:
        return ", ".join(f"{t.name} (format={t.aliases[0]})" if t.aliases else t.name for t in self.types)


SPARQL_JSON = MediaType("application/sparql-results+json", ("json", "srj"), "json")
SPARQL_XML = MediaType("application/sparql-results+xml", ("xml", "srx"), "xml")
CSV = MediaType("text/csv", ("csv",), "csv")
TSV = MediaType("text/tab-separated-values", ("tsv",), "tsv")
# Plain JSON: some clients ask only for it; served as SPARQL JSON, labelled as asked. (Not plain
# application/xml: browsers ask for it with q=0.9 and would get XML results instead of JSON.)
PLAIN_JSON_RESULTS = MediaType("application/json", (), "json")

TURTLE = MediaType("text/turtle", ("turtle", "ttl", "n3"), "turtle")  # a Turtle document is an N3 document
RDF_XML = MediaType("application/rdf+xml", ("rdfxml", "rdf", "xml", "owl", "rdf+xml"), "xml")
JSON_LD = MediaType("application/ld+json", ("jsonld", "json", "json-ld"), "json-ld")
N_TRIPLES = MediaType("application/n-triples", ("nt", "ntriples"), "nt")
N_QUADS = MediaType("application/n-quads", ("nq", "nquads"), "nquads")
TRIG = MediaType("application/trig", ("trig",), "trig")

RESULTS = Table("results", (SPARQL_JSON, SPARQL_XML, CSV, TSV, PLAIN_JSON_RESULTS))
"""SELECT results."""
BOOLEAN = Table("boolean", (SPARQL_JSON, SPARQL_XML, PLAIN_JSON_RESULTS))
"""ASK results: the SPARQL CSV and TSV formats have no boolean form."""
GRAPH = Table("graph", (TURTLE, RDF_XML, JSON_LD, N_TRIPLES, N_QUADS, TRIG))
"""CONSTRUCT and DESCRIBE results, and RDF documents such as the service description."""
JSON_ONLY = Table("json", (MediaType("application/json", ("json",), "json"),))
HTML = MediaType("text/html", ("html",), "html")
"""A page for people; offered last in a table, so a client that accepts anything gets data."""


def with_html(table: Table) -> Table:
    """``table`` with an HTML page offered after its data types."""
    return Table(table.kind, (*table.types, HTML))


TABLES = {"SELECT": RESULTS, "ASK": BOOLEAN, "CONSTRUCT": GRAPH, "DESCRIBE": GRAPH}
QUAD_FORMATS = {N_QUADS.name, TRIG.name}


def negotiate(accept: MIMEAccept, table: Table, fmt: str | Sequence[str] | None = None) -> MediaType | None:
    """The media type to answer in, or None when nothing offered is acceptable (406).

    ``fmt`` (the ``format`` parameter's values) wins over ``Accept``: the first value that names a type
    of the table. Clients repeat the parameter and list types with commas (SPARQLWrapper sends
    ``format=rdf+xml&format=application/rdf+xml``), so every value counts. No ``Accept``: the default.
    """
    values = [v for raw in ([fmt] if isinstance(fmt, str) else fmt or ()) for v in raw.split(",") if v.strip()]
    if values:
        return next((media for media in map(table.by_format, values) if media), None)
    if not accept:
        return table.default
    best = accept.best_match(table.names)
    return table.get(best) if best else None


def content_type(media: MediaType) -> str:
    """The Content-Type header: every body is UTF-8; JSON types take no charset parameter."""
    return media.name if media.name.endswith("json") else f"{media.name}; charset=utf-8"


# -- serialisation ----------------------------------------------------------------------------------


def serialize_result(result: Result, media: MediaType) -> bytes:
    """A SELECT or ASK result in one of the results formats."""
    if media.rdflib == "tsv":
        return _tsv(result)
    return result.serialize(format=media.rdflib, encoding="utf-8") or b""


_TSV_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"})


def _tsv_term(term) -> str:
    """A term in SPARQL 1.1 TSV: Turtle syntax, literals as short strings with escapes."""
    if term is None:
        return ""
    if isinstance(term, BNode):
        return f"_:{term}"
    if isinstance(term, Literal):
        text = '"' + str(term).translate(_TSV_ESCAPES) + '"'
        if term.language:
            return f"{text}@{term.language}"
        if term.datatype and term.datatype != XSD.string:
            return f"{text}^^<{term.datatype}>"
        return text
    return term.n3()


def _tsv(result: Result) -> bytes:
    names = [str(v) for v in result.vars or []]
    lines = ["\t".join("?" + n for n in names)]
    for row in result.bindings:
        lines.append("\t".join(_tsv_term(row.get(v)) for v in result.vars or []))
    return ("\n".join(lines) + "\n").encode("utf-8")


def serialize_graph(graph: Graph, media: MediaType) -> bytes:
    """A graph in one of the RDF formats.

    In N-Quads and TriG a graph is the dataset's default graph: N-Triples is N-Quads without graph
    terms and Turtle is TriG without graph blocks, so those serializers write it (rdflib's quad
    serializers only take datasets). JSON-LD gets an inline context (a dict): nothing is fetched.
    """
    bind_prefixes(graph)
    if media.rdflib == "json-ld":
        with quiet_dataset_deprecations():
            return graph.serialize(format="json-ld", context=dict(PREFIXES), encoding="utf-8")
    if media.rdflib == "xml":  # in an order the OWL API reads without losing a triple
        graph = ordered(graph)
        bind_prefixes(graph)
    rdflib_format = {"nquads": "nt", "trig": "turtle"}.get(media.rdflib, media.rdflib)
    return graph.serialize(format=rdflib_format, encoding="utf-8")
