"""``lineage push`` (server/push.py) against a real ``oxigraph serve`` on loopback.

Every push is checked on the server itself, with plain urllib: the named graphs it holds (no
staging graph left behind) and each graph fetched by Graph Store ``GET`` and compared with
``rdflib.compare.isomorphic``. Failures half-way are made by a small proxy in front of the real
server that spoils the Nth request of a method (answers 500, or forwards half of a body).
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic

from lineage.build import serialize_dataset
from lineage.cli import main
from lineage.files import write_atomically
from lineage.paths import cache_dir
from lineage.publish import push

from .conftest import free_port, oxigraph_serve

STALE = (URIRef("urn:test:old-push"), URIRef("urn:test:says"), Literal("left from the previous push"))


@dataclass
class Oxigraph:
    """A running ``oxigraph serve``, reached with urllib only (not with the code under test)."""

    base: str

    @property
    def store(self) -> str:
        return self.base + "/store"

    @property
    def update(self) -> str:
        return self.base + "/update"

    def _open(self, request: urllib.request.Request | str) -> bytes:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.read()

    def graph_names(self) -> set[str]:
        query = urllib.parse.urlencode({"query": "SELECT ?g WHERE { GRAPH ?g {} }"}).encode()
        request = urllib.request.Request(
            self.base + "/query", data=query, headers={"Accept": "application/sparql-results+json"}
        )
        rows = json.loads(self._open(request))["results"]["bindings"]
        return {row["g"]["value"] for row in rows}

    def graph(self, name: str) -> Graph:
        url = self.store + "?" + urllib.parse.urlencode({"graph": name})
        data = self._open(urllib.request.Request(url, headers={"Accept": "application/n-triples"}))
        return Graph().parse(data=data, format="nt")

    def put(self, name: str, graph: Graph) -> None:
        url = self.store + "?" + urllib.parse.urlencode({"graph": name})
        body = graph.serialize(format="nt", encoding="utf-8")
        self._open(urllib.request.Request(url, data=body, method="PUT", headers={"Content-Type": push.N_TRIPLES}))

    def clear(self) -> None:
        self._open(urllib.request.Request(self.store, method="DELETE"))

    def holds(self, graphs: Mapping[str, Graph]) -> None:
        """Assert the server holds exactly these named graphs, each with exactly these triples."""
        assert self.graph_names() == set(graphs)
        for name, expected in graphs.items():
            found = self.graph(name)
            assert len(found) == len(expected), name
            assert isomorphic(found, expected), name


@pytest.fixture(scope="module")
def oxigraph_server(tmp_path_factory) -> Iterator[Oxigraph]:
    """``oxigraph serve`` (PyPI ``oxigraph``) on a free loopback port over a temporary folder."""
    with oxigraph_serve(tmp_path_factory.mktemp("oxigraph")) as base:
        yield Oxigraph(base)


@pytest.fixture
def oxigraph(oxigraph_server: Oxigraph) -> Oxigraph:
    """The server, emptied."""
    oxigraph_server.clear()
    return oxigraph_server


@pytest.fixture
def runner(built) -> CliRunner:
    """A CLI runner that starts warm: the session's build is written where ``lineage`` looks for it
    (``build_graph`` would build it a second time to fill the cache)."""
    cached = cache_dir() / f"{built.key}.nq"
    if not cached.exists():
        write_atomically(cached, serialize_dataset(built.dataset, "nquads"))
    return CliRunner()


@pytest.fixture
def ours(built) -> dict[str, Graph]:
    """The graphs a push of the bundled build sends, by their name on the server."""
    return push.named_graphs(built)


@pytest.fixture
def previous(oxigraph: Oxigraph, ours: dict[str, Graph]) -> dict[str, Graph]:
    """What an earlier push left on the server: every graph with a stale triple more and, for
    the ontology, a triple less. Loaded by plain PUTs."""
    graphs = {}
    for name, graph in ours.items():
        old = Graph()
        old += graph
        old.add(STALE)
        graphs[name] = old
    ontology = graphs[push.GRAPH_BASE + "ontology"]
    ontology.remove(next(iter(ontology)))
    for name, graph in graphs.items():
        oxigraph.put(name, graph)
    return graphs


def no_traceback(result) -> None:
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit), result.exception


# -- a proxy that spoils one request ---------------------------------------------------------------


@dataclass
class FaultyProxy:
    """Forwards to the real server, but spoils the ``nth`` request with ``method``: answers 500, or
    with ``truncate`` forwards only the first half of its body's lines."""

    upstream: str
    method: str = ""
    nth: int = 0
    truncate: bool = False
    seen: Counter = field(default_factory=Counter)
    authorizations: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)  # "METHOD path?query"

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.handle(self)

            do_PUT = do_POST = do_DELETE = do_GET

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        body = request.rfile.read(int(request.headers.get("Content-Length") or 0))
        with self._lock:
            self.seen[request.command] += 1
            spoil = request.command == self.method and self.seen[request.command] == self.nth
            self.authorizations.append(request.headers.get("Authorization", ""))
            self.requests.append(f"{request.command} {urllib.parse.unquote(request.path)}")
        if spoil and not self.truncate:
            self.answer(request, 500, b"injected failure: the disk is on fire", "text/plain; charset=utf-8")
            return
        if spoil:
            lines = body.splitlines(keepends=True)
            body = b"".join(lines[: len(lines) // 2])
        upstream = urllib.parse.urlsplit(self.upstream)
        connection = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=10)
        try:
            headers = {k: v for k, v in request.headers.items() if k.lower() in ("accept", "content-type")}
            connection.request(request.command, request.path, body=body or None, headers=headers)
            response = connection.getresponse()
            self.answer(request, response.status, response.read(), response.getheader("Content-Type"))
        finally:
            connection.close()

    @staticmethod
    def answer(request: BaseHTTPRequestHandler, status: int, body: bytes, media_type: str | None) -> None:
        request.send_response(status)
        if media_type:
            request.send_header("Content-Type", media_type)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def proxy(oxigraph: Oxigraph) -> Iterator[FaultyProxy]:
    made: list[FaultyProxy] = []

    def make(**fault) -> FaultyProxy:
        made.append(FaultyProxy(oxigraph.base, **fault))
        return made[-1]

    yield make
    for each in made:
        each.close()


# -- pushes that succeed ---------------------------------------------------------------------------


def test_push_sends_every_named_graph_with_exactly_our_triples(runner, oxigraph, ours):
    result = runner.invoke(main, ["push", oxigraph.store, "--update", oxigraph.update])
    assert result.exit_code == 0, result.output
    oxigraph.holds(ours)
    assert f"pushed {len(ours)} graphs ({sum(map(len, ours.values())):,} triples)" in result.stdout
    assert "all graphs replaced at once" in result.stdout


@pytest.mark.parametrize("swap", ["update", "put"])
def test_a_second_push_replaces_every_graph(runner, oxigraph, previous, ours, swap):
    """Stale triples are gone, removed ones are back, nothing is doubled, no staging graph is left."""
    args = ["push", oxigraph.store] + (["--update", oxigraph.update] if swap == "update" else [])
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    oxigraph.holds(ours)
    assert ("all graphs replaced at once" if swap == "update" else "graph by graph") in result.stdout


@pytest.mark.parametrize("swap", ["update", "put"])
def test_pushing_a_smaller_graph_removes_what_it_lacks(runner, oxigraph, ours, swap):
    assert runner.invoke(main, ["push", oxigraph.store]).exit_code == 0
    smaller = {name: graph for name, graph in ours.items() if not name.endswith("/inferred")}
    openai = push.GRAPH_BASE + "data/openai"
    smaller[openai] = Graph()
    smaller[openai] += list(ours[openai])[: len(ours[openai]) // 2]
    smaller[push.GRAPH_BASE + "inferred"] = Graph()  # an empty graph drops its target
    with push.spooled(smaller) as uploads:
        push.push(uploads, oxigraph.store, update_url=oxigraph.update if swap == "update" else None, timeout=10)
    del smaller[push.GRAPH_BASE + "inferred"]
    oxigraph.holds(smaller)


def test_graph_prefix_and_no_inferred_name_the_graphs(runner, oxigraph, ours):
    prefix = "https://example.org/lineage/v2/"
    result = runner.invoke(main, ["push", oxigraph.store, "--graph-prefix", prefix, "--no-inferred"])
    assert result.exit_code == 0, result.output
    expected = {
        prefix + name.removeprefix(push.GRAPH_BASE): graph for name, graph in ours.items() if "inferred" not in name
    }
    assert prefix + "data/openai" in expected
    oxigraph.holds(expected)


def test_credentials_in_the_url_go_as_basic_auth_and_are_never_shown(runner, oxigraph, proxy, ours):
    relay = proxy()
    url = relay.base.replace("http://", "http://ann:s3cret@") + "/store"
    result = runner.invoke(
        main, ["push", url, "--update", relay.base.replace("http://", "http://ann:s3cret@") + "/update"]
    )
    assert result.exit_code == 0, result.output
    assert "s3cret" not in result.output
    assert set(relay.authorizations) == {"Basic YW5uOnMzY3JldA=="}  # base64 of ann:s3cret
    oxigraph.holds(ours)


def test_bulk_stages_with_oxigraphs_bulk_loader(runner, oxigraph, proxy, ours):
    relay = proxy()
    result = runner.invoke(main, ["push", relay.base + "/store", "--update", relay.base + "/update", "--bulk"])
    assert result.exit_code == 0, result.output
    puts = [line for line in relay.requests if line.startswith("PUT ")]
    assert len(puts) == len(ours)
    assert all("graph=urn:lineage:staging:" in line and line.endswith("&no_transaction=") for line in puts)
    oxigraph.holds(ours)


def test_dry_run_lists_graphs_and_counts_and_sends_nothing(runner, ours):
    dead = f"http://127.0.0.1:{free_port()}/store"
    result = runner.invoke(main, ["push", dead, "--dry-run"])
    assert result.exit_code == 0, result.output
    for name, graph in ours.items():
        assert any(line.split() == [name, f"{len(graph):,}"] for line in result.stdout.splitlines()), name
    assert "graph by graph" in result.stdout


# -- pushes that fail ------------------------------------------------------------------------------


def test_server_down_exits_1_naming_the_url(runner):
    dead = f"http://127.0.0.1:{free_port()}/store"
    result = runner.invoke(main, ["push", dead])
    assert result.exit_code == 1
    no_traceback(result)
    assert f"push to {dead} failed" in result.output
    assert "connection refused" in result.output
    assert "could not remove" not in result.output  # nothing reached the server, nothing to clean


@pytest.mark.parametrize(
    "swap, method, nth, where",
    [
        ("update", "PUT", 1, "staging"),  # the first graph
        ("update", "PUT", 5, "staging"),  # half-way through staging
        ("update", "GET", 3, "checking staged"),  # reading a count back
        ("update", "POST", 1, "swapping"),  # the one update request
        ("put", "PUT", 4, "staging"),
        ("put", "GET", -2, "one by one with PUT: saving the current"),  # saving the old targets (-n: after the counts)
        ("put", "PUT", -3, "one by one with PUT: replacing <"),  # the third target PUT: the first two are put back
    ],
)
def test_a_failure_half_way_leaves_the_graphs_as_they_were(
    runner, oxigraph, previous, proxy, ours, swap, method, nth, where
):
    relay = proxy(method=method, nth=nth if nth > 0 else len(ours) - nth)
    args = ["push", relay.base + "/store"] + (["--update", relay.base + "/update"] if swap == "update" else [])
    result = runner.invoke(main, args)
    assert result.exit_code == 1, result.output
    no_traceback(result)
    assert f"push to {relay.base}/store failed while " in result.output and where in result.output
    assert "answered HTTP 500 Internal Server Error: injected failure: the disk is on fire" in result.output
    assert "staging graph" in result.output and "could not remove" not in result.output
    if where.endswith("replacing <"):
        assert "put back the previous content of the 3 graphs touched" in result.output
        assert "hold their previous content again" in result.output
    else:
        assert "were not changed" in result.output
    oxigraph.holds(previous)


def test_a_staged_graph_short_of_triples_is_caught(runner, oxigraph, previous, proxy, ours):
    relay = proxy(method="PUT", nth=2, truncate=True)
    result = runner.invoke(main, ["push", relay.base + "/store", "--update", relay.base + "/update"])
    assert result.exit_code == 1, result.output
    no_traceback(result)
    second = list(ours)[1]
    sent = len(ours[second])
    assert f"checking staged <{second}>" in result.output
    assert f"the server holds {sent // 2:,} triples in it, {sent:,} were sent" in result.output
    oxigraph.holds(previous)


@pytest.mark.parametrize(
    "store, update, message",
    [
        ("/query", None, "PUT /query is not supported by this server"),
        ("/store", "/store", "No supported content Content-Type given: application/sparql-update"),
    ],
)
def test_a_4xx_shows_the_servers_message(runner, oxigraph, previous, store, update, message):
    """Real answers of Oxigraph to a wrong Graph Store URL (404) and a wrong update URL (415)."""
    args = ["push", oxigraph.base + store] + (["--update", oxigraph.base + update] if update else [])
    result = runner.invoke(main, args)
    assert result.exit_code == 1
    no_traceback(result)
    status = "404 Not Found" if update is None else "415 Unsupported Media Type"
    assert f"answered HTTP {status}: {message}" in result.output
    oxigraph.holds(previous)


def test_a_server_that_never_answers_times_out(runner):
    with socket.socket() as silent:  # accepts connections (the kernel does) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/store"
        started = time.monotonic()
        result = runner.invoke(main, ["push", url, "--timeout", "0.3"])
    assert result.exit_code == 1
    no_traceback(result)
    assert "no answer within 0.3 s" in result.output
    assert "could not remove 1 staging graph" in result.output
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    "args, message",
    [
        (["ftp://example.org/store"], "is not an http:// or https:// URL"),
        (["http://127.0.0.1:1/store", "--graph-prefix", "no scheme"], "is not an absolute IRI"),
        (["http://127.0.0.1:1/store", "--update", "example.org/update"], "is not an http:// or https:// URL"),
    ],
)
def test_a_bad_url_or_prefix_exits_2_before_building(runner, args, message):
    result = runner.invoke(main, ["push", *args])
    assert result.exit_code == 2
    assert message in result.output


def one_triple(text: str) -> Graph:
    graph = Graph()
    graph.add((URIRef("https://example.org/s"), URIRef("https://example.org/p"), Literal(text)))
    return graph


@pytest.mark.parametrize("swap", ["update", "put"], ids=["one-update-request", "put-by-graph"])
def test_prune_removes_the_graphs_under_the_prefix_that_the_build_no_longer_has(runner, oxigraph, ours, swap):
    gone, other = push.GRAPH_BASE + "data/a-removed-file", "https://example.org/graph/not-ours"
    oxigraph.put(gone, one_triple("sent by an earlier push"))
    oxigraph.put(other, one_triple("someone else's"))
    update = ["--update", oxigraph.update] if swap == "update" else []
    result = runner.invoke(main, ["push", oxigraph.store, *update])
    assert result.exit_code == 0, result.output
    assert gone in oxigraph.graph_names()  # without --prune it stays
    result = runner.invoke(main, ["push", oxigraph.store, *update, "--prune", oxigraph.base + "/query"])
    assert result.exit_code == 0, result.output
    oxigraph.holds({**ours, other: one_triple("someone else's")})
    assert f"removed 1 graphs the build no longer has: <{gone}>" in result.stdout


def test_prune_that_cannot_list_the_graphs_changes_nothing(runner, oxigraph, previous):
    gone = push.GRAPH_BASE + "data/a-removed-file"
    oxigraph.put(gone, one_triple("sent by an earlier push"))
    port = free_port()
    result = runner.invoke(main, ["push", oxigraph.store, "--prune", f"http://127.0.0.1:{port}/query"])
    assert result.exit_code == 1
    assert f"failed while listing the graphs under <{push.GRAPH_BASE}>" in result.stderr
    assert f"the graphs on {oxigraph.store} were not changed" in result.stderr
    oxigraph.holds({**previous, gone: one_triple("sent by an earlier push")})
    no_traceback(result)


def test_swap_update_moves_every_graph_in_one_request(tmp_path: Path):
    uploads = [push.Upload("urn:t:a", tmp_path / "a.nt", 3), push.Upload("urn:t:empty", tmp_path / "b.nt", 0)]
    text = push.swap_update([(uploads[0], "urn:s:0"), (uploads[1], "urn:s:1")])
    assert text == "MOVE GRAPH <urn:s:0> TO GRAPH <urn:t:a> ;\nDROP SILENT GRAPH <urn:t:empty>\n"


# -- a store built by lineage bigbuild -------------------------------------------------------------


@pytest.fixture(scope="module")
def big_store(tmp_path_factory) -> Path:
    from lineage.bigbuild import folder as store

    folder = tmp_path_factory.mktemp("bigbuild") / "store"
    assert store.build(folder).stored
    return folder


def stored_graphs(folder: Path) -> dict[str, Graph]:
    """Each named graph of a built store, read with pyoxigraph and parsed by rdflib."""
    import pyoxigraph as ox

    from lineage.bigbuild import folder as store

    opened = store.open(folder)
    graphs = {}
    for name in opened.graphs:
        data = opened.store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(name))
        graphs[name] = Graph().parse(data=data, format="nt")
    return graphs


def test_push_of_a_bigbuild_store_sends_its_graphs_as_they_are_stored(runner, oxigraph, previous, big_store):
    result = runner.invoke(main, ["push", oxigraph.store, "--update", oxigraph.update, "--store", str(big_store)])
    assert result.exit_code == 0, result.output
    expected = stored_graphs(big_store)
    oxigraph.holds(expected)
    assert f"pushed {len(expected)} graphs ({sum(map(len, expected.values())):,} triples)" in result.stdout


def test_push_of_a_store_dry_run_uses_the_builds_counts(runner, big_store):
    result = runner.invoke(main, ["push", "http://127.0.0.1:9/store", "--store", str(big_store), "--dry-run"])
    assert result.exit_code == 0, result.output
    listed = dict(line.split() for line in result.stdout.splitlines() if line.startswith("  "))
    assert listed == {name: f"{len(graph):,}" for name, graph in stored_graphs(big_store).items()}


def test_push_of_a_store_with_blank_nodes_warns_that_each_graph_gets_its_own(runner, oxigraph, previous, tmp_path):
    from lineage.bigbuild import folder as store

    from .test_scale_build import BLANK_TURTLE

    extra = tmp_path / "anonymous.ttl"
    extra.write_text(BLANK_TURTLE)
    folder = tmp_path / "store"
    assert store.build(folder, [extra]).stored
    result = runner.invoke(main, ["push", oxigraph.store, "--update", oxigraph.update, "--store", str(folder)])
    assert result.exit_code == 0, result.output
    assert f"lineage: warning: blank nodes in {extra}: each graph gets its own copy on the server" in result.stderr
    oxigraph.holds(stored_graphs(folder))


def test_push_of_a_folder_that_is_not_a_store_exits_2(runner, tmp_path):
    result = runner.invoke(main, ["push", "http://127.0.0.1:9/store", "--store", str(tmp_path)])
    assert result.exit_code == 2
    assert "not a lineage store" in result.stderr
    no_traceback(result)
