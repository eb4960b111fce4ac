"""Why is one model an ancestor of another? Every chain of asserted edges, with the claims behind each hop.

Two lineages are explained apart: the weights a model inherits (``lin:descendantOf`` and its
sub-properties) and what it learned from another model's outputs (``lin:learnedFrom``: a distillation
teacher, data another model generated). The ancestor may be a family (a ``lin:ModelSeries``): then the
chains end at any of its members.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS
from rdflib.term import IdentifiedNode

from lineage.names import label, resolve
from lineage.namespaces import LIN, SCHEMA

MAX_CHAINS = 50


class NoLineage(LookupError):
    """The model does not descend from the ancestor in the default lineage."""


@dataclass
class Claim:
    iri: str
    kind: str
    parent: str
    default: bool
    confidence: str
    source: str
    source_title: str
    publisher: str
    source_date: str
    url: str
    quote: str
    date: str
    methods: list[str]
    locator: str = ""
    note: str = ""
    depends_on: list[str] = field(default_factory=list)


@dataclass
class Hop:
    child: str
    child_label: str
    parent: str
    parent_label: str
    kind: str
    methods: list[str]
    claims: list[Claim]


@dataclass
class Explanation:
    model: str
    model_label: str
    ancestor: str
    ancestor_label: str
    chains: list[list[Hop]]  # weight lineage: the model descends from the ancestor
    competing: list[Claim] = field(default_factory=list)
    learned: list[list[Hop]] = field(default_factory=list)  # knowledge lineage: it learned from the ancestor
    family: bool = False  # the ancestor is a family (series); the chains end at its members

    @property
    def descends(self) -> bool:
        return bool(self.chains)

    def to_dict(self) -> dict:
        return asdict(self)


def lineage_properties(graph: Graph, top: URIRef = LIN.descendantOf) -> set[URIRef]:
    """``top`` (weight lineage: lin:descendantOf) and every property declared (transitively) under it."""
    return {p for p in graph.transitive_subjects(RDFS.subPropertyOf, top) if isinstance(p, URIRef)}


def knowledge_properties(graph: Graph) -> set[URIRef]:
    """lin:learnedFrom and its sub-properties: the knowledge lineage, never weights."""
    return lineage_properties(graph, LIN.learnedFrom)


def parents(graph: Graph, model: URIRef, properties: set[URIRef]) -> dict[URIRef, list[URIRef]]:
    """Direct parents of ``model`` with the asserted properties that link to each."""
    found: dict[URIRef, list[URIRef]] = {}
    for prop in properties:
        for parent in graph.objects(model, prop):
            if isinstance(parent, URIRef):
                found.setdefault(parent, []).append(prop)
    return found


def most_specific(graph: Graph, props: list[URIRef]) -> URIRef:
    """Of the properties linking a hop, the one no other is a sub-property of."""
    for prop in props:
        if not any(other != prop and prop in graph.transitive_objects(other, RDFS.subPropertyOf) for other in props):
            return prop
    return props[0]


def _claim(graph: Graph, node: IdentifiedNode) -> Claim:
    source = graph.value(node, LIN.source)
    publisher = graph.value(source, LIN.publishedBy) if source is not None else None

    def text(subject, prop) -> str:
        value = graph.value(subject, prop) if subject is not None else None
        return "" if value is None else str(value)

    kind = graph.value(node, LIN.claimedKind)
    parent = graph.value(node, LIN.claimedParent)
    default = graph.value(node, LIN.inDefaultLineage)
    confidence = graph.value(node, LIN.confidence)
    return Claim(
        iri=str(node),
        kind=label(graph, kind) if kind is not None else "",
        parent=str(parent or ""),
        default=isinstance(default, Literal) and default.toPython() is True,
        confidence=label(graph, confidence) if confidence is not None else "",
        source=str(source or ""),
        source_title=text(source, DCTERMS.title),
        publisher=label(graph, publisher) if publisher is not None else "",
        source_date=text(source, DCTERMS.issued),
        url=text(source, SCHEMA.url),
        quote=text(node, LIN.quote),
        date=text(node, LIN.claimDate) or text(source, DCTERMS.issued),
        methods=sorted(label(graph, m) for m in graph.objects(node, LIN.method)),
        locator=text(node, LIN.locator),
        note=text(node, SKOS.note),
        depends_on=[
            _summary(graph, d)
            for d in sorted(graph.objects(node, LIN.dependsOn), key=str)
            if isinstance(d, IdentifiedNode)
        ],
    )


def _summary(graph: Graph, claim: IdentifiedNode) -> str:
    """One line naming a claim's edge and source: 'text-davinci-002 fine-tuned from code-davinci-002 (OpenAI, …)'."""
    child = next(graph.subjects(LIN.hasClaim, claim), None)
    kind, parent, source = (graph.value(claim, p) for p in (LIN.claimedKind, LIN.claimedParent, LIN.source))
    publisher = graph.value(source, LIN.publishedBy) if source is not None else None
    edge = " ".join(label(graph, n) for n in (child, kind, parent) if n is not None)
    return f"{edge} ({label(graph, publisher)}, {graph.value(source, DCTERMS.title)})" if source is not None else edge


def claims_about(graph: Graph, model: URIRef) -> list[Claim]:
    """Every lineage claim about ``model``, default ones first."""
    nodes = [
        c
        for c in graph.objects(model, LIN.hasClaim)
        if isinstance(c, IdentifiedNode) and graph.value(c, LIN.claimedParent) is not None
    ]
    return sorted((_claim(graph, c) for c in nodes), key=lambda c: (not c.default, c.parent, c.iri))


def explain(graph: Graph, model: str, ancestor: str) -> Explanation:
    """Every chain of asserted edges from ``model`` up to ``ancestor``, in each lineage.

    ``graph`` holds the asserted ontology and data (inferences are not needed: the chains are
    what the inferences come from). Names are resolved with :func:`lineage.names.resolve`; the
    ancestor may name a family. Raises :class:`lineage.names.UnknownName`, or :class:`NoLineage` when
    the model neither descends nor learned from the ancestor.
    """
    start, goal = resolve(graph, model), resolve(graph, ancestor, family=True)
    family = (goal, RDF.type, LIN.ModelSeries) in graph
    goals = set(graph.subjects(LIN.memberOf, goal)) | set(graph.objects(goal, LIN.hasMember)) if family else {goal}
    weights, knowledge = lineage_properties(graph), knowledge_properties(graph)
    chains = _chains(graph, start, goals, weights)
    learned = _chains(graph, start, goals, knowledge)
    goal_label = f"the {label(graph, goal)} family" if family else label(graph, goal)
    if not chains and not learned:
        raise NoLineage(
            f"{label(graph, start)} does not descend from {goal_label} in the default lineage, nor learned from it"
            + (" (they are the same model)" if start in goals else "")
        )
    hops_of = [[_hop(graph, c, p, weights) for c, p in zip(chain, chain[1:], strict=False)] for chain in chains]
    taught = [[_hop(graph, c, p, knowledge) for c, p in zip(chain, chain[1:], strict=False)] for chain in learned]
    on_chains = {hop.child for chain in hops_of + taught for hop in chain}
    competing = [
        claim for node in sorted(on_chains) for claim in claims_about(graph, URIRef(node)) if not claim.default
    ]
    return Explanation(
        str(start), label(graph, start), str(goal), goal_label, hops_of, competing, taught, family
    )


def _chains(graph: Graph, start: URIRef, goals: set, properties: set[URIRef]) -> list[list[URIRef]]:
    """Every path of asserted ``properties`` edges from ``start`` to one of ``goals`` (at most MAX_CHAINS)."""
    chains: list[list[URIRef]] = []

    def walk(node: URIRef, path: list[URIRef]) -> None:
        if len(chains) >= MAX_CHAINS:
            return
        if node in goals and len(path) > 1:
            chains.append(path)
            return
        for parent in sorted(parents(graph, node, properties)):
            if parent not in path:
                walk(parent, [*path, parent])

    walk(start, [start])
    return chains


def _hop(graph: Graph, child: URIRef, parent: URIRef, properties: set[URIRef]) -> Hop:
    kind = most_specific(graph, parents(graph, child, properties)[parent])
    claims = [c for c in claims_about(graph, child) if c.parent == str(parent) and c.default]
    methods = sorted({m for c in claims for m in c.methods})
    return Hop(str(child), label(graph, child), str(parent), label(graph, parent), label(graph, kind), methods, claims)


def format_text(explanation: Explanation) -> str:
    """The explanation as text for a terminal: the weight lineage, then the knowledge lineage."""
    e = explanation
    if e.descends:
        lines = [f"{e.model_label} descends from {e.ancestor_label}: {_count(e.chains)} of asserted edges."]
    else:
        lines = [f"{e.model_label} does not descend from {e.ancestor_label}: it inherits none of its weights."]
    lines.extend(_chain_lines(e.chains))
    if e.learned:
        lines.append("")
        lines.append(f"{e.model_label} learned from {e.ancestor_label} (knowledge lineage: trained on its outputs")
        lines.append(f"or taught by it, no weights inherited): {_count(e.learned)}.")
        lines.extend(_chain_lines(e.learned))
    if e.competing:
        lines.append("")
        lines.append("Competing claims, kept but not in the default lineage:")
        for claim in e.competing:
            lines.extend("  " + line for line in _claim_lines(claim, with_parent=True))
    return "\n".join(lines)


def _count(chains: list[list[Hop]]) -> str:
    return f"{len(chains)} chain{'s' if len(chains) != 1 else ''}"


def _chain_lines(chains: list[list[Hop]]) -> list[str]:
    lines: list[str] = []
    for number, chain in enumerate(chains, 1):
        lines.append("")
        lines.append(f"Chain {number}: " + " -> ".join([chain[0].child_label, *(hop.parent_label for hop in chain)]))
        for hop in chain:
            methods = f"; method: {', '.join(hop.methods)}" if hop.methods else ""
            lines.append(f"  {hop.child_label} --{hop.kind}--> {hop.parent_label}{methods}")
            for claim in hop.claims:
                lines.extend("    " + line for line in _claim_lines(claim))
    return lines


def _claim_lines(claim: Claim, with_parent: bool = False) -> list[str]:
    who = f"{claim.publisher}, " if claim.publisher else ""
    head = f"{claim.kind} {claim.parent.rsplit('/', 1)[-1]}: " if with_parent else ""
    lines = [f'- {head}{who}"{claim.source_title}" ({claim.date}), confidence {claim.confidence}']
    lines.append(f'  "{claim.quote}"' + (f" [{claim.locator}]" if claim.locator else ""))
    if claim.url:
        lines.append(f"  {claim.url}")
    if claim.note:
        lines.append(f"  note: {claim.note}")
    lines.extend(f"  follows from: {line}" for line in claim.depends_on)
    return lines
