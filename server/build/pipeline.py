"""The small build: load, validate with pyshacl, reason with owlrl; cached on disk when nothing changed."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from lineage.build.graph import KnowledgeGraph
from lineage.build.inputs import Inputs
from lineage.build.load import load, parse_dataset, serialize_dataset
from lineage.build.reason import reason
from lineage.build.validate import validate
from lineage.files import write_atomically
from lineage.namespaces import GRAPH_INFERRED
from lineage.paths import cache_dir
from lineage.progress import Steps


def build_graph(
    extra: Sequence[Path] = (),
    *,
    root: Path | None = None,
    use_cache: bool = True,
    refresh: bool = False,
    progress: bool = False,
) -> KnowledgeGraph:
    """Load, validate and reason; from the cache when nothing changed.

    ``refresh`` rebuilds and rewrites the cache entry. Violations do not raise: they are returned
    on the graph, which then has no inferences and is not cached. Syntax errors and
    inconsistencies raise :class:`BuildError`.
    """
    inputs = Inputs.bundled(root, extra)
    key = inputs.key()
    cached = cache_dir() / f"{key}.nq"
    if use_cache and not refresh and cached.exists():
        dataset = parse_dataset(cached.read_bytes(), "nquads")
        return KnowledgeGraph(dataset, inputs, key, from_cache=True)
    with Steps(len(inputs.ontology) + len(inputs.data) + 2, "building graph", enabled=progress) as steps:
        dataset = load(inputs, steps)
        kg = KnowledgeGraph(dataset, inputs, key)
        steps.advance("validating (SHACL)")
        kg.violations = validate(inputs, dataset)
        if kg.violations:
            # Data that breaks the shapes (a malformed date, say) can also trip owlrl's own
            # checks; the violations say more, so they are what is reported.
            return kg
        steps.advance("reasoning (OWL-RL)")
        target = dataset.graph(GRAPH_INFERRED)
        for triple in reason(kg.asserted()):
            target.add(triple)
    if use_cache:
        write_atomically(cached, serialize_dataset(dataset, "nquads"))
        for old in cached.parent.glob("*.nq"):
            if old != cached and old.stat().st_mtime < cached.stat().st_mtime - 3600:
                old.unlink(missing_ok=True)
    return kg

