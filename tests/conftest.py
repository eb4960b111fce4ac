"""Shared fixtures: the real bundled graph, built once per session into a private cache."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lineage.build import build_graph

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory):
    """Builds in tests never read or write the user's cache."""
    os.environ["LINEAGE_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    yield


@pytest.fixture(scope="session")
def built(private_cache):
    """The bundled ontology and data, loaded, reasoned and validated: built once for the session, into
    the session's private cache, where the commands the tests run find it."""
    return build_graph(root=ROOT)


@pytest.fixture
def fixture_root(tmp_path):
    """A project root with the real ontology and training methods and no other data."""
    (tmp_path / "ontology").mkdir()
    (tmp_path / "data").mkdir()
    for path in (ROOT / "ontology").glob("*.ttl"):
        shutil.copy(path, tmp_path / "ontology" / path.name)
    shutil.copy(ROOT / "data" / "methods.ttl", tmp_path / "data" / "methods.ttl")
    return tmp_path


# -- the web app (tests/test_sparql_protocol.py, tests/test_safety.py) ------------------------------


@pytest.fixture(scope="session")
def app(built):
    """The app over the session's graph, with three query worker processes; closed at the end."""
    from lineage.web import create_app

    app = create_app({"TESTING": True, "GRAPH": built, "QUERY_WORKERS": 3, "QUERY_TIMEOUT": 10})
    yield app
    app.extensions["lineage"].close()


@pytest.fixture
def client(app):
    return app.test_client()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def oxigraph_serve(folder: Path) -> Iterator[str]:
    """``oxigraph serve`` (PyPI ``oxigraph``) on a free loopback port over ``folder/db``: its base URL."""
    command = shutil.which("oxigraph")
    if command is None:
        pytest.fail("the oxigraph command is missing: pip install -e '.[test]' installs it")
    port = free_port()
    with (folder / "server.log").open("wb") as log:
        process = subprocess.Popen(
            [command, "serve", "--location", str(folder / "db"), "--bind", f"127.0.0.1:{port}"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("oxigraph serve did not start:\n" + (folder / "server.log").read_text())
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextlib.contextmanager
def waitress_thread(app, threads: int = 4, **adjustments):
    """``app`` served by waitress on a free loopback port, in a thread; yields the server.
    ``threads`` and other ``adjustments`` are waitress's (``lineage serve`` uses 8 threads).

    On exit the server's sockets are closed by its own loop thread (a trigger thunk): closing them from
    this thread races the loop's ``select()``, which then fails with EBADF in the server thread."""
    import threading

    from waitress import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=threads, **adjustments)
    thread = threading.Thread(target=server.run, name="waitress", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.task_dispatcher.shutdown()

        def close_all() -> None:  # the listener, the trigger and every open connection: the loop ends
            for dispatcher in list(server._map.values()):
                dispatcher.close()

        server.trigger.pull_trigger(close_all)
        thread.join(timeout=10)
        assert not thread.is_alive(), "waitress did not stop"


@pytest.fixture(scope="session")
def live_server(app):
    """The session app served by waitress on a free loopback port, in a thread: ``(host, port)``."""
    with waitress_thread(app) as server:
        yield server.effective_host, int(server.effective_port)


# -- headless Chromium (tests/test_*_browser.py) ----------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
# Screenshots the browser tests write: never into the checkout (LINEAGE_TEST_ARTIFACTS to keep them elsewhere).
ARTIFACTS = Path(os.environ.get("LINEAGE_TEST_ARTIFACTS") or Path(tempfile.gettempdir()) / "model-lineage-artifacts")


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright; no browser is downloaded. Installed by ``.ci/setup``."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run .ci/setup (it installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser page; ``page.errors`` collects console errors and uncaught exceptions."""
    context = browser.new_context(base_url="http://{}:{}".format(*live_server), viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.errors = []
    page.on("console", lambda message: message.type == "error" and page.errors.append(message.text))
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot as a test artifact (``$ARTIFACTS/<name>.png``)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
