"""Turn what a person types into the IRI it names: one resolver for the CLI, the pages and the queries.

A name may be an IRI, a slug (``llama-3.1-8b-instruct``), a public model id as written or without its
owner (``meta-llama/Llama-3.1-8B-Instruct``), a label or alternative label (``Llama 3.1 8B Instruct``),
in any case and with spaces, dashes or underscores between the words (``deepseek r1 distill qwen 7b``).
A family name that no model has (``GPT-3``, ``Llama 2``) names the family (a ``lin:ModelSeries``) when
the caller accepts one. A name that matches nothing raises :class:`UnknownName` with close names.
"""

from __future__ import annotations

import difflib
import re
import weakref
from collections.abc import Iterable, Iterator

from rdflib import RDF, RDFS, Graph, URIRef
from rdflib.namespace import DCTERMS, SKOS, Namespace

from lineage.namespaces import LIN, METHOD, MODEL, ORG, SERIES, SOURCE


class UnknownName(LookupError):
    """No resource of the wanted kind has that name; carries close names to suggest."""

    def __init__(self, kind: str, name: str, suggestions: list[str]):
        self.kind, self.name, self.suggestions = kind, name, suggestions
        hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"unknown {kind} {name!r}{hint}")


KINDS: dict[str, tuple[Namespace, URIRef]] = {
    "model": (MODEL, LIN.Model),
    "series": (SERIES, LIN.ModelSeries),
    "method": (METHOD, LIN.TrainingMethod),
    "org": (ORG, LIN.Organization),
    "source": (SOURCE, LIN.Source),
}

NAME_PROPERTIES = (RDFS.label, SKOS.altLabel, LIN.modelId, LIN.formerModelId)
"""The properties whose values name a resource, besides its IRI."""

_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+")


def keys(text: str) -> list[str]:
    """The forms a name is compared in, strictest first: words joined by dashes, then no separators.

    >>> keys("DeepSeek R1 Distill_Qwen 7B")
    ['deepseek-r1-distill-qwen-7b', 'deepseekr1distillqwen7b']
    >>> keys("meta-llama/Llama-3.1-8B-Instruct")[-2:]
    ['llama-3.1-8b-instruct', 'llama3.18binstruct']
    """
    lowered = " ".join(text.strip().lower().split())
    forms = [lowered]
    if "/" in lowered and not _IRI.fullmatch(lowered):
        forms.append(lowered.rsplit("/", 1)[1])  # a Hub id without its owner
    out: list[str] = []
    for form in forms:
        dashed = re.sub(r"[\s_-]+", "-", form).strip("-")
        compact = re.sub(r"[^a-z0-9./]", "", form)
        for key in (dashed, compact):
            if key and key not in out:
                out.append(key)
    return out


class Names:
    """Every name of every model, series, method, organisation and source of a graph, by key."""

    def __init__(self, rows: Iterable[tuple[str, URIRef, str]]):
        """``rows``: (kind, IRI, a name of it)."""
        self.by_key: dict[str, dict[str, set[URIRef]]] = {kind: {} for kind in KINDS}
        self.slugs: dict[str, dict[str, URIRef]] = {kind: {} for kind in KINDS}
        for kind, iri, text in rows:
            namespace = str(KINDS[kind][0])
            if str(iri).startswith(namespace):
                self.slugs[kind][str(iri)[len(namespace) :].lower()] = iri
            for key in keys(text):
                self.by_key[kind].setdefault(key, set()).add(iri)

    @classmethod
    def of(cls, graph: Graph) -> Names:
        """The names in ``graph`` (kept for the graph's life: built once, asked often)."""
        cached = _CACHE.get(graph)
        if cached is None:
            cached = _CACHE[graph] = cls(_rows(graph))
        return cached

    def find(self, name: str, kind: str = "model") -> URIRef | None:
        """The ``kind`` resource called ``name``, or None."""
        text = name.strip()
        if text.startswith("<") and text.endswith(">"):
            text = text[1:-1]
        if _IRI.fullmatch(text) and URIRef(text) in self.slugs[kind].values():
            return URIRef(text)
        slugs = self.slugs[kind]
        for key in keys(text):
            if key in slugs:
                return slugs[key]
            found = self.by_key[kind].get(key)
            if found:
                # several resources share a name: the one whose slug it is, else the first by IRI
                return next((iri for iri in found if str(iri).lower().endswith("/" + key)), min(found))
        return None

    def resolve(self, name: str, kind: str = "model", *, family: bool = False) -> URIRef:
        """The ``kind`` resource called ``name``; with ``family``, a series when no model has the name.

        Raises :class:`UnknownName` with up to three close names (slugs of the kind)."""
        found = self.find(name, kind)
        if found is None and family and kind == "model":
            found = self.find(name, "series")
        if found is not None:
            return found
        raise UnknownName(kind, name, self.suggest(name, kind, family=family))

    def suggest(self, name: str, kind: str = "model", *, family: bool = False) -> list[str]:
        """Up to three slugs whose names are close to ``name``."""
        kinds = [kind, "series"] if family and kind == "model" else [kind]
        by_slug: dict[str, str] = {}  # a name's key -> the slug of what it names
        for k in kinds:
            namespace = str(KINDS[k][0])
            for key, iris in self.by_key[k].items():
                iri = min(iris)
                if str(iri).startswith(namespace):
                    by_slug.setdefault(key, str(iri)[len(namespace) :])
        wanted = keys(name)[0] if keys(name) else ""
        close = difflib.get_close_matches(wanted, list(by_slug), n=6, cutoff=0.6)
        if not close:
            close = sorted((k for k in by_slug if wanted and wanted in k), key=len)
        return list(dict.fromkeys(by_slug[k] for k in close))[:3]


_CACHE: weakref.WeakKeyDictionary[Graph, Names] = weakref.WeakKeyDictionary()


def _rows(graph: Graph) -> Iterator[tuple[str, URIRef, str]]:
    for kind, (namespace, cls) in KINDS.items():
        for iri in _members(graph, cls):
            if str(iri).startswith(str(namespace)):
                yield kind, iri, str(iri)[len(str(namespace)) :]
            for prop in NAME_PROPERTIES:
                for value in graph.objects(iri, prop):
                    yield kind, iri, str(value)


def _members(graph: Graph, cls: URIRef) -> set[URIRef]:
    """Instances of ``cls`` and of its sub-classes (the graph may or may not hold inferences)."""
    classes = set(graph.transitive_subjects(RDFS.subClassOf, cls))
    return {s for c in classes for s in graph.subjects(RDF.type, c) if isinstance(s, URIRef)}


def resolve(graph: Graph, name: str, kind: str = "model", *, family: bool = False) -> URIRef:
    """The IRI of the ``kind`` resource called ``name`` in ``graph`` (see :class:`Names`)."""
    return Names.of(graph).resolve(name, kind, family=family)


def slug(iri: URIRef) -> str:
    """The last path segment of an IRI of a thing."""
    return str(iri).rstrip("/").rsplit("/", 1)[-1]


def label(graph: Graph, node) -> str:
    """A node's label (or a source's title), or its slug, or the node itself as text."""
    value = graph.value(node, RDFS.label)
    if value is None:
        value = graph.value(node, DCTERMS.title)
    if value is not None:
        return str(value)
    return slug(node) if isinstance(node, URIRef) else str(node)
