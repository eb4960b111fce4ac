"""Soak: ``lineage serve`` under a mixed load for N minutes; latency per lane, errors, memory over time.

What it does:

1. starts ``lineage serve`` (waitress, its query workers) on loopback in its own process group, with
   ``LINEAGE_QUERY_TIMEOUT`` set to ``--limit``;
2. runs ``--clients`` client threads, each from its own loopback address (127.0.0.2, …) so the
   per-client cap sees different clients, each on a fresh connection per request, for ``--minutes``:
   model pages (35 %), saved queries with varied models (35 %), cheap ad-hoc queries (20 %) and
   runaway ad-hoc queries (10 %, a four-way cartesian ``COUNT``);
3. samples the resident memory of the server and of its worker processes every ``--sample`` seconds;
4. prints, per kind: requests, p50 and p99 latency of the 200 answers, and the answers by status
   (503 with ``Retry-After`` are refusals: expected under the runaway share); then memory over time
   and its growth from the first minute to the end.

The server and its workers are stopped on every way out. ``python bench/soak.py --help`` for options.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sparql_http import BenchError, free_port, servers, start, wait_ready  # noqa: E402

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
CHEAP = "SELECT ?a WHERE {{ <{model}> lin:descendantOf ?a }}"
SAVED = ("ancestors", "descendants", "learned-from")
MIX = (("page", 35), ("saved", 35), ("adhoc", 20), ("runaway", 10))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=2.0, help="how long (default: %(default)g)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default: %(default)d)")
    parser.add_argument("--threads", type=int, default=8, help="lineage serve --threads (default: %(default)d)")
    parser.add_argument("--limit", type=float, default=5.0, help="LINEAGE_QUERY_TIMEOUT (default: %(default)g)")
    parser.add_argument("--sample", type=float, default=10.0, help="seconds between memory samples")
    return parser.parse_args(argv)


def rss_kib(pid: int) -> int:
    """Resident memory of ``pid`` and every process under it (the fork template and the workers)."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total


def request(port: int, client: int, path: str, params: dict[str, str], limit: float) -> tuple[int, float]:
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=limit + 30, source_address=(f"127.0.0.{client}", 0))
    try:
        conn.request("GET", f"{path}?{urllib.parse.urlencode(params)}", headers={"Accept": "*/*"})
        response = conn.getresponse()
        response.read()
        return response.status, time.monotonic() - started
    except OSError as error:
        return -(getattr(error, "errno", 0) or 1), time.monotonic() - started
    finally:
        conn.close()


def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="lineage-soak-") as tmp, servers() as started:
        port = free_port()
        env = {**os.environ, "LINEAGE_QUERY_TIMEOUT": str(args.limit)}
        cli = "import sys; from lineage.cli import main; sys.exit(main(prog_name='lineage'))"
        argv = [sys.executable, "-c", cli, "serve", "--port", str(port), "--threads", str(args.threads)]
        server = start("lineage serve", argv, Path(tmp) / "serve.log", port, env)
        started.append(server)
        wait_ready(server, "/health")
        answer = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        answer.request("GET", "/sparql?" + urllib.parse.urlencode({"query": "SELECT ?m { ?m a lin:Model }"}))
        models = [row["m"]["value"] for row in json.loads(answer.getresponse().read())["results"]["bindings"]]
        answer.close()
        print(f"soak: {len(models)} models, {args.clients} clients, {args.minutes:g} min, limit {args.limit:g} s")
        results: dict[str, list[tuple[int, float]]] = defaultdict(list)
        memory: list[tuple[float, int]] = []
        begin = time.monotonic()
        end = begin + args.minutes * 60

        def client(number: int) -> None:
            rng = random.Random(number)
            kinds, weights = zip(*MIX, strict=True)
            while time.monotonic() < end:
                kind = rng.choices(kinds, weights)[0]
                model = rng.choice(models)
                slug = model.rsplit("/", 1)[-1]
                if kind == "page":
                    outcome = request(port, number, f"/model/{slug}", {"format": "html"}, args.limit)
                elif kind == "saved":
                    outcome = request(port, number, f"/queries/{rng.choice(SAVED)}", {"model": slug}, args.limit)
                elif kind == "adhoc":
                    outcome = request(port, number, "/sparql", {"query": CHEAP.format(model=model)}, args.limit)
                else:
                    outcome = request(port, number, "/sparql", {"query": RUNAWAY}, args.limit)
                results[kind].append(outcome)
                if outcome[0] == 503:
                    time.sleep(0.2)  # a polite client backs off a little

        def sampler() -> None:
            while time.monotonic() < end:
                memory.append((time.monotonic() - begin, rss_kib(server.process.pid)))
                time.sleep(min(args.sample, max(0.0, end - time.monotonic())) or 0.1)

        threads = [threading.Thread(target=client, args=(2 + i,), daemon=True) for i in range(args.clients)]
        threads.append(threading.Thread(target=sampler, daemon=True))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        memory.append((time.monotonic() - begin, rss_kib(server.process.pid)))
        report(results, memory)


def report(results: dict[str, list[tuple[int, float]]], memory: list[tuple[float, int]]) -> None:
    print(f"\n{'kind':8} {'requests':>8} {'p50 ms':>8} {'p99 ms':>8}  answers by status")
    for kind, _weight in MIX:
        found = results.get(kind, [])
        ok = sorted(seconds for status, seconds in found if status == 200)
        p50 = f"{statistics.median(ok) * 1000:.0f}" if ok else "-"
        p99 = f"{ok[min(len(ok) - 1, int(len(ok) * 0.99))] * 1000:.0f}" if ok else "-"
        statuses = ", ".join(f"{s}: {n}" for s, n in sorted(Counter(s for s, _ in found).items()))
        print(f"{kind:8} {len(found):8} {p50:>8} {p99:>8}  {statuses}")
    print("\nresident memory of the server and its workers (MiB):")
    print("  " + ", ".join(f"{t:.0f} s: {kib / 1024:.0f}" for t, kib in memory))
    after_warmup = [kib for t, kib in memory if t >= 60] or [kib for _t, kib in memory]
    growth = (memory[-1][1] - after_warmup[0]) / 1024
    print(f"  growth from the first sample after one minute to the end: {growth:+.1f} MiB")


def main(argv: list[str] | None = None) -> int:
    try:
        run(parse_args(argv))
    except BenchError as error:
        print(f"soak: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nsoak: interrupted; server stopped", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
