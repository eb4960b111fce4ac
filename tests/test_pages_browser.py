"""The pages in headless Chromium: what a person sees, the links they follow, phone width."""

from __future__ import annotations

import pytest
from rdflib import RDFS

from lineage.namespaces import LIN, MODEL
from tests.conftest import screenshot


def test_chatgpt_page_shows_its_ancestry_to_gpt_3_and_the_diagram(page, built):
    page.goto("/model/chatgpt")
    assert page.inner_text("h1") == "ChatGPT (research release)"
    union = built.union()
    ancestors = page.inner_text("#ancestors")
    for ancestor in union.objects(MODEL.chatgpt, LIN.descendantOf):
        assert str(union.value(ancestor, RDFS.label)) in ancestors
    assert "unidentified GPT-3 family model" in ancestors
    diagram = page.locator(".diagram svg")
    assert diagram.is_visible()
    box = diagram.bounding_box()
    assert box["width"] > 200 and box["height"] > 150
    assert page.locator('.diagram svg a[href="/model/unidentified-gpt-3-family-model"]').count() == 1
    screenshot(page, "model-chatgpt")
    assert page.errors == []


def test_links_navigate(page):
    page.goto("/model/chatgpt")
    page.click('#ancestors a[href="/model/unidentified-gpt-3-family-model"]')
    page.wait_for_url("**/model/unidentified-gpt-3-family-model")
    assert page.inner_text("h1") == "unidentified GPT-3 family model"
    assert "ChatGPT (research release)" in page.inner_text("#descendants")
    page.click('.diagram svg a[href="/model/code-davinci-002"]')
    page.wait_for_url("**/model/code-davinci-002")
    page.click("#ancestors a.why")
    page.wait_for_url("**/explain?**")
    assert "Chain 1" in page.inner_text("main")
    assert page.errors == []


def test_search_from_the_index(page):
    page.goto("/")
    page.fill("#q", "zephyr")
    page.press("#q", "Enter")
    page.wait_for_selector("#search-results")
    page.click('#search-results a[href="/model/zephyr-7b-beta"]')
    page.wait_for_url("**/model/zephyr-7b-beta")
    assert "Mistral-7B-v0.1" in page.inner_text("#ancestors")
    screenshot(page, "index")
    assert page.errors == []


@pytest.mark.parametrize(
    "path", ["/model/chatgpt", "/", "/sparql", "/source/chatgpt-blog", "/explain?model=chatgpt&ancestor=unidentified-gpt-3-family-model"]
)
def test_pages_fit_a_phone(browser, live_server, path):
    context = browser.new_context(
        base_url="http://{}:{}".format(*live_server), viewport={"width": 390, "height": 844}, is_mobile=True
    )
    phone = context.new_page()
    try:
        phone.goto(path)
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
        if path == "/model/chatgpt":
            screenshot(phone, "model-chatgpt-phone")
    finally:
        context.close()
