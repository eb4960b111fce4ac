"""The query page at /sparql (HTML for browsers) and the HTML list of saved queries.

Served to a browser's Accept header by the real app; run in headless Chromium over a real socket.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

from tests.conftest import screenshot

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
MODEL = "https://w3id.org/model-lineage/model/"


def select_json(live_server, query: str) -> dict:
    """The endpoint's own SPARQL JSON answer, asked for over HTTP as any client would."""
    url = "http://{}:{}/sparql?".format(*live_server) + urllib.parse.urlencode({"query": query})
    request = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


# -- served HTML ------------------------------------------------------------------------------------


def test_browser_gets_the_query_page_and_clients_get_the_service_description(client):
    page = client.get("/sparql", headers={"Accept": BROWSER})
    assert page.status_code == 200 and page.mimetype == "text/html"
    text = page.get_data(as_text=True)
    assert '<textarea id="query-text"' in text and 'data-autorun="false"' in text
    for name in ("ancestors", "is-chatgpt-descended-from-gpt-3", "edge-sources"):
        assert f'data-example="{name}"' in text
    assert client.get("/sparql", headers={"Accept": "*/*"}).mimetype == "text/turtle"
    assert client.get("/sparql").mimetype == "text/turtle"


def test_examples_carry_their_example_values(client, app):
    text = client.get("/sparql?format=html").get_data(as_text=True)
    start = text.index('<script type="application/json" id="examples-data">') + len(
        '<script type="application/json" id="examples-data">'
    )
    examples = {e["name"]: e for e in json.loads(text[start : text.index("</script>", start)])}
    assert set(examples) == set(app.extensions["lineage"].engine.saved)
    assert f"VALUES (?model ?ancestor) {{ (<{MODEL}chatgpt> <{MODEL}unidentified-gpt-3-family-model>) }}" in examples["is-descendant"]["text"]
    assert "VALUES" not in examples["is-chatgpt-descended-from-gpt-3"]["text"]


def test_saved_queries_list_as_html(client, app):
    response = client.get("/queries", headers={"Accept": BROWSER})
    assert response.status_code == 200 and response.mimetype == "text/html"
    text = response.get_data(as_text=True)
    for name in app.extensions["lineage"].engine.saved:
        assert f'id="{name}"' in text
    assert 'href="/queries/ancestors?model=chatgpt"' in text
    assert client.get("/queries").mimetype == "application/json"


def test_a_saved_query_opens_in_the_page_with_its_values(client):
    response = client.get("/queries/lineage-path?model=chatgpt&ancestor=unidentified-gpt-3-family-model", headers={"Accept": BROWSER})
    assert response.status_code == 200 and response.mimetype == "text/html"
    text = response.get_data(as_text=True)
    assert 'data-autorun="true"' in text
    assert f"VALUES (?model ?ancestor) {{ (&lt;{MODEL}chatgpt&gt; &lt;{MODEL}unidentified-gpt-3-family-model&gt;) }}" in text


def test_a_browser_gets_errors_as_a_page(client):
    response = client.get("/queries/ancestors?model=no-such-model", headers={"Accept": BROWSER})
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert "unknown model" in response.get_data(as_text=True)
    assert client.get("/queries/ancestors?model=no-such-model").mimetype == "text/plain"


# -- in Chromium ------------------------------------------------------------------------------------


def test_type_a_query_run_it_see_rows(page, live_server):
    query = "SELECT ?ancestor WHERE { model:chatgpt lin:descendantOf ?ancestor } ORDER BY ?ancestor"
    expected = [row["ancestor"]["value"] for row in select_json(live_server, query)["results"]["bindings"]]
    assert f"{MODEL}unidentified-gpt-3-family-model" in expected

    page.goto("/sparql")
    page.fill("#query-text", query)
    page.click("#run")
    page.wait_for_selector("#results-table tbody tr")
    links = page.locator("#results-table tbody td a")
    assert links.count() == len(expected)
    assert [links.nth(i).get_attribute("title") for i in range(links.count())] == expected
    assert links.nth(expected.index(f"{MODEL}unidentified-gpt-3-family-model")).get_attribute("href") == "/model/unidentified-gpt-3-family-model"
    assert page.inner_text("#status").startswith(f"{len(expected)} rows")
    assert "query=" in page.url  # the address now holds the query: it can be shared
    screenshot(page, "query-page")
    assert page.errors == []


def test_an_example_runs_from_its_button(page, live_server):
    page.goto("/sparql")
    page.click('button[data-example="is-chatgpt-descended-from-gpt-3"]')
    page.wait_for_selector("#results-boolean")
    assert page.inner_text("#results-boolean") == "Yes (true)"
    assert page.errors == []


def test_a_bad_query_shows_the_parsers_message(page):
    page.goto("/sparql")
    page.fill("#query-text", "SELECT * WHERE { ?s ?p }")
    page.focus("#query-text")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#status.error")
    assert "400" in page.inner_text("#status") and "line 1" in page.inner_text("#status")


def test_a_shared_link_runs_its_query(page):
    page.goto("/queries/ancestors?model=chatgpt")
    page.wait_for_selector("#results-table tbody tr")
    assert "unidentified-gpt-3.5-model" in page.inner_text("#results-table")
    assert page.errors == []
