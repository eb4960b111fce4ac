"""Why is one model an ancestor of another? Every chain of asserted edges, with the claims behind each hop."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from rdflib import RDFS, Graph, URIRef
from rdflib.namespace import DCTERMS, SKOS

from .names import label, resolve
from .namespaces import LIN, SCHEMA

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
    chains: list[list[Hop]]
    competing: list[Claim] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def lineage_properties(graph: Graph) -> set[URIRef]:
    """lin:descendantOf and every property declared (transitively) a sub-property of it."""
    return {p for p in graph.transitive_subjects(RDFS.subPropertyOf, LIN.descendantOf) if isinstance(p, URIRef)}


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


def _claim(graph: Graph, node: URIRef) -> Claim:
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
        default=default is not None and default.toPython() is True,
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
        depends_on=[_summary(graph, d) for d in sorted(graph.objects(node, LIN.dependsOn))],
    )


def _summary(graph: Graph, claim: URIRef) -> str:
    """One line naming a claim's edge and source: 'text-davinci-002 fine-tuned from code-davinci-002 (OpenAI, …)'."""
    child = next(graph.subjects(LIN.hasClaim, claim), None)
    kind, parent, source = (graph.value(claim, p) for p in (LIN.claimedKind, LIN.claimedParent, LIN.source))
    publisher = graph.value(source, LIN.publishedBy) if source is not None else None
    edge = " ".join(label(graph, n) for n in (child, kind, parent) if n is not None)
    return f"{edge} ({label(graph, publisher)}, {graph.value(source, DCTERMS.title)})" if source is not None else edge


def claims_about(graph: Graph, model: URIRef) -> list[Claim]:
    """Every lineage claim about ``model``, default ones first."""
    nodes = [c for c in graph.objects(model, LIN.hasClaim) if graph.value(c, LIN.claimedParent) is not None]
    return sorted((_claim(graph, c) for c in nodes), key=lambda c: (not c.default, c.parent, c.iri))


def explain(graph: Graph, model: str, ancestor: str) -> Explanation:
    """Every chain of asserted lineage edges from ``model`` up to ``ancestor``.

    ``graph`` holds the asserted ontology and data (inferences are not needed: the chains are
    what the inferences come from). Names are resolved with :func:`server.names.resolve`.
    Raises :class:`server.names.UnknownName` or :class:`NoLineage`.
    """
    start, goal = resolve(graph, model), resolve(graph, ancestor)
    properties = lineage_properties(graph)
    chains: list[list[URIRef]] = []

    def walk(node: URIRef, path: list[URIRef]) -> None:
        if len(chains) >= MAX_CHAINS:
            return
        if node == goal and len(path) > 1:
            chains.append(path)
            return
        for parent in sorted(parents(graph, node, properties)):
            if parent not in path:
                walk(parent, [*path, parent])

    walk(start, [start])
    if not chains:
        raise NoLineage(
            f"{label(graph, start)} does not descend from {label(graph, goal)} in the default lineage"
            + (" (they are the same model)" if start == goal else "")
        )
    hops_of = [[_hop(graph, c, p, properties) for c, p in zip(chain, chain[1:], strict=False)] for chain in chains]
    on_chains = {hop.child for chain in hops_of for hop in chain}
    competing = [
        claim for node in sorted(on_chains) for claim in claims_about(graph, URIRef(node)) if not claim.default
    ]
    return Explanation(str(start), label(graph, start), str(goal), label(graph, goal), hops_of, competing)


def _hop(graph: Graph, child: URIRef, parent: URIRef, properties: set[URIRef]) -> Hop:
    kind = most_specific(graph, parents(graph, child, properties)[parent])
    claims = [c for c in claims_about(graph, child) if c.parent == str(parent) and c.default]
    methods = sorted({m for c in claims for m in c.methods})
    return Hop(str(child), label(graph, child), str(parent), label(graph, parent), label(graph, kind), methods, claims)


def format_text(explanation: Explanation) -> str:
    """The explanation as text for a terminal."""
    lines = [
        f"{explanation.model_label} descends from {explanation.ancestor_label}: "
        f"{len(explanation.chains)} chain{'s' if len(explanation.chains) != 1 else ''} of asserted edges."
    ]
    for number, chain in enumerate(explanation.chains, 1):
        lines.append("")
        lines.append(f"Chain {number}: " + " -> ".join([chain[0].child_label, *(hop.parent_label for hop in chain)]))
        for hop in chain:
            methods = f"; method: {', '.join(hop.methods)}" if hop.methods else ""
            lines.append(f"  {hop.child_label} --{hop.kind}--> {hop.parent_label}{methods}")
            for claim in hop.claims:
                lines.extend("    " + line for line in _claim_lines(claim))
    if explanation.competing:
        lines.append("")
        lines.append("Competing claims, kept but not in the default lineage:")
        for claim in explanation.competing:
            lines.extend("  " + line for line in _claim_lines(claim, with_parent=True))
    return "\n".join(lines)


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
