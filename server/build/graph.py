"""The built graph: its named graphs (ontology, one per data file, inferred), violations and inputs."""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import Dataset, Graph

from lineage.build.inputs import Inputs
from lineage.build.validate import Violation
from lineage.namespaces import GRAPH_INFERRED, GRAPH_ONTOLOGY, bind_prefixes


@dataclass
class KnowledgeGraph:
    """The built dataset: ontology, data graphs, inferred graph; read-only by convention."""

    dataset: Dataset
    inputs: Inputs
    key: str
    from_cache: bool = False
    violations: list[Violation] = field(default_factory=list)

    @property
    def data_graphs(self) -> list[Graph]:
        return [self.dataset.graph(iri) for iri in self.inputs.graph_names()]

    def asserted(self) -> Graph:
        """Ontology and data, without inferences, as one graph (a copy)."""
        graph = Graph()
        for g in [self.dataset.graph(GRAPH_ONTOLOGY), *self.data_graphs]:
            graph += g
        bind_prefixes(graph)
        return graph

    def union(self) -> Graph:
        """Asserted and inferred triples as one graph (a copy)."""
        graph = self.asserted()
        graph += self.dataset.graph(GRAPH_INFERRED)
        return graph

    @property
    def inferred(self) -> Graph:
        return self.dataset.graph(GRAPH_INFERRED)

