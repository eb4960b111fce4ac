"""Hot reload (``lineage serve --watch``, server/watch.py): a valid rebuild is swapped in whole, an invalid
one is refused with file and line, and no request ever sees half of a reload.

Each test serves a temporary project root (the real ontology and training methods) with the watcher
looking every 0.1 s, and checks at the end that every query process it started has ended.
"""

from __future__ import annotations

import http.client
import logging
import os
import shutil
import threading
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from lineage import cli
from lineage.build import build_graph
from lineage.cli import serve
from lineage.web import create_app, watch
from lineage.web.state import current_state

from .conftest import DATA, waitress_thread

INTERVAL = 0.1  # seconds between two looks at the files
VALID = DATA / "valid" / "minimal.ttl"  # adds model:acme-base and model:acme-chat
UNLABELLED = DATA / "invalid" / "ModelShape-label.ttl"  # model:acme-chat without rdfs:label
HAS_ACME = "ASK { model:acme-base a lin:Model }"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
BROKEN = """@prefix lin: <https://w3id.org/model-lineage/ontology#> .
@prefix model: <https://w3id.org/model-lineage/model/> .

model:broken a lin:Model ;
    lin:releaseDate ] .
"""


def wait_until(condition: Callable[[], object], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:g} s for {what}")
        time.sleep(0.02)


def ask(client, query: str = HAS_ACME) -> bool:
    accept = {"Accept": "application/sparql-results+json"}
    response = client.get("/sparql", query_string={"query": query}, headers=accept)
    assert response.status_code == 200, response.data
    return response.json["boolean"]


def descendants() -> set[int]:
    """Live processes below this one (templates and query workers), read from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        if fields[0] != "Z":  # a zombie has ended; only its parent's bookkeeping is left
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = set(), [os.getpid()]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def messages(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == watch.__name__]


def watcher_of(app) -> watch.Watcher:
    return app.extensions["lineage.watch"]


@pytest.fixture
def watched(fixture_root, caplog):
    """An app serving ``fixture_root`` with its watcher running; at the end, no process of it is left."""
    if not Path("/proc/self/stat").exists():
        pytest.skip("the process checks read /proc")
    caplog.set_level(logging.INFO, logger=watch.__name__)
    before = descendants()
    app = create_app(
        {
            "TESTING": True,
            "ROOT": fixture_root,
            "QUERY_WORKERS": 1,
            "QUERY_TIMEOUT": 10,
            "WATCH": True,
            "WATCH_INTERVAL": INTERVAL,
        }
    )
    yield app
    watch.stop(app)
    app.extensions["lineage"].close()
    wait_until(lambda: not descendants() - before, "every query process to end", timeout=5)


def test_a_valid_new_file_is_served_and_the_old_workers_end(watched, fixture_root, caplog):
    client = watched.test_client()
    old = watched.extensions["lineage"]
    assert not ask(client)
    shutil.copy(VALID, fixture_root / "data" / "acme.ttl")
    wait_until(lambda: ask(client), "the new model to be served")
    new = watched.extensions["lineage"]
    assert new is not old and new.triples > old.triples
    assert client.get("/health").json["triples"] == new.triples
    assert "reloading: data/acme.ttl added" in messages(caplog)
    assert any(m.startswith(f"reloaded: {new.triples} triples") for m in messages(caplog))
    wait_until(lambda: old.closed, "the replaced state to be closed")  # no request uses it
    assert old.pool.alive() == 0

    (fixture_root / "data" / "acme.ttl").unlink()
    wait_until(lambda: not ask(client), "the removed file's model to go")
    assert "reloading: data/acme.ttl removed" in messages(caplog)
    assert watched.extensions["lineage"].triples == old.triples


def test_a_shacl_violation_keeps_the_old_graph_until_it_is_fixed(watched, fixture_root, caplog):
    client = watched.test_client()
    served = watched.extensions["lineage"]
    target = fixture_root / "data" / "acme.ttl"
    shutil.copy(UNLABELLED, target)
    wait_until(lambda: watcher_of(watched).attempts == 1, "a build")
    wait_until(lambda: any(m.startswith("not reloaded") for m in messages(caplog)), "the refusal")
    assert watched.extensions["lineage"] is served and not served.closed
    assert not ask(client)  # acme-base is valid, but the file it is in was refused whole
    line = UNLABELLED.read_text().splitlines().index("model:acme-chat a lin:Model ;") + 1
    refusal = next(m for m in messages(caplog) if m.startswith("not reloaded"))
    assert refusal.startswith(f"not reloaded: 1 violation: data/acme.ttl:{line}: Violation model:acme-chat")
    assert "rdfs:label" in refusal
    health = client.get("/health")  # serving, but not what is on disk: degraded, and why
    assert health.status_code == 200 and health.json["status"] == "degraded"
    assert "the last reload failed at" in health.json["reasons"][0] and "data/acme.ttl" in health.json["reasons"][0]

    shutil.copy(VALID, target)
    wait_until(lambda: ask(client), "the fixed file to be served")
    assert watcher_of(watched).reloads == 1
    assert client.get("/health").json["status"] == "ok"


def test_broken_turtle_keeps_the_old_graph_and_says_where(watched, fixture_root, caplog):
    client = watched.test_client()
    served = watched.extensions["lineage"]
    (fixture_root / "data" / "broken.ttl").write_text(BROKEN, encoding="utf-8")
    wait_until(lambda: any(m.startswith("not reloaded") for m in messages(caplog)), "the refusal")
    assert "not reloaded: data/broken.ttl:5:20: Turtle syntax error" in messages(caplog)[-1]
    assert watched.extensions["lineage"] is served
    assert client.get("/sparql", query_string={"query": COUNT}).status_code == 200


def test_an_inconsistent_graph_is_refused(watched, fixture_root, caplog):
    """What owlrl finds inconsistent (here: a member of owl:Nothing) keeps the old graph too."""
    served = watched.extensions["lineage"]
    nothing = "<https://example.org/a> a <http://www.w3.org/2002/07/owl#Nothing> .\n"
    (fixture_root / "data" / "odd.ttl").write_text(nothing, encoding="utf-8")
    wait_until(lambda: any(m.startswith("not reloaded") for m in messages(caplog)), "the refusal")
    assert "not reloaded: OWL-RL reasoning found the graph inconsistent" in messages(caplog)[-1]
    assert "https://example.org/a is defined of type 'Nothing'" in messages(caplog)[-1]
    assert watched.extensions["lineage"] is served


def test_a_save_in_several_writes_builds_once(watched, fixture_root, caplog):
    text = VALID.read_text(encoding="utf-8")
    with (fixture_root / "data" / "acme.ttl").open("w", encoding="utf-8") as handle:
        for start in range(0, len(text), len(text) // 4):  # a half-written file is not valid Turtle
            handle.write(text[start : start + len(text) // 4])
            handle.flush()
            time.sleep(INTERVAL / 5)
    wait_until(lambda: watcher_of(watched).reloads == 1, "the reload")
    time.sleep(5 * INTERVAL)
    assert watcher_of(watched).attempts == 1
    assert not any(m.startswith("not reloaded") for m in messages(caplog))


def test_touching_a_file_without_changing_it_swaps_nothing(watched, fixture_root, caplog):
    served = watched.extensions["lineage"]
    methods = fixture_root / "data" / "methods.ttl"
    os.utime(methods, ns=(methods.stat().st_atime_ns, methods.stat().st_mtime_ns + 10**9))
    wait_until(lambda: watcher_of(watched).attempts == 1, "a look at the changed file")
    assert "not reloaded: the inputs are the same as the served graph's" in messages(caplog)
    assert watched.extensions["lineage"] is served


def test_a_request_keeps_the_graph_it_started_with(watched, fixture_root):
    """A request takes its state once; a swap meanwhile does not change its answer, nor close its workers.

    The held app context stands for a request that started before the swap: the test client's
    requests inside it share it, so they are answered from the state it took."""
    old = watched.extensions["lineage"]
    client = watched.test_client()
    with watched.app_context():
        assert current_state() is old and old.users == 1
        shutil.copy(VALID, fixture_root / "data" / "acme.ttl")
        wait_until(lambda: watched.extensions["lineage"] is not old, "the swap")
        time.sleep(5 * INTERVAL)  # the watcher looks again meanwhile: it must not close a state in use
        assert not old.closed and old.pool.alive() == 1
        assert not ask(client)  # the job still runs on the old graph's worker, and gets its answer
    wait_until(lambda: old.closed, "the replaced state to be closed once its last request ended")
    assert ask(client)


def test_a_state_held_past_the_grace_period_is_closed_anyway(watched, fixture_root, caplog):
    watcher_of(watched).grace = 3 * INTERVAL
    old = watched.extensions["lineage"]
    with watched.app_context():
        current_state()
        shutil.copy(VALID, fixture_root / "data" / "acme.ttl")
        wait_until(lambda: old.closed, "the grace period to run out")
    assert any("still on them" in m for m in messages(caplog))


def hammer_through_a_reload(app, address, fixture_root):
    """Two clients (keep-alive, a new connection each time) ask COUNT while ``app`` reloads: their answers,
    and the processes forked meanwhile."""
    stop = threading.Event()
    seen: dict[str, list[tuple[int, bytes]]] = {"keep-alive": [], "new connection": []}

    def hammer(kind: str) -> None:
        connection = http.client.HTTPConnection(*address, timeout=30)
        for _ in range(3000):  # bounded; ends well before when ``stop`` is set
            if stop.is_set():
                break
            if kind == "new connection":
                connection.close()
                connection = http.client.HTTPConnection(*address, timeout=30)
            connection.request("GET", "/sparql?" + urllib.parse.urlencode({"query": COUNT, "format": "csv"}))
            response = connection.getresponse()
            seen[kind].append((response.status, response.read()))
        connection.close()

    clients = [threading.Thread(target=hammer, args=(kind,)) for kind in seen]
    try:
        before = descendants()
        for client in clients:
            client.start()
        wait_until(lambda: all(len(answers) >= 5 for answers in seen.values()), "answers from the old graph")
        shutil.copy(VALID, fixture_root / "data" / "acme.ttl")
        wait_until(lambda: watcher_of(app).reloads == 1, "the reload")
        done = {kind: len(answers) for kind, answers in seen.items()}
        wait_until(lambda: all(len(seen[kind]) >= done[kind] + 5 for kind in seen), "answers from the new graph")
        forked = descendants() - before
    finally:
        stop.set()
        for client in clients:
            client.join(timeout=30)

    return seen, forked


def test_requests_during_a_reload_get_the_old_or_the_new_graph(watched, fixture_root):
    """Real sockets: clients keep asking while the graph is rebuilt and swapped; every answer is a 200
    and counts the old graph or the new one, and a client that saw the new one never sees the old again.
    The processes forked for the new graph hold none of the server's sockets."""
    with waitress_thread(watched) as server:
        address = (server.effective_host, int(server.effective_port))
        inode = os.fstat(server.socket.fileno()).st_ino
        seen, forked = hammer_through_a_reload(watched, address, fixture_root)

    old, new = (int(answer[1].split()[1]) for answer in (seen["keep-alive"][0], seen["keep-alive"][-1]))
    assert new > old
    for kind, answers in seen.items():
        assert {status for status, _ in answers} == {200}, kind
        counts = [int(body.split()[1]) for _, body in answers]
        assert set(counts) == {old, new}, kind
        switched = counts.index(new)
        assert counts == [old] * switched + [new] * (len(counts) - switched), f"{kind}: back to the old graph"

    listening = f"socket:[{inode}]"
    assert forked, "the reload forked a template and a worker"
    for pid in forked:
        try:
            held = {os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()}
        except FileNotFoundError:  # ended meanwhile
            continue
        assert listening not in held, f"process {pid} holds the server's listening socket"


def test_stopping_ends_every_process(fixture_root):
    before = descendants()
    app = create_app({"ROOT": fixture_root, "QUERY_WORKERS": 2, "WATCH": True, "WATCH_INTERVAL": INTERVAL})
    shutil.copy(VALID, fixture_root / "data" / "acme.ttl")
    wait_until(lambda: watcher_of(app).reloads == 1, "the reload")
    (fixture_root / "data" / "acme.ttl").unlink()
    wait_until(lambda: watcher_of(app).reloads == 2, "the second reload")
    assert len(descendants() - before) >= 3  # a template and two workers, at least
    watch.stop(app)
    app.extensions["lineage"].close()
    wait_until(lambda: not descendants() - before, "every query process to end", timeout=5)


def test_closing_the_app_stops_its_watcher(watched):
    watcher = watcher_of(watched)
    assert watcher.running
    watched.extensions["lineage"].close()  # what conftest's fixtures do: the app is shutting down
    wait_until(lambda: not watcher.running, "the watcher to stop")


def test_describe_changes():
    before = {"data/a.ttl": (1, 10, 7), "data/b.ttl": (1, 10, 8)}
    after = {"data/a.ttl": (2, 10, 7), "data/c.ttl": (1, 1, 9)}
    assert watch.describe_changes(before, after) == "data/a.ttl changed, data/b.ttl removed, data/c.ttl added"
    assert watch.describe_changes(before, before) == "nothing changed"


# -- the command --------------------------------------------------------------------------------------


def test_serve_help_lists_watch():
    result = CliRunner().invoke(cli.main, ["serve", "--help"])
    assert result.exit_code == 0
    assert "--watch" in result.output


def test_serve_watch_reloads_and_reports_on_stderr(monkeypatch, fixture_root):
    import waitress

    monkeypatch.setenv("LINEAGE_ROOT", str(fixture_root))
    monkeypatch.setenv("LINEAGE_QUERY_WORKERS", "1")
    monkeypatch.setenv("LINEAGE_WATCH_INTERVAL", str(INTERVAL))
    monkeypatch.setattr(serve, "load_graph", lambda *args, **kwargs: build_graph(root=fixture_root))
    served = {}

    def fake_serve(app, **options):
        served["app"] = app
        served["watching"] = watcher_of(app).running
        shutil.copy(VALID, fixture_root / "data" / "acme.ttl")
        wait_until(lambda: ask(app.test_client()), "the new model to be served")

    monkeypatch.setattr(waitress, "serve", fake_serve)
    result = CliRunner().invoke(cli.main, ["serve", "--watch", "--port", "5998"])
    assert result.exit_code == 0, result.output
    assert served["watching"]
    assert "lineage: reloading: data/acme.ttl added" in result.stderr
    assert "lineage: reloaded: " in result.stderr
    assert "lineage.watch" not in served["app"].extensions  # stopped when serving ended
    assert served["app"].extensions["lineage"].closed
