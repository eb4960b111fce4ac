"""Scale benchmark: the big-graph build path against its peers, on Hugging Face–shaped forests.

For each size (``--sizes``, default 1k,10k,100k,1M models) it generates a forest with
``bench/generate.py`` (kept in ``--work`` for the next run) and measures, each in a process of its
own (so that peak memory is that process's alone, and a peer that runs out of time or memory is
stopped without stopping the benchmark):

- **ours**: ``lineage.bigbuild.folder.build`` — read, validate, reason, store; seconds per stage, CPU
  seconds, peak resident memory; then a **restart** (a new process: import, ``store.open``, first
  answer) and the **queries** on the built store;
- **pyoxigraph**, the floor: Oxigraph's bulk loader alone on the same files, no reasoning, no
  validation; the same questions answered with property paths over the asserted edges;
- **rdflib** parse, then **pyshacl** (the core build's validation) and, in another process, **owlrl**
  (the core build's reasoning); **reasonable** (OWL 2 RL in Rust) on the same files; **rdflib's
  SPARQL** on the floor's questions — each within ``--budget`` seconds and ``--memory`` GB, else
  reported as not finished.

Every engine reads the same inputs: the ontology, the curated ``data/*.ttl`` and the generated
import. The questions: ancestors of the deepest model, ASK descendantOf (that model, its root), a
model's description, the first 100 descendants of the largest root, all of them, and the ten roots
with most descendants; the answers of ours, of the floor and of rdflib are checked to be the same.

Prints the machine, one block of figures per size, and a Markdown table with the ratios for the
README. ``python bench/scale.py --help`` for the options. Benchmarks are scripts, not timed tests.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from rdflib import URIRef

from lineage.build import Inputs, KnowledgeGraph, reason, validate
from lineage.build import load as load_inputs

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

LIN = "https://w3id.org/model-lineage/ontology#"
KINDS = (  # noqa: SIM905 - a vocabulary reads best as one string of names
    "descendantOf derivedFrom fineTunedFrom continuedPretrainingFrom distilledFrom quantizedFrom adapterOf "
    "mergedFrom improvementOf snapshotOf"
).split()
EDGE = "(" + "|".join(f"<{LIN}{k}>" for k in KINDS) + ")"


def parse_size(text: str) -> int:
    text = text.strip().lower()
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text[:-1] if scale > 1 else text) * scale)


def label(n: int) -> str:
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n // 1000}k" if n % 1000 == 0 else str(n)


# -- the machine -----------------------------------------------------------------------------------


def machine() -> str:
    cpu = "?"
    with _suppress(), open("/proc/cpuinfo") as cpuinfo:
        cpu = next(line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
    memory = "?"
    with _suppress():
        with open("/proc/meminfo") as meminfo:
            kib = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal"))
        memory = f"{kib / 1024 / 1024:.0f} GB"
    import numpy
    import owlrl
    import pyoxigraph
    import pyshacl
    import rdflib

    versions = f"rdflib {rdflib.__version__}, owlrl {owlrl.__version__}, pyshacl {pyshacl.__version__}, "
    versions += f"pyoxigraph {pyoxigraph.__version__}, numpy {numpy.__version__}"
    with _suppress():
        import importlib.metadata

        versions += f", reasonable {importlib.metadata.version('reasonable')}"
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory} RAM, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}; {versions}"
    )


class _suppress:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return True


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


# -- children: each measurement in a process of its own --------------------------------------------


def emit(**fields) -> None:
    """One JSON line for the parent (several as a child goes, so a stopped child still reports)."""
    print(json.dumps(fields), flush=True)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


def inputs(data: Path):
    pass

    return Inputs.bundled(ROOT, [data])


def child_ours(data: Path, folder: Path, overlap: bool) -> None:
    from lineage.bigbuild import folder as store

    started, cpu = time.perf_counter(), cpu_seconds()
    report = store.build(folder, [data], root=ROOT, overlap=overlap)
    emit(
        stored=report.stored,
        seconds=report.seconds,
        wall=time.perf_counter() - started,
        cpu=cpu_seconds() - cpu,
        peak_mb=peak_mb(),
        asserted=report.asserted,
        inferred=report.inferred,
        violations=len(report.violations),
    )


def child_restart(folder: Path, model: str, root: str) -> None:
    started = time.perf_counter()
    from lineage.bigbuild import folder as store

    imported = time.perf_counter()
    opened = store.open(folder)
    opened_at = time.perf_counter()
    first = bool(opened.query(f"ASK {{ <{model}> <{LIN}descendantOf> <{root}> }}"))
    answered = time.perf_counter()
    emit(
        imports=imported - started,
        open=opened_at - imported,
        first_answer=answered - opened_at,
        restart=answered - imported,
        answer=first,
    )
    emit(queries=run_queries(oxigraph_asker(opened.store), model, root, materialised=True))


def child_floor(data: Path, folder: Path, model: str, root: str) -> None:
    import pyoxigraph as ox

    from lineage.bigbuild.facts import rdf_format
    from lineage.bigbuild.folder import graph_names
    from lineage.namespaces import GRAPH_ONTOLOGY

    shutil.rmtree(folder, ignore_errors=True)
    started, cpu = time.perf_counter(), cpu_seconds()
    given = inputs(data)
    jobs = [(p, str(GRAPH_ONTOLOGY)) for p in given.ontology] + [(p, g) for g, p in graph_names(given, ROOT).items()]
    st = ox.Store(str(folder))
    for path, graph in jobs:
        st.bulk_load(path=str(path), format=rdf_format(path), to_graph=ox.NamedNode(graph), base_iri=path.as_uri())
    st.flush()
    emit(load=time.perf_counter() - started, cpu=cpu_seconds() - cpu, peak_mb=peak_mb(), quads=len(st))
    emit(queries=run_queries(oxigraph_asker(st), model, root, materialised=False))


def top10_roots(down: str, roots: str) -> str:
    """Count per node first, then keep the roots: the root test runs once per node with descendants,
    not once per (node, descendant) row (about 5x faster here, for ours and the floor alike)."""
    return (
        f"SELECT ?r ?n WHERE {{ {{ SELECT ?r (COUNT(DISTINCT ?d) AS ?n) WHERE {{ ?d {down} ?r }} GROUP BY ?r }} "
        f"{roots} }} ORDER BY DESC(?n) ?r LIMIT 10"
    )


def oxigraph_asker(st):
    """Questions to a pyoxigraph store over the union of its graphs; terms as N-Triples text."""
    import pyoxigraph as ox

    def ask(text: str):
        result = st.query(text, use_default_graph_as_union=True)
        return bool(result) if isinstance(result, ox.QueryBoolean) else [tuple(str(t) for t in row) for row in result]

    return ask


def questions(model: str, root: str, *, materialised: bool) -> dict[str, str]:
    """The questions of issue 5 as SPARQL: over the materialised store (``lin:descendantOf``), or
    over the asserted edges with property paths (the floor, rdflib)."""
    down = f"<{LIN}descendantOf>" if materialised else f"{EDGE}+"
    roots = (
        f"FILTER NOT EXISTS {{ ?r <{LIN}derivedFrom> ?x }}" if materialised else f"FILTER NOT EXISTS {{ ?r {EDGE} ?x }}"
    )
    return {
        "ancestors": f"SELECT DISTINCT ?a WHERE {{ <{model}> {down} ?a }}",
        "ask": f"ASK {{ <{model}> {down} <{root}> }}",
        "describe": f"SELECT ?p ?o WHERE {{ <{model}> ?p ?o }}",
        "descendants_page": f"SELECT DISTINCT ?d WHERE {{ ?d {down} <{root}> }} LIMIT 100",
        "descendants_all": f"SELECT DISTINCT ?d WHERE {{ ?d {down} <{root}> }}",
        "top10_roots": top10_roots(down, roots),
    }


IN_PROCESS_RUNS = {"descendants_page": 11, "descendants_all": 3, "top10_roots": 3}  # others: 21
HTTP_RUNS = {"descendants_all": 0, "top10_roots": 3}  # others: 51; 0: not asked over HTTP


def run_queries(ask, model: str, root: str, *, materialised: bool, progress=None) -> dict:
    """The questions of issue 5, timed: median of several runs after one warm-up. ``ask(text)`` gives
    a boolean or rows of N-Triples term texts; ``progress`` gets the figures so far after each one."""
    texts = questions(model, root, materialised=materialised)
    asked = {name: (text, IN_PROCESS_RUNS.get(name, 21)) for name, text in texts.items()}
    out = {}
    for name, (text, runs) in asked.items():
        times, answer = [], None
        for _ in range(runs + 1):  # the first run warms up
            started = time.perf_counter()
            answer = ask(text)
            times.append(time.perf_counter() - started)
            if len(times) == 2 and times[0] > 5:  # a slow question: one warm run is its figure
                runs = 1
                break
        times = times[1:]
        if name in ("ancestors", "descendants_all"):
            answer = sorted(answer)
        summary = answer if name in ("ask", "top10_roots") else len(answer)
        out[name] = {"ms": statistics.median(times) * 1000, "answer": summary, "runs": runs}
        if progress:
            progress(out)
    return out


def http_questions(model: str, root: str) -> dict[str, tuple[str, int]]:
    """The questions as SPARQL over the materialised store, with how many timed runs each."""
    texts = questions(model, root, materialised=True)
    return {name: (text, HTTP_RUNS.get(name, 51)) for name, text in texts.items() if HTTP_RUNS.get(name, 51)}


def child_http(folder: Path, model: str, root: str) -> None:
    """Both servers over the same built folder: ``lineage serve --store`` and ``oxigraph serve-read-only``.

    Each is started cold (ready = first 200 from it), then asked every question in turn from one
    keep-alive connection (POST, SPARQL JSON); ours also serves the model's description as Turtle."""
    import http.client
    import tempfile
    import urllib.parse

    from sparql_http import free_port, start, wait_ready

    logs = Path(tempfile.mkdtemp(prefix="lineage-scale-http-"))
    env = dict(os.environ, LINEAGE_RESULT_LIMIT="10000000", LINEAGE_QUERY_TIMEOUT="300")
    cli = "import sys; from lineage.cli import main; sys.exit(main(prog_name='lineage'))"
    servers = []
    try:
        for name, argv, ready_path, query_path in (
            (
                "ours",
                [sys.executable, "-c", cli, "serve", "--host", "127.0.0.1", "--store", str(folder)],
                "/health",
                "/sparql",
            ),
            (
                "oxigraph",
                ["oxigraph", "serve-read-only", "--location", str(folder / "oxigraph"), "--union-default-graph"],
                "/",
                "/query",
            ),
        ):
            port = free_port()
            argv = [*argv, "--port", str(port)] if name == "ours" else [*argv, "--bind", f"127.0.0.1:{port}"]
            started = time.perf_counter()
            server = start(name, argv, logs / f"{name}.log", port, env)
            servers.append(server)
            wait_ready(server, ready_path, timeout=300)
            found: dict = {"ready": time.perf_counter() - started}
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)

            jobs = {
                q: ("POST", query_path, text.encode(), "application/sparql-results+json", runs)
                for q, (text, runs) in http_questions(model, root).items()
            }
            if name == "ours":
                path = "/" + model.removeprefix("https://w3id.org/model-lineage/")
                jobs["description_ttl"] = ("GET", urllib.parse.quote(path), None, "text/turtle", 51)
            for q, (method, path, body, accept, runs) in jobs.items():
                times, data = [], b""
                for _ in range(runs + 1):  # the first run warms up
                    t = time.perf_counter()
                    data = _ask(conn, method, path, body, accept)
                    times.append(time.perf_counter() - t)
                first, times = times[0], times[1:]
                parsed = json.loads(data) if accept.endswith("json") else None
                size = (
                    parsed.get("boolean", len(parsed.get("results", {}).get("bindings", []))) if parsed else len(data)
                )
                found[q] = {"first_ms": first * 1000, "p50_ms": statistics.median(times) * 1000, "answer": size}
            conn.close()
            emit(**{name: found})
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(logs, ignore_errors=True)


def _ask(conn, method: str, path: str, body: bytes | None, accept: str) -> bytes:
    headers = {"Accept": accept}
    if body is not None:
        headers["Content-Type"] = "application/sparql-query"
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    if response.status != 200:
        raise RuntimeError(f"port {conn.port} {path}: {response.status} {data[:300]!r}")
    return data


def child_core(data: Path, which: str) -> None:
    """The core build's engines: rdflib parse, then pyshacl (validate) or owlrl (reason)."""
    pass

    given = inputs(data)
    started = time.perf_counter()
    dataset = load_inputs(given)
    emit(parse=time.perf_counter() - started, triples=len(dataset), peak_mb=peak_mb())
    started = time.perf_counter()
    if which == "pyshacl":
        violations = validate(given, dataset)
        emit(pyshacl=time.perf_counter() - started, violations=len(violations), peak_mb=peak_mb())
    else:
        graph = KnowledgeGraph(dataset, given, "").asserted()
        inferred = reason(graph)
        descendant = sum(1 for _ in inferred.triples((None, URIRef(LIN + "descendantOf"), None)))
        emit(owlrl=time.perf_counter() - started, inferred=len(inferred), descendant=descendant, peak_mb=peak_mb())


def child_rdflib(data: Path, model: str, root: str) -> None:
    """rdflib's in-memory SPARQL: the inputs parsed into a Dataset (the core build's first step), then
    the floor's questions (property paths over the asserted triples: without owlrl's inferences,
    which it cannot make past 1k models). Each answer is reported as it comes, for a stopped run."""
    pass

    started = time.perf_counter()
    dataset = load_inputs(inputs(data))  # its default graph is the union of the named graphs
    emit(parse=time.perf_counter() - started, triples=len(dataset), peak_mb=peak_mb())

    def ask(text: str):
        result = dataset.query(text)
        if result.type == "ASK":
            return bool(result.askAnswer)
        return [tuple(t.n3() if t is not None else "" for t in row) for row in result]

    run_queries(ask, model, root, materialised=False, progress=lambda so_far: emit(queries=so_far, peak_mb=peak_mb()))


def child_reasonable(data: Path) -> None:
    import reasonable

    given = inputs(data)
    reasoner = reasonable.PyReasoner()
    started = time.perf_counter()
    for path in given.all()[:-1]:  # ontology and data, not the shapes
        if path.suffix == ".nt":  # reasonable reads .ttl and .n3 only: N-Triples is Turtle
            twin = path.with_suffix(".nt.ttl")
            if not twin.exists():
                os.symlink(path, twin)
            path = twin
        reasoner.load_file(str(path))
    loaded = time.perf_counter()
    triples = reasoner.reason()
    descendant = sum(1 for t in triples if str(t[1]) == LIN + "descendantOf")
    emit(load=loaded - started, reason=time.perf_counter() - loaded, triples=len(triples), descendant=descendant)
    emit(peak_mb=peak_mb())


# -- the parent ------------------------------------------------------------------------------------


def run_child(args: list[str], budget: float, memory_gb: float | None = None) -> dict:
    """Run a child; merge its JSON lines. A child over its budget is stopped: {"stopped": …}."""

    def limit() -> None:
        if memory_gb:
            size = int(memory_gb * (1 << 30))
            resource.setrlimit(resource.RLIMIT_AS, (size, size))

    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, __file__, "--child", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=limit,
        start_new_session=True,
    )
    try:
        out, err = process.communicate(timeout=budget)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, 9)
        out, err = process.communicate()
        found = _merge(out)
        found["stopped"] = f"> {budget:.0f} s"
        return found
    found = _merge(out)
    found["process_wall"] = time.perf_counter() - started
    if process.returncode:
        last = (err.strip().splitlines() or ["?"])[-1]
        # Python raises MemoryError; a Rust library (reasonable) aborts after "memory allocation … failed"
        short = "MemoryError" in err or "memory allocation" in err or "memory" in last.lower()
        found["stopped"] = f"out of memory (> {memory_gb:g} GB)" if short and memory_gb else last[:120]
    return found


def _merge(out: str) -> dict:
    found: dict = {}
    for line in out.splitlines():
        with _suppress():
            found.update(json.loads(line))
    return found


def dataset(work: Path, models: int, seed: int) -> tuple[Path, str, str]:
    """The generated file (made once), the deepest model and the largest root."""
    import generate as gen

    forest = gen.generate(models, seed)
    name = f"bench-{label(models)}-s{seed}"
    path = work / f"hf-{name}.nt"
    if not path.exists():
        started = time.perf_counter()
        gen.write_ntriples(forest, path, name)
        print(f"  generated {path.name} in {time.perf_counter() - started:.1f} s", flush=True)
    deepest = int(forest.depth.argmax())
    size = [0] * len(forest)
    for i in range(len(forest) - 1, -1, -1):
        if forest.parents[i]:
            size[forest.parents[i][0]] += size[i] + 1
    roots = [i for i, p in enumerate(forest.parents) if not p]
    largest = max(roots, key=lambda i: size[i])
    base = "https://w3id.org/model-lineage/model/hf/"
    return path, base + forest.ids[deepest], base + forest.ids[largest]


def seconds(value) -> str:
    return "—" if value is None else f"{value:.2f}" if value < 10 else f"{value:.0f}"


def ratio(a, b) -> str:
    return "—" if not a or not b else f"{a / b:.1f}×"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1k,10k,100k,1M", help="models per forest, comma-separated")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work", type=Path, default=Path("/tmp/lineage-scale"), help="folder for data and stores")
    parser.add_argument("--budget", type=float, default=600, help="seconds a peer may take (default 600)")
    parser.add_argument("--memory", type=float, default=12, help="GB of address space a peer may use (default 12)")
    parser.add_argument("--overlap", action="store_true", help="let Oxigraph load while we read (store.build)")
    parser.add_argument("--skip", default="", help="peers to leave out: owlrl,pyshacl,reasonable,rdflib,floor,http")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        mode, *rest = args.child
        {
            "ours": lambda: child_ours(Path(rest[0]), Path(rest[1]), rest[2] == "overlap"),
            "restart": lambda: child_restart(Path(rest[0]), rest[1], rest[2]),
            "http": lambda: child_http(Path(rest[0]), rest[1], rest[2]),
            "floor": lambda: child_floor(Path(rest[0]), Path(rest[1]), rest[2], rest[3]),
            "core": lambda: child_core(Path(rest[0]), rest[1]),
            "reasonable": lambda: child_reasonable(Path(rest[0])),
            "rdflib": lambda: child_rdflib(Path(rest[0]), rest[1], rest[2]),
        }[mode]()
        return 0

    args.work.mkdir(parents=True, exist_ok=True)
    skip = set(filter(None, args.skip.split(",")))
    print(f"machine: {machine()}")
    print(f"load average at start: {load()}; budget per peer {args.budget:.0f} s, {args.memory:.0f} GB\n", flush=True)
    rows: list[dict] = []
    gave_up: dict[str, str] = {}
    for models in (parse_size(s) for s in args.sizes.split(",")):
        print(f"== {label(models)} models", flush=True)
        data, model, root = dataset(args.work, models, args.seed)
        folder, floor_folder = args.work / f"store-{label(models)}", args.work / f"floor-{label(models)}"
        row = {"models": models, "load_before": load()}
        row["ours"] = run_child(["ours", str(data), str(folder), "overlap" if args.overlap else "serial"], 10**6)
        row["restart"] = run_child(["restart", str(folder), model, root], 10**6)
        if "http" not in skip:
            row["http"] = run_child(["http", str(folder), model, root], 10**6)
        if "floor" not in skip:
            row["floor"] = run_child(["floor", str(data), str(floor_folder), model, root], 10**6)
            shutil.rmtree(floor_folder, ignore_errors=True)
        for peer in ("pyshacl", "owlrl", "reasonable", "rdflib"):
            if peer in skip:
                continue
            if peer in gave_up:  # stopped at a smaller size: it would be stopped again, later
                row[peer] = {"stopped": f"not run ({gave_up[peer]})"}
                continue
            child = {"reasonable": ["reasonable", str(data)], "rdflib": ["rdflib", str(data), model, root]}.get(
                peer, ["core", str(data), peer]
            )
            row[peer] = run_child(child, args.budget, args.memory)
            if "stopped" in row[peer]:
                gave_up[peer] = f"{row[peer]['stopped']} at {label(models)}"
        row["load_after"] = load()
        print_block(row)
        rows.append(row)
    print_table(rows)
    print_questions_table(rows)
    print_http_table(rows)
    return 0


def print_block(row: dict) -> None:
    ours, restart, floor = row["ours"], row["restart"], row.get("floor", {})
    stages = ", ".join(f"{k} {seconds(v)}" for k, v in ours.get("seconds", {}).items())
    print(f"  ours: {stages}; CPU {seconds(ours.get('cpu'))} s; peak {ours.get('peak_mb', 0):.0f} MB")
    print(
        f"        {ours.get('asserted')} asserted, {ours.get('inferred')} inferred triples; {ours.get('stopped', '')}"
    )
    print(
        f"  restart: open {seconds(restart.get('open'))} s + first answer {seconds(restart.get('first_answer'))} s"
        f" (imports {seconds(restart.get('imports'))} s)"
    )
    if floor:
        print(f"  pyoxigraph floor: load {seconds(floor.get('load'))} s, peak {floor.get('peak_mb', 0):.0f} MB")
    rdflib = row.get("rdflib", {})
    if rdflib:
        print(
            f"  rdflib: parse {seconds(rdflib.get('parse'))} s, peak {rdflib.get('peak_mb', 0):.0f} MB "
            f"{rdflib.get('stopped', '')}"
        )
    for name, q in restart.get("queries", {}).items():
        theirs, slow = floor.get("queries", {}).get(name, {}), rdflib.get("queries", {}).get(name, {})
        if not theirs:
            same = ""
        elif name == "describe":
            same = "(ours adds the inferred triples)"
        else:
            same = "same answer" if theirs.get("answer") == q["answer"] else "DIFFERENT ANSWER"
        if slow and theirs:
            same += "; rdflib: " + ("same as the floor" if slow["answer"] == theirs["answer"] else "DIFFERENT ANSWER")
        print(
            f"    {name:17} ours {q['ms']:9.2f} ms   floor {theirs.get('ms', float('nan')):9.2f} ms"
            f"   rdflib {slow.get('ms', float('nan')):10.2f} ms   answer {str(q['answer'])[:40]}  {same}"
        )
    http = row.get("http", {})
    if http.get("ours"):
        ours_http, theirs_http = http["ours"], http.get("oxigraph", {})
        print(
            f"  HTTP, cold start to first 200: ours {seconds(ours_http['ready'])} s, "
            f"oxigraph serve-read-only {seconds(theirs_http.get('ready'))} s"
        )
        for name, q in ours_http.items():
            if name == "ready":
                continue
            theirs = theirs_http.get(name, {})
            same = "" if not theirs else "same answer" if theirs["answer"] == q["answer"] else "DIFFERENT ANSWER"
            print(
                f"    {name:17} ours p50 {q['p50_ms']:8.2f} ms (first {q['first_ms']:8.1f})   "
                f"oxigraph p50 {theirs.get('p50_ms', float('nan')):8.2f} ms  "
                f" {ratio(q['p50_ms'], theirs.get('p50_ms'))}"
                f"   {str(q['answer'])[:30]} {same}"
            )
    elif http:
        print(f"  HTTP: {http.get('stopped', '?')}")
    for peer in ("pyshacl", "owlrl", "reasonable"):  # rdflib is shown with the questions above
        if peer in row:
            found = row[peer]
            shown = {k: v for k, v in found.items() if k not in ("process_wall",)}
            print(f"  {peer}: {json.dumps(shown)[:200]}")
    print(f"  load average before/after: {row['load_before']} / {row['load_after']}\n", flush=True)


def print_table(rows: list[dict]) -> None:
    print(
        "| models | triples (asserted / inferred) | ours: read / validate / reason / store / total s | peak MB "
        "| restart s | pyoxigraph load s | ours ÷ pyoxigraph | rdflib parse s | pyshacl s | owlrl s | "
        "reasonable s | owlrl ÷ ours (reason) | reasonable ÷ ours (read+reason) | pyshacl ÷ ours (validate) |"
    )
    print("|" + "---|" * 15)
    for row in rows:
        ours, floor = row["ours"], row.get("floor", {})
        s = ours.get("seconds", {})
        core = row.get("owlrl", {}) or row.get("pyshacl", {}) or row.get("rdflib", {})  # each parses with rdflib
        owl = row.get("owlrl", {}).get("owlrl")
        shacl = row.get("pyshacl", {}).get("pyshacl")
        rsn = row.get("reasonable", {})
        rsn_total = (rsn.get("load") or 0) + (rsn.get("reason") or 0) if "reason" in rsn else None

        def peer(value, found):
            return seconds(value) if value is not None else found.get("stopped", "—")

        print(
            f"| {label(row['models'])} | {ours.get('asserted')} / {ours.get('inferred')} "
            f"| {seconds(s.get('read'))} / {seconds(s.get('validate'))} / {seconds(s.get('reason'))} / "
            f"{seconds(s.get('store'))} / {seconds(s.get('total'))} | {ours.get('peak_mb', 0):.0f} "
            f"| {seconds(row['restart'].get('restart'))} | {seconds(floor.get('load'))} "
            f"| {ratio(s.get('total'), floor.get('load'))} | {seconds(core.get('parse'))} "
            f"| {peer(shacl, row.get('pyshacl', {}))} | {peer(owl, row.get('owlrl', {}))} "
            f"| {peer(rsn_total, rsn)} | {ratio(owl, s.get('reason'))} "
            f"| {ratio(rsn_total, (s.get('read') or 0) + (s.get('reason') or 0))} | {ratio(shacl, s.get('validate'))} |"
        )


def print_questions_table(rows: list[dict]) -> None:
    """Each question in-process: ours on the store, the pyoxigraph floor and rdflib's SPARQL (both with
    property paths over the asserted triples); rdflib ÷ ours."""
    names = ("ancestors", "ask", "describe", "descendants_page", "descendants_all", "top10_roots")
    print("\n| models | " + " | ".join(f"{n} ms (ours / floor / rdflib)" for n in names) + " | rdflib ÷ ours |")
    print("|" + "---|" * (len(names) + 2))
    for row in rows:
        ours = row["restart"].get("queries", {})
        floor, rdflib = row.get("floor", {}).get("queries", {}), row.get("rdflib", {}).get("queries", {})
        cells = []
        for n in names:
            figures = [found.get(n, {}).get("ms") for found in (ours, floor, rdflib)]
            cells.append(" / ".join(f"{ms:.2f}" if ms is not None else "—" for ms in figures))
        ratios = [ratio(rdflib[n]["ms"], ours[n]["ms"]) for n in names if n in rdflib and n in ours]
        stopped = row.get("rdflib", {}).get("stopped")
        print(
            f"| {label(row['models'])} | "
            + " | ".join(cells)
            + f" | {', '.join(ratios)}{' (' + stopped + ')' if stopped else ''} |"
        )


def print_http_table(rows: list[dict]) -> None:
    """p50 over HTTP, ours and ``oxigraph serve-read-only`` on the same store; top 10 roots against
    pyoxigraph in-process on the same store, and against the floor (property paths, no inferences)."""
    names = ("ancestors", "ask", "describe", "descendants_page")
    print(
        "\n| models | ready s (ours / oxigraph) | "
        + " | ".join(f"{n} p50 ms (ours / oxigraph)" for n in names)
        + " | description .ttl p50 ms | top-10 roots s: HTTP ours / pyoxigraph same store / pyoxigraph floor |"
    )
    print("|" + "---|" * (len(names) + 4))
    for row in rows:
        http = row.get("http", {})
        ours, theirs = http.get("ours"), http.get("oxigraph", {})
        if not ours:
            continue
        cells = [f"{ours[n]['p50_ms']:.2f} / {theirs.get(n, {}).get('p50_ms', float('nan')):.2f}" for n in names]
        top = ours["top10_roots"]["p50_ms"] / 1000
        same = row["restart"].get("queries", {}).get("top10_roots", {}).get("ms", float("nan")) / 1000
        floor = row.get("floor", {}).get("queries", {}).get("top10_roots", {}).get("ms", float("nan")) / 1000
        print(
            f"| {label(row['models'])} | {seconds(ours['ready'])} / {seconds(theirs.get('ready'))} | "
            + " | ".join(cells)
            + f" | {ours['description_ttl']['p50_ms']:.2f} | {top:.2f} / {same:.2f} / {floor:.2f} |"
        )


if __name__ == "__main__":
    sys.exit(main())
