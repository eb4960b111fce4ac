"""Issue 14: errors that help. Over real HTTP to the live server: a SPARQL syntax error says where the
query really breaks and what is wrong, in words; an unknown page suggests the near names the resolver
finds (the same resolver as the CLI's); the model list and the coverage line are served."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

import pytest


def get(live_server, path: str, accept: str) -> tuple[int, str, dict]:
    host, port = live_server
    request = urllib.request.Request(f"http://{host}:{port}{path}", headers={"Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.read().decode(), dict(answer.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), dict(error.headers)


@pytest.mark.parametrize(
    ("query", "where", "what"),
    [
        ("SELECT * WHERE { ?s ?p ?o FILTER(?o > 1 }", "line 1, column 41", "the '(' opened at line 1, column 33 is not closed"),
        ("SELECT * WHERE {\n  ?s ?p ?o .\n", "line 1, column 16", "the '{' opened here is never closed"),
        ("SELEC * WHERE { ?s ?p ?o }", "line 1, column 1", "expected a query (SELECT, CONSTRUCT, ASK or DESCRIBE)"),
        ("SELECT * WHERE { ?s ?p ?o } LIMT 3", "line 1, column 29", "expected the end of the query, found 'LIMT'"),
    ],
)
def test_a_syntax_error_says_where_and_what_in_words(live_server, query, where, what):
    status, body, _ = get(live_server, "/sparql?query=" + urllib.parse.quote(query), "application/json")
    assert status == 400
    answer = json.loads(body)
    assert where in answer["message"] and what in answer["message"], answer["message"]
    assert "Expected SelectQuery" not in answer["message"]


def test_an_unknown_model_page_suggests_the_near_name(live_server):
    status, body, _ = get(live_server, "/model/chatgp", "text/html")
    assert status == 404
    assert 'Did you mean <a href="/model/chatgpt">ChatGPT (research release)</a>?' in body
    status, body, _ = get(live_server, "/model/llama-3.1-8b-instrukt", "application/json")
    assert status == 404 and "did you mean llama-3.1-8b-instruct" in json.loads(body)["message"]


def test_a_page_for_a_name_people_type_points_to_the_model(live_server):
    status, body, _ = get(live_server, "/model/Llama-3.1-8B-Instruct", "text/plain")  # the Hub's spelling
    assert status == 404 and "did you mean llama-3.1-8b-instruct?" in body


def test_models_page_and_coverage(live_server):
    status, body, _ = get(live_server, "/models?family=" + urllib.parse.quote("Llama 3.1"), "application/json")
    assert status == 200
    answer = json.loads(body)
    assert {row["slug"] for row in answer["models"]} >= {"llama-3.1-8b", "llama-3.1-405b-instruct"}
    assert answer["coverage"]["models"] >= 200 and answer["coverage"]["developers"] >= 15
    status, body, _ = get(live_server, "/", "text/html")
    assert status == 200 and "The graph holds" in body and " models from " in body
    status, body, _ = get(live_server, "/models?developer=nobody-at-all", "application/json")
    assert status == 404 and "unknown org" in json.loads(body)["message"]


def test_search_finds_what_people_type(live_server):
    status, body, _ = get(live_server, "/?q=" + urllib.parse.quote("deepseek r1 distill qwen 7b"), "text/html")
    section = body[body.index('id="search-results"') :]
    first = section[section.index('href="') + 6 :]
    assert status == 200 and first.startswith("/model/deepseek-r1-distill-qwen-7b")
    status, body, _ = get(live_server, "/?q=qwen", "text/html")
    assert "/model/qwen2.5-math-7b" in body[body.index('id="search-results"') :]
