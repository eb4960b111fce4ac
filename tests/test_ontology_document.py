"""The ontology document, the whole graph for Protégé, and VoID (issue 4, items 3 to 5).

Negotiation is checked against the live server with the Accept headers real clients send: the
OWL API 3 (Protégé 4, owlready2's HermiT.jar) and OWL API 5 (Protégé 5), a browser, curl. Every
RDF answer is parsed twice, by Oxigraph's strict parsers and by rdflib, and compared with the
built graph. The OWL API then loads the documents by URL from the live server, as Protégé's
"Open from URL" does, and HermiT reasons over them.
"""

from __future__ import annotations

import http.client
import json
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pyoxigraph
import pytest
from rdflib import OWL, RDF, RDFS, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, SKOS, VOID

from lineage.build import build_graph, parse_turtle, quiet_dataset_deprecations
from lineage.namespaces import BASE, GRAPH_ONTOLOGY, LIN, MODEL, ONTOLOGY_IRI
from lineage.web.state import ServedState
from tests.owlapi import run_owlapi

from .conftest import ROOT

GPT3_FAMILY = MODEL["unidentified-gpt-3-family-model"]  # what ChatGPT descends from: "a GPT-3 model"

OWLAPI3 = "application/rdf+xml, application/xml; q=0.5, text/xml; q=0.3, */*; q=0.2"
OWLAPI5 = "application/rdf+xml, application/xml; q=0.7, text/xml; q=0.6, text/plain; q=0.1, */*; q=0.09"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

TTL, XML, JSONLD, NT, HTML = (
    "text/turtle",
    "application/rdf+xml",
    "application/ld+json",
    "application/n-triples",
    "text/html",
)
PARSERS = {
    TTL: ("turtle", pyoxigraph.RdfFormat.TURTLE),
    XML: ("xml", pyoxigraph.RdfFormat.RDF_XML),
    JSONLD: ("json-ld", pyoxigraph.RdfFormat.JSON_LD),
    NT: ("nt", pyoxigraph.RdfFormat.N_TRIPLES),
}
VERSION_PATH = "/ontology/0.2.0"
CHATGPT_FROM_DAVINCI = (str(MODEL.chatgpt), str(LIN.descendantOf), str(GPT3_FAMILY))

# (path, Accept) -> (status, media type). None: no Accept header at all.
TABLE = [
    # the ontology IRI
    ("/ontology", OWLAPI3, 200, XML),
    ("/ontology", OWLAPI5, 200, XML),
    ("/ontology", BROWSER, 200, HTML),
    ("/ontology", "*/*", 200, XML),  # RDF/XML: the syntax every OWL tool reads (see server/ontology.py)
    ("/ontology", None, 200, XML),
    ("/ontology", "text/turtle", 200, TTL),
    ("/ontology", "text/turtle;q=0.5, application/ld+json", 200, JSONLD),
    ("/ontology", "application/n-triples", 200, NT),
    ("/ontology", "text/html;q=0.1, text/turtle", 200, TTL),
    ("/ontology", "text/csv", 406, None),
    ("/ontology?format=ttl", BROWSER, 200, TTL),
    # suffixes win over Accept
    ("/ontology.ttl", BROWSER, 200, TTL),
    ("/ontology.rdf", "text/turtle", 200, XML),
    ("/ontology.owl", None, 200, XML),
    ("/ontology.jsonld", OWLAPI3, 200, JSONLD),
    ("/ontology.nt", None, 200, NT),
    ("/ontology.html", OWLAPI3, 200, HTML),
    # the version IRI
    (VERSION_PATH, OWLAPI3, 200, XML),
    (VERSION_PATH, BROWSER, 200, HTML),
    (VERSION_PATH + ".ttl", None, 200, TTL),
    # the alignments: their own ontology, whose page is a section of the ontology's
    ("/ontology/alignments", OWLAPI5, 200, XML),
    ("/ontology/alignments", "text/turtle", 200, TTL),
    ("/ontology/alignments/0.2.0.nt", None, 200, NT),
    ("/ontology/alignments", BROWSER, 303, None),
    # the whole graph
    ("/graph", OWLAPI3, 200, XML),
    ("/graph", OWLAPI5, 200, XML),
    ("/graph", BROWSER, 200, XML),
    ("/graph", None, 200, XML),
    ("/graph", "text/turtle", 200, TTL),
    ("/graph.owl", None, 200, XML),
    ("/graph.jsonld", None, 200, JSONLD),
    ("/graph.nt?inferred=true", None, 200, NT),
    ("/graph?inferred=true", OWLAPI3, 200, XML),
    ("/graph", "text/html", 406, None),
    ("/graph?inferred=perhaps", None, 400, None),
    # VoID
    ("/.well-known/void", None, 200, TTL),
    ("/.well-known/void", "*/*", 200, TTL),
    ("/.well-known/void", OWLAPI3, 200, XML),
    ("/.well-known/void", "application/ld+json", 200, JSONLD),
    ("/.well-known/void.nt", None, 200, NT),
    # nothing there
    ("/ontology/0.0.9", OWLAPI3, 404, None),
    ("/ontology/alignments/nothing", None, 404, None),
    ("/ontology.yaml", None, 404, None),
    ("/graph.html", BROWSER, 404, None),
    ("/.well-known/void.html", BROWSER, 404, None),
]


def fetch(server: tuple[str, int], path: str, accept: str | None = None) -> http.client.HTTPResponse:
    """One GET over a real socket; no header but Accept (and Host) is sent, redirects are not followed."""
    connection = http.client.HTTPConnection(*server, timeout=30)
    connection.request("GET", path, headers={"Accept": accept} if accept else {})
    response = connection.getresponse()
    response.body = response.read()  # type: ignore[attr-defined]
    connection.close()
    return response


def parse_strictly(body: bytes, media: str) -> Graph:
    """Oxigraph's strict parser must accept the body; rdflib's graph of it is returned."""
    rdflib_format, oxigraph_format = PARSERS[media]
    triples = {(q.subject, q.predicate, q.object) for q in pyoxigraph.parse(body, oxigraph_format)}
    with quiet_dataset_deprecations():  # rdflib's JSON-LD parser uses its own deprecated API
        graph = Graph().parse(data=body, format=rdflib_format)
    assert len(triples) == len(graph)
    return graph


@pytest.fixture(scope="module")
def answers(live_server) -> dict[tuple[str, str | None], http.client.HTTPResponse]:
    return {(path, accept): fetch(live_server, path, accept) for path, accept, _, _ in TABLE}


@pytest.mark.parametrize(("path", "accept", "status", "media"), TABLE)
def test_negotiation_table(answers, path, accept, status, media):
    response = answers[path, accept]
    assert response.status == status, response.body[:300]
    assert "Accept" in response.headers["Vary"]
    if media is None:
        return
    assert response.headers["Content-Type"].split(";")[0] == media
    if media in PARSERS:
        assert len(parse_strictly(response.body, media)) > 0


@pytest.mark.parametrize(("path", "accept", "status", "media"), [row for row in TABLE if row[2] == 200])
def test_link_headers_name_every_other_format_and_each_answers_in_it(answers, client, path, accept, status, media):
    links = [part.strip() for part in answers[path, accept].headers["Link"].split(",")]
    offered = {}
    for link in links:
        target, rel, kind = (piece.strip() for piece in link.split(";"))
        assert rel == 'rel="alternate"'
        offered[kind.removeprefix('type="').removesuffix('"')] = target.strip("<>")
    assert media not in offered and len(offered) >= 3
    for kind, target in offered.items():
        followed = client.get(target)
        if kind == HTML and followed.status_code == 303:  # the alignments' page is the ontology's
            assert followed.headers["Location"].endswith("/ontology#sec-alignments")
            continue
        assert followed.status_code == 200, target
        assert followed.mimetype == kind, target


def test_the_alignments_page_is_a_section_of_the_ontology_page(answers):
    assert answers["/ontology/alignments", BROWSER].headers["Location"] == "/ontology#sec-alignments"


# -- what the documents hold ------------------------------------------------------------------------


def ontology_file(name: str) -> Graph:
    return parse_turtle(ROOT / "ontology" / name)


@pytest.mark.parametrize("media", list(PARSERS))
def test_ontology_and_alignments_documents_are_the_build_ontology_graph(live_server, built, media):
    """Each file is its own document; together they are the build's ontology graph, triple for triple."""
    ontology = parse_strictly(fetch(live_server, "/ontology", media).body, media)
    alignments = parse_strictly(fetch(live_server, "/ontology/alignments", media).body, media)
    assert isomorphic(ontology, ontology_file("lineage.ttl"))
    assert isomorphic(alignments, ontology_file("alignments.ttl"))
    assert isomorphic(ontology + alignments, built.dataset.graph(GRAPH_ONTOLOGY))


def test_the_version_iri_resolves_to_the_same_document(live_server):
    ontology = ontology_file("lineage.ttl")
    version = ontology.value(ONTOLOGY_IRI, OWL.versionIRI)
    assert str(version) == BASE + VERSION_PATH.lstrip("/")
    for suffix in ("ttl", "rdf", "jsonld", "nt"):
        assert fetch(live_server, f"{VERSION_PATH}.{suffix}").body == fetch(live_server, f"/ontology.{suffix}").body


def test_turtle_is_the_source_file_itself(live_server):
    """Comments, sections and the order of terms are kept for whoever reads the Turtle."""
    assert fetch(live_server, "/ontology", TTL).body == (ROOT / "ontology" / "lineage.ttl").read_bytes()


def test_rdf_xml_declares_each_property_before_any_use_and_types_each_header_first(live_server):
    """Why the OWL API reads every triple: see ``lineage.formats.rdfxml.DeclarationsFirst``."""
    import xml.etree.ElementTree as ElementTree

    rdf = "{" + str(RDF) + "}"
    for path in ("/graph", "/ontology", "/ontology/alignments", "/graph?inferred=true"):
        root = ElementTree.fromstring(fetch(live_server, path, OWLAPI3).body)
        descriptions = list(root)
        declared: set[str] = set()
        for description in descriptions:
            types = [child.get(rdf + "resource") for child in description if child.tag == rdf + "type"]
            if str(OWL.Ontology) in types:
                assert description[0].tag == rdf + "type", path
            for child in description:
                predicate = child.tag.replace("{", "").replace("}", "")
                if not predicate.startswith((str(RDF), str(RDFS), str(OWL))):
                    assert predicate in declared, f"{path}: {predicate} used before it is declared"
            if {str(OWL.AnnotationProperty), str(OWL.ObjectProperty), str(OWL.DatatypeProperty)} & set(types):
                declared.add(description.get(rdf + "about"))


def whole(live_server, path: str) -> Graph:
    return parse_strictly(fetch(live_server, path, TTL).body, TTL)


def test_whole_graph_is_one_ontology_without_imports_holding_everything_asserted(live_server, built):
    graph = whole(live_server, "/graph")
    (header,) = graph.subjects(RDF.type, OWL.Ontology)
    assert header == URIRef(BASE + "graph")
    assert not list(graph.triples((None, OWL.imports, None)))
    assert graph.value(header, DCTERMS.license) is not None
    body = graph - Graph().parse(data=_about(graph, header), format="nt")
    asserted = built.asserted()
    per_file_headers = set(asserted.subjects(RDF.type, OWL.Ontology))
    expected = Graph()
    for triple in asserted:
        if triple[0] not in per_file_headers:
            expected.add(triple)
    assert isomorphic(body, expected)
    assert (MODEL.chatgpt, LIN.descendantOf, GPT3_FAMILY) not in graph  # left for the reasoner


def _about(graph: Graph, subject: URIRef) -> str:
    """The header and the declarations it adds, as N-Triples."""
    header = Graph()
    for triple in graph.triples((subject, None, None)):
        header.add(triple)
    return header.serialize(format="nt")


def test_whole_graph_with_inferences_adds_only_inferred_owl_axioms(live_server, built):
    plain = whole(live_server, "/graph")
    graph = whole(live_server, "/graph?inferred=true")
    (header,) = graph.subjects(RDF.type, OWL.Ontology)
    assert header == URIRef(BASE + "graph?inferred=true")
    added = graph - plain
    added -= Graph().parse(data=_about(graph, header), format="nt")
    assert (MODEL.chatgpt, LIN.descendantOf, GPT3_FAMILY) in added
    assert (GPT3_FAMILY, LIN.ancestorOf, MODEL.chatgpt) in added
    assert all(triple in built.inferred for triple in added)
    reserved = ("http://www.w3.org/2001/XMLSchema#", str(OWL), str(RDFS), str(RDF))
    assert not [t for t in added if str(t[0]).startswith(reserved) or t[2] == OWL.Thing]


def test_void_describes_each_named_graph_with_its_triple_count(live_server, app):
    state = app.extensions["lineage"]
    root = "http://{}:{}/".format(*live_server)
    void = parse_strictly(fetch(live_server, "/.well-known/void").body, TTL)
    (dataset,) = void.subjects(VOID.sparqlEndpoint, None)
    assert (dataset, RDF.type, VOID.Dataset) in void
    assert void.value(dataset, VOID.sparqlEndpoint) == URIRef(root + "sparql")
    assert void.value(dataset, VOID.dataDump) == URIRef(root + "graph")
    assert void.value(dataset, VOID.uriSpace) == Literal(app.config["BASE_IRI"])
    assert void.value(dataset, VOID.triples).toPython() == state.triples
    assert void.value(dataset, DCTERMS.license) is not None and void.value(dataset, DCTERMS.title) is not None
    assert {MODEL.chatgpt, GPT3_FAMILY} <= set(void.objects(dataset, VOID.exampleResource))
    vocabularies = {str(v) for v in void.objects(dataset, VOID.vocabulary)}
    assert {str(LIN), "http://www.w3.org/ns/prov#", "https://schema.org/", str(SKOS)} <= vocabularies
    assert not [v for v in vocabularies if v.startswith(BASE + "model")]
    subsets = {s: void.value(s, VOID.triples).toPython() for s in void.objects(dataset, VOID.subset)}
    assert subsets == state.counts
    assert all(void.value(s, DCTERMS.title) for s in subsets)
    for s in subsets:
        assert (s, RDF.type, VOID.Dataset) in void


def test_documents_follow_a_hot_reload_of_the_graph(built, fixture_root):
    """When :mod:`lineage.web.watch` swaps in a new graph, /graph and VoID describe the new one."""
    from lineage.web import create_app

    app = create_app({"TESTING": True, "GRAPH": built, "QUERY_WORKERS": 0})
    client = app.test_client()
    assert (MODEL.chatgpt, RDF.type, LIN.Model) in parse_strictly(client.get("/graph.ttl").data, TTL)
    smaller = build_graph(root=fixture_root, use_cache=False)  # the ontology and the training methods only
    old = app.extensions["lineage"]
    app.extensions["lineage"] = new = ServedState(smaller, old.engine.saved, 0)  # what the watcher does
    old.retire()
    old.close()
    try:
        graph = parse_strictly(client.get("/graph.ttl").data, TTL)
        assert not list(graph.subjects(RDF.type, LIN.Model))
        assert (URIRef(BASE + "method/rlhf-ppo"), RDF.type, LIN.TrainingMethod) in graph
        void = parse_strictly(client.get("/.well-known/void").data, TTL)
        counts = {s: void.value(s, VOID.triples).toPython() for s in void.subjects(RDF.type, VOID.Dataset)}
        assert counts.items() >= new.counts.items()
        assert MODEL.chatgpt not in set(void.objects(None, VOID.exampleResource))
    finally:
        new.close()


# -- the reference page -----------------------------------------------------------------------------


class Page(HTMLParser):
    """Each element with an id and its text; each tree item's ancestors in the hierarchy."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: dict[str, list[str]] = {}
        self._open: list[tuple[str, str | None]] = []  # (tag, id of the element or an enclosing one)
        self.tree: dict[str, list[str]] = {}  # "#fineTunedFrom" -> ["#derivedFrom", "#descendantOf"]
        self._items: list[str | None] = []  # the first link of each open <li>
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids[attributes["id"]] = []
        if tag == "li":
            self._items.append(None)
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
            if self._items and self._items[-1] is None:
                self._items[-1] = attributes["href"]
                self.tree[attributes["href"]] = [i for i in reversed(self._items[:-1]) if i]
        if tag not in ("br", "img", "link", "meta", "input"):
            self._open.append((tag, attributes.get("id")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "li" and self._items:
            self._items.pop()
        while self._open:
            if self._open.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        for _, element_id in self._open:
            if element_id:
                self.ids[element_id].append(data)

    def text(self, element_id: str) -> str:
        return " ".join(" ".join(self.ids[element_id]).split())


@pytest.fixture(scope="module")
def reference_page(app) -> Page:
    response = app.test_client().get("/ontology", headers={"Accept": BROWSER})
    assert response.status_code == 200
    parsed = Page()
    parsed.feed(response.get_data(as_text=True))
    return parsed


def terms(graph: Graph) -> list[URIRef]:
    """Every class and property (and individual) the ontology defines in its namespace."""
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, OWL.NamedIndividual)
    found = {s for kind in kinds for s in graph.subjects(RDF.type, kind) if str(s).startswith(str(LIN))}
    return sorted(found, key=str)


def test_page_has_every_term_at_its_anchor_with_label_and_definition(reference_page):
    ontology = ontology_file("lineage.ttl")
    defined = terms(ontology)
    assert len(defined) >= 40
    names = {str(t).removeprefix(str(LIN)) for t in defined}
    assert names == {i for i in reference_page.ids if not i.startswith("sec-")}
    for iri in defined:
        text = reference_page.text(str(iri).removeprefix(str(LIN)))
        assert str(ontology.value(iri, RDFS.label)) in text
        assert " ".join(str(ontology.value(iri, SKOS.definition)).split()) in text


def test_page_shows_the_property_hierarchy(reference_page):
    assert reference_page.tree["#fineTunedFrom"] == ["#derivedFrom", "#descendantOf"]
    assert reference_page.tree["#snapshotOf"] == ["#derivedFrom", "#descendantOf"]
    assert reference_page.tree["#BaseModel"] == ["#Model"]
    assert reference_page.tree["#descendantOf"] == []


def test_page_shows_characteristics_inverses_domains_and_alignments(reference_page):
    descendant = reference_page.text("descendantOf")
    assert "transitive" in descendant and "lin:ancestorOf" in descendant and "lin:derivedFrom" in descendant
    assert "domain lin:Model" in descendant and "range lin:Model" in descendant
    assert "fair4ml:fineTunedFrom" in reference_page.text("fineTunedFrom")
    assert "prov:wasDerivedFrom" in reference_page.text("derivedFrom")
    alignments = reference_page.text("sec-alignments")
    assert "prov:Entity" in alignments and "schema:isBasedOn" in alignments


def test_page_shows_the_header_and_links_to_every_format(reference_page):
    for link in ("/ontology.ttl", "/ontology.rdf", "/ontology.jsonld", "/ontology.nt", "/graph.rdf", VERSION_PATH):
        assert link in reference_page.links
    assert "https://creativecommons.org/licenses/by/4.0/" in reference_page.links


def test_term_iris_land_on_their_anchor(client, reference_page):
    """``…/ontology#fineTunedFrom`` is fetched as /ontology, and the browser scrolls to the id."""
    parts = urlsplit(str(LIN.fineTunedFrom).replace(BASE, "http://localhost/"))
    assert client.get(parts.path, headers={"Accept": BROWSER}).status_code == 200
    assert parts.fragment in reference_page.ids


# -- the OWL API, by URL, from the live server ------------------------------------------------------


def _dump(value) -> str:
    return json.dumps(value, indent=2)[:4000]


def assert_clean_owl(report: dict) -> None:
    """What Protégé needs: RDF/XML read fully, OWL 2 DL, consistent for HermiT."""
    for document in report["documents"]:
        assert document["unparsed"] == 0, _dump(document["unparsedTriples"])
        assert document["errorAxioms"] == [], _dump(document["errorAxioms"])
        assert document["axioms"] > 0
    assert report["dlViolations"] == [], _dump(report["dlViolationDetails"])
    assert report["datatypeViolations"] == []
    assert report["reasonerError"] is None
    assert report["consistent"] is True


def test_owlapi_opens_the_ontology_and_alignments_by_url(live_server):
    root = "http://{}:{}".format(*live_server)
    report = run_owlapi([root + "/ontology", root + "/ontology/alignments"])
    assert_clean_owl(report)
    ontology, alignments = report["documents"]
    assert ontology["format"] == alignments["format"] == "RDFXMLOntologyFormat"  # negotiated, not sniffed
    assert ontology["ontologyIRI"] == str(ONTOLOGY_IRI)
    assert ontology["versionIRI"] == BASE + VERSION_PATH.lstrip("/")
    assert [(i["iri"], i["resolvedTo"]) for i in alignments["imports"]] == [(str(ONTOLOGY_IRI), root + "/ontology")]
    assert any("license" in a for a in ontology["ontologyAnnotations"])


def test_owlapi_opens_the_whole_graph_by_url_and_hermit_infers_the_lineage(live_server):
    """The same axioms from RDF/XML as from Turtle; chatgpt descendantOf unidentified-gpt-3-family-model entailed, not asserted."""
    root = "http://{}:{}".format(*live_server)
    report = run_owlapi([root + "/graph", root + "/graph.ttl"], entail=[CHATGPT_FROM_DAVINCI], axioms=True)
    assert_clean_owl(report)
    xml, turtle = report["documents"]
    assert (xml["format"], turtle["format"]) == ("RDFXMLOntologyFormat", "TurtleOntologyFormat")
    assert xml["ontologyIRI"] == BASE + "graph"
    assert xml["imports"] == []
    assert xml["axiomList"] == turtle["axiomList"]
    assert xml["ontologyAnnotations"] == turtle["ontologyAnnotations"]
    (edge,) = report["entailments"]
    assert edge["asserted"] is False and edge["entailed"] is True


def test_owlapi_opens_the_whole_graph_with_inferences(live_server):
    root = "http://{}:{}".format(*live_server)
    report = run_owlapi([root + "/graph?inferred=true"], entail=[CHATGPT_FROM_DAVINCI])
    assert_clean_owl(report)
    (edge,) = report["entailments"]
    assert edge["asserted"] is True and edge["entailed"] is True
