"""What the graph covers: its models (filtered by developer or family), and the counts that sum it up.

The same lists for ``lineage models``, the ``/models`` page and the home page's coverage line.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from rdflib import RDF, RDFS, Graph, URIRef

from lineage.names import Names, label, slug
from lineage.namespaces import LIN

STATUS = {
    LIN.BaseModel: "trained from scratch",
    LIN.UndisclosedLineageModel: "lineage undisclosed",
    LIN.UnidentifiedModel: "unidentified",
    LIN.ModelAlias: "alias",
}
"""How a model's lineage stands, by its most telling class (else: derived, or no parent recorded)."""


@dataclass
class ModelRow:
    iri: str
    slug: str
    label: str
    model_id: str
    developers: list[str]
    families: list[str]
    release: str
    status: str
    parents: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Coverage:
    models: int  # models a source identifies (unidentified parents and aliases not counted)
    developers: int
    families: int
    claims: int
    sources: int
    newest_release: str
    newest_models: list[str] = field(default_factory=list)
    oldest_release: str = ""

    def to_dict(self) -> dict:
        return asdict(self)

    def sentence(self) -> str:
        return (
            f"{self.models} models from {self.developers} developers in {self.families} families, released "
            f"{self.oldest_release[:4]}–{self.newest_release[:4]} (newest: {', '.join(self.newest_models)}, "
            f"{self.newest_release}); {self.claims} claims from {self.sources} sources."
        )


def _instances(graph: Graph, cls: URIRef) -> set[URIRef]:
    classes = set(graph.transitive_subjects(RDFS.subClassOf, cls))
    return {s for c in classes for s in graph.subjects(RDF.type, c) if isinstance(s, URIRef)}


def _status(graph: Graph, model: URIRef, weight: set[URIRef]) -> tuple[str, int]:
    parents = {o for p in weight for o in graph.objects(model, p)}
    for cls, text in STATUS.items():
        if (model, RDF.type, cls) in graph:
            return text, len(parents)
    return ("derived" if parents else "no parent recorded"), len(parents)


def models(graph: Graph, *, developer: str | None = None, family: str | None = None) -> list[ModelRow]:
    """Every model of ``graph`` (the asserted graph), by label; ``developer`` and ``family`` are names
    the resolver knows (``meta-ai``, ``Meta AI``; ``llama-3.1``, ``Llama 3.1``) and filter the list.

    Raises :class:`lineage.names.UnknownName` for a developer or family it does not know."""
    names = Names.of(graph)
    org = names.resolve(developer, "org") if developer else None
    series = names.resolve(family, "series") if family else None
    weight = {p for p in graph.transitive_subjects(RDFS.subPropertyOf, LIN.descendantOf) if isinstance(p, URIRef)}
    rows = []
    for model in _instances(graph, LIN.Model):
        developers = sorted(o for o in graph.objects(model, LIN.developedBy) if isinstance(o, URIRef))
        families = sorted(o for o in graph.objects(model, LIN.memberOf) if isinstance(o, URIRef))
        if (org is not None and org not in developers) or (series is not None and series not in families):
            continue
        status, parents = _status(graph, model, weight)
        rows.append(
            ModelRow(
                iri=str(model),
                slug=slug(model),
                label=label(graph, model),
                model_id=str(graph.value(model, LIN.modelId) or ""),
                developers=[label(graph, d) for d in developers],
                families=[label(graph, f) for f in families],
                release=str(graph.value(model, LIN.releaseDate) or ""),
                status=status,
                parents=parents,
            )
        )
    return sorted(rows, key=lambda r: (r.label.lower(), r.iri))


def coverage(graph: Graph) -> Coverage:
    """The counts that sum up ``graph``: identified models, their developers and families, claims and sources."""
    all_models = _instances(graph, LIN.Model)
    identified = all_models - _instances(graph, LIN.UnidentifiedModel) - _instances(graph, LIN.ModelAlias)
    developers = {o for m in identified for o in graph.objects(m, LIN.developedBy)}
    families = {o for m in identified for o in graph.objects(m, LIN.memberOf)}
    dated = sorted((str(d), m) for m in identified for d in graph.objects(m, LIN.releaseDate))
    newest = dated[-1][0] if dated else ""
    return Coverage(
        models=len(identified),
        developers=len(developers),
        families=len(families),
        claims=len(_instances(graph, LIN.Claim)),
        sources=len(_instances(graph, LIN.Source)),
        newest_release=newest,
        newest_models=sorted(label(graph, m) for d, m in dated if d == newest),
        oldest_release=dated[0][0] if dated else "",
    )
