"""HTTP benchmark: our SPARQL endpoint against Oxigraph's server, same data, same query, one run.

What it does, in order:

1. builds the curated graph with the project's own code and exports it as N-Quads (named graphs
   kept, inferences included: what ``lineage serve`` answers from) into a temporary folder;
2. starts ``lineage serve`` and ``oxigraph serve --union-default-graph`` (after ``oxigraph load``)
   as separate processes on loopback, each in its own process group;
3. sends both servers the same query text (the saved query, prefixes declared, its parameters bound
   with an inline ``VALUES`` clause), checks that both give the same rows, and stops if they do not;
4. drives each server in turn from ``--concurrency`` client processes, one keep-alive connection
   each, for a warm-up second and then ``--seconds`` seconds, counting 200 answers only;
5. prints requests, req/s, p50 and p99 latency, errors, and the CPU each server and the client
   spent per request, then the ratios ours/Oxigraph and whether the goal (at least half of
   Oxigraph's throughput) is met. The goal is reported, never enforced: the exit code is 0.

Both servers and their worker processes are stopped, and the temporary folder removed, on every
way out (Ctrl-C and SIGTERM included). Run ``python bench/sparql_http.py --help`` for the options.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import multiprocessing
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lineage.build import build_graph

if TYPE_CHECKING:
    from lineage.build import KnowledgeGraph

ROOT = Path(__file__).resolve().parents[1]
SPARQL_JSON = "application/sparql-results+json"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
GOAL = 0.5  # the goal: our throughput at least half of Oxigraph's
OTHERS_WARNING = 0.25  # cores kept busy by other processes above which the figures are flagged


# -- the servers ------------------------------------------------------------------------------------


@dataclass
class Server:
    """A server process started by this script (the leader of its own process group)."""

    name: str
    process: subprocess.Popen
    port: int
    log: Path

    def stop(self, grace: float = 5.0) -> None:
        """SIGTERM the whole group (server, fork template, workers), SIGKILL what is left after ``grace``."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline:
                self.process.poll()  # reap the leader, or the group stays alive as its zombie
                if not _group_alive(self.process.pid):
                    return
                time.sleep(0.05)

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(name: str, argv: list[str], log: Path, port: int, env: dict[str, str] | None = None) -> Server:
    handle = log.open("wb")
    try:
        process = subprocess.Popen(
            argv, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, start_new_session=True
        )
    finally:
        handle.close()
    return Server(name, process, port, log)


def wait_ready(server: Server, path: str, timeout: float = 120.0) -> None:
    """Poll ``GET path`` until it answers 200; stop with the server's log if it exits or never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise BenchError(f"{server.name} exited with code {server.process.returncode}:\n{server.tail()}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=2)
            conn.request("GET", path)
            status = conn.getresponse().status
            conn.close()
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise BenchError(f"{server.name} did not answer GET {path} within {timeout:g} s:\n{server.tail()}")


class BenchError(RuntimeError):
    """The benchmark cannot go on; the message says why."""


# -- the data and the query -------------------------------------------------------------------------


def export_dataset(folder: Path) -> tuple[Path, KnowledgeGraph]:
    """Build the graph (cached in ``LINEAGE_CACHE_DIR``, where the server finds it) and write it as N-Quads."""
    from lineage import cli

    graph = build_graph(root=ROOT)
    if graph.violations:
        raise BenchError(f"the graph has {len(graph.violations)} SHACL violations; run 'lineage check'")
    path = folder / "lineage.nq"
    path.write_bytes(cli.export_document(graph, "nquads", inferred=True))
    return path, graph


@dataclass
class Workload:
    """One saved query as the servers receive it."""

    name: str
    text: str  # self-contained SPARQL: prefixes declared, parameters bound by VALUES
    values: dict[str, str]  # the parameters, as /queries/<name>?... takes them

    @property
    def saved_path(self) -> str:
        return f"/queries/{self.name}?{urllib.parse.urlencode(self.values)}" if self.values else f"/queries/{self.name}"


def workload(name: str, values: dict[str, str], graph: KnowledgeGraph) -> Workload:
    """The saved query ``name`` with ``values`` bound inline, so every server does the same work.

    The parameters are resolved to RDF terms by the project's own binding code, then written as one
    ``VALUES`` clause at the top of the outermost group pattern: the same place an initial binding takes.
    """
    from lineage.namespaces import PREFIXES
    from lineage.query import saved as queries

    saved = queries.load_all(ROOT / "queries")
    if name not in saved:
        raise BenchError(f"no saved query {name!r}; there are: {', '.join(saved)}")
    query = saved[name]
    wanted = {p.name for p in query.params}
    values = {k: v for k, v in values.items() if k in wanted}
    try:
        terms = queries.bind(query, graph.union(), values)
    except queries.QueryError as error:
        raise BenchError(f"{error} (give it with --param NAME=VALUE)") from None
    body = "\n".join(line for line in query.text.splitlines() if not line.startswith("#+")).strip()
    if terms:
        names = " ".join(f"?{n}" for n in terms)
        row = " ".join(term.n3() for term in terms.values())  # type: ignore[attr-defined]
        brace = body.index("{") + 1
        rest = body[brace:] if body[brace:].startswith("\n") else "\n  " + body[brace:].lstrip()
        body = f"{body[:brace]}\n  VALUES ({names}) {{ ({row}) }}{rest}"
    prologue = "".join(f"PREFIX {prefix}: <{iri}>\n" for prefix, iri in PREFIXES.items())
    return Workload(name, prologue + "\n" + body + "\n", values)


# -- comparing answers ------------------------------------------------------------------------------


_GROUP_CONCAT = re.compile(
    r"GROUP_CONCAT\s*\([^;)]*(?:;\s*separator\s*=\s*(\"[^\"]*\"|'[^']*'))?\s*\)\s*AS\s*[?$](\w+)", re.IGNORECASE
)


def concatenations(text: str) -> dict[str, str]:
    """The variables a query binds to a ``GROUP_CONCAT``, with their separators.

    SPARQL leaves the order of the concatenated values unspecified (rdflib's even changes from one
    process to the next), so those values are compared as multisets of their parts."""
    return {var: sep[1:-1] if sep else " " for sep, var in _GROUP_CONCAT.findall(text)}


def _term(term: dict, strict: bool, separator: str | None) -> tuple:
    kind = "literal" if term["type"] == "typed-literal" else term["type"]
    if kind == "bnode":
        return ("bnode",)  # labels are local to one answer
    value = term["value"]
    if separator is not None:
        value = tuple(sorted(value.split(separator) if separator else value))
    if not strict:
        return (kind, value)
    annotation = term.get("xml:lang") or term.get("datatype") or ""
    return (kind, value, "" if annotation == XSD_STRING else annotation)


def answer(body: bytes, concat: dict[str, str] | None = None, strict: bool = True) -> tuple[str, Counter | bool]:
    """A SPARQL JSON answer as something comparable: a multiset of rows, or a boolean.

    ``concat`` names the ``GROUP_CONCAT`` variables and their separators (see :func:`concatenations`)."""
    data = json.loads(body)
    if "boolean" in data:
        return "ASK", bool(data["boolean"])
    concat = concat or {}
    rows = Counter(
        frozenset((var, _term(term, strict, concat.get(var))) for var, term in binding.items())
        for binding in data["results"]["bindings"]
    )
    return "SELECT", rows


def fetch(port: int, method: str, path: str, body: bytes | None) -> bytes:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=_headers(body))
        response = conn.getresponse()
        data = response.read()
    finally:
        conn.close()
    if response.status != 200:
        raise BenchError(f"{method} {path} on port {port}: {response.status} {data[:500].decode(errors='replace')}")
    return data


def _headers(body: bytes | None) -> dict[str, str]:
    headers = {"Accept": SPARQL_JSON}
    if body is not None:
        headers["Content-Type"] = "application/sparql-query; charset=utf-8"
    return headers


def compare(ours: bytes, theirs: bytes, what: str, concat: dict[str, str]) -> list[str]:
    """Notes on how two answers differ only in literal annotations; :class:`BenchError` if they differ more."""
    if answer(ours, concat) == answer(theirs, concat):
        return []
    if answer(ours, concat, strict=False) != answer(theirs, concat, strict=False):
        raise BenchError(
            f"{what}: the answers differ, so the servers would not be doing the same work.\n"
            f"  ours:   {ours[:800].decode(errors='replace')}\n  theirs: {theirs[:800].decode(errors='replace')}"
        )
    mine, other = _annotations(ours), _annotations(theirs)
    differing = [
        f"?{var} is {' or '.join(sorted(mine.get(var, ())))} vs {' or '.join(sorted(other.get(var, ())))}"
        for var in sorted(set(mine) | set(other))
        if mine.get(var) != other.get(var)
    ]
    return [f"{what}: same rows and values; literal annotations differ: {'; '.join(differing)}"]


def _annotations(body: bytes) -> dict[str, set[str]]:
    """For each variable, how its literals are annotated: ``plain``, ``@lang`` or ``^^datatype``."""
    found: dict[str, set[str]] = {}
    for binding in json.loads(body).get("results", {}).get("bindings", []):
        for var, term in binding.items():
            if term["type"] in ("literal", "typed-literal"):
                datatype = term.get("datatype", XSD_STRING)
                kind = f"@{term['xml:lang']}" if "xml:lang" in term else "plain" if datatype == XSD_STRING else datatype
                found.setdefault(var, set()).add(kind)
    return found


# -- load generation --------------------------------------------------------------------------------


@dataclass
class Target:
    """One row of the table: a server, a request."""

    label: str
    server: Server
    method: str
    path: str
    body: bytes | None
    expected_length: int = 0


@dataclass
class Tally:
    """What one client process saw in the measured window."""

    latencies: list[float] = field(default_factory=list)  # seconds, 200 answers only
    errors: Counter = field(default_factory=Counter)  # status code or exception name -> count
    cpu: float = 0.0  # client CPU seconds in the window


def drive(
    port: int, method: str, path: str, body: bytes | None, length: int, times: tuple[float, float, float]
) -> Tally:
    """One client on one keep-alive connection: requests back to back from ``start`` to ``stop``.

    Runs in its own process. Before ``measure`` it only warms up; after, it records each answer
    that completes before ``stop``. A 200 whose body length is not the checked answer's is an error.
    """
    start, measure, stop = times
    headers = _headers(body)
    tally = Tally()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    time.sleep(max(0.0, start - time.monotonic()))
    cpu_at_measure: float | None = None
    while True:
        began = time.monotonic()
        if began >= stop:
            break
        if cpu_at_measure is None and began >= measure:
            cpu_at_measure = time.process_time()
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            status: int | str = response.status
            if response.will_close:
                conn.close()
        except (OSError, http.client.HTTPException) as error:
            status = error.__class__.__name__
            conn.close()
            time.sleep(0.01)
        done = time.monotonic()
        if began < measure or done > stop:
            continue
        if status == 200 and (not length or len(data) == length):
            tally.latencies.append(done - began)
        else:
            tally.errors["bad body" if status == 200 else status] += 1
    conn.close()
    tally.cpu = time.process_time() - (cpu_at_measure if cpu_at_measure is not None else time.process_time())
    return tally


def _client_started() -> None:
    """Ctrl-C is for the parent, which stops the clients itself."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _pause(seconds: float) -> None:
    time.sleep(seconds)


def machine_busy() -> float | None:
    """CPU seconds all cores have spent busy since boot (``/proc/stat``); None without ``/proc``."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return None
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")  # guest time is already in user


def process_tree(root: int) -> list[int]:
    """``root`` and every process under it (Linux ``/proc``); the server's fork template and workers too."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def cpu_seconds(root: int) -> float | None:
    """User plus system CPU time of a process tree so far; None where ``/proc`` is not there."""
    if not Path("/proc/self/stat").exists():
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in process_tree(root):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / ticks


@dataclass
class Measurement:
    label: str
    seconds: float
    requests: int
    latencies: list[float]
    errors: Counter
    server_cpu: float | None
    client_cpu: float
    other_cpu: float | None  # CPU seconds the rest of the machine used meanwhile

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        """Latency at percentile ``p`` (nearest rank), in milliseconds; NaN without answers."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]

    def per_request(self, seconds: float | None) -> float:
        return float("nan") if seconds is None or not self.requests else 1000 * seconds / self.requests


def measure(target: Target, seconds: float, warmup: float, concurrency: int) -> Measurement:
    """Drive one target from ``concurrency`` client processes; the server's CPU is read around the window."""
    # A pool leaving its ``with`` block, whichever way, terminates its processes.
    with multiprocessing.get_context("spawn").Pool(concurrency, initializer=_client_started) as pool:
        # Hold each process a moment so that every one takes a task: all of them are running afterwards.
        pool.map(_pause, [0.2] * concurrency, chunksize=1)
        start = time.monotonic() + 0.2
        times = (start, start + warmup, start + warmup + seconds)
        job = (target.server.port, target.method, target.path, target.body, target.expected_length, times)
        pending = pool.starmap_async(drive, [job] * concurrency, chunksize=1)
        time.sleep(max(0.0, times[1] - time.monotonic()))
        before, busy_before = cpu_seconds(target.server.process.pid), machine_busy()
        time.sleep(max(0.0, times[2] - time.monotonic()))
        after, busy_after = cpu_seconds(target.server.process.pid), machine_busy()
        tallies = pending.get(timeout=120)
    latencies = [latency for tally in tallies for latency in tally.latencies]
    errors: Counter = Counter()
    for tally in tallies:
        errors.update(tally.errors)
    server_cpu = None if before is None or after is None else after - before
    client_cpu = sum(t.cpu for t in tallies)
    other = None
    if server_cpu is not None and busy_before is not None and busy_after is not None:
        other = max(0.0, busy_after - busy_before - server_cpu - client_cpu)
    return Measurement(target.label, seconds, len(latencies), latencies, errors, server_cpu, client_cpu, other)


# -- the report -------------------------------------------------------------------------------------


def machine() -> list[str]:
    from importlib.metadata import version

    import rdflib

    cores = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    model = ""
    with contextlib.suppress(OSError):
        found = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.MULTILINE)
        model = found.group(1).strip() if found else ""
    oxigraph = subprocess.run(["oxigraph", "--version"], capture_output=True, text=True).stdout.strip()
    return [
        f"machine: {cores} cores ({usable} usable){', ' + model if model else ''}; {platform.platform()}",
        f"python {platform.python_version()} ({platform.python_implementation()}), rdflib {rdflib.__version__}, "
        f"waitress {version('waitress')}; {oxigraph}",
    ]


def table(results: list[Measurement]) -> str:
    header = (
        "target",
        "requests",
        "req/s",
        "p50 ms",
        "p99 ms",
        "errors",
        "server CPU ms/req",
        "client CPU ms/req",
        "others' CPU",
    )
    rows = [header]
    for m in results:
        errors = ", ".join(f"{k}: {v}" for k, v in m.errors.most_common()) or "0"
        rows.append(
            (
                m.label,
                str(m.requests),
                f"{m.rate:.1f}",
                f"{m.percentile(50):.2f}",
                f"{m.percentile(99):.2f}",
                errors,
                f"{m.per_request(m.server_cpu):.2f}",
                f"{m.per_request(m.client_cpu):.2f}",
                "n/a" if m.other_cpu is None else f"{m.other_cpu / m.seconds:.2f} cores",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def ratios(ours: Measurement, theirs: Measurement) -> list[str]:
    def ratio(a: float, b: float) -> float:
        return a / b if b else float("nan")

    throughput = ratio(ours.rate, theirs.rate)
    p50 = ratio(ours.percentile(50), theirs.percentile(50))
    cpu = ratio(ours.per_request(ours.server_cpu), theirs.per_request(theirs.server_cpu))
    return [
        f"ours/oxigraph: throughput {throughput:.3f}x, p50 latency {p50:.1f}x, server CPU per request {cpu:.1f}x",
        f"goal (throughput >= {GOAL}x Oxigraph's): {'MET' if throughput >= GOAL else 'NOT MET'}",
    ]


# -- main -------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python bench/sparql_http.py",
        description=(
            "Measure the lineage SPARQL endpoint and Oxigraph's server on the same data and the same "
            "saved query, over HTTP on loopback, and print throughput, latency and their ratios."
        ),
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="measured time per target (default: %(default)g)")
    parser.add_argument(
        "--warmup", type=float, default=1.0, help="unmeasured time before each measurement (default: %(default)g)"
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=4,
        help="client processes, one keep-alive connection each (default: %(default)d)",
    )
    parser.add_argument(
        "--query",
        action="append",
        metavar="NAME",
        help="saved query from queries/ to run (repeatable; default: ancestors)",
    )
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a saved-query parameter (default: model=chatgpt)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        help="query worker processes of our server, LINEAGE_QUERY_WORKERS (default: the server's default)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=8,
        help="waitress threads of our server, lineage serve --threads (default: %(default)d)",
    )
    parser.add_argument(
        "--no-saved",
        action="store_true",
        help="skip the extra row for our /queries/NAME route (the saved query, parsed once, bound by the server)",
    )
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.warmup < 0 or args.concurrency < 1:
        parser.error("--seconds must be positive, --warmup not negative, --concurrency at least 1")
    args.query = args.query or ["ancestors"]
    values = {"model": "chatgpt"}
    for item in args.param:
        name, sep, value = item.partition("=")
        if not sep or not name:
            parser.error(f"--param {item!r}: write it as NAME=VALUE")
        values[name] = value
    args.values = values
    return args


def _terminate(signum: int, _frame: object) -> None:
    """SIGTERM unwinds like Ctrl-C, so the servers are stopped and the temporary folder removed."""
    print(f"\nbench: {signal.Signals(signum).name}; stopping the servers", file=sys.stderr)
    raise SystemExit(128 + signum)


def start_servers(args: argparse.Namespace, folder: Path, data: Path, started: list[Server]) -> tuple[Server, Server]:
    """Load Oxigraph's store, start both servers (each put in ``started`` at once), wait until both answer."""
    subprocess.run(
        ["oxigraph", "load", "--location", str(folder / "oxigraph"), "--file", str(data)],
        check=True,
        capture_output=True,
    )
    env = dict(os.environ)
    if args.workers is not None:
        env["LINEAGE_QUERY_WORKERS"] = str(args.workers)
    port = free_port()
    serve = ["serve", "--host", "127.0.0.1", "--port", str(port), "--threads", str(args.threads)]
    cli = "import sys; from lineage.cli import main; sys.exit(main(prog_name='lineage'))"
    ours = start("lineage serve", [sys.executable, "-c", cli, *serve], folder / "lineage.log", port, env)
    started.append(ours)
    port = free_port()
    store = str(folder / "oxigraph")
    argv = ["oxigraph", "serve", "--location", store, "--bind", f"127.0.0.1:{port}", "--union-default-graph"]
    theirs = start("oxigraph serve", argv, folder / "oxigraph.log", port)
    started.append(theirs)
    wait_ready(ours, "/health")
    wait_ready(theirs, "/")
    return ours, theirs


def check_answers(targets: list[Target], concat: dict[str, str]) -> None:
    """Ask each target once; stop unless all give the same rows. Remembers each answer's length."""
    answers = {}
    for target in targets:
        answers[target.label] = fetch(target.server.port, target.method, target.path, target.body)
        target.expected_length = len(answers[target.label])
    first = targets[0].label
    notes = [
        note for t in targets[1:] for note in compare(answers[first], answers[t.label], f"{first} vs {t.label}", concat)
    ]
    _, shape = answer(answers[first])
    size = f"{sum(shape.values())} rows" if isinstance(shape, Counter) else f"answer {str(shape).lower()}"
    print(f"answers checked: {size}, the same from every target")
    for note in notes:
        print(f"  note: {note}")


def bench_query(args: argparse.Namespace, load: Workload, ours: Server, theirs: Server) -> None:
    """Check the answers, then measure every target in turn and print the table and the ratios."""
    body = load.text.encode("utf-8")
    shown = "\n".join(
        "    " + line for line in load.text.splitlines() if line.strip() and not line.startswith("PREFIX")
    )
    print(f"\nquery {load.name} {load.values or ''} (PREFIX lines not shown):\n{shown}")
    targets = [Target("lineage /sparql", ours, "POST", "/sparql", body)]
    if not args.no_saved:
        targets.append(Target(f"lineage {load.saved_path}", ours, "GET", load.saved_path, None))
    targets.append(Target("oxigraph /query", theirs, "POST", "/query", body))
    check_answers(targets, concatenations(load.text))
    results = []
    for target in targets:
        print(f"measuring {target.label} for {args.warmup:g} + {args.seconds:g} s ...", flush=True)
        results.append(measure(target, args.seconds, args.warmup, args.concurrency))
    print()
    print(table(results))
    print()
    print(*ratios(results[0], results[-1]), sep="\n")
    busiest = max((m.other_cpu / m.seconds for m in results if m.other_cpu is not None), default=0.0)
    if busiest > OTHERS_WARNING:
        print(
            f"warning: other processes kept up to {busiest:.2f} cores busy during the measurements; req/s and "
            "latencies are lower than on an idle machine (server CPU ms/req is less affected)"
        )


def run(args: argparse.Namespace) -> None:
    if shutil.which("oxigraph") is None:
        raise BenchError("no 'oxigraph' command; pip install oxigraph (the test extra has it)")
    with tempfile.TemporaryDirectory(prefix="lineage-bench-") as tmp, servers() as started:
        folder = Path(tmp)
        os.environ["LINEAGE_CACHE_DIR"] = str(folder / "cache")
        print(*machine(), sep="\n")
        print(f"client: {args.concurrency} processes, one keep-alive connection each (http.client), same machine")
        began = time.monotonic()
        data, graph = export_dataset(folder)
        loads = [workload(name, args.values, graph) for name in args.query]
        took = time.monotonic() - began
        print(f"data: {len(graph.dataset)} quads (asserted and inferred, in named graphs), built in {took:.1f} s")
        ours, theirs = start_servers(args, folder, data, started)
        health = json.loads(fetch(ours.port, "GET", "/health", None))
        print(f"lineage serve: {health['triples']} triples, {health['workers']} query workers, {args.threads} threads")
        for load in loads:
            bench_query(args, load, ours, theirs)
        print(
            "\nclient CPU ms/req is the Python client's own cost per request. Client and servers share the cores,"
            "\nso that cost caps what a fast server can show; server CPU ms/req does not depend on it."
            "\nothers' CPU: cores kept busy by the rest of the machine while measuring (ideally near 0)."
        )


@contextlib.contextmanager
def servers() -> Iterator[list[Server]]:
    """A list to put started servers in; every one is stopped on the way out, whatever the way."""
    started: list[Server] = []
    try:
        yield started
    finally:
        for server in reversed(started):
            server.stop()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    sys.path.insert(0, str(ROOT))
    try:
        run(args)
    except BenchError as error:
        print(f"\nbench: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nbench: interrupted; servers stopped", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
