"""The SHACL shapes checked on a big graph, with pyshacl's verdicts: compiled, not interpreted.

``kg.validate`` runs pyshacl, which checks one focus node at a time (about 3 ms a model). Here the
shapes are compiled once into checks over a :class:`~lineage.bigbuild.facts.Facts` table:

- **targets**: ``sh:targetClass`` — instances by ``rdf:type/rdfs:subClassOf*`` over the asserted
  data and the ontology, as pyshacl sees them with the ontology as ``ont_graph``;
- **counts**: ``sh:minCount``, ``sh:maxCount`` — distinct values per focus node, on whole tables;
- **values**: ``sh:datatype``, ``sh:nodeKind``, ``sh:pattern`` (with ``sh:flags``), ``sh:minLength``,
  ``sh:maxLength``, ``sh:minExclusive``, ``sh:minInclusive``, ``sh:maxExclusive``,
  ``sh:maxInclusive``, ``sh:in``, ``sh:class`` and ``sh:or`` of shapes made of those — each checked
  once per distinct value as the triples stream in (:meth:`Shapes.watchers`), with pyshacl's own
  rules (an ill-typed literal fails ``sh:datatype``; a literal never has a ``sh:class``; pyshacl's
  literal comparison for the ranges), and the ``sh:class`` ones that need types at the end;
- **SHACL-SPARQL** (``sh:sparql``): each query of ``ontology/shapes.ttl`` has an equivalent here,
  written against the tables (a cycle search, a date comparison along the lineage, joins), registered
  under the constraint's IRI and a hash of its text. A constraint without one (new, or edited since)
  runs as written, on the Oxigraph store that holds the same triples, for all its focus nodes at
  once (``$this`` bound by the target pattern put in front of the query body): slower, never wrong.

Anything else in the shapes (other targets, ``sh:node``, ``sh:and``, paths that are not a single
property …) is refused with :class:`UnsupportedShape`, so that nothing is silently left unchecked.
``tests/test_differential.py`` compares the verdicts with pyshacl's on random and broken graphs.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
from pyshacl.rdfutil.compare import compare_literal
from rdflib import RDF, RDFS, XSD, BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import SH
from rdflib.term import Identifier, Node

from lineage.bigbuild.closure import distinct_rows, reachable, transitive_closure
from lineage.bigbuild.facts import RDF_TYPE, Facts, quiet, to_ntriples, to_rdflib, unescape
from lineage.build import BuildError, Violation
from lineage.namespaces import bind_prefixes

SUBCLASS_OF = f"<{RDFS.subClassOf}>"
TRUE = f'"true"^^<{XSD.boolean}>'
LIN = "https://w3id.org/model-lineage/ontology#"
NODE_KINDS = {
    SH.IRI: (URIRef,),
    SH.BlankNode: (BNode,),
    SH.Literal: (Literal,),
    SH.BlankNodeOrIRI: (BNode, URIRef),
    SH.BlankNodeOrLiteral: (BNode, Literal),
    SH.IRIOrLiteral: (URIRef, Literal),
}
# Shape vocabulary this module compiles (anything else in a shape is refused).
NODE_SHAPE_KEYS = {RDF.type, SH.targetClass, SH.property, SH.sparql, SH.severity, SH.deactivated, SH.message}
PROPERTY_KEYS = {
    SH.path,
    SH.minCount,
    SH.maxCount,
    SH.message,
    SH.severity,
    SH.deactivated,
    SH.flags,
    SH.name,
    SH.description,
    RDFS.label,
    RDFS.comment,
}
VALUE_KEYS = {
    SH.datatype,
    SH.nodeKind,
    SH.pattern,
    SH.minLength,
    SH.maxLength,
    SH.minExclusive,
    SH.minInclusive,
    SH.maxExclusive,
    SH.maxInclusive,
    SH["in"],
    SH["class"],
    SH["or"],
}


class UnsupportedShape(BuildError):
    """The shapes use a construct the compiled checks do not cover; use ``kg.build``."""


# -- value checks ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ValueTest:
    """One value-level constraint, as pyshacl applies it to one value node."""

    kind: URIRef
    # what the kind needs, compiled: a re.Pattern (sh:pattern), an int (sh:minLength, sh:maxLength), a frozenset
    # of terms (sh:in), a tuple of alternatives, each a tuple of tests (sh:or), else the shape's term itself
    argument: Any
    flags: str = ""

    @property
    def reads_text(self) -> bool:
        """Whether the verdict on a plain literal depends on its text."""
        if self.kind == SH["or"]:
            return any(t.reads_text for alternative in self.argument for t in alternative)
        return self.kind not in (SH.datatype, SH.nodeKind, SH["class"])

    @property
    def needs_types(self) -> bool:
        return self.kind == SH["class"] or (
            self.kind == SH["or"] and any(t.needs_types for alt in self.argument for t in alt)
        )

    def plain_check(self) -> Callable[[str], bool]:
        """A function of a plain literal's text: whether it passes (the common tests compiled)."""
        if self.kind == SH.pattern:
            search = self.argument.search
            return lambda lexical: search(lexical) is not None
        if self.kind == SH.maxLength:
            most = self.argument
            return lambda lexical: len(lexical) <= most
        if self.kind == SH.minLength:
            least = self.argument
            return lambda lexical: len(lexical) >= least
        return lambda lexical: self.passes_plain(lexical) is True

    def passes_plain(self, lexical: str) -> bool | None:
        """:meth:`passes` for a plain literal (no datatype, no language), without an rdflib term."""
        kind, arg = self.kind, self.argument
        if kind == SH.datatype:
            return arg in (XSD.string, RDFS.Literal)
        if kind == SH.nodeKind:
            return Literal in NODE_KINDS[arg]
        if kind == SH["class"]:
            return False
        if kind == SH.pattern:
            return bool(arg.match(lexical) or arg.search(lexical))
        if kind == SH.minLength:
            return len(lexical) >= arg
        if kind == SH.maxLength:
            return len(lexical) <= arg
        if kind == SH["or"]:
            return any(all(t.passes_plain(lexical) for t in alternative) for alternative in arg)
        return self.passes(Literal(lexical))

    def passes(self, v) -> bool | None:
        """Whether value node ``v`` passes; None when that depends on its types (``_View.passing``)."""
        kind, arg = self.kind, self.argument
        if kind == SH["class"]:
            return False if isinstance(v, Literal) else None
        if kind == SH["or"]:
            undecided = False
            for alternative in arg:
                results = [t.passes(v) for t in alternative]
                if all(r is True for r in results):
                    return True
                undecided = undecided or (None in results and False not in results)
            return None if undecided else False
        if kind == SH.datatype:
            return _datatype_matches(v, arg)
        if kind == SH.nodeKind:
            return isinstance(v, NODE_KINDS[arg])
        if kind == SH["in"]:
            return v in arg
        if kind in (SH.pattern, SH.minLength, SH.maxLength):
            if isinstance(v, BNode):
                return kind == SH.minLength and arg == 0
            text = _value_string(v)
            if kind == SH.pattern:
                return bool(arg.match(text) or arg.search(text))
            return len(text) >= arg if kind == SH.minLength else len(text) <= arg
        if kind in (SH.minExclusive, SH.minInclusive, SH.maxExclusive, SH.maxInclusive):
            return _in_range(v, kind, arg)
        raise UnsupportedShape(f"no check for {kind.n3()}")


def _value_string(v) -> str:
    if isinstance(v, Literal) and v.value is not None and v.datatype in (None, RDF.langString, XSD.string):
        return str(v.value)
    return str(v)


def _datatype_matches(v, datatype: URIRef) -> bool:
    """pyshacl's sh:datatype: same datatype and well-formed (plain strings are xsd:string)."""
    if not isinstance(v, Literal):
        return False
    if v.datatype == datatype:
        if getattr(v, "ill_typed", None) is True:
            return False
        return _value_fits(v.value, datatype)
    if datatype == RDFS.Literal:
        return True
    if datatype == RDFS.Datatype and v.datatype:
        return True
    if v.datatype is None and v.language is None and datatype == XSD.string:
        return isinstance(v.value, (str, bytes))
    if datatype == RDF.langString and v.language:
        return isinstance(v.value, (str, bytes))
    return False


def _value_fits(value, datatype: URIRef) -> bool:
    import datetime as dt
    from decimal import Decimal

    python_types: dict[URIRef, type | tuple[type, ...]] = {
        XSD.string: (str, bytes),
        RDF.langString: (str, bytes),
        XSD.integer: int,
        XSD.float: float,
        XSD.decimal: Decimal,
        XSD.boolean: bool,
        XSD.date: dt.date,
        XSD.time: dt.time,
        XSD.dateTime: dt.datetime,
    }
    expected = python_types.get(datatype)
    return True if expected is None else isinstance(value, expected)


def _in_range(v, kind: URIRef, bound: Literal) -> bool:
    if not isinstance(v, Literal):
        return False
    bound_is_string, v_is_string = isinstance(bound.value, str), isinstance(v.value, str)
    if bound_is_string != v_is_string:
        return False
    try:
        order = compare_literal(v, bound)
    except (TypeError, NotImplementedError):
        return False
    return {
        SH.minExclusive: order > 0,
        SH.minInclusive: order >= 0,
        SH.maxExclusive: order < 0,
        SH.maxInclusive: order <= 0,
    }[kind]


# -- the compiled shapes ---------------------------------------------------------------------------


@dataclass
class PropertyShape:
    iri: Identifier  # an IRI or a blank node, as the shapes name it
    path: str  # N-Triples form
    node_shape: Identifier
    min_count: int | None = None
    max_count: int | None = None
    tests: list[ValueTest] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    severity: str = "Violation"


@dataclass
class SparqlConstraint:
    iri: Identifier
    node_shape: Identifier
    query: str  # with its PREFIX lines
    select: str  # as written
    messages: list[str]
    targets: list[str]  # the node shape's target classes
    severity: str = "Violation"

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.select)


@dataclass
class NodeShape:
    iri: Identifier
    targets: list[str]  # classes, N-Triples form
    properties: list[PropertyShape] = field(default_factory=list)
    sparql: list[SparqlConstraint] = field(default_factory=list)


def fingerprint(select: str) -> str:
    """A hash of a SPARQL text with its white space collapsed."""
    return hashlib.sha256(" ".join(select.split()).encode()).hexdigest()[:16]


@dataclass
class Found:
    """One validation result, with terms in N-Triples form."""

    focus: str
    shape: Identifier
    rule: Identifier
    path: str | None
    value: str | None
    message: str
    severity: str


class Shapes:
    """``ontology/shapes.ttl`` compiled; see the module docstring."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self.node_shapes: list[NodeShape] = []
        for node in _ordered(set(graph.subjects(RDF.type, SH.NodeShape)) | set(graph.subjects(SH.targetClass, None))):
            if _is_true(graph.value(node, SH.deactivated)):
                continue
            self.node_shapes.append(self._node_shape(node))
        self.by_path: dict[str, list[tuple[PropertyShape, ValueTest]]] = defaultdict(list)
        for shape in self.node_shapes:
            for prop in shape.properties:
                for test in prop.tests:
                    self.by_path[prop.path].append((prop, test))
        # every value test of every property shape, numbered; failures seen while reading (so one
        # Shapes per table read: store.compile_inputs makes both together)
        self._tests = [(prop, test) for checks in self.by_path.values() for prop, test in checks]
        self._numbers = {(id(prop), id(test)): i for i, (prop, test) in enumerate(self._tests)}
        self._failures: set[tuple[int, int, str]] = set()  # (test number, subject, value text)

    @classmethod
    def load(cls, path: Path) -> Shapes:
        from lineage.build import parse_turtle

        return cls(parse_turtle(path))

    # -- compiling -----------------------------------------------------------------------------

    def _node_shape(self, node: Identifier) -> NodeShape:
        g = self.graph
        unknown = {p for p in g.predicates(node) if p not in NODE_SHAPE_KEYS and not _is_annotation(p)}
        if unknown:
            raise UnsupportedShape(f"{node.n3()} uses {', '.join(sorted(p.n3() for p in unknown))}")
        shape = NodeShape(node, [to_ntriples(c) for c in g.objects(node, SH.targetClass)])
        severity = _severity(g, node)
        for prop in _ordered(g.objects(node, SH.property)):
            if _is_true(g.value(prop, SH.deactivated)):
                continue
            shape.properties.append(self._property_shape(node, prop))
        for constraint in _ordered(g.objects(node, SH.sparql)):
            if _is_true(g.value(constraint, SH.deactivated)):
                continue
            select = str(g.value(constraint, SH.select))
            prefixes = "".join(
                f"PREFIX {g.value(d, SH.prefix)}: <{g.value(d, SH.namespace)}>\n"
                for source in g.objects(constraint, SH.prefixes)
                for d in g.objects(source, SH.declare)
            )
            messages = [str(m) for m in g.objects(constraint, SH.message)]
            shape.sparql.append(
                SparqlConstraint(constraint, node, prefixes + select, select, messages, shape.targets, severity)
            )
        return shape

    def _property_shape(self, node_shape: Identifier, node: Identifier) -> PropertyShape:
        g = self.graph
        path = g.value(node, SH.path)
        if not isinstance(path, URIRef):
            raise UnsupportedShape(f"{node.n3()}: only a single property is compiled as sh:path")
        unknown = {p for p in g.predicates(node) if p not in PROPERTY_KEYS | VALUE_KEYS and not _is_annotation(p)}
        if unknown:
            raise UnsupportedShape(f"{node.n3()} uses {', '.join(sorted(p.n3() for p in unknown))}")
        shape = PropertyShape(node, to_ntriples(path), node_shape, severity=_severity(g, node))
        if (n := g.value(node, SH.minCount)) is not None:
            shape.min_count = int(str(n))
        if (n := g.value(node, SH.maxCount)) is not None:
            shape.max_count = int(str(n))
        shape.messages = [str(m) for m in g.objects(node, SH.message)]
        shape.tests = self._value_tests(node)
        return shape

    def _value_tests(self, node) -> list[ValueTest]:
        g = self.graph
        flags = str(g.value(node, SH.flags) or "")
        tests = []
        for kind in sorted(VALUE_KEYS):
            for arg in g.objects(node, kind):
                if kind == SH.pattern:
                    re_flags = (re.I if "i" in flags.lower() else 0) | (re.M if "m" in flags.lower() else 0)
                    text = str(arg.value) if isinstance(arg, Literal) and arg.value is not None else str(arg)
                    tests.append(ValueTest(kind, re.compile(text, re_flags), flags))
                elif kind in (SH.minLength, SH.maxLength):
                    tests.append(ValueTest(kind, int(str(arg))))
                elif kind == SH["in"]:
                    tests.append(ValueTest(kind, frozenset(Collection(g, arg))))
                elif kind == SH["or"]:
                    alternatives = []
                    for alternative in Collection(g, arg):
                        extra = {p for p in g.predicates(alternative) if p not in VALUE_KEYS and p != RDF.type}
                        if extra:
                            raise UnsupportedShape(f"an sh:or alternative of {node.n3()} uses {_ordered(extra)}")
                        alternatives.append(tuple(self._value_tests(alternative)))
                    tests.append(ValueTest(kind, tuple(alternatives)))
                else:
                    tests.append(ValueTest(kind, arg))
        return tests

    # -- what the fast reader needs ----------------------------------------------------------

    def watchers(self) -> dict[str, tuple[Callable[[int, str], None], bool, bool]]:
        """Per predicate, a function the reader calls with (subject, object text) for its triples; whether
        it wants IRI and blank node objects (not when only their types matter), and plain literals."""
        out = {}
        for path, checks in self.by_path.items():
            iris = any(test.kind != SH["class"] and not test.needs_types for _, test in checks)
            plain = any(test.reads_text or test.passes_plain("") is False for _, test in checks)
            out[path] = (self._watcher(checks), iris, plain)
        return out

    def _watcher(self, checks: list[tuple[PropertyShape, ValueTest]]) -> Callable[[int, str], None]:
        numbered = [(self._numbers[(id(prop), id(test))], test) for prop, test in checks]
        # for plain literals: tests that fail whatever the text, and tests that read the text
        plain_fails = [n for n, t in numbered if not t.reads_text and t.passes_plain("") is False]
        plain_reads = [(n, t.plain_check()) for n, t in numbered if t.reads_text]
        cache: dict[str, tuple[int, ...]] = {}  # value text -> tests it fails (IRIs, typed literals)
        add = self._failures.add

        def watch(subject: int, text: str) -> None:
            if text[-1] == '"' and text[0] == '"':  # a plain literal: no rdflib term needed
                for number in plain_fails:
                    add((number, subject, text))
                if plain_reads:
                    lexical = unescape(text[1:-1])
                    for number, check in plain_reads:
                        if not check(lexical):
                            add((number, subject, text))
                return
            failed = cache.get(text)
            if failed is None:
                term = to_rdflib(text)
                failed = cache[text] = tuple(number for number, test in numbered if test.passes(term) is False)
            for number in failed:
                add((number, subject, text))

        return watch

    def needs_store(self) -> bool:
        """Whether some SPARQL constraint has no compiled equivalent (and must run on the store)."""
        return any((str(c.iri), c.fingerprint) not in EQUIVALENTS for shape in self.node_shapes for c in shape.sparql)

    def keep_literals(self) -> set[str]:
        """Predicates whose literals the SPARQL equivalents compare or report (numbered by the reader)."""
        return {f"<{LIN}inDefaultLineage>", f"<{LIN}releaseDate>", *JOINED}

    # -- validating ----------------------------------------------------------------------------

    def validate(self, facts: Facts, store=None, graphs: Iterable[str] = ()) -> list[Found]:
        """Every validation result, as pyshacl would give it for the same triples.

        ``store`` and ``graphs`` (a pyoxigraph Store and the named graphs of the asserted triples)
        are needed only for SPARQL constraints without an equivalent here."""
        view = _View(facts)
        found: list[Found] = []
        failures: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for number, subject, text in self._failures:
            failures[id(self._tests[number][0])].append((subject, text))
        with quiet():
            for shape in self.node_shapes:
                focus = view.instances(shape.targets)
                if not len(focus):
                    continue
                in_focus = view.mask(focus)
                for prop in shape.properties:
                    found += self._check_property(view, prop, focus, in_focus, failures[id(prop)])
                for constraint in shape.sparql:
                    found += self._check_sparql(view, constraint, focus, in_focus, store, list(graphs))
        return found

    def _check_property(
        self, view: _View, prop: PropertyShape, focus: np.ndarray, in_focus: np.ndarray, failures: list[tuple[int, str]]
    ) -> list[Found]:
        facts = view.facts
        message = prop.messages[0] if prop.messages else "constraint not met"

        def result(node: int, value: str | None) -> Found:
            return Found(facts.text(node), prop.iri, prop.iri, prop.path, value, message, prop.severity)

        out: list[Found] = []
        pairs = view.pairs(prop.path)
        if prop.min_count is not None or prop.max_count is not None:
            counts = _distinct_counts(pairs, focus, len(facts.terms), prop.min_count, prop.max_count)
            if prop.min_count is not None:
                out += [result(n, None) for n in focus[counts < prop.min_count].tolist()]
            if prop.max_count is not None:
                out += [result(n, None) for n in focus[counts > prop.max_count].tolist()]
        out += [result(subject, text) for subject, text in failures if in_focus[subject]]
        deferred = [t for t in prop.tests if t.needs_types]
        if deferred and len(pairs):
            rows = pairs[in_focus[pairs[:, 0]] & (pairs[:, 1] >= 0)]
            rows = distinct_rows(rows)
            rows = rows[~view.literal[rows[:, 1]]]  # literals were checked as they streamed in
            for test in deferred:  # one result per failing constraint, as pyshacl gives
                failed = ~view.passing(test, rows[:, 1])
                out += [result(subject, facts.text(obj)) for subject, obj in rows[failed].tolist()]
        return out

    def _check_sparql(
        self, view, constraint: SparqlConstraint, focus: np.ndarray, in_focus: np.ndarray, store, graphs
    ) -> list[Found]:
        equivalent = EQUIVALENTS.get((str(constraint.iri), constraint.fingerprint))
        if equivalent is not None:
            rows = equivalent(view, focus)
        elif store is None:
            raise UnsupportedShape(
                f"{constraint.iri.n3()} has no compiled equivalent (new or edited): it needs the Oxigraph store"
            )
        else:
            rows = [r for r in run_as_written(store, graphs, constraint) if view.number(r["this"]) in focus]
        out = []
        for row in _distinct(rows):
            message = constraint.messages[0] if constraint.messages else "constraint not met"
            message = substitute(message, row)
            value = row.get("value", row["this"])
            out.append(
                Found(
                    row["this"],
                    constraint.node_shape,
                    constraint.iri,
                    row.get("path"),
                    value,
                    message,
                    constraint.severity,
                )
            )
        return out

    def violations(self, found: list[Found], facts: Facts) -> list[Violation]:
        """The results as ``kg.Violation`` objects (names as ``lineage check`` prints them)."""
        names = Graph()
        bind_prefixes(names)
        names.bind("linsh", SHAPES_NS)
        files = _first_files(facts)

        def text(term: str | None) -> str | None:
            if term is None:
                return None
            with quiet():
                node = to_rdflib(term)
            return names.namespace_manager.normalizeUri(node) if isinstance(node, URIRef) else str(node)

        out = []
        for f in found:
            focus_id = facts.find(f.focus)
            out.append(
                Violation(
                    focus=text(f.focus) or "?",
                    path=text(f.path),
                    message=f.message,
                    shape=text(to_ntriples(f.shape)) or "?",
                    rule=text(to_ntriples(f.rule)) or "?",
                    severity=f.severity,
                    value=text(f.value),
                    file=str(files(focus_id)) if focus_id is not None and files(focus_id) else None,
                )
            )
        return sorted(out, key=lambda v: (v.file or "", v.focus, v.rule, v.value or ""))


def _distinct_counts(pairs: np.ndarray, focus: np.ndarray, width: int, least, most) -> np.ndarray:
    """Distinct values per focus node. Counted fast with repeats; exactly where a verdict hangs on it."""
    if not len(pairs):
        return np.zeros(len(focus), dtype=np.int64)
    counts = np.bincount(pairs[pairs[:, 0] >= 0, 0], minlength=width)[focus]
    doubtful = (counts > 1) & (((most is not None) & (counts > (most or 0))) | ((least or 0) > 1))
    if doubtful.any():
        nodes = focus[doubtful]
        rows = distinct_rows(pairs[np.isin(pairs[:, 0], nodes)])
        exact = np.bincount(rows[:, 0], minlength=width)
        counts[doubtful] = exact[nodes]
    return counts


def _first_files(facts: Facts) -> Callable[[int], Path | None]:
    """The file in which a term was first seen (terms are numbered in reading order)."""
    bounds = facts.file_terms

    def which(number: int) -> Path | None:
        for path, end in bounds:
            if number < end:
                return path
        return None

    return which


def _ordered(nodes: Iterable[Node]) -> list[Identifier]:
    """``nodes`` sorted. A parsed graph's terms are Identifiers, which sort; rdflib types them as Node."""
    return sorted(cast("Iterable[Identifier]", nodes))


def _is_true(node) -> bool:
    return isinstance(node, Literal) and node.value is True


def _is_annotation(p: Node) -> bool:
    return str(p).startswith(
        ("http://www.w3.org/2000/01/rdf-schema#", "http://www.w3.org/2004/02/skos/core#")
    ) and p not in (RDFS.subClassOf,)


def _severity(g: Graph, node) -> str:
    severity = g.value(node, SH.severity)
    return str(severity).rsplit("#", 1)[-1] if severity is not None else "Violation"


def substitute(message: str, row: dict[str, str]) -> str:
    """pyshacl's {$var} / {?var} substitution: the term's string (an IRI, a literal's lexical form)."""
    for var, term in row.items():
        message = re.sub(f"{{[?$]{var}}}", str(to_rdflib(term)), message)
    return message


def _distinct(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    seen, out = set(), []
    for row in rows:
        key = tuple(sorted(row.items()))
        if key not in seen:
            seen.add(key)
            out.append(row)
    return out


# -- the table view the equivalents work on --------------------------------------------------------


class _View:
    """Lazily built indexes over a Facts table (asserted data and ontology together)."""

    def __init__(self, facts: Facts):
        self.facts = facts
        self.literal = np.array([t[0] == '"' for t in facts.terms], dtype=bool)
        self._instances: dict[str, np.ndarray] = {}
        self._has: dict[str, np.ndarray] = {}
        self._dense: dict[int, int] = {}
        self._default: np.ndarray | None = None
        self._lineage: tuple[np.ndarray, np.ndarray] | None = None
        self._sub: dict[str, set[int]] = {}
        self._types: dict[int, list[int]] | None = None

    def pairs(self, predicate: str) -> np.ndarray:
        """(subject, object) pairs of a predicate, as read (a triple read twice is there twice)."""
        table = self.facts.pairs.get(predicate)
        if table is None or not len(table):
            return np.zeros((0, 2), dtype=np.int64)
        return np.frombuffer(table, dtype=np.int64).reshape(-1, 2)

    def number(self, term: str) -> int:
        """A term's number; -1 (which matches nothing) when the graph does not have it."""
        found = self.facts.find(term)
        return -1 if found is None else found

    def mask(self, nodes: np.ndarray) -> np.ndarray:
        """A boolean array over term numbers, true at ``nodes`` (literals numbered by hash left out)."""
        out = np.zeros(len(self.facts.terms), dtype=bool)
        out[nodes[nodes >= 0]] = True
        return out

    def has(self, predicate: str) -> np.ndarray:
        """Mask of the subjects that have some value of ``predicate``."""
        got = self._has.get(predicate)
        if got is None:
            got = self._has[predicate] = self.mask(self.pairs(predicate)[:, 0])
        return got

    def default(self) -> np.ndarray:
        """Mask of the claims with ``lin:inDefaultLineage true``."""
        if self._default is None:
            pairs = self.pairs(f"<{LIN}inDefaultLineage>")
            self._default = self.mask(pairs[pairs[:, 1] == self.number(TRUE), 0])
        return self._default

    def triple_keys(self, subjects: np.ndarray, predicates: np.ndarray, objects: np.ndarray) -> np.ndarray:
        """One int64 per triple of term numbers (predicates numbered densely, up to 1024 of them)."""
        dense = np.array([self._dense.setdefault(p, len(self._dense)) for p in predicates.tolist()], dtype=np.int64)
        if len(self._dense) > 1024:
            raise UnsupportedShape("more than 1024 distinct properties in one lineage check")
        return (subjects * 1024 + dense) * len(self.facts.terms) + objects

    def asserted(self, subjects: np.ndarray, predicates: np.ndarray, objects: np.ndarray) -> np.ndarray:
        """Whether each triple (given as term numbers) is asserted."""
        out = np.zeros(len(subjects), dtype=bool)
        width = len(self.facts.terms)
        for predicate in np.unique(predicates).tolist():
            text = self.facts.text(predicate) if predicate >= 0 else ""
            if not text.startswith("<"):
                continue
            rows = predicates == predicate
            table = self.pairs(text)
            out[rows] = np.isin(subjects[rows] * width + objects[rows], table[:, 0] * width + table[:, 1])
        return out

    def lineage(self) -> tuple[np.ndarray, np.ndarray]:
        """The direct lineage edges (any of the ten properties) and their transitive closure."""
        if self._lineage is None:
            edges = [self.pairs(kind) for kind in LINEAGE_KINDS]
            direct = distinct_rows(np.concatenate(edges)) if edges else np.zeros((0, 2), np.int64)
            self._lineage = (direct, transitive_closure(direct))
        return self._lineage

    def passing(self, test: ValueTest, nodes: np.ndarray) -> np.ndarray:
        """Which of ``nodes`` (IRIs and blank nodes) pass a test that needs their types."""
        if test.kind == SH["class"]:
            return np.isin(nodes, self.instances([to_ntriples(test.argument)]))
        if test.kind == SH["or"]:
            ok = np.zeros(len(nodes), dtype=bool)
            for alternative in test.argument:
                ok |= np.logical_and.reduce([self.passing(t, nodes) for t in alternative], initial=True)
            return ok
        distinct, back = np.unique(nodes, return_inverse=True)
        verdicts = np.array([test.passes(to_rdflib(self.facts.text(n))) is True for n in distinct.tolist()])
        return verdicts[back] if len(distinct) else np.zeros(0, dtype=bool)

    def subclasses(self, cls: str) -> set[int]:
        """Numbers of ``cls`` and the classes below it (rdfs:subClassOf*, asserted)."""
        got = self._sub.get(cls)
        if got is None:
            start = self.facts.find(cls)
            got = set()
            if start is not None:
                below = defaultdict(list)
                for s, o in self.facts.subject_objects(SUBCLASS_OF):
                    below[o].append(s)
                got = reachable(start, lambda node: below.get(node, ()))
            self._sub[cls] = got
        return got

    def instances(self, classes: Iterable[str]) -> np.ndarray:
        """Distinct nodes typed with one of ``classes`` or a sub-class (sorted numbers)."""
        key = " ".join(sorted(classes))
        got = self._instances.get(key)
        if got is None:
            got = self._instances[key] = self._find_instances(classes)
        return got

    def _find_instances(self, classes: Iterable[str]) -> np.ndarray:
        wanted = set().union(*(self.subclasses(c) for c in classes)) if classes else set()
        types = self.pairs(RDF_TYPE)
        if not wanted or not len(types):
            return np.zeros(0, dtype=np.int64)
        return np.unique(types[np.isin(types[:, 1], list(wanted)), 0])


# -- SHACL-SPARQL: as written, on the store ---------------------------------------------------------


def run_as_written(store, graphs: list[str], constraint: SparqlConstraint) -> list[dict[str, str]]:
    """Rows of a SPARQL constraint for all its focus nodes at once, evaluated by Oxigraph.

    The focus nodes are bound by the shape's target pattern, put first in the outermost group of
    the query, so that ``$this`` is bound inside ``FILTER NOT EXISTS`` as pyshacl's pre-binding
    binds it. The default graph is the union of ``graphs`` (the asserted data and the ontology)."""
    import pyoxigraph as ox

    where = re.search(r"\bWHERE\s*\{", constraint.query, re.IGNORECASE)
    if where is None or not constraint.targets:
        raise UnsupportedShape(f"{constraint.iri.n3()}: no WHERE clause or no target to bind $this with")
    targets = " UNION ".join(f"{{ ?this a/<{RDFS.subClassOf}>* {c} }}" for c in constraint.targets)
    query = constraint.query[: where.end()] + f" {{ SELECT DISTINCT ?this WHERE {{ {targets} }} }}\n"
    query += constraint.query[where.end() :]
    default = [ox.NamedNode(iri[1:-1]) for iri in graphs]
    solutions = store.query(query, default_graph=default)
    names = [v.value for v in solutions.variables]
    return [
        {name: to_ntriples(term) for name, term in zip(names, solution, strict=True) if term is not None}
        for solution in solutions
    ]


# -- SHACL-SPARQL: the equivalents -------------------------------------------------------------------
#
# Each takes the table view and the focus nodes of its shape and returns the solution rows of its
# query (variable -> N-Triples term), as the query gives them with $this pre-bound. They work on
# whole columns with numpy: masks over term numbers, joins by sorting.

LINEAGE_KINDS = [
    f"<{LIN}{name}>"
    for name in (  # noqa: SIM905 - a vocabulary reads best as one string of names
        "descendantOf derivedFrom fineTunedFrom continuedPretrainingFrom prunedFrom upcycledFrom upscaledFrom "
        "checkpointOf quantizedFrom convertedFrom adapterOf mergedFrom improvementOf distilledFrom snapshotOf"
    ).split()
]
"""The weight lineage: lin:descendantOf and its sub-properties (cycles and dates are checked on these)."""

EDGE_KINDS = [
    *LINEAGE_KINDS,
    *(f"<{LIN}{name}>" for name in ("learnedFrom", "distillationTeacher", "usedDataGeneratedBy", "pointsTo")),
]
"""Every edge between two models that a claim must back: weights, knowledge (lin:learnedFrom), aliases."""


def _lin(name: str) -> str:
    return f"<{LIN}{name}>"


# Objects the equivalents bind and report: numbered by the reader even when they are literals.
JOINED = [*EDGE_KINDS, *(_lin(n) for n in ("claimedKind", "claimedParent", "claimedLicense", "license"))]


def expand(keys: np.ndarray, table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every object ``table`` has for each key: (index into ``keys``, object), one row per match."""
    if not len(keys) or not len(table):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    table = table[np.argsort(table[:, 0], kind="stable")]
    lo = np.searchsorted(table[:, 0], keys, side="left")
    counts = np.searchsorted(table[:, 0], keys, side="right") - lo
    index = np.repeat(np.arange(len(keys)), counts)
    offsets = np.arange(len(index)) - np.repeat(np.cumsum(counts) - counts, counts)
    return index, table[np.repeat(lo, counts) + offsets, 1]


def _rows(view: _View, **columns: np.ndarray) -> list[dict[str, str]]:
    text, names = view.facts.text, list(columns)
    values = zip(*(c.tolist() for c in columns.values()), strict=True)
    return [dict(zip(names, map(text, row), strict=True)) for row in values]


def _claims_of(view: _View) -> tuple[np.ndarray, np.ndarray]:
    """(model, claim) of every lin:hasClaim."""
    pairs = view.pairs(_lin("hasClaim"))
    return pairs[:, 0], pairs[:, 1]


def claim_attached(view: _View, focus: np.ndarray) -> list[dict[str, str]]:
    """linsh:ClaimShape-attached — no model links to the claim with lin:hasClaim."""
    _, claims = _claims_of(view)
    return _rows(view, this=focus[~view.mask(claims)[focus]])


def default_has_method(view: _View, focus: np.ndarray) -> list[dict[str, str]]:
    """linsh:LineageClaimShape-defaultHasMethod (a literal kind is not lin:descendantOf either)."""
    kinds = view.pairs(_lin("claimedKind"))
    other_kind = view.mask(kinds[kinds[:, 1] != view.number(_lin("descendantOf")), 0])
    ok = view.default()[focus] & ~view.has(_lin("method"))[focus] & other_kind[focus]
    return _rows(view, this=focus[ok])


def _claimed(view: _View, keep: np.ndarray, claimed: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(model, claim, value): each lin:hasClaim whose claim ``keep`` (a mask) holds, with each value
    of ``claimed`` on that claim."""
    models, claims = _claims_of(view)
    kept = keep[claims]
    models, claims = models[kept], claims[kept]
    at, values = expand(claims, view.pairs(claimed))
    return models[at], claims[at], values


def default_edge_asserted(view: _View, focus: np.ndarray) -> list[dict[str, str]]:
    """linsh:LineageClaimShape-defaultEdgeAsserted — rows (claim, model, kind, parent)."""
    models, claims, parents = _claimed(view, view.mask(focus) & view.default(), _lin("claimedParent"))
    at, kinds = expand(claims, view.pairs(_lin("claimedKind")))
    models, claims, parents = models[at], claims[at], parents[at]
    missing = ~view.asserted(models, kinds, parents)
    return _rows(view, this=claims[missing], model=models[missing], kind=kinds[missing], parent=parents[missing])


def _backed(view: _View, claimed: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(model, claim, value) for claims in the default lineage with a source and a quote."""
    return _claimed(view, view.default() & view.has(_lin("source")) & view.has(_lin("quote")), claimed)


def edge_backed_by_claim(view: _View, focus: np.ndarray) -> list[dict[str, str]]:
    """linsh:ModelShape-edgeBackedByClaim — rows (model, kind, parent)."""
    models, claims, parents = _backed(view, _lin("claimedParent"))
    at, kinds = expand(claims, view.pairs(_lin("claimedKind")))
    backed = view.triple_keys(models[at], kinds, parents[at])
    in_focus = view.mask(focus)
    out: list[dict[str, str]] = []
    for kind in EDGE_KINDS:
        number = view.facts.find(kind)
        edges = view.pairs(kind)
        if number is None or not len(edges):
            continue
        edges = edges[in_focus[edges[:, 0]]]
        kind_column = np.full(len(edges), number, dtype=np.int64)
        missing = ~np.isin(view.triple_keys(edges[:, 0], kind_column, edges[:, 1]), backed)
        out += _rows(view, this=edges[missing, 0], kind=kind_column[missing], parent=edges[missing, 1])
    return out


def one_parent_unless_merge(view: _View, focus: np.ndarray) -> list[dict[str, str]]:
    """linsh:LineageClaimShape-oneParentUnlessMerge — rows (claim, kind, count of distinct parents):
    a merge with fewer than two parents, any other kind with more than one."""
    kinds = view.pairs(_lin("claimedKind"))
    kinds = kinds[view.mask(focus)[kinds[:, 0]]]
    parents = np.unique(view.pairs(_lin("claimedParent")), axis=0)
    count = np.zeros(len(view.facts.terms), dtype=np.int64)
    claims, counts = np.unique(parents[:, 0], return_counts=True)
    count[claims] = counts
    kinds = np.unique(kinds, axis=0)
    n = count[kinds[:, 0]]
    merge = kinds[:, 1] == view.number(_lin("mergedFrom"))
    wrong = (n > 0) & ((merge & (n < 2)) | (~merge & (n > 1)))
    text = view.facts.text
    return [
        {"this": text(claim), "kind": text(kind), "count": f'"{number}"^^<{XSD.integer}>'}
        for claim, kind, number in zip(
            kinds[wrong, 0].tolist(), kinds[wrong, 1].tolist(), n[wrong].tolist(), strict=True
        )
    ]


def license_backed_by_claim(view: _View, focus: np.ndarray) -> list[dict[str, str]]:
    """linsh:ModelShape-licenseBackedByClaim — rows (model, licence)."""
    models, _, licences = _backed(view, _lin("claimedLicense"))
    asserted = view.pairs(_lin("license"))
    asserted = asserted[view.mask(focus)[asserted[:, 0]]]
    width = len(view.facts.terms)
    missing = ~np.isin(asserted[:, 0] * width + asserted[:, 1], models * width + licences)
    return _rows(view, this=asserted[missing, 0], license=asserted[missing, 1])


def default_license_asserted(view: _View, focus: np.ndarray) -> list[dict[str, str]]:
    """linsh:LicenseClaimShape-defaultLicenseAsserted — rows (claim, model, licence)."""
    models, claims, licences = _claimed(view, view.mask(focus) & view.default(), _lin("claimedLicense"))
    missing = ~view.asserted(models, np.full(len(models), view.number(_lin("license"))), licences)
    return _rows(view, this=claims[missing], model=models[missing], license=licences[missing])


def source_dated(view: _View, focus: np.ndarray) -> list[dict[str, str]]:
    """linsh:SourceShape-dated — no dcterms:issued, and not typed lin:ModelCard (exactly)."""
    types = view.pairs(RDF_TYPE)
    cards = view.mask(types[types[:, 1] == view.number(_lin("ModelCard")), 0])
    ok = ~view.has("<http://purl.org/dc/terms/issued>")[focus] & ~cards[focus]
    return _rows(view, this=focus[ok])


def no_cycle(view: _View, focus: np.ndarray) -> list[dict[str, str]]:
    """linsh:ModelShape-noCycle — $this edge ?parent, and ?parent edge* $this."""
    edges, closure = view.lineage()
    edges = edges[view.mask(focus)[edges[:, 0]]]
    width = len(view.facts.terms)
    back = np.isin(edges[:, 1] * width + edges[:, 0], closure[:, 0] * width + closure[:, 1])
    looped = (edges[:, 0] == edges[:, 1]) | back
    return _rows(view, this=edges[looped, 0], parent=edges[looped, 1])


def not_before_parent(view: _View, focus: np.ndarray) -> list[dict[str, str]]:
    """linsh:ModelShape-notBeforeParent — a valid xsd:date earlier than an ancestor's valid xsd:date."""
    _, closure = view.lineage()
    closure = closure[view.mask(focus)[closure[:, 0]]]
    dates = view.pairs(_lin("releaseDate"))
    dates = dates[dates[:, 1] >= 0]
    day = np.full(len(view.facts.terms), -1, dtype=np.int64)
    for literal in np.unique(dates[:, 1]).tolist():
        day[literal] = _date_value(view.facts.text(literal))
    dates = dates[day[dates[:, 1]] >= 0]
    at, mine = expand(closure[:, 0], dates)  # (this, ancestor) with each date of this
    this, ancestor = closure[at, 0], closure[at, 1]
    at, theirs = expand(ancestor, dates)  # ... with each date of the ancestor
    this, ancestor, mine = this[at], ancestor[at], mine[at]
    earlier = day[mine] < day[theirs]
    return _rows(view, this=this[earlier], date=mine[earlier], ancestor=ancestor[earlier], ancestorDate=theirs[earlier])


def _date_value(text: str) -> int:
    """The day number of an xsd:date literal rdflib reads as a date, else -1 (SPARQL's < errs: no row)."""
    import datetime as dt

    if not text.endswith(f"^^<{XSD.date}>"):
        return -1
    term = to_rdflib(text)
    if isinstance(term.value, dt.date) and not getattr(term, "ill_typed", False):
        return term.value.toordinal()
    return -1


SHAPES_NS = "https://w3id.org/model-lineage/shapes#"
Equivalent = Callable[[_View, np.ndarray], list[dict[str, str]]]
# (constraint IRI, fingerprint of its sh:select as written) -> the equivalent
EQUIVALENTS: dict[tuple[str, str], Equivalent] = {}


def register(name: str, fingerprint_: str, function: Equivalent) -> None:
    EQUIVALENTS[(SHAPES_NS + name, fingerprint_)] = function


for _name, _fingerprint, _function in (
    ("ClaimShape-attached", "7c1b42d427d42c2f", claim_attached),
    ("LicenseClaimShape-defaultLicenseAsserted", "84411a1421abf699", default_license_asserted),
    ("LineageClaimShape-defaultEdgeAsserted", "17757217b6df3349", default_edge_asserted),
    ("LineageClaimShape-defaultHasMethod", "350f657c75767c0c", default_has_method),
    ("LineageClaimShape-oneParentUnlessMerge", "1949ba0c750b4ae9", one_parent_unless_merge),
    ("ModelShape-edgeBackedByClaim", "6708530198ce5610", edge_backed_by_claim),
    ("ModelShape-licenseBackedByClaim", "681b9ed318be5723", license_backed_by_claim),
    ("ModelShape-noCycle", "c0d94e154d2b76d0", no_cycle),
    ("ModelShape-notBeforeParent", "46e30d4e81cfa289", not_before_parent),
    ("SourceShape-dated", "8974abcf269e1a43", source_dated),
):
    register(_name, _fingerprint, _function)
