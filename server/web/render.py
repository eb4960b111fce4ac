"""HTML pages: the Jinja environment's helpers (links to resource pages, labels) and ``render``.

Pages are rendered on the server from the built graph; they load nothing from any other server
(one stylesheet and small scripts from ``/static``). An IRI under the configured base
(``BASE_IRI``) links to its page on this server; any other IRI links to itself.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, render_template, request, url_for
from markupsafe import Markup, escape
from rdflib import BNode, Literal, URIRef
from werkzeug.exceptions import NotAcceptable
from werkzeug.wrappers import Response

from lineage.formats import conneg
from lineage.namespaces import PREFIXES
from lineage.version import __version__


def local_path(iri: Any) -> str | None:
    """The path on this server that answers for ``iri`` (``/model/chatgpt``), or None if not ours."""
    base = current_app.config["BASE_IRI"]
    text = str(iri)
    if isinstance(iri, URIRef | str) and text.startswith(base) and len(text) > len(base):
        return request.script_root + "/" + text[len(base) :]
    return None


def href(iri: Any) -> str:
    """Where a link to ``iri`` goes: its page here when it is ours, else the IRI itself."""
    return local_path(iri) or str(iri)


def curie(iri: Any) -> str:
    """``lin:fineTunedFrom`` for an IRI in a known namespace; the IRI otherwise."""
    text = str(iri)
    for prefix, ns in sorted(PREFIXES.items(), key=lambda item: -len(item[1])):
        if text.startswith(ns) and len(text) > len(ns):
            return f"{prefix}:{text[len(ns) :]}"
    return text


def term(node: Any, text: str | None = None) -> Markup:
    """An RDF term as HTML: IRIs as links (ours to our pages), literals as text with their datatype."""
    if isinstance(node, Literal):
        shown = escape(str(node))
        if node.language:
            return Markup(f'{shown} <span class="lang">@{escape(node.language)}</span>')
        return shown
    if isinstance(node, BNode):
        return Markup(f'<span class="bnode">_:{escape(str(node))}</span>')
    return Markup(f'<a href="{escape(href(node))}">{escape(text or curie(node))}</a>')


def render(template: str, status: int = 200, **context: Any) -> Response:
    body = render_template(template, **context)
    return Response(body, status=status, content_type="text/html; charset=utf-8")


def html_or_json(what: str) -> conneg.MediaType:
    """The media type a page-or-JSON answer takes (``format=`` or ``Accept``); 406 naming ``what`` and
    the types offered when the request accepts neither."""
    table = conneg.with_html(conneg.JSON_ONLY)
    media = conneg.negotiate(request.accept_mimetypes, table, request.args.get("format") or None)
    if media is None:
        raise NotAcceptable(description=f"{what}: {table.offered()}")
    return media


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(version=__version__, href=href, curie=curie, term=term)
    app.jinja_env.filters.update(href=href, curie=curie, term=term)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.add_template_global(lambda: url_for("static", filename="style.css"), "stylesheet")
