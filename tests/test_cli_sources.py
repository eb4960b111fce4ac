"""Every read command reads every source: ``explain``, ``query``, ``licenses`` and ``models`` take
``--data FILE`` (extra Turtle or N-Triples beside the curated graph) and ``--store DIR`` (a folder
built by ``lineage bigbuild``, read through the store interface ``serve --store`` uses)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from lineage.build import build_graph
from lineage.cli import main
from lineage.importers import hf

from .conftest import DATA, ROOT

GPTQ = "TheBloke/Llama-2-7B-Chat-GPTQ"  # in tests/data/hf/real/, quantised from curated Llama 2-Chat 7B


@pytest.fixture(scope="module")
def runner(built) -> CliRunner:
    build_graph(root=ROOT)  # fill this session's private cache, so commands without --data start warm
    return CliRunner()


@pytest.fixture(scope="module")
def store(tmp_path_factory, runner) -> Path:
    """The bundled graph built by `lineage bigbuild` into a store folder."""
    folder = tmp_path_factory.mktemp("store") / "store"
    result = runner.invoke(main, ["bigbuild", str(folder)])
    assert result.exit_code == 0, result.output
    return folder


@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> Path:
    """The real-card corpus imported, as `lineage import hf -o hf-real.nt` writes it."""
    path = tmp_path_factory.mktemp("data") / "hf-real.nt"
    with path.open("w", encoding="utf-8") as out:
        hf.import_cards(DATA / "hf" / "real", curated=hf.Curated.bundled(ROOT), out=out, fmt="ntriples")
    return path


def invoke(runner: CliRunner, *args: str):
    result = runner.invoke(main, list(args))
    assert "Traceback" not in result.output
    return result


@pytest.mark.parametrize(
    "args",
    [
        ["explain", "chatgpt", "gpt-3", "--format", "json"],
        ["licenses", "llama-2-7b-chat", "--format", "json"],
        ["models", "--family", "llama-2", "--format", "json"],
        ["query", "ancestors", "-p", "model=chatgpt", "--format", "json"],
    ],
)
def test_a_store_answers_as_the_curated_graph_does(runner, store, args):
    curated = invoke(runner, *args)
    stored = invoke(runner, *args, "--store", str(store))
    assert curated.exit_code == stored.exit_code == 0, stored.output
    if args[0] == "query":  # rows, and the values GROUP_CONCAT joins, in no promised order
        rows = [json.loads(r.stdout)["results"]["bindings"] for r in (curated, stored)]
        for row in rows[0] + rows[1]:
            row["methods"]["value"] = sorted(row["methods"]["value"].split(", "))
        assert sorted(map(json.dumps, rows[0])) == sorted(map(json.dumps, rows[1]))
    else:
        assert json.loads(stored.stdout) == json.loads(curated.stdout)


def test_explain_query_and_models_read_data_files(runner, imported):
    explained = invoke(runner, "explain", GPTQ, "llama-2-7b", "--data", str(imported))
    assert explained.exit_code == 0, explained.output
    assert "quantized from" in explained.stdout.lower() or "quantizedfrom" in explained.stdout.lower()
    asked = invoke(runner, "query", "ancestors", "-p", f"model={GPTQ}", "--data", str(imported), "--format", "csv")
    assert asked.exit_code == 0, asked.output
    assert "https://w3id.org/model-lineage/model/llama-2-7b-chat" in asked.stdout
    listed = invoke(runner, "models", "--data", str(imported), "--format", "json")
    assert GPTQ in {row["model_id"] for row in json.loads(listed.stdout)}


def test_data_files_are_read_beside_a_store(runner, store, imported):
    explained = invoke(runner, "explain", GPTQ, "llama-2-7b-chat", "--store", str(store), "--data", str(imported))
    assert explained.exit_code == 0, explained.output
    listed = invoke(runner, "models", "--store", str(store), "--data", str(imported), "--format", "json")
    models = {row["model_id"] for row in json.loads(listed.stdout)}
    assert GPTQ in models and "meta-llama/Llama-2-7b-chat-hf" in models


def test_a_store_that_is_not_there_exits_2(runner, tmp_path):
    result = invoke(runner, "models", "--store", str(tmp_path / "nowhere"))
    assert result.exit_code == 2
    assert "--store" in result.stderr
