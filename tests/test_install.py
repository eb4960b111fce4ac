"""Issue 14: a real install. The wheel, installed in a fresh virtual environment and run from outside
the checkout, checks the bundled graph, answers a saved query and serves pages, the ontology and
/sparql; it installs no top-level ``server`` module.

The fresh environment gets the project's wheel alone (``--no-deps``); the libraries it needs are those
of the interpreter running the tests, put on its path by a ``.pth`` line (no download, and the
checkout's editable install is not seen: a ``.pth`` line adds a folder, not a site directory)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import time
import urllib.parse
import urllib.request
import venv
from pathlib import Path

import pytest

from .conftest import ROOT, free_port


def run(*args: str, cwd: Path, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(the fresh environment's bin folder, a working folder outside the checkout, the environment)."""
    work = tmp_path_factory.mktemp("install")
    wheels = work / "dist"
    built = run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT), cwd=work, env=dict(os.environ)
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = wheels.glob("*.whl")
    env_dir = work / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    Path(purelib, "borrowed-libraries.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "LINEAGE_ROOT")}
    env["LINEAGE_CACHE_DIR"] = str(work / "cache")
    installed = run(
        sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", str(wheel), cwd=work, env=env
    )
    assert installed.returncode == 0, installed.stderr
    return env_dir / "bin", work, env


def test_the_wheel_carries_the_data_and_installs_no_server_module(installed):
    bin_dir, work, env = installed
    probe = run(
        str(bin_dir / "python"), "-c",
        "import importlib.util, json, lineage, lineage.paths as p; "
        "print(json.dumps([lineage.__file__, str(p.project_root()), importlib.util.find_spec('server') is None]))",
        cwd=work, env=env,
    )
    assert probe.returncode == 0, probe.stderr
    module, root, no_server = json.loads(probe.stdout)
    assert str(work) in module and str(ROOT) not in module  # the installed copy, not the checkout
    assert Path(root, "ontology", "lineage.ttl").is_file() and list(Path(root, "data").glob("*.ttl"))
    assert Path(root, "queries", "ancestors.rq").is_file()
    assert no_server


def test_installed_command_checks_and_answers_the_seed_question(installed):
    bin_dir, work, env = installed
    check = run(str(bin_dir / "lineage"), "check", cwd=work, env=env)
    assert check.returncode == 0, check.stderr
    assert "no violations" in check.stdout
    seed = run(str(bin_dir / "lineage"), "query", "is-chatgpt-descended-from-gpt-3", "--format", "json", cwd=work, env=env)
    assert seed.returncode == 0, seed.stderr
    assert json.loads(seed.stdout)["boolean"] is True
    explain = run(str(bin_dir / "lineage"), "explain", "chatgpt", "GPT-3", cwd=work, env=env)
    assert explain.returncode == 0 and "descends from the GPT-3 family" in explain.stdout


def test_installed_server_serves_pages_ontology_and_sparql(installed):
    bin_dir, work, env = installed
    port = free_port()
    server = subprocess.Popen(
        [str(bin_dir / "lineage"), "serve", "--port", str(port)],
        cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(base + "/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    server.terminate()
                    pytest.fail(f"lineage serve did not start: {server.communicate(timeout=30)[1]}")
                time.sleep(0.5)

        def get(path: str, accept: str) -> tuple[int, str]:
            request = urllib.request.Request(base + path, headers={"Accept": accept})
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status, answer.read().decode()

        status, page = get("/model/chatgpt", "text/html")
        assert status == 200 and "ChatGPT" in page and "<svg" in page
        status, ontology = get("/ontology", "text/turtle")
        assert status == 200 and "lin:descendantOf" in ontology
        query = urllib.parse.quote("ASK { model:chatgpt lin:descendantOf ?a . ?a lin:memberOf series:gpt-3 }")
        status, answer = get(f"/sparql?query={query}", "application/sparql-results+json")
        assert status == 200 and json.loads(answer)["boolean"] is True
    finally:
        server.terminate()
        server.communicate(timeout=30)  # waits, and closes the pipe
