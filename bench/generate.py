"""Deterministic Hugging Face–shaped model forests: Hub API records and lineage N-Triples.

A forest is drawn level by level from one seed (numpy's PCG64), so the same ``(models, seed)`` gives
the same forest on every machine:

- a few hundred roots (``root_count``: √n / 3, between 3 and 300) whose popularity falls off as a
  Zipf law (exponent 1.3), so the largest root has about a quarter of the models below it;
- every other model sits at a depth drawn from a distribution that is mostly 1–4 and reaches 10;
  it picks its parent on the level above with a heavy-tailed (Pareto) weight, so a few models have
  thousands of children and most have none. Adapters and quantisations rarely have children;
- 3.5 % are merges of 2–4 parents; the rest are fine-tunes (58 %), quantisations (24 %) and
  adapters (18 %). 60 % of the cards state ``base_model_relation``; the others let the importer infer
  it, as the Hub does, from the repository's files (adapter weights, a GGUF file) or from the number
  of bases;
- dates increase down the tree (a child is created some days after its latest parent); licences are
  mostly inherited from the first parent; task and library follow the root and the kind.

Two outputs, which say the same thing:

- ``records``: one JSON object a line, shaped as the Hub API returns models (``id``, ``author``,
  ``createdAt``, ``lastModified``, ``pipeline_tag``, ``library_name``, ``tags``, ``siblings``,
  ``cardData`` with ``base_model``, ``base_model_relation`` and ``license``): what
  ``lineage import hf`` reads;
- ``ntriples``: the triples ``lineage import hf`` makes of those records (``server/importers/hf.py``: model
  cards, models, lineage and licence claims, organisations, licences, in the import's own graph),
  written by the importer itself, one triple a line.

Run ``python bench/generate.py --help``. At 1M models the records take about 10 s, the N-Triples
about 80 s (the importer reads and checks every record).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lineage.files import atomic_output

KINDS = ("finetune", "adapter", "quantized", "merge")
FINETUNE, ADAPTER, QUANTIZED, MERGE = range(4)
NAME_TAG = {FINETUNE: "ft", ADAPTER: "lora", QUANTIZED: "q4", MERGE: "merge"}
GGUF_FILE = "model-q4_k_m.gguf"

# Depth of a non-root model: mostly 1–4, a thin tail of chains down to 10.
DEPTHS = np.array([0.52, 0.26, 0.12, 0.06, 0.02, 0.01, 0.005, 0.0025, 0.00125, 0.00125])
SINGLE_KINDS = np.array([0.58, 0.18, 0.24])  # finetune, adapter, quantized (of the non-merges)
MERGE_SHARE = 0.035
EXTRA_PARENTS = np.array([0.6, 0.3, 0.1])  # a merge has 1, 2 or 3 parents besides its first
EXPLICIT_SHARE = 0.6
LICENCES = (
    "apache-2.0",
    "mit",
    "llama2",
    "llama3",
    "gemma",
    "cc-by-nc-4.0",
    "openrail",
    "cc-by-4.0",
    "bigscience-bloom-rail-1.0",
    "afl-3.0",
)
ROOT_LICENCES = np.array([0.36, 0.14, 0.12, 0.1, 0.06, 0.08, 0.05, 0.04, 0.03, 0.02])
PIPELINES = (
    "text-generation",
    "text-classification",
    "text2text-generation",
    "feature-extraction",
    "image-classification",
    "automatic-speech-recognition",
)
ROOT_PIPELINES = np.array([0.6, 0.1, 0.08, 0.1, 0.07, 0.05])
FIRST_DAY = (dt.date(2020, 1, 1) - dt.date(1970, 1, 1)).days
ROOT_SPAN_DAYS = 4 * 365


def root_count(models: int) -> int:
    """A few hundred roots for big forests, a handful for small ones."""
    return max(1, min(models, max(3, min(300, round(math.sqrt(models) / 3)))))


@dataclass
class Forest:
    """A generated forest, in creation order: every parent comes before its children."""

    seed: int
    ids: list[str]  # Hub repo ids, lower case, unique
    owners: list[str]
    parents: list[tuple[int, ...]]  # indices into ids; () for a root
    kind: np.ndarray  # -1 for a root, else an index into KINDS
    explicit: np.ndarray  # the card states base_model_relation
    depth: np.ndarray
    created: np.ndarray  # days since 1970-01-01
    modified: np.ndarray
    licence: np.ndarray  # index into LICENCES, -1 for none
    pipeline: np.ndarray  # index into PIPELINES

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def edges(self) -> int:
        return sum(len(p) for p in self.parents)

    def describe(self) -> str:
        """One line of figures: models, roots, edges, depth, merges, fan-out."""
        children = np.bincount([p for ps in self.parents for p in ps], minlength=len(self))
        return (
            f"{len(self)} models, {int((self.kind < 0).sum())} roots, {self.edges} edges, "
            f"max depth {int(self.depth.max())}, {int((self.kind == MERGE).sum())} merges, "
            f"max fan-out {int(children.max())}, largest root has {largest_subtree(self)} models below it"
        )


def largest_subtree(forest: Forest) -> int:
    """Models below the largest root, following first parents only (a lower bound with merges)."""
    size = np.ones(len(forest), dtype=np.int64)
    for i in range(len(forest) - 1, -1, -1):  # children come after parents
        if forest.parents[i]:
            size[forest.parents[i][0]] += size[i]
    return int(size[forest.kind < 0].max()) - 1


def generate(models: int, seed: int = 0) -> Forest:
    """Draw a forest of ``models`` models; the same arguments always give the same forest."""
    if models < 1:
        raise ValueError("a forest has at least one model")
    rng = np.random.default_rng(seed)
    roots = root_count(models)
    counts = [roots, *rng.multinomial(models - roots, DEPTHS / DEPTHS.sum())]
    while counts and counts[-1] == 0:
        counts.pop()
    for d in range(1, len(counts)):  # no level below an empty one
        if counts[d - 1] == 0:
            counts[d - 1], counts[d] = counts[d], 0
    counts = [c for c in counts if c]
    n = sum(counts)
    kind = np.full(n, -1, dtype=np.int8)
    depth = np.zeros(n, dtype=np.int8)
    created = np.zeros(n, dtype=np.int64)
    licence = np.full(n, -1, dtype=np.int8)
    pipeline = np.zeros(n, dtype=np.int8)
    weight = np.zeros(n)
    parents: list[tuple[int, ...]] = [()] * n

    created[:roots] = FIRST_DAY + rng.integers(0, ROOT_SPAN_DAYS, roots)
    weight[:roots] = 1.0 / np.arange(1, roots + 1) ** 1.3
    licence[:roots] = rng.choice(len(LICENCES), roots, p=ROOT_LICENCES)
    pipeline[:roots] = rng.choice(len(PIPELINES), roots, p=ROOT_PIPELINES)

    start = roots
    for level, count in enumerate(counts[1:], 1):
        pool = np.flatnonzero(depth[:start] == level - 1)
        new = np.arange(start, start + count)
        depth[new] = level
        p = weight[pool] / weight[pool].sum()
        first = pool[rng.choice(len(pool), count, p=p)]
        merges = (rng.random(count) < MERGE_SHARE) & (len(pool) >= 2)
        kind[new] = np.where(merges, MERGE, rng.choice(3, count, p=SINGLE_KINDS))
        latest = created[first].copy()
        merging = np.flatnonzero(merges)
        extras = 1 + rng.choice(3, len(merging), p=EXTRA_PARENTS)
        candidates = pool[rng.choice(len(pool), (len(merging), 8), p=p)]
        for j, extra, drawn in zip(merging, extras, candidates, strict=True):
            chosen = list(dict.fromkeys([int(first[j]), *(int(c) for c in drawn)]))[: int(extra) + 1]
            parents[start + j] = tuple(chosen)
            latest[j] = created[chosen].max()
        for j in np.flatnonzero(~merges):
            parents[start + j] = (int(first[j]),)
        created[new] = latest + 1 + rng.exponential(40.0, count).astype(np.int64)
        weight[new] = (rng.pareto(1.2, count) + 1.0) * np.where(np.isin(kind[new], (ADAPTER, QUANTIZED)), 0.05, 1.0)
        draw = rng.random(count)
        licence[new] = np.where(
            draw < 0.75, licence[first], np.where(draw < 0.92, rng.choice(len(LICENCES), count, p=ROOT_LICENCES), -1)
        )
        pipeline[new] = pipeline[first]
        start += count

    modified = created + rng.exponential(20.0, n).astype(np.int64)
    explicit = rng.random(n) < EXPLICIT_SHARE
    owner_count = max(3, n // 25)
    owner_index = np.where(
        kind < 0, rng.integers(0, min(60, owner_count), n), (rng.zipf(1.5, n) - 1) % owner_count
    ).astype(np.int64)
    owners = [f"org{i}" for i in owner_index]
    ids = [
        f"{owners[i]}/{'base' if kind[i] < 0 else NAME_TAG[int(kind[i])]}-{i}" for i in range(n)
    ]  # unique: the index is in the name
    return Forest(seed, ids, owners, parents, kind, explicit, depth, created, modified, licence, pipeline)


def _day(days: int) -> str:
    return (dt.date(1970, 1, 1) + dt.timedelta(days=int(days))).isoformat()


def library_of(forest: Forest, i: int) -> str:
    k = int(forest.kind[i])
    return "peft" if k == ADAPTER else "gguf" if k == QUANTIZED else "transformers"


def siblings_of(forest: Forest, i: int) -> list[str]:
    """The repository's files: what lets the importer tell an adapter or a quantisation."""
    k = int(forest.kind[i])
    if k == ADAPTER:
        return [".gitattributes", "README.md", "adapter_config.json", "adapter_model.safetensors"]
    if k == QUANTIZED:
        return [".gitattributes", "README.md", GGUF_FILE]
    return [".gitattributes", "README.md", "config.json", "model.safetensors"]


# -- Hub API records --------------------------------------------------------------------------------


def records(forest: Forest) -> Iterator[dict]:
    """One Hub API–shaped record per model, in creation order."""
    for i, repo_id in enumerate(forest.ids):
        k = int(forest.kind[i])
        card: dict = {}
        if forest.parents[i]:
            bases = [forest.ids[p] for p in forest.parents[i]]
            card["base_model"] = bases[0] if len(bases) == 1 else bases
            if forest.explicit[i]:
                card["base_model_relation"] = KINDS[k]
        if forest.licence[i] >= 0:
            card["license"] = LICENCES[int(forest.licence[i])]
        pipeline, library = PIPELINES[int(forest.pipeline[i])], library_of(forest, i)
        tags = [library, pipeline]
        yield {
            "id": repo_id,
            "modelId": repo_id,
            "author": forest.owners[i],
            "createdAt": f"{_day(forest.created[i])}T12:00:00.000Z",
            "lastModified": f"{_day(forest.modified[i])}T12:00:00.000Z",
            "pipeline_tag": pipeline,
            "library_name": library,
            "tags": tags,
            "siblings": [{"rfilename": name} for name in siblings_of(forest, i)],
            "cardData": card,
        }


def write_records(forest: Forest, path: Path) -> int:
    """Write the records as JSON Lines; returns the bytes written."""
    with path.open("w", encoding="utf-8") as out:
        for record in records(forest):
            out.write(json.dumps(record, separators=(",", ":")) + "\n")
    return path.stat().st_size


# -- N-Triples, as ``lineage import hf`` writes them -------------------------------------------------


def write_ntriples(forest: Forest, path: Path, name: str, curated_root: Path | None = None):
    """Write what ``lineage import hf --name NAME -o PATH.nt`` writes of the forest's records: the
    importer itself (``server/importers/hf.py``) runs on them, so the benchmark reads exactly its output.
    ``curated_root``: a project whose curated models and licences the import refers to rather than
    declares again (default: none). Returns the importer's :class:`~lineage.importers.hf.Result`."""
    import tempfile

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from lineage.importers import hf

    curated = hf.Curated.bundled(curated_root) if curated_root else hf.Curated()
    with tempfile.TemporaryDirectory(prefix="lineage-generate-") as folder:
        records_file = Path(folder) / "records.jsonl"
        write_records(forest, records_file)
        with atomic_output(path) as out:
            return hf.import_cards(records_file, name=name, curated=curated, out=out, fmt="ntriples")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", type=int, help="number of models (1k to 1M is the range this is made for)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--out", type=Path, default=Path("."), help="folder to write to (default: here)")
    parser.add_argument("--name", help="import name: files hf-NAME.nt/.jsonl, graph …/graph/import/hf-NAME")
    parser.add_argument("--records", action="store_true", help="also write the Hub API records (.jsonl)")
    parser.add_argument("--no-ntriples", action="store_true", help="do not write the N-Triples")
    parser.add_argument(
        "--with-curated", type=Path, metavar="ROOT", help="refer to the curated models and licences of ROOT"
    )
    args = parser.parse_args(argv)
    name = args.name or f"synthetic-{args.models}-s{args.seed}"
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    forest = generate(args.models, args.seed)
    print(f"generated in {time.perf_counter() - started:.1f} s: {forest.describe()}", file=sys.stderr)
    if args.records:
        started = time.perf_counter()
        path = args.out / f"hf-{name}.jsonl"
        size = write_records(forest, path)
        print(f"wrote {path} ({size / 1e6:.0f} MB) in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    if not args.no_ntriples:
        started = time.perf_counter()
        path = args.out / f"hf-{name}.nt"
        result = write_ntriples(forest, path, name, args.with_curated)
        print(f"wrote {path} ({result.summary()}) in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
