"""The asserted triples of a big graph, read into compact integer tables.

The fast build (``lineage.bigbuild.folder``) reads every input once into a :class:`Facts` table; the fast
closure (``lineage.bigbuild.closure``) and the compiled shapes (``lineage.bigbuild.shapes``) work on it.

Terms are kept as their N-Triples text (``<iri>``, ``_:label``, ``"lexical"^^<datatype>``), each IRI
and blank node numbered once (``Facts.ids``). For each predicate the table holds the subjects and
objects of its triples, interleaved in one ``array('q')``. A literal object is numbered only when a
caller asks for the literals of its predicate (``keep_literals``: a closure rule that copies it, a
check that joins on it); any other literal is stored as a negative number standing for its text
(a 62-bit hash, enough to count distinct values), and callers that look at values (``watch``)
see its text as it streams by.

Typed literals are normalised as rdflib normalises them when it parses (``"01"^^xsd:integer`` is
``"1"^^xsd:integer``, ``"1"^^xsd:boolean`` is ``"true"^^xsd:boolean``), so that counts, joins and
values agree with the rdflib graph the core build reasons over. A plain literal and one typed
``xsd:string`` are the same term here (RDF 1.1), as they are in Oxigraph.

N-Triples files are read line by line with ``str.split`` (about three times faster than building
pyoxigraph terms); a line that is not in the plain one-triple-a-line form, and every other format,
goes through pyoxigraph's parser. Blank node labels are made unique per file (:class:`BlankNames`).
"""

from __future__ import annotations

import functools
import re
from array import array
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef

from lineage.build import BuildError, SyntaxProblem
from lineage.build.load import quiet_literal_warnings

RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_STRING = f"<{XSD}string>"
FORMATS = {
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".ttl": ox.RdfFormat.TURTLE,
    ".n3": ox.RdfFormat.N3,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
}
_HASH_MASK = (1 << 62) - 1
_LITERAL = re.compile(r'^"(.*)"(?:@([A-Za-z0-9-]+)|\^\^<([^>]*)>)?$', re.DOTALL)
_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))", re.DOTALL)
_ESCAPES = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}

# (function, called for IRIs and blank nodes too, called for plain literals too)
Watcher = tuple[Callable[[int, str], None], bool, bool]


def rdf_format(path: Path) -> ox.RdfFormat:
    """The RDF format of a file, by its extension."""
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise BuildError(f"{path}: unknown RDF format (expected one of {', '.join(sorted(FORMATS))})") from None


def unescape(text: str) -> str:
    """The characters an N-Triples string stands for."""
    if "\\" not in text:
        return text

    def one(match: re.Match) -> str:
        short, long, char = match.groups()
        if short or long:
            return chr(int(short or long, 16))
        return _ESCAPES.get(char, char)

    return _ESCAPE.sub(one, text)


def split_literal(text: str) -> tuple[str, str | None, str | None]:
    """``(lexical form, language, datatype IRI)`` of a literal in N-Triples form."""
    match = _LITERAL.match(text)
    if match is None:
        raise ValueError(f"not a literal: {text}")
    lexical, language, datatype = match.groups()
    return unescape(lexical), language, datatype


@functools.lru_cache(maxsize=1 << 16)
def normalise_literal(text: str) -> str:
    """A typed literal as rdflib keeps it after parsing; plain and language-tagged ones unchanged."""
    if not text.endswith(">"):
        return text
    lexical, _, datatype = split_literal(text)
    assert datatype is not None  # it ends with ">": the ^^<datatype> group matched
    if datatype == XSD + "string":
        return text[: text.rindex("^^")]
    with quiet_literal_warnings():
        literal = Literal(lexical, datatype=URIRef(datatype))
    return to_ntriples(literal)


def to_ntriples(term) -> str:
    """N-Triples text of an rdflib or pyoxigraph term (plain for xsd:string)."""
    if isinstance(term, Literal):
        lexical = str(term).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
        if term.language:
            return f'"{lexical}"@{term.language}'
        if term.datatype is not None and str(term.datatype) != XSD + "string":
            return f'"{lexical}"^^<{term.datatype}>'
        return f'"{lexical}"'
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, ox.Literal):
        return normalise_literal(str(term))
    return str(term)


def to_rdflib(text: str):
    """The rdflib term for an N-Triples term (blank nodes as rdflib BNodes of the same label).

    rdflib logs a traceback for an ill-typed literal: call it inside :func:`quiet`."""
    if text[0] == "<":
        return URIRef(text[1:-1])
    if text[0] == "_":
        return BNode(text[2:])
    if text[-1] == '"':
        return Literal(unescape(text[1:-1]))
    lexical, language, datatype = split_literal(text)
    return Literal(lexical, lang=language, datatype=URIRef(datatype) if datatype else None)


quiet = quiet_literal_warnings


class BlankNames:
    """The labels of one file's blank nodes, as :class:`Facts` reads them and :func:`relabelled`
    stores them: the file's prefix (``f3x``: unique per file) and, in N-Triples, the label written
    in the file; in other formats the order of first appearance (a Turtle ``[]`` has no label, and
    the parser makes up a random one on each reading)."""

    def __init__(self, prefix: str, by_order: bool):
        self.prefix, self.by_order = prefix, by_order
        self._seen: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        """``_:label`` as read, in its stored form."""
        if not self.by_order:
            return "_:" + self.prefix + text[2:]
        name = self._seen.get(text)
        if name is None:
            name = self._seen[text] = f"_:{self.prefix}{len(self._seen)}"
        return name

    def fresh(self) -> BlankNames:
        """The same naming, from the start of the file again."""
        return BlankNames(self.prefix, self.by_order)


def relabelled(path: Path, base_iri: str | None, names: BlankNames, graph: str) -> Iterator[ox.Quad]:
    """The triples of ``path`` as quads of ``graph``, their blank nodes labelled by ``names`` as
    :class:`Facts` labelled them: Oxigraph's loaders give every blank node a new random label, and
    the inferences about it would then be about another node."""

    def term(node):
        return ox.BlankNode(names("_:" + node.value)[2:]) if isinstance(node, ox.BlankNode) else node

    name = ox.NamedNode(graph)
    try:
        for quad in ox.parse(path=str(path), format=rdf_format(path), base_iri=base_iri):
            yield ox.Quad(term(quad.subject), quad.predicate, term(quad.object), name)
    except SyntaxError as error:
        raise syntax_problem(path, error) from None


class Facts:
    """Asserted triples by predicate, terms numbered; ontology triples first, then data."""

    def __init__(self, *, keep_literals: Iterable[str] = (), watch: dict[str, Watcher] | None = None):
        self.ids: dict[str, int] = {}
        self.terms: list[str] = []
        self.pairs: dict[str, array] = {}
        self.ontology_pairs: dict[str, int] = {}  # how many of each predicate's pairs the ontology gave
        self.keep_literals = set(keep_literals)
        self.watch = watch or {}
        self._typed_watch = {p: w for p, (w, _, _) in self.watch.items()}
        self._plain_watch = {p: w for p, (w, _, plain) in self.watch.items() if plain}
        self._node_watch = {p: w for p, (w, iris, _) in self.watch.items() if iris}
        self.typed_literals: set[str] = set()  # distinct typed literals of the data (not the ontology)
        self.ontology_terms = 0  # terms numbered while reading the ontology: numbers below this
        self.triples = 0
        self.files: list[tuple[Path, int]] = []  # file, triples read from it
        self.file_terms: list[tuple[Path, int]] = []  # file, terms numbered once it was read
        self.blank_names: dict[Path, BlankNames] = {}  # the files that have blank nodes: how they were named
        self._ontology_done = False
        self._blanks = BlankNames("", False)
        self._saw_blank = False

    # -- terms ----------------------------------------------------------------------------------

    def id(self, text: str) -> int:
        """The number of an IRI, blank node or kept literal (numbered on first sight)."""
        number = self.ids.get(text)
        if number is None:
            number = self.ids[text] = len(self.terms)
            self.terms.append(text)
        return number

    def find(self, text: str) -> int | None:
        return self.ids.get(text)

    def text(self, number: int) -> str:
        return self.terms[number]

    @staticmethod
    def literal_key(text: str) -> int:
        """The negative number that stands for a literal that is not numbered."""
        return -(hash(text) & _HASH_MASK) - 1

    # -- tables ---------------------------------------------------------------------------------

    def subject_objects(self, predicate: str, *, data_only: bool = False) -> Iterator[tuple[int, int]]:
        table = self.pairs.get(predicate)
        if table is None:
            return iter(())
        start = 2 * self.ontology_pairs.get(predicate, 0) if data_only else 0
        it = iter(table[start:])
        return zip(it, it, strict=True)

    def count(self, predicate: str) -> int:
        return len(self.pairs.get(predicate, ())) // 2

    def index(self, predicate: str) -> dict[int, list[int]]:
        """Subject → objects of one predicate."""
        out: dict[int, list[int]] = {}
        for s, o in self.subject_objects(predicate):
            got = out.get(s)
            if got is None:
                out[s] = [o]
            elif o not in got:
                got.append(o)
        return out

    def subjects(self, predicate: str) -> set[int]:
        table = self.pairs.get(predicate)
        return set(table[0::2]) if table is not None else set()

    def objects(self, predicate: str) -> set[int]:
        table = self.pairs.get(predicate)
        return set(table[1::2]) if table is not None else set()

    # -- reading --------------------------------------------------------------------------------

    def end_ontology(self) -> None:
        """Mark what was read so far as the ontology (read first); the rest is data."""
        self.ontology_pairs = {p: len(t) // 2 for p, t in self.pairs.items()}
        self.ontology_terms = len(self.terms)
        self._ontology_done = True

    @property
    def datatypes(self) -> set[str]:
        """Datatype IRIs of the data's typed literals."""
        return {text[text.rindex("^^<") + 3 : -1] for text in self.typed_literals}

    def read(self, path: Path, *, base_iri: str | None = None) -> int:
        """Add the triples of one file; returns how many it had."""
        ntriples = rdf_format(path) is ox.RdfFormat.N_TRIPLES
        self._blanks = BlankNames(f"f{len(self.files)}x", by_order=not ntriples)
        self._saw_blank = False
        before = self.triples
        with quiet():
            if ntriples:
                self._read_ntriples(path)
            else:
                self._read_parsed(path, ox.parse(path=str(path), format=rdf_format(path), base_iri=base_iri))
        if self._saw_blank:
            self.blank_names[path] = self._blanks
        self.files.append((path, self.triples - before))
        self.file_terms.append((path, len(self.terms)))
        return self.triples - before

    def _read_parsed(self, path: Path, quads: Iterable) -> None:
        try:
            for quad in quads:
                self.add(str(quad.subject), str(quad.predicate), to_ntriples(quad.object))
        except SyntaxError as error:
            raise syntax_problem(path, error) from None

    def _read_ntriples(self, path: Path) -> None:
        """The hot loop: one ``str.split`` a line, terms numbered inline (same effect as :meth:`add`)."""
        ids, terms, pairs, keep = self.ids, self.terms, self.pairs, self.keep_literals
        typed_watch, plain_watch, node_watch = self._typed_watch, self._plain_watch, self._node_watch
        typed = self.typed_literals if self._ontology_done else set()
        prefix = "_:" + self._blanks.prefix  # what BlankNames does for N-Triples, inline
        count = 0
        o: int | None  # an object's number: a term's id, or a literal's negative hash
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                parts = line.split(None, 2)
                if len(parts) != 3 or parts[2][-3:] != " .\n" or "\\" in line[: len(parts[0]) + len(parts[1]) + 2]:
                    self._read_unusual(path, number, line)
                    continue
                subject, predicate, obj = parts[0], parts[1], parts[2][:-3].rstrip()
                first = obj[0]
                if first == "<":
                    if "\\" in obj or obj[-1] != ">":
                        self._read_unusual(path, number, line)
                        continue
                elif first == '"':
                    if obj[-1] != '"':
                        obj = normalise_literal(obj)
                        if obj[-1] == ">":
                            typed.add(obj)
                elif first == "_":
                    obj = prefix + obj[2:]
                    self._saw_blank = True
                else:
                    self._read_unusual(path, number, line)
                    continue
                if subject[0] == "_":
                    subject = prefix + subject[2:]
                    self._saw_blank = True
                elif subject[0] != "<" or predicate[0] != "<":
                    self._read_unusual(path, number, line)
                    continue
                s = ids.get(subject)
                if s is None:
                    s = ids[subject] = len(terms)
                    terms.append(subject)
                if first == '"' and predicate not in keep:
                    o = -(hash(obj) & _HASH_MASK) - 1
                else:
                    o = ids.get(obj)
                    if o is None:
                        o = ids[obj] = len(terms)
                        terms.append(obj)
                table = pairs.get(predicate)
                if table is None:
                    table = pairs[predicate] = array("q")
                table.append(s)
                table.append(o)
                count += 1
                if first == '"':
                    watcher = (plain_watch if obj[-1] == '"' else typed_watch).get(predicate)
                else:
                    watcher = node_watch.get(predicate)
                if watcher is not None:
                    watcher(s, obj)
        self.triples += count

    def _read_unusual(self, path: Path, number: int, line: str) -> None:
        """A line the hot loop does not take (comment, escapes, odd spacing): pyoxigraph reads it."""
        if not line.strip() or line.lstrip().startswith("#"):
            return
        try:
            quads = list(ox.parse(line, format=ox.RdfFormat.N_TRIPLES))
        except SyntaxError as error:
            raise SyntaxProblem(path, number, error.offset or 1, f"N-Triples syntax error: {_reason(error)}") from None
        self._read_parsed(path, quads)

    def add(self, subject: str, predicate: str, obj: str) -> None:
        """One triple, its terms in N-Triples form (typed literals already normalised)."""
        self.triples += 1
        o: int | None  # the object's number: a term's id, or a literal's negative hash
        if subject[0] == "_":
            subject = self._blanks(subject)
            self._saw_blank = True
        s = self.ids.get(subject)
        if s is None:
            s = self.ids[subject] = len(self.terms)
            self.terms.append(subject)
        first = obj[0]
        if first == '"':
            if obj[-1] == ">" and self._ontology_done:
                self.typed_literals.add(obj)
            o = self.id(obj) if predicate in self.keep_literals else -(hash(obj) & _HASH_MASK) - 1
        else:
            if first == "_":
                obj = self._blanks(obj)
                self._saw_blank = True
            o = self.ids.get(obj)
            if o is None:
                o = self.ids[obj] = len(self.terms)
                self.terms.append(obj)
        table = self.pairs.get(predicate)
        if table is None:
            table = self.pairs[predicate] = array("q")
        table.append(s)
        table.append(o)
        if first == '"':
            watcher = (self._plain_watch if obj[-1] == '"' else self._typed_watch).get(predicate)
        else:
            watcher = self._node_watch.get(predicate)
        if watcher is not None:
            watcher(s, obj)


def _reason(error: SyntaxError) -> str:
    """pyoxigraph's message without its own 'Parser error at line … between columns …:' prefix."""
    return re.sub(
        r"^Parser error at line \d+ (?:between columns \d+ and \d+|column \d+): ", "", str(error.msg or error)
    )


def syntax_problem(path: Path, error: SyntaxError) -> SyntaxProblem:
    """A pyoxigraph syntax error as :class:`~lineage.build.SyntaxProblem` (file, line, column, reason)."""
    return SyntaxProblem(
        path, error.lineno or 1, error.offset or 1, f"{rdf_format(path).name} syntax error: {_reason(error)}"
    )
