"""owlrl's inferences for a big graph, computed fast: the ontology's axioms compiled to set operations.

``kg.reason`` runs owlrl over the whole graph, which takes about 6 ms a model. Here owlrl runs over
the ontology alone (a fraction of a second): that gives every schema-level inference (``scm-*``,
``cls-thing``, ``prp-ap``, ``dt-type1``) and, read back, the closed axioms the data is reasoned
with. The data (ABox) is then reasoned over by these OWL 2 RL rules, as whole tables:

===============  ==========================================================================
prp-spo1         a triple holds for every super-property (rdfs:subPropertyOf, closed)
prp-eqp1/2       … and equivalent property (owlrl's scm-eqp makes them sub-properties both ways)
prp-inv1/2       the inverse triple holds for owl:inverseOf, either way round
prp-symp         the reverse triple holds for a symmetric property
prp-trp          the transitive closure of a transitive property (lin:descendantOf, lin:ancestorOf)
prp-dom/rng      the subject and object take the domain and range classes
cax-sco/eqc      a type entails every super-class (rdfs:subClassOf, closed; owl:Thing included)
dt-diff axioms   owl:disjointWith between the OWL 2 RL datatypes the literals use
dt-not-type      an ill-typed literal of an OWL 2 RL datatype is an inconsistency, as in owlrl
===============  ==========================================================================

The sub-property, inverse and symmetry rules are compiled per property into the set of
(property, reversed?) pairs a triple reaches (:func:`Rules.reach`); transitive properties are
closed once per group of properties that feed each other (lin:descendantOf and its inverse
lin:ancestorOf share one closure, read in both directions). The result is owlrl's: the same triples,
minus what is asserted, minus triples with a literal subject, minus ``x owl:sameAs x`` and the like,
as ``kg.reason`` keeps them. ``tests/test_differential.py`` checks that on random graphs.

What the fast path does not do, it refuses (:class:`Unsupported`) rather than guess: an ontology
with axioms outside the list (property chains, keys, functional properties, restrictions, class
disjointness, owl:sameAs …) or data that states schema (a sub-class axiom, a new property type)
must be built with ``kg.build``. One difference is deliberate: a literal written ``"x"^^xsd:string``
is the same term as ``"x"`` (RDF 1.1, and Oxigraph), so it does not count as a use of xsd:string
for the datatype disjointness axioms; rdflib tells them apart.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
from owlrl.AxiomaticTriples import OWLRL_Datatypes_Disjointness
from owlrl.DatatypeHandling import AltXSDToPYTHON
from owlrl.XsdDatatypes import OWL_Datatype_Subsumptions, OWL_RL_Datatypes
from rdflib import OWL, RDF, RDFS, Graph, Literal, URIRef

from lineage.bigbuild.facts import RDF_TYPE, Facts, split_literal, to_ntriples
from lineage.build import BuildError, InconsistencyError, reason

OWL_NS = str(OWL)
# Schema vocabulary: triples with these predicates, or typing with these classes, change the rules.
SCHEMA_PREDICATES = {f"<{RDFS}{name}>" for name in ("subClassOf", "subPropertyOf", "domain", "range")} | {
    f"<{OWL_NS}{name}>"
    for name in (  # noqa: SIM905 - a vocabulary reads best as one string of names
        "equivalentClass equivalentProperty inverseOf sameAs differentFrom disjointWith propertyDisjointWith "
        "onProperty someValuesFrom allValuesFrom hasValue intersectionOf unionOf complementOf oneOf hasKey "
        "propertyChainAxiom members distinctMembers maxCardinality maxQualifiedCardinality cardinality "
        "minCardinality qualifiedCardinality minQualifiedCardinality onClass onDataRange withRestrictions "
        "datatypeComplementOf disjointUnionOf sourceIndividual assertionProperty targetIndividual targetValue"
    ).split()
}
META_CLASSES = {f"<{RDFS}Class>", f"<{RDFS}Datatype>", "<http://www.w3.org/1999/02/22-rdf-syntax-ns#Property>"} | {
    f"<{OWL_NS}{name}>"
    for name in (  # noqa: SIM905 - a vocabulary reads best as one string of names
        "Class Restriction ObjectProperty DatatypeProperty TransitiveProperty SymmetricProperty FunctionalProperty "
        "InverseFunctionalProperty IrreflexiveProperty AsymmetricProperty ReflexiveProperty AllDifferent "
        "AllDisjointClasses AllDisjointProperties NegativePropertyAssertion Nothing"
    ).split()
}
# Axioms the compiled rules do not cover (the schema may not use them).
UNSUPPORTED_TYPES = {
    OWL[name]
    for name in (  # noqa: SIM905 - a vocabulary reads best as one string of names
        "FunctionalProperty InverseFunctionalProperty IrreflexiveProperty AsymmetricProperty AllDisjointClasses "
        "AllDisjointProperties AllDifferent NegativePropertyAssertion Restriction"
    ).split()
}
UNSUPPORTED_PREDICATES = {
    OWL[name]
    for name in (  # noqa: SIM905 - a vocabulary reads best as one string of names
        "propertyChainAxiom hasKey propertyDisjointWith sameAs differentFrom intersectionOf unionOf complementOf "
        "oneOf someValuesFrom allValuesFrom hasValue maxCardinality maxQualifiedCardinality disjointUnionOf"
    ).split()
}
TAUTOLOGIES = {OWL.sameAs, OWL.equivalentClass, OWL.equivalentProperty, RDFS.subClassOf, RDFS.subPropertyOf}
RL_DATATYPES = {str(d) for d in OWL_RL_Datatypes}


class Unsupported(BuildError):
    """The ontology or the data uses something the fast path does not compile; use ``kg.build``."""


State = tuple[str, bool]  # (property in N-Triples form, reversed?)
T = TypeVar("T")


def _n3(term) -> str:
    return to_ntriples(term)


def reachable(start: T, successors: Callable[[T], Iterable[T]]) -> set[T]:
    """``start`` and every node reachable from it by ``successors`` (a depth-first walk)."""
    seen, todo = {start}, [start]
    while todo:
        for nxt in successors(todo.pop()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


@dataclass
class Rules:
    """The ontology's axioms, closed by owlrl and compiled for the data."""

    schema_inferred: Graph  # what owlrl infers from the ontology alone (kg.reason of it)
    ontology_datatypes: set[str]  # OWL 2 RL datatypes the ontology's literals use (rdflib's view)
    sup: dict[str, set[str]] = field(default_factory=dict)  # property -> super-properties (with itself)
    inverse: dict[str, set[str]] = field(default_factory=dict)
    symmetric: set[str] = field(default_factory=set)
    transitive: set[str] = field(default_factory=set)
    domain: dict[str, set[str]] = field(default_factory=dict)  # property -> classes (closed upwards)
    range: dict[str, set[str]] = field(default_factory=dict)
    superclasses: dict[str, set[str]] = field(default_factory=dict)  # class -> super-classes (with itself)

    @classmethod
    def compile(cls, ontology: Graph) -> Rules:
        """Close ``ontology`` with owlrl and read the rules off the closure."""
        for p in UNSUPPORTED_PREDICATES:
            if (None, p, None) in ontology:
                raise Unsupported(f"the ontology uses {p.n3()}, which the fast build does not compile")
        for t in UNSUPPORTED_TYPES:
            if (None, RDF.type, t) in ontology:
                raise Unsupported(f"the ontology declares an {t.n3()}, which the fast build does not compile")
        for c1, c2 in ontology.subject_objects(OWL.disjointWith):
            if str(c1) not in RL_DATATYPES:
                raise Unsupported(f"the ontology makes {c1.n3()} disjoint with {c2.n3()}: use kg.build")
        inferred = reason(ontology)
        schema = Graph()
        schema += ontology
        schema += inferred
        used = {str(o.datatype) for o in ontology.objects() if isinstance(o, Literal) and o.datatype}
        rules = cls(inferred, used & RL_DATATYPES)
        for s, o in schema.subject_objects(RDFS.subPropertyOf):
            rules.sup.setdefault(_n3(s), {_n3(s)}).add(_n3(o))
        for s, o in schema.subject_objects(OWL.equivalentProperty):
            rules.sup.setdefault(_n3(s), {_n3(s)}).add(_n3(o))
            rules.sup.setdefault(_n3(o), {_n3(o)}).add(_n3(s))
        for s, o in schema.subject_objects(OWL.inverseOf):
            rules.inverse.setdefault(_n3(s), set()).add(_n3(o))
            rules.inverse.setdefault(_n3(o), set()).add(_n3(s))
        rules.symmetric = {_n3(s) for s in schema.subjects(RDF.type, OWL.SymmetricProperty)}
        rules.transitive = {_n3(s) for s in schema.subjects(RDF.type, OWL.TransitiveProperty)}
        for s, o in schema.subject_objects(RDFS.subClassOf):
            rules.superclasses.setdefault(_n3(s), {_n3(s)}).add(_n3(o))
        for s, o in schema.subject_objects(OWL.equivalentClass):
            rules.superclasses.setdefault(_n3(s), {_n3(s)}).add(_n3(o))
            rules.superclasses.setdefault(_n3(o), {_n3(o)}).add(_n3(s))
        for c in list(rules.superclasses):  # owlrl closes sub-classes already; make sure
            rules.superclasses[c] = rules._close(c, rules.superclasses)
        for prop in list(rules.sup):
            rules.sup[prop] = rules._close(prop, rules.sup)
        for predicate, target in ((RDFS.domain, rules.domain), (RDFS.range, rules.range)):
            for s, o in schema.subject_objects(predicate):
                target.setdefault(_n3(s), set()).update(rules.superclasses.get(_n3(o), {_n3(o)}))
        return rules

    @staticmethod
    def _close(start: str, edges: dict[str, set[str]]) -> set[str]:
        return reachable(start, lambda node: edges.get(node, ()))

    # -- compiled per property ----------------------------------------------------------------

    def _next(self, state: State) -> Iterator[State]:
        prop, flipped = state
        for q in self.sup.get(prop, ()):
            yield q, flipped
        for q in self.inverse.get(prop, ()):
            yield q, not flipped
        if prop in self.symmetric:
            yield prop, not flipped

    def reach(self, prop: str, *, through_transitive: bool = True) -> set[State]:
        """Every (property, reversed?) a triple of ``prop`` entails, itself included.

        With ``through_transitive=False`` the search stops at transitive properties other than
        ``prop`` (they are reached, not expanded): their closure is computed, and expanded, apart."""
        start: State = (prop, False)

        def successors(state: State) -> Iterable[State]:
            if not through_transitive and state[0] in self.transitive and state != start:
                return ()
            return self._next(state)

        return reachable(start, successors)

    def has_rules(self, prop: str) -> bool:
        return (
            len(self.reach(prop)) > 1
            or prop in self.transitive
            or any(q in self.domain or q in self.range for q, _ in self.reach(prop))
        )

    def derived_predicates(self, predicates: Iterable[str]) -> set[str]:
        """Properties the rules can conclude from triples of ``predicates``."""
        out: set[str] = set()
        for p in predicates:
            out |= {q for q, _ in self.reach(p)}
        return out

    def literal_predicates(self, predicates: Iterable[str]) -> set[str]:
        """Predicates whose literal objects the closure copies or compares (to be numbered)."""
        out: set[str] = set()
        for p in predicates:
            reached = self.reach(p)
            if len(reached) > 1:
                out |= {q for q, _ in reached}
        return out

    def lineage_scope(
        self, root: str = "<https://w3id.org/model-lineage/ontology#descendantOf>"
    ) -> tuple[set[str], set[str]]:
        """The lineage properties — ``root``, its sub-properties and every property their triples
        entail (the inverse lin:ancestorOf, the PROV-O, schema.org and FAIR4ML super-properties) —
        and the classes their domains and ranges give (lin:DerivedModel …, with super-classes)."""
        subs = {p for p, ups in self.sup.items() if root in ups} | {root}
        properties = {q for p in subs for q, _ in self.reach(p)}
        classes = set().union(*(self.domain.get(q, set()) | self.range.get(q, set()) for q in properties))
        return properties, classes

    def check(self, facts: Facts) -> None:
        """Refuse data that states schema (it would change the rules)."""
        for predicate in facts.pairs:
            if facts.count(predicate) > facts.ontology_pairs.get(predicate, 0) and predicate in SCHEMA_PREDICATES:
                raise Unsupported(
                    f"the data uses {predicate}, a schema axiom the fast build cannot honour: use kg.build"
                )
        types = {o for _, o in facts.subject_objects(RDF_TYPE, data_only=True)}
        for o in types:
            text = facts.text(o) if o >= 0 else ""
            if text in META_CLASSES or text[1:-1] in RL_DATATYPES:
                raise Unsupported(f"the data types a resource as {text}, which the fast build cannot honour")


# -- the closure -----------------------------------------------------------------------------------


def _pairs(facts: Facts, predicate: str) -> np.ndarray:
    """The data's (subject, object) pairs of a predicate, as an (n, 2) array (the ontology's left out)."""
    table = facts.pairs.get(predicate)
    if table is None:
        return np.zeros((0, 2), dtype=np.int64)
    start = 2 * facts.ontology_pairs.get(predicate, 0)
    return np.frombuffer(table, dtype=np.int64)[start:].reshape(-1, 2)


def distinct_rows(pairs: np.ndarray) -> np.ndarray:
    """The distinct rows of an (n, 2) array, sorted (faster than ``np.unique(axis=0)``)."""
    if len(pairs) < 2:
        return pairs.copy()
    ordered = pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]
    keep = np.ones(len(ordered), dtype=bool)
    keep[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    return ordered[keep]


def _orient(pairs: np.ndarray, flipped: bool) -> np.ndarray:
    return pairs[:, ::-1] if flipped else pairs


def transitive_closure(pairs: np.ndarray) -> np.ndarray:
    """Every (x, z) with a path of one or more edges from x to z (cycles give (x, x))."""
    if len(pairs) == 0:
        return pairs
    successors: dict[int, list[int]] = defaultdict(list)
    for s, o in pairs.tolist():
        successors[s].append(o)
    out_s: list[int] = []
    out_o: list[int] = []
    for start, first in successors.items():
        seen = set(first)
        todo = deque(first)
        while todo:
            for nxt in successors.get(todo.popleft(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        out_s.extend([start] * len(seen))
        out_o.extend(seen)
    return np.column_stack([np.array(out_s, dtype=np.int64), np.array(out_o, dtype=np.int64)])


@dataclass
class Inferred:
    """The inferred triples, as N-Triples terms: per property (subject, object) number pairs, types
    as (node, class) pairs, and the schema-level triples as text."""

    facts: Facts
    properties: dict[str, np.ndarray]
    types: dict[str, np.ndarray]  # class -> nodes
    schema_lines: list[str]

    def __len__(self) -> int:
        return (
            sum(len(p) for p in self.properties.values())
            + sum(len(n) for n in self.types.values())
            + len(self.schema_lines)
        )

    def lines(self) -> Iterator[str]:
        """Each inferred triple as an N-Triples line (``s p o .\\n``)."""
        terms = self.facts.terms
        yield from self.schema_lines
        for prop, pairs in self.properties.items():
            for s, o in pairs.tolist():
                yield f"{terms[s]} {prop} {terms[o]} .\n"
        for cls, nodes in self.types.items():
            for s in nodes.tolist():
                yield f"{terms[s]} {RDF_TYPE} {cls} .\n"

    def graph(self) -> Graph:
        """The inferred triples as an rdflib graph (for tests and small graphs)."""
        return Graph().parse(data="".join(self.lines()), format="nt")


def _key(pairs: np.ndarray, width: int) -> np.ndarray:
    return pairs[:, 0] * width + pairs[:, 1]


def materialise(rules: Rules, facts: Facts, *, scope: tuple[set[str], set[str]] | None = None) -> Inferred:
    """owlrl's inferences for the ontology and data in ``facts`` (see the module docstring).

    ``scope`` (properties, classes), as :meth:`Rules.lineage_scope` gives, keeps only the triples of
    those properties and the typings with those classes (and owlrl's schema-level inferences)."""
    rules.check(facts)
    check_literals(facts)
    width = max(len(facts.terms), 1)
    predicates = [p for p in facts.pairs if facts.count(p) > facts.ontology_pairs.get(p, 0) and p != RDF_TYPE]
    closures = _transitive_closures(rules, facts, predicates)
    contributions = _contributions(rules, facts, predicates, closures)
    literal = np.zeros(width, dtype=bool)
    literal[[i for i, t in enumerate(facts.terms) if t[0] == '"']] = True
    properties, everything = _property_facts(facts, predicates, contributions, literal)
    if scope is not None:  # typings that the lineage triples entail, and no others
        everything = {q: p for q, p in everything.items() if q in scope[0]}
    types = _types(rules, facts, everything, literal, from_asserted_types=scope is None)
    schema_lines = _schema_lines(rules, facts)
    _drop_known(facts, properties, types, set(schema_lines))
    if scope is not None:
        properties = {q: p for q, p in properties.items() if q in scope[0]}
    return Inferred(
        facts, {q: p for q, p in properties.items() if len(p)}, {c: n for c, n in types.items() if len(n)}, schema_lines
    )


def _transitive_closures(rules: Rules, facts: Facts, predicates: list[str]) -> dict[str, np.ndarray]:
    """The closed pairs of every transitive property: the ones that feed each other are grouped,
    and each group is closed once (upstream groups first, so their closures feed the later ones)."""
    feeds = {
        t: {s for s in rules.reach(t, through_transitive=False) if s[0] in rules.transitive} for t in rules.transitive
    }
    closures: dict[str, np.ndarray] = {}
    for group in _groups(rules.transitive, feeds):
        rep = min(group)
        orientation = {s[0]: s[1] for s in rules.reach(rep) if s[0] in group}  # member -> flipped from rep
        symmetric_group = any((m, not f) in rules.reach(rep) for m, f in orientation.items())
        base: list[np.ndarray] = []
        for p in predicates:
            for q, flipped in rules.reach(p, through_transitive=False):
                if q in group:
                    base.append(_orient(_pairs(facts, p), flipped ^ orientation[q]))
        for t, closed in closures.items():
            for q, flipped in feeds[t]:
                if q in group:
                    base.append(_orient(closed, flipped ^ orientation[q]))
        edges = np.concatenate(base) if base else np.zeros((0, 2), dtype=np.int64)
        if symmetric_group:
            edges = np.concatenate([edges, edges[:, ::-1]])
        closed = transitive_closure(distinct_rows(edges))
        for member, flipped in orientation.items():
            closures[member] = _orient(closed, flipped)
    return closures


def _contributions(
    rules: Rules, facts: Facts, predicates: list[str], closures: dict[str, np.ndarray]
) -> dict[str, list[np.ndarray]]:
    """Every property fact, by property: from the data's triples, and from the transitive closures."""
    contributions: dict[str, list[np.ndarray]] = defaultdict(list)
    for p in predicates:
        pairs = _pairs(facts, p)
        for q, flipped in rules.reach(p, through_transitive=False):
            if q not in rules.transitive and (q, flipped) != (p, False):
                contributions[q].append(_orient(pairs, flipped))
    for t, closed in closures.items():
        contributions[t].append(closed)
        for q, flipped in rules.reach(t, through_transitive=False):
            if q not in rules.transitive:
                contributions[q].append(_orient(closed, flipped))
    return contributions


def _property_facts(
    facts: Facts, predicates: list[str], contributions: dict[str, list[np.ndarray]], literal: np.ndarray
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The new property facts (not asserted, not about literals), and every property fact, asserted
    or inferred (for domains and ranges), each by property."""
    width = max(len(facts.terms), 1)
    properties: dict[str, np.ndarray] = {}
    everything: dict[str, np.ndarray] = {p: _pairs(facts, p) for p in predicates}
    for q, parts in contributions.items():
        pairs = distinct_rows(np.concatenate(parts))
        pairs = pairs[pairs[:, 0] >= 0]  # a literal numbered by hash cannot be a subject: dropped anyway
        if (pairs[:, 1] < 0).any():
            raise RuntimeError(f"the literals the closure copies to {q} were not kept (Facts.keep_literals)")
        everything[q] = np.concatenate([everything[q], pairs]) if q in everything else pairs
        if q in facts.pairs:
            asserted = np.frombuffer(facts.pairs[q], dtype=np.int64).reshape(-1, 2)
            pairs = pairs[~np.isin(_key(pairs, width), _key(asserted, width))]
        pairs = pairs[~literal[pairs[:, 0]]]
        if len(pairs):
            properties[q] = pairs
    return properties, everything


def _drop_known(facts: Facts, properties: dict[str, np.ndarray], types: dict[str, np.ndarray], known: set[str]) -> None:
    """Leave out facts about ontology terms that owlrl's schema inferences already hold."""
    if not known:
        return
    limit, terms = facts.ontology_terms, facts.terms
    for q, pairs in properties.items():
        rows = np.flatnonzero(pairs[:, 0] < limit)
        drop = [i for i in rows.tolist() if f"{terms[pairs[i, 0]]} {q} {terms[pairs[i, 1]]} .\n" in known]
        if drop:
            properties[q] = np.delete(pairs, drop, axis=0)
    for cls, nodes in types.items():
        rows = np.flatnonzero(nodes < limit)
        drop = [i for i in rows.tolist() if f"{terms[nodes[i]]} {RDF_TYPE} {cls} .\n" in known]
        if drop:
            types[cls] = np.delete(nodes, drop)


def _groups(transitive: set[str], feeds: dict[str, set[State]]) -> list[set[str]]:
    """Transitive properties in groups that feed each other, upstream groups first."""
    reaches = {t: {q for q, _ in feeds[t]} for t in transitive}
    closed = {t: Rules._close(t, reaches) for t in transitive}
    groups: list[set[str]] = []
    for t in sorted(transitive):
        if any(t in g for g in groups):
            continue
        groups.append({u for u in transitive if u in closed[t] and t in closed[u]})
    # upstream first: a group that reaches another comes before it
    groups.sort(key=lambda g: -len(set().union(*(closed[t] for t in g))))
    return groups


def _types(
    rules: Rules, facts: Facts, everything: dict[str, np.ndarray], literal: np.ndarray, *, from_asserted_types: bool
) -> dict[str, np.ndarray]:
    """rdf:type triples from domains, ranges and super-classes, minus the asserted ones."""
    classes = sorted(
        set().union(*rules.superclasses.values(), *rules.domain.values(), *rules.range.values())
        if (rules.superclasses or rules.domain or rules.range)
        else set()
    )
    if not classes:
        return {}
    bit = {c: i for i, c in enumerate(classes)}
    words = (len(classes) + 63) // 64
    width = max(len(facts.terms), 1)

    def mask(cs: Iterable[str]) -> np.ndarray:
        out = np.zeros(words, dtype=np.uint64)
        for c in cs:
            out[bit[c] // 64] |= np.uint64(1) << np.uint64(bit[c] % 64)
        return out

    derived = np.zeros((width, words), dtype=np.uint64)
    asserted = np.zeros((width, words), dtype=np.uint64)
    for prop, pairs in everything.items():
        if len(pairs) == 0:
            continue
        for end, classes_of in ((0, rules.domain), (1, rules.range)):
            got = classes_of.get(prop)
            if got:
                nodes = pairs[:, end]
                nodes = nodes[nodes >= 0]
                derived[nodes] |= mask(got)
    type_table = facts.pairs.get(RDF_TYPE)
    if type_table is not None:
        all_types = np.frombuffer(type_table, dtype=np.int64).reshape(-1, 2)
        data_start = facts.ontology_pairs.get(RDF_TYPE, 0)
        for cls_id in np.unique(all_types[:, 1]).tolist():
            text = facts.text(cls_id) if cls_id >= 0 else ""
            rows = all_types[all_types[:, 1] == cls_id]
            if text in bit:
                asserted[rows[:, 0]] |= mask([text])
            ups = rules.superclasses.get(text) if from_asserted_types else None
            if ups:
                data_rows = np.flatnonzero(all_types[:, 1] == cls_id)
                data_rows = data_rows[data_rows >= data_start]
                derived[all_types[data_rows, 0]] |= mask(ups)
    # super-classes of the derived types
    for cls in classes:
        ups = rules.superclasses.get(cls)
        if not ups or len(ups) == 1:
            continue
        b = bit[cls]
        has = (derived[:, b // 64] >> np.uint64(b % 64)) & np.uint64(1)
        derived[has.astype(bool)] |= mask(ups)
    new = derived & ~asserted
    new[literal[: len(new)]] = 0
    out: dict[str, np.ndarray] = {}
    for cls in classes:
        b = bit[cls]
        nodes = np.flatnonzero((new[:, b // 64] >> np.uint64(b % 64)) & np.uint64(1))
        if len(nodes):
            out[cls] = nodes.astype(np.int64)
    return out


def _schema_lines(rules: Rules, facts: Facts) -> list[str]:
    """owlrl's inferences from the ontology alone, and the datatype axioms the data's literals add."""
    lines = []
    for subject, predicate, obj in rules.schema_inferred:
        if subject == obj and predicate in TAUTOLOGIES:
            continue
        lines.append(f"{_n3(subject)} {_n3(predicate)} {_n3(obj)} .\n")
    used = set(rules.ontology_datatypes)
    for datatype in {dt for dt in facts.datatypes if dt in RL_DATATYPES}:
        used.add(datatype)
        used.update(str(d) for d in OWL_Datatype_Subsumptions.get(URIRef(datatype), ()))
    for left, predicate, right in OWLRL_Datatypes_Disjointness:
        if str(left) in used and str(right) in used:
            lines.append(f"{_n3(left)} {_n3(predicate)} {_n3(right)} .\n")
    # leave out what the data asserts
    width = max(len(facts.terms), 1)
    wanted: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    for line in set(lines):
        s, p, o = line[:-3].split(" ", 2)
        s_id, o_id = facts.find(s), facts.find(o)
        if s_id is not None and o_id is not None and p in facts.pairs:
            wanted[p].append((line, s_id, o_id))
    asserted: set[str] = set()
    for p, candidates in wanted.items():
        table = np.frombuffer(facts.pairs[p], dtype=np.int64).reshape(-1, 2)
        keys = np.array([s * width + o for _, s, o in candidates], dtype=np.int64)
        found = np.isin(keys, _key(table, width))
        asserted.update(line for (line, _, _), hit in zip(candidates, found.tolist(), strict=True) if hit)
    return sorted(set(lines) - asserted)


def check_literals(facts: Facts) -> None:
    """owlrl's dt-not-type: a literal of an OWL 2 RL datatype whose text is not of that datatype."""
    errors = []
    for text in sorted(facts.typed_literals):
        lexical, _, datatype = split_literal(text)
        if datatype not in RL_DATATYPES:
            continue
        converter = AltXSDToPYTHON.get(URIRef(datatype))
        if converter is None:
            continue
        try:
            converter(lexical)
        except ValueError:
            errors.append(f"Lexical value of the literal '{lexical}' does not match its datatype ({datatype})")
    if errors:
        raise InconsistencyError("OWL-RL reasoning found the graph inconsistent:\n  " + "\n  ".join(sorted(errors)))
