"""The server-drawn lineage diagram (issue 4, item 2): what it shows, how it is written, how it lays out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from rdflib import RDFS, BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD

from lineage.explain.diagram import DERIVATIONS, lineage, lineage_svg, text_width, wrap
from lineage.names import label as graph_label
from lineage.names import slug
from lineage.namespaces import CLAIM, LIN, METHOD, MODEL

GPT3_FAMILY = MODEL["unidentified-gpt-3-family-model"]  # what ChatGPT descends from: "a GPT-3 model"

ROOT = Path(__file__).resolve().parents[1]
SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}href"
CHATGPT = MODEL["chatgpt"]
DAVINCI = MODEL["davinci"]  # a root with a few children (InstructGPT 175B, text-davinci-001)
LLAMA_3_1_8B = MODEL["llama-3.1-8b"]  # a root with many children
LINEAGE = (*DERIVATIONS, LIN.descendantOf)


def page(iri: URIRef) -> str:
    return "/model/" + slug(iri)


@pytest.fixture(scope="module")
def union(built) -> Graph:
    return built.union()


@pytest.fixture(scope="module")
def asserted(built) -> Graph:
    return built.asserted()


def draw(graph: Graph, model: URIRef, **options) -> ET.Element:
    return ET.fromstring(lineage_svg(graph, model, href=page, **options))


def links(svg: ET.Element) -> dict[str, ET.Element]:
    """The node links of a diagram by their href."""
    return {a.get("href"): a for a in svg.iter(f"{SVG}a")}


def texts(element: ET.Element) -> list[str]:
    """The text of each <text> element, its lines joined by a space."""
    return [" ".join(" ".join(t.itertext()).split()) for t in element.iter(f"{SVG}text")]


def ancestors(graph: Graph, model: URIRef) -> set[URIRef]:
    return set(graph.transitive_objects(model, LIN.descendantOf)) - {model}


def models(graph: Graph) -> list[URIRef]:
    return sorted({s for s in graph.subjects(None, None) if isinstance(s, URIRef) and str(s).startswith(str(MODEL))})


def test_chatgpt_diagram_shows_every_ancestor_up_to_the_roots(union):
    svg = draw(union, CHATGPT)
    assert svg.tag == f"{SVG}svg"
    assert svg.get("role") == "img"
    assert len(svg.get("viewBox").split()) == 4
    assert svg.find(f"{SVG}title").text == "Lineage diagram of ChatGPT (research release)"
    assert "fine-tuned from" in svg.find(f"{SVG}desc").text
    expected = ancestors(union, CHATGPT)
    assert GPT3_FAMILY in expected
    nodes = links(svg)
    assert {page(a) for a in expected | {CHATGPT}} <= set(nodes)
    for iri in expected | {CHATGPT}:
        node = nodes[page(iri)]
        assert node.get(XLINK) == page(iri)
        assert node.find(f"{SVG}title").text == graph_label(union, iri)
    assert all(href.startswith("/model/") for href in nodes)


def test_chatgpt_edges_carry_kind_and_methods(union):
    svg = draw(union, CHATGPT)
    words = texts(svg)
    assert "fine-tuned from" in words
    assert "descendant of" in words  # the unidentified GPT-3.5 model's edge to the GPT-3 family model
    methods = next(w for w in words if w.startswith("SFT"))
    assert methods == "SFT + reward modelling + RLHF with PPO"


def test_highlighted_model_and_dashed_unidentified_model(union):
    davinci_003 = MODEL["text-davinci-003"]
    nodes = links(draw(union, davinci_003))
    focus = nodes[page(davinci_003)].find(f"{SVG}rect")
    unidentified = nodes[page(GPT3_FAMILY)].find(f"{SVG}rect")
    plain = nodes[page(MODEL["text-davinci-002"])].find(f"{SVG}rect")
    assert focus.get("stroke-width") == "2.5" and plain.get("stroke-width") != "2.5"
    assert unidentified.get("stroke-dasharray") and not plain.get("stroke-dasharray")


def test_alternative_claims_draw_no_edge(union):
    """ChatGPT's claims to code-davinci-002 (Yao Fu) and text-davinci-003 are outside the default lineage."""
    nodes = links(draw(union, CHATGPT))
    alternatives = {
        union.value(c, LIN.claimedParent)
        for c in union.objects(CHATGPT, LIN.hasClaim)
        if union.value(c, LIN.inDefaultLineage) == Literal(False)
    }
    assert MODEL["code-davinci-002"] in alternatives
    assert not {page(a) for a in alternatives} & set(nodes)


def test_edges_are_the_asserted_direct_edges_for_every_model(union, asserted):
    """From the union graph (inferences included), the diagram finds exactly the edges the data asserts."""
    for model in models(asserted):
        view = lineage(union, model, max_children=1000)
        upward = {model} | ancestors(union, model)
        want = {(s, o) for p in LINEAGE for s, o in asserted.subject_objects(p) if s in upward}
        want |= {(s, model) for p in LINEAGE for s in asserted.subjects(p, model)}
        drawn = {(e.child, e.parent) for e in view.edges}
        assert drawn == want, slug(model)
        assert set(view.ancestors) == ancestors(union, model), slug(model)


def test_root_draws_itself_and_its_children(union, asserted):
    assert not ancestors(union, DAVINCI)
    children = {s for p in LINEAGE for s in asserted.subjects(p, DAVINCI)}
    assert 1 < len(children) <= 8
    nodes = links(draw(union, DAVINCI))
    assert set(nodes) == {page(c) for c in children | {DAVINCI}}
    assert page(CHATGPT) not in nodes  # a grandchild
    assert not [w for w in texts(draw(union, DAVINCI)) if w.endswith(" more")]


def test_many_children_show_a_more_node(union, asserted):
    children = {s for p in LINEAGE for s in asserted.subjects(p, LLAMA_3_1_8B)}
    svg = draw(union, LLAMA_3_1_8B, max_children=3)
    assert len(links(svg)) == 1 + 3
    more = [g for g in svg.iter(f"{SVG}g") if g.get("class") == "ld-more"]
    assert len(more) == 1
    assert texts(more[0]) == [f"+{len(children) - 3} more"]


def family(size: int) -> Graph:
    """A hand-made graph: model ``m`` fine-tuned from ``base``, with ``size`` children."""
    graph = Graph()
    graph.add((MODEL.m, LIN.fineTunedFrom, MODEL.base))
    for n in range(size):
        graph.add((MODEL[f"kid-{n:02d}"], LIN.adapterOf, MODEL.m))
    return graph


def test_more_than_eight_children_are_cut_at_eight():
    svg = draw(family(12), MODEL.m)
    nodes = links(svg)
    assert set(nodes) == {"/model/m", "/model/base"} | {f"/model/kid-{n:02d}" for n in range(8)}
    assert "+4 more" in texts(svg)
    assert "kid-11" in next(g for g in svg.iter(f"{SVG}g") if g.get("class") == "ld-more").find(f"{SVG}title").text


def test_labels_and_links_are_escaped():
    graph = family(1)
    name = 'Ada <&> "Lovelace" \x07'
    graph.add((MODEL.m, RDFS.label, Literal(name)))
    text = lineage_svg(graph, MODEL.m, href=lambda iri: f"/model/{slug(iri)}?a=1&b=<2>")
    assert "&lt;&amp;&gt;" in text and "<&>" not in text
    svg = ET.fromstring(text)  # also fails on the control character, had it been kept
    nodes = links(svg)
    assert "/model/m?a=1&b=<2>" in nodes
    assert nodes["/model/m?a=1&b=<2>"].find(f"{SVG}title").text == 'Ada <&> "Lovelace" '
    assert "Lineage diagram of Ada <&>" in svg.find(f"{SVG}title").text


def test_edge_only_backed_by_an_alternative_claim_is_not_drawn():
    graph = Graph()
    graph.add((MODEL.m, LIN.fineTunedFrom, MODEL.a))
    graph.add((MODEL.m, LIN.improvementOf, MODEL.b))
    for parent, default in ((MODEL.a, True), (MODEL.b, False)):
        claim = BNode() if default else CLAIM[f"m--{slug(parent)}"]  # claims may be blank nodes
        graph.add((MODEL.m, LIN.hasClaim, claim))
        graph.add((claim, LIN.claimedParent, parent))
        graph.add((claim, LIN.inDefaultLineage, Literal(default, datatype=XSD.boolean)))
        graph.add((claim, LIN.method, METHOD.dpo))
    graph.add((METHOD.dpo, RDFS.label, Literal("direct preference optimisation (DPO)")))
    svg = draw(graph, MODEL.m)
    assert set(links(svg)) == {"/model/m", "/model/a"}
    assert "DPO" in texts(svg)


def test_long_labels_are_cut_with_an_ellipsis_and_kept_whole_in_the_title():
    graph = family(0)
    name = "A model whose name goes on and on for far longer than any box should be allowed to be"
    graph.add((MODEL.base, RDFS.label, Literal(name)))
    node = links(draw(graph, MODEL.m))["/model/base"]
    lines = [t.text for t in node.iter(f"{SVG}tspan")]
    assert len(lines) == 2 and lines[-1].endswith("…")
    assert node.find(f"{SVG}title").text == name
    assert wrap("x" * 60, 26, 2) == ["x" * 26, "x" * 25 + "…"]


def test_same_input_same_string(union):
    first = lineage_svg(union, CHATGPT, href=page)
    assert lineage_svg(union, CHATGPT, href=page) == first
    assert lineage_svg(built_copy(union), CHATGPT, href=page) == first


def built_copy(graph: Graph) -> Graph:
    copy = Graph()
    for triple in reversed(list(graph)):
        copy.add(triple)
    return copy


def test_same_string_under_other_hash_seeds(union, tmp_path):
    """Set and dict orders change with PYTHONHASHSEED; the diagram must not."""
    source = tmp_path / "union.nt"
    source.write_text(union.serialize(format="nt"), encoding="utf-8")
    names = ["chatgpt", "gpt-3.5-turbo-0301", "unidentified-gpt-3-family-model"]
    script = (
        "import json, sys\n"
        "from rdflib import Graph\n"
        "from lineage.explain.diagram import lineage_svg\n"
        "from lineage.namespaces import MODEL\n"
        "g = Graph().parse(sys.argv[1], format='nt')\n"
        "href = lambda iri: '/model/' + str(iri).rsplit('/', 1)[-1]\n"
        "print(json.dumps([lineage_svg(g, MODEL[n], href=href) for n in sys.argv[2:]]))\n"
    )
    here = [lineage_svg(union, MODEL[n], href=page) for n in names]
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", script, str(source), *names],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert json.loads(done.stdout) == here


def boxes(svg: ET.Element) -> list[tuple[str, float, float, float, float]]:
    """(what, left, top, right, bottom) of every node box and edge label, in diagram coordinates."""
    found = []
    for group in svg.iter():
        cls = group.get("class") or ""
        if cls.startswith("ld-"):
            rect = group.find(f"{SVG}rect")
            x, y = float(rect.get("x")), float(rect.get("y"))
            what = " ".join(texts(group)) or cls
            found.append((what, x, y, x + float(rect.get("width")), y + float(rect.get("height"))))
    return found


@pytest.mark.parametrize("name", ["chatgpt", "unidentified-gpt-3-family-model", "gpt-3.5-turbo-0301", "llama-2-7b", "codellama-7b"])
def test_no_box_or_label_overlaps_another(union, name):
    found = boxes(draw(union, MODEL[name]))
    assert len(found) >= 2
    for n, (what, left, top, right, bottom) in enumerate(found):
        for other, left2, top2, right2, bottom2 in found[n + 1 :]:
            apart = right <= left2 or right2 <= left or bottom <= top2 or bottom2 <= top
            assert apart, f"{what!r} overlaps {other!r}"


def test_text_width_estimate_grows_with_text():
    assert 0 < text_width("ab", 13) < text_width("abc", 13) < text_width("abc", 13, bold=True)
    assert text_width("WWW", 13) > text_width("iii", 13)


CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
def test_rendered_text_fits_its_box_in_chromium(union, tmp_path):
    """In a real browser every line of text fits inside its node box or label ground."""
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    graph = family(12)
    graph.add((MODEL.m, RDFS.label, Literal("A merged model with a rather long name <&> that needs wrapping")))
    documents = [lineage_svg(union, MODEL[n], href=page) for n in ("chatgpt", "unidentified-gpt-3-family-model", "gpt-3.5-turbo-0301")]
    documents.append(lineage_svg(graph, MODEL.m, href=page))
    measure = """() => Array.from(document.querySelectorAll('.ld-node, .ld-label, .ld-more')).map(g => {
        const r = g.querySelector('rect').getBBox();
        return Array.from(g.querySelectorAll('text')).map(t => {
            const b = t.getBBox();
            return {text: t.textContent, fits: b.x >= r.x && b.x + b.width <= r.x + r.width
                    && b.y >= r.y - 1 && b.y + b.height <= r.y + r.height + 1};
        });
    }).flat()"""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            tab = browser.new_page()
            for document in documents:
                tab.set_content(f"<!doctype html><body>{document}</body>")
                results = tab.evaluate(measure)
                assert results and all(r["fits"] for r in results), [r["text"] for r in results if not r["fits"]]
        finally:
            browser.close()


def test_docstring_example_runs():
    import doctest

    import lineage.explain.diagram

    result = doctest.testmod(lineage.explain.diagram)
    assert result.attempted and not result.failed


def test_ids_are_unique_per_diagram_and_every_reference_resolves(union):
    for options in ({}, {"id_prefix": 'second "diagram"'}):
        svg = draw(union, CHATGPT, **options)
        ids = {e.get("id") for e in svg.iter() if e.get("id")}
        assert len(ids) == 3  # title, desc, arrowhead
        assert set(svg.get("aria-labelledby").split()) <= ids
        markers = {e.get("marker-end") for e in svg.iter(f"{SVG}path") if e.get("marker-end")}
        assert markers and {m.removeprefix("url(#").removesuffix(")") for m in markers} <= ids
    first, second = draw(union, CHATGPT), draw(union, CHATGPT, id_prefix="second")
    assert not ({e.get("id") for e in first.iter()} - {None}) & {e.get("id") for e in second.iter()}


def test_min_scale_keeps_a_wide_diagram_from_shrinking_too_far(union):
    svg = draw(union, DAVINCI, min_scale=0.75)
    width = float(svg.get("width"))
    assert f"min-width:{round(width * 0.75, 1):g}px" in svg.get("style")
    assert "min-width" not in draw(union, DAVINCI).get("style")
