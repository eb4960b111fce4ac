"""Linked Data: every IRI under the base dereferences, by Accept or suffix; pages for people.

RDF answers come from the live server over a socket and are read back with rdflib's strict parsers;
what they must hold is computed from the built graph, not written down.
"""

from __future__ import annotations

import http.client
import re

import pytest
from rdflib import RDF, RDFS, Dataset, URIRef
from rdflib.namespace import DCTERMS

from lineage.build import quiet_dataset_deprecations
from lineage.namespaces import GRAPH_INFERRED, LIN, MODEL, ORG, SOURCE

GPT3_FAMILY = MODEL["unidentified-gpt-3-family-model"]  # what ChatGPT descends from: "a GPT-3 model"

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
OWLAPI_3 = "application/rdf+xml, application/xml; q=0.5, text/xml; q=0.3, */*; q=0.2"
PARSERS = {
    "text/turtle": "turtle",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
    "application/n-triples": "nt",
    "application/n-quads": "nquads",
    "application/trig": "trig",
}


def fetch(live_server, path: str, accept: str | None = None) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection(*live_server, timeout=30)
    try:
        connection.request("GET", path, headers={"Accept": accept} if accept else {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def parse(body: bytes, media: str) -> Dataset:
    """Strict parse: any syntax error fails the test."""
    dataset = Dataset()
    with quiet_dataset_deprecations():
        dataset.parse(data=body, format=PARSERS[media], publicID="http://invalid.example/")
    return dataset


def triples(dataset: Dataset) -> set:
    with quiet_dataset_deprecations():
        return {(s, p, o) for s, p, o, _g in dataset.quads((None, None, None, None))}


CASES = [
    # (path, Accept) -> (status, media type)
    ("/model/chatgpt", None, 200, "text/turtle"),
    ("/model/chatgpt", "*/*", 200, "text/turtle"),
    ("/model/chatgpt", BROWSER, 200, "text/html"),
    ("/model/chatgpt", OWLAPI_3, 200, "application/rdf+xml"),
    ("/model/chatgpt", "application/ld+json", 200, "application/ld+json"),
    ("/model/chatgpt", "application/n-triples", 200, "application/n-triples"),
    ("/model/chatgpt", "text/turtle;q=0.4, application/rdf+xml;q=0.9", 200, "application/rdf+xml"),
    ("/model/chatgpt", "application/trig", 200, "application/trig"),
    ("/model/chatgpt", "image/png", 406, "text/plain"),
    ("/model/chatgpt.ttl", BROWSER, 200, "text/turtle"),
    ("/model/chatgpt.rdf", None, 200, "application/rdf+xml"),
    ("/model/chatgpt.jsonld", None, 200, "application/ld+json"),
    ("/model/chatgpt.nt", None, 200, "application/n-triples"),
    ("/model/chatgpt.nq", None, 200, "application/n-quads"),
    ("/model/chatgpt.html", "text/turtle", 200, "text/html"),
    ("/model/gpt-3.5-turbo-0301", None, 200, "text/turtle"),  # dots in a slug are not a suffix
    ("/series/gpt-3.5.ttl", None, 200, "text/turtle"),
    ("/org/openai", BROWSER, 200, "text/html"),
    ("/org/openai", "application/rdf+xml", 200, "application/rdf+xml"),
    ("/series/gpt-3.5", BROWSER, 200, "text/html"),
    ("/source/chatgpt-blog", BROWSER, 200, "text/html"),
    ("/source/chatgpt-blog", "application/ld+json", 200, "application/ld+json"),
    ("/method/rlhf-ppo", BROWSER, 200, "text/html"),
    ("/claim/chatgpt--code-davinci-002--yao-fu", BROWSER, 200, "text/html"),
    ("/claim/chatgpt--code-davinci-002--yao-fu", None, 200, "text/turtle"),
    ("/model/no-such-model", None, 404, "text/turtle"),
    ("/model/no-such-model", "application/rdf+xml", 404, "application/rdf+xml"),
    ("/model/no-such-model", "application/ld+json", 404, "application/ld+json"),
    ("/model/no-such-model", "application/n-triples", 404, "application/n-triples"),
    ("/model/no-such-model.ttl", None, 404, "text/turtle"),
    ("/model/no-such-model", BROWSER, 404, "text/html"),
    ("/", BROWSER, 200, "text/html"),
    ("/explain?model=chatgpt&ancestor=unidentified-gpt-3-family-model", BROWSER, 200, "text/html"),
    ("/explain?model=chatgpt&ancestor=unidentified-gpt-3-family-model", "application/json", 200, "application/json"),
    ("/explain?model=unidentified-gpt-3-family-model&ancestor=chatgpt", "application/json", 404, "application/json"),
    ("/explain?model=chatgpt", None, 400, "text/plain"),
]


@pytest.mark.parametrize("path, accept, status, media", CASES, ids=[f"{c[0]}-{c[1] or '-'}" for c in CASES])
def test_dereference(live_server, path, accept, status, media):
    code, headers, body = fetch(live_server, path, accept)
    assert (code, headers["content-type"].split(";")[0]) == (status, media), body[:300]
    assert "Accept" in headers.get("vary", "")
    if media in PARSERS:
        found = parse(body, media)  # a 404 in an RDF format is a document that parses (and says nothing)
        assert (len(triples(found)) > 0) == (status == 200)


def test_link_headers_name_every_other_format(live_server):
    _code, headers, _body = fetch(live_server, "/model/chatgpt")
    links = dict(re.findall(r'<([^>]+)>; rel="alternate"; type="([^"]+)"', headers["link"]))
    assert links["/model/chatgpt.ttl"] == "text/turtle"
    assert links["/model/chatgpt.rdf"] == "application/rdf+xml"
    assert links["/model/chatgpt.html"] == "text/html"
    for path, media in links.items():
        code, got, _ = fetch(live_server, path)
        assert (code, got["content-type"].split(";")[0]) == (200, media)


def test_description_holds_the_subjects_triples_claims_and_labels(live_server, built):
    union = built.union()
    chatgpt = MODEL.chatgpt
    _code, _headers, body = fetch(live_server, "/model/chatgpt.nt")
    answer = triples(parse(body, "application/n-triples"))
    own = set(union.triples((chatgpt, None, None)))
    assert own <= answer
    for claim in union.objects(chatgpt, LIN.hasClaim):
        assert set(union.triples((claim, None, None))) <= answer
    for linked in {o for _s, _p, o in own if isinstance(o, URIRef)}:
        for name in union.objects(linked, RDFS.label):
            assert (linked, RDFS.label, name) in answer


def test_inferred_triples_can_be_left_out_and_are_told_apart(live_server, built):
    inferred = set(built.inferred.triples((MODEL.chatgpt, None, None)))
    assert (MODEL.chatgpt, LIN.descendantOf, GPT3_FAMILY) in inferred
    _c, _h, body = fetch(live_server, "/model/chatgpt.nt?inferred=false")
    assert not inferred & triples(parse(body, "application/n-triples"))
    _c, _h, body = fetch(live_server, "/model/chatgpt.trig")
    with quiet_dataset_deprecations():
        in_inferred_graph = set(parse(body, "application/trig").graph(GRAPH_INFERRED))
    assert {t for t in in_inferred_graph if t[0] == MODEL.chatgpt} == inferred
    assert in_inferred_graph <= set(built.inferred)


# -- pages ----------------------------------------------------------------------------------------


def page_text(client, path: str) -> str:
    response = client.get(path, headers={"Accept": BROWSER})
    assert response.status_code == 200 and response.mimetype == "text/html", response.data[:300]
    return response.get_data(as_text=True)


def test_model_page_shows_ancestors_claims_disagreement_and_diagram(client, built):
    union = built.union()
    text = page_text(client, "/model/chatgpt")
    ancestors = set(union.objects(MODEL.chatgpt, LIN.descendantOf))
    assert GPT3_FAMILY in ancestors
    for ancestor in ancestors:
        assert f'href="/model/{str(ancestor).rsplit("/", 1)[-1]}"' in text
    section = text[text.index('id="ancestors"') : text.index('id="descendants"')]
    assert "inferred" in section  # the GPT-3 family model is reached through the reasoner, not stated
    assert "<svg" in text and 'role="img"' in text
    assert 'id="disagreement"' in text
    publishers = {
        str(union.value(union.value(source, LIN.publishedBy), RDFS.label))
        for claim in union.objects(MODEL.chatgpt, LIN.hasClaim)
        for source in union.objects(claim, LIN.source)
    }
    disagreement = text[text.index('id="disagreement"') :]
    for publisher in publishers:
        assert publisher in disagreement
    assert "/explain?model=" in text and "/queries/ancestors?model=chatgpt" in text


def test_source_page_lists_every_claim_that_cites_it(client, built):
    union = built.union()
    source = SOURCE["openai-model-index-2023-01"]
    claims = set(union.subjects(LIN.source, source))
    assert len(claims) > 1
    text = page_text(client, "/source/openai-model-index-2023-01")
    for claim in claims:
        assert f'href="/claim/{str(claim).rsplit("/", 1)[-1]}"' in text


def test_org_page_lists_its_models(client, built):
    union = built.union()
    text = page_text(client, "/org/openai")
    for model in union.subjects(LIN.developedBy, ORG.openai):
        assert f'href="{str(model).replace("https://w3id.org/model-lineage", "")}"' in text


def test_index_has_every_model_in_a_family_and_search(client, built):
    union = built.union()
    text = page_text(client, "/")
    for model in set(union.subjects(RDF.type, LIN.Model)):
        assert f'href="/model/{str(model).rsplit("/", 1)[-1]}"' in text
    found = page_text(client, "/?q=llama 2")
    results = found[found.index('id="search-results"') : found.index('id="families"')]
    assert 'href="/model/llama-2-7b"' in results and 'href="/model/chatgpt"' not in results


def test_explain_page_shows_each_hop_and_its_sources(client, built):
    text = page_text(client, "/explain?model=chatgpt&ancestor=unidentified-gpt-3-family-model")
    assert "Chain 1" in text
    for source in ("chatgpt-blog",):
        assert f'href="/source/{source}"' in text
    title = str(built.union().value(SOURCE["chatgpt-blog"], DCTERMS.title))
    assert title in text


# -- pages of big models: the nearest descendants and the first values, the rest counted -----------


def test_a_model_page_lists_its_nearest_descendants_and_counts_the_rest(client, built, monkeypatch):
    from lineage.web import pages as resource

    total = len(set(built.union().subjects(LIN.descendantOf, GPT3_FAMILY)))
    assert total > 3
    monkeypatch.setattr(resource, "MAX_RELATIVES", 3)
    page = client.get("/model/unidentified-gpt-3-family-model", headers={"Accept": "text/html"}).get_data(as_text=True)
    section = page.split('<section id="descendants">')[1].split("</section>")[0]
    assert f"Descendants ({total})" in section
    assert section.count("<li>") == 3
    more = section.split('id="more-descendants"')[1]
    assert "The nearest 3 are listed." in more and "/queries/descendants?model=unidentified-gpt-3-family-model" in more


def test_a_model_page_lists_a_few_values_per_property_and_counts_the_rest(client, built, monkeypatch):
    from lineage.web import pages as resource

    ancestor_of = len(set(built.union().objects(GPT3_FAMILY, LIN.ancestorOf)))
    assert ancestor_of > 2
    monkeypatch.setattr(resource, "MAX_VALUES", 2)
    page = client.get("/model/unidentified-gpt-3-family-model", headers={"Accept": "text/html"}).get_data(as_text=True)
    statements = page.split('id="statements"')[1]
    assert f"… and {ancestor_of - 2} more" in statements


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """The bundled graph built into a store (``lineage bigbuild``), read as pages read a store."""
    from lineage.bigbuild import folder as store
    from lineage.stores.backend import UNION, BackendStore, FolderBackend

    folder = tmp_path_factory.mktemp("some") / "store"
    store.build(folder)
    return BackendStore(FolderBackend(folder)).graph(UNION)


def test_some_subjects_stops_at_its_limit_in_memory_and_in_a_store(built, stored):
    from lineage.stores.backend import count_subjects, holds_any, some_subjects

    for graph in (built.union(), stored):
        every = set(graph.subjects(LIN.descendantOf, GPT3_FAMILY))
        assert len(every) > 3 and count_subjects(graph, LIN.descendantOf, GPT3_FAMILY) == len(every)
        some = some_subjects(graph, LIN.descendantOf, GPT3_FAMILY, 3)
        assert len(some) == 3 and set(some) <= every
        assert holds_any(graph, (GPT3_FAMILY, None, None)) and holds_any(graph, (None, None, GPT3_FAMILY))
        assert not holds_any(graph, (MODEL["no-such-model"], None, None))


def test_first_values_are_the_same_in_memory_and_in_a_store_fetched_whole_or_counted(built, stored, monkeypatch):
    from lineage.stores import backend

    in_memory = backend.first_values(built.union(), GPT3_FAMILY, 2)
    values, total = in_memory[LIN.ancestorOf]
    assert total == len(set(built.union().objects(GPT3_FAMILY, LIN.ancestorOf))) > 2
    assert values == sorted(set(built.union().objects(GPT3_FAMILY, LIN.ancestorOf)), key=str)[:2]
    assert backend.first_values(stored, GPT3_FAMILY, 2) == in_memory
    monkeypatch.setattr(backend, "_FEW", 3)  # unidentified-gpt-3-family-model's statements are then too many to fetch whole
    sent = stored.store.queries
    assert backend.first_values(stored, GPT3_FAMILY, 2) == in_memory
    assert stored.store.queries > sent + 1  # a count per predicate, then the values: not one fetch of all
