"""``lineage harvest hf`` against a local stand-in of the Hub's HTTP API (tests/hubstub.py).

Every test points HF_ENDPOINT at the stand-in on loopback; no test touches the network. The records
are shaped as the Hub serves them (cardData, computed ``base_model:{relation}:{id}`` tags, siblings),
with injected 429, 503, 404 and malformed records.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph
from rdflib.namespace import SKOS

from lineage.build import build_graph
from lineage.cli import main
from lineage.importers import harvest, hf
from lineage.namespaces import LIN, MODEL

from .conftest import ROOT
from .hubstub import Hub, front_matter, record, serve

MERGE_CONFIG = """
# Triple-7B

Triple-7B is a merge of the following models using LazyMergekit.

```yaml
models:
  - model: mistralai/Mistral-7B-v0.1
  - model: mlabonne/NeuralHermes-2.5-Mistral-7B
    parameters: {density: 0.5, weight: 0.5}
  - model: deleted/ghost-7b
    parameters: {density: 0.5, weight: 0.3}
merge_method: dare_ties
base_model: mistralai/Mistral-7B-v0.1
dtype: bfloat16
```
"""


def make_hub() -> Hub:
    llama = {"license": "llama2"}
    chat = {"base_model": "meta-llama/Llama-2-7b-hf", "license": "llama2"}
    gguf = {"base_model": "meta-llama/Llama-2-7b-chat-hf", "quantized_by": "TheBloke", "license": "llama2"}
    gptq = {"base_model": "mistralai/Mistral-7B-v0.1", "quantized_by": "TheBloke", "license": "apache-2.0"}
    old = {"base_model": "meta-llama/Llama-2-7b-hf", "quantized_by": "TheBloke"}
    lora = {"base_model": "meta-llama/Llama-2-7b-chat-hf", "library_name": "peft"}
    merge = {"base_model": ["mlabonne/NeuralHermes-2.5-Mistral-7B"], "tags": ["merge", "mergekit"]}
    hermes = {"base_model": "teknium/OpenHermes-2.5-Mistral-7B", "license": "apache-2.0"}
    open_hermes = {"base_model": "mistralai/Mistral-7B-v0.1", "license": "apache-2.0"}
    broken = {"base_model": "mistralai/Mistral-7B-v0.1", "license": "mit"}
    records = [
        record("meta-llama/Llama-2-7b-hf", "2024-04-17T00:00:00.000Z", card=llama),
        record("meta-llama/Llama-2-7b-chat-hf", "2024-04-17T00:00:00.000Z", card=chat),
        record(
            "TheBloke/Llama-2-7B-Chat-GGUF",
            "2023-10-14T00:00:00.000Z",
            card=gguf,
            tags=("gguf", "llama"),
            files=("llama-2-7b-chat.Q4_K_M.gguf",),
            library=None,
            relation="quantized",
        ),
        record("TheBloke/Mistral-7B-v0.1-GPTQ", "2024-01-10T00:00:00.000Z", card=gptq, tags=("gptq", "4-bit")),
        "not a record",
        {"id": 42, "author": "TheBloke", "cardData": {}},
        record("TheBloke/Llama-2-7B-GGML", "2023-05-01T00:00:00.000Z", card=old, tags=("ggml",)),
        record(
            "acme/llama-2-chat-lora",
            "2024-02-01T00:00:00.000Z",
            card=lora,
            files=("adapter_config.json", "adapter_model.safetensors"),
            library="peft",
            relation="adapter",
        ),
        record("merger/Triple-7B", "2024-03-01T00:00:00.000Z", card=merge, tags=("merge", "mergekit")),
        record("mlabonne/NeuralHermes-2.5-Mistral-7B", "2024-01-05T00:00:00.000Z", card=hermes),
        record("teknium/OpenHermes-2.5-Mistral-7B", "2023-11-01T00:00:00.000Z", card=open_hermes),
        record("mistralai/Mistral-7B-v0.1", "2024-07-24T00:00:00.000Z", card={"license": "apache-2.0"}),
        record("broken/yaml-card", "2024-02-02T00:00:00.000Z", card=broken),
    ]
    readmes = {
        r["id"]: front_matter(r["cardData"], f"# {r['id']}\n")
        for r in records
        if isinstance(r.get("id") if isinstance(r, dict) else None, str)
    }
    readmes["merger/Triple-7B"] = front_matter(merge, MERGE_CONFIG)
    readmes["broken/yaml-card"] = "---\nbase_model: [mistralai/Mistral-7B-v0.1\nlicense: mit\n---\n# broken\n"
    del readmes["meta-llama/Llama-2-7b-hf"]  # a repository without a README: the record alone
    return Hub(records, readmes)


@pytest.fixture
def hub(monkeypatch) -> Hub:
    stand_in = make_hub()
    with serve(stand_in) as url:
        monkeypatch.setenv("HF_ENDPOINT", url)
        monkeypatch.delenv("HF_TOKEN", raising=False)
        yield stand_in


@pytest.fixture
def pauses(monkeypatch) -> list[float]:
    """The pauses between retries, recorded instead of slept."""
    slept: list[float] = []
    monkeypatch.setattr(harvest, "_sleep", slept.append)
    return slept


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def run(runner: CliRunner, *args: str):
    result = runner.invoke(main, ["harvest", "hf", *args])
    assert "Traceback" not in result.output + result.stderr
    return result


def edges(path: Path) -> set[tuple[str, str, str]]:
    graph = Graph().parse(path, format="nt" if path.suffix == ".nt" else "turtle")
    kinds = {LIN[n] for n in hf.RELATIONS.values()} | {LIN.derivedFrom}
    short = str(MODEL)
    return {(s.removeprefix(short), p.split("#")[1], o.removeprefix(short)) for s, p, o in graph if p in kinds}


def test_a_model_is_walked_to_its_roots(hub, runner, tmp_path, pauses):
    out = tmp_path / "hub.ttl"
    result = run(runner, "--model", "TheBloke/Llama-2-7B-Chat-GGUF", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert edges(out) == {
        ("hf/thebloke/llama-2-7b-chat-gguf", "quantizedFrom", "llama-2-7b-chat"),
        ("llama-2-7b-chat", "derivedFrom", "llama-2-7b"),  # curated models keep their IRIs
    }
    assert hub.hits["/api/models/meta-llama/Llama-2-7b-hf"] == 1  # the root was fetched, once
    assert "harvested 3 model records" in result.stderr
    assert not (tmp_path / "hub.ttl.checkpoint").exists()  # done: the checkpoint is removed
    assert pauses == []


def test_no_ancestors_stops_at_one_level(hub, runner, tmp_path):
    out = tmp_path / "hub.nt"
    result = run(runner, "--model", "TheBloke/Llama-2-7B-Chat-GGUF", "--no-ancestors", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert edges(out) == {("hf/thebloke/llama-2-7b-chat-gguf", "quantizedFrom", "llama-2-7b-chat")}
    assert hub.hits["/api/models/meta-llama/Llama-2-7b-chat-hf"] == 0


def test_429_and_503_are_retried_honouring_retry_after(hub, runner, tmp_path, pauses):
    hub.retry_after = "7"
    hub.faults["/api/models/TheBloke/Llama-2-7B-Chat-GGUF"] = [429, 503, 503]
    out = tmp_path / "hub.ttl"
    result = run(runner, "--model", "TheBloke/Llama-2-7B-Chat-GGUF", "--no-ancestors", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert pauses == [7.0, 2.0, 4.0]  # Retry-After, then the backoff doubling from 1 s (its second step)
    assert hub.hits["/api/models/TheBloke/Llama-2-7B-Chat-GGUF"] == 4
    assert "HTTP 429; retry 1 of 5 in 7 s" in result.stderr
    assert "5 requests, 3 retried" in result.stderr  # the record (4 tries) and its README (one)


def test_a_404_ancestor_is_reported_and_kept_as_a_leaf_and_the_walk_goes_on(hub, runner, tmp_path, pauses):
    out = tmp_path / "hub.ttl"
    result = run(runner, "--model", "merger/Triple-7B", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert "/api/models/deleted/ghost-7b: warning: not on the Hub (404" in result.stderr
    assert "kept as a leaf, known by its id" in result.stderr
    found = edges(out)
    merge = "hf/merger/triple-7b"
    assert {(s, o) for s, p, o in found if s == merge and p == "mergedFrom"} == {
        (merge, "mistral-7b-v0.1"),
        (merge, "hf/mlabonne/neuralhermes-2.5-mistral-7b"),
        (merge, "hf/deleted/ghost-7b"),  # the configuration's third model: a leaf
    }
    hermes = ("hf/mlabonne/neuralhermes-2.5-mistral-7b", "derivedFrom", "hf/teknium/openhermes-2.5-mistral-7b")
    assert hermes in found
    assert ("hf/teknium/openhermes-2.5-mistral-7b", "derivedFrom", "mistral-7b-v0.1") in found


def test_a_malformed_ancestor_record_is_reported_and_kept_as_a_leaf(hub, runner, tmp_path):
    hub.bodies["/api/models/meta-llama/Llama-2-7b-chat-hf"] = b'["not", "a", "record"]'
    out = tmp_path / "hub.ttl"
    result = run(runner, "--model", "acme/llama-2-chat-lora", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert "/api/models/meta-llama/Llama-2-7b-chat-hf: a malformed record, left out" in result.stderr
    assert "its record is malformed (not a model record); kept as a leaf" in result.stderr
    assert edges(out) == {("hf/acme/llama-2-chat-lora", "adapterOf", "llama-2-7b-chat")}


def test_a_broken_card_yaml_is_reported_and_the_record_kept(hub, runner, tmp_path):
    out = tmp_path / "hub.ttl"
    result = run(runner, "--model", "broken/yaml-card", "--no-ancestors", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert "broken/yaml-card/README.md:3: warning: broken YAML front matter" in result.stderr
    assert "the Hub record's cardData is used" in result.stderr
    assert edges(out) == {("hf/broken/yaml-card", "derivedFrom", "mistral-7b-v0.1")}


def test_a_listing_follows_the_pages_and_reports_malformed_records(hub, runner, tmp_path):
    hub.faults["/api/models"] = [503]
    out = tmp_path / "hub.ttl"
    result = run(runner, "--author", "TheBloke", "--no-ancestors", "-o", str(out), "--max-wait", "0")
    assert result.exit_code == 0, result.stderr
    assert hub.hits["/api/models"] == 4  # a 503, then three pages of two (two entries are malformed)
    assert {s for s, _, _ in edges(out)} == {
        "hf/thebloke/llama-2-7b-chat-gguf",
        "hf/thebloke/mistral-7b-v0.1-gptq",
        "hf/thebloke/llama-2-7b-ggml",
    }
    assert result.stderr.count("a malformed record, left out") == 2


def test_since_keeps_the_listing_to_models_modified_since(hub, runner, tmp_path):
    out = tmp_path / "hub.ttl"
    result = run(runner, "--author", "TheBloke", "--since", "2023-10-01", "--no-ancestors", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert {s for s, _, _ in edges(out)} == {"hf/thebloke/llama-2-7b-chat-gguf", "hf/thebloke/mistral-7b-v0.1-gptq"}
    assert not [p for p in hub.hits if "GGML" in p]  # older: neither its record nor its card was asked for


def test_a_request_that_keeps_failing_stops_and_the_same_command_resumes(hub, runner, tmp_path, pauses):
    out = tmp_path / "hub.ttl"
    args = ["--model", "merger/Triple-7B", "-o", str(out), "--retries", "2"]
    hub.faults["/api/models/teknium/OpenHermes-2.5-Mistral-7B"] = [503] * 3
    result = run(runner, *args)
    assert result.exit_code == 1
    assert "HTTP 503, still after 2 retries; run the same command again to resume from" in result.stderr
    assert not out.exists() and (tmp_path / "hub.ttl.checkpoint").exists()
    result = run(runner, *args)
    assert result.exit_code == 0, result.stderr
    assert hub.hits["/api/models/merger/Triple-7B"] == 1  # not asked again
    assert hub.hits["/api/models/mlabonne/NeuralHermes-2.5-Mistral-7B"] == 1
    assert ("hf/teknium/openhermes-2.5-mistral-7b", "derivedFrom", "mistral-7b-v0.1") in edges(out)


def test_a_killed_harvest_resumes_from_its_checkpoint(hub, tmp_path):
    out = tmp_path / "hub.ttl"
    checkpoint = tmp_path / "hub.ttl.checkpoint"
    hub.slow["/api/models/teknium/OpenHermes-2.5-Mistral-7B"] = 5.0
    command = [sys.executable, "-c", "from lineage.cli import main; main()", "harvest", "hf"]
    command += ["--model", "merger/Triple-7B", "-o", str(out)]
    process = subprocess.Popen(command, env=os.environ.copy(), stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while hub.hits["/api/models/teknium/OpenHermes-2.5-Mistral-7B"] == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert hub.hits["/api/models/teknium/OpenHermes-2.5-Mistral-7B"] == 1
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    assert not out.exists() and "NeuralHermes" in checkpoint.read_text()
    del hub.slow["/api/models/teknium/OpenHermes-2.5-Mistral-7B"]
    before = dict(hub.hits)
    result = CliRunner().invoke(main, ["harvest", "hf", "--model", "merger/Triple-7B", "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    asked = {path: hub.hits[path] - before.get(path, 0) for path in hub.hits if hub.hits[path] > before.get(path, 0)}
    assert (
        "/api/models/merger/Triple-7B" not in asked and "/api/models/mlabonne/NeuralHermes-2.5-Mistral-7B" not in asked
    )
    assert asked["/api/models/teknium/OpenHermes-2.5-Mistral-7B"] == 1
    assert ("hf/teknium/openhermes-2.5-mistral-7b", "derivedFrom", "mistral-7b-v0.1") in edges(out)


def test_the_checkpoint_of_another_harvest_is_refused(hub, runner, tmp_path):
    checkpoint = tmp_path / "c.jsonl"
    checkpoint.write_text('{"harvest": {"models": ["x/y"]}}\n')
    result = run(runner, "--model", "merger/Triple-7B", "--checkpoint", str(checkpoint))
    assert result.exit_code == 1
    assert "is the checkpoint of another harvest" in result.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "say what to harvest"),
        (["--model", "./local"], "is not a Hub repo id"),
        (["--author", "x", "--since", "last tuesday"], "--since: 'last tuesday' is not a date"),
    ],
)
def test_usage_errors_exit_2(runner, args, message, hub):
    result = run(runner, *args)
    assert result.exit_code == 2 and message in result.stderr


def test_an_unreachable_hub_is_a_message_not_a_traceback(runner, monkeypatch, tmp_path, pauses):
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # the discard port: refused
    result = run(runner, "--model", "a/b", "--retries", "1", "-o", str(tmp_path / "x.ttl"))
    assert result.exit_code == 1
    assert "lineage: harvest stopped: http://127.0.0.1:9/api/models/a/b: " in result.stderr
    assert "still after 1 retries" in result.stderr


def test_a_harvest_validates_with_the_bundled_data(hub, runner, tmp_path, pauses):
    out = tmp_path / "hub.ttl"
    result = run(runner, "--model", "merger/Triple-7B", "--model", "acme/llama-2-chat-lora", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    graph = Graph().parse(out)
    lora = MODEL["hf/acme/llama-2-chat-lora"]
    (claim,) = [c for c in graph.objects(lora, LIN.hasClaim) if graph.value(c, LIN.claimedParent)]
    assert "as the Hub does: the repository has adapter_config.json." in str(graph.value(claim, SKOS.note))
    kg = build_graph([out], root=ROOT, use_cache=False)
    assert [str(v) for v in kg.violations] == []
    assert (MODEL["hf/merger/triple-7b"], LIN.descendantOf, MODEL["mistral-7b-v0.1"]) in kg.inferred
