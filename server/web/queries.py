"""``/queries``: the saved queries, listed and run by name with their parameters bound."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request, url_for
from werkzeug.wrappers import Response

from lineage.formats import conneg
from lineage.query.engine import Job
from lineage.query.saved import QueryError, with_values
from lineage.web import render
from lineage.web.errors import http_error
from lineage.web.sparql import RESERVED_PARAMS, answer, negotiate_all, one_value, query_page, time_limit, wants_page
from lineage.web.state import current_state

bp = Blueprint("queries", __name__)


@bp.get("/queries")
def list_queries() -> Response:
    media = render.html_or_json("the list of saved queries is JSON or HTML; offered")
    saved = current_state().engine.saved
    listed = [{**query.to_dict(), "url": f"{request.root_url}queries/{name}"} for name, query in saved.items()]
    if media is conneg.HTML:
        for entry in listed:
            examples = {p["name"]: p["example"] for p in entry["params"] if p["example"]}
            entry["example_url"] = url_for("queries.run_saved", name=entry["name"], **examples)
        return render.render("queries.html", queries=listed)
    return jsonify(listed)


@bp.get("/queries/<name>")
def run_saved(name: str) -> Response:
    saved = current_state().engine.saved
    if name not in saved:
        raise http_error(404, f"no saved query named {name!r}; GET /queries lists them")
    params = request.args
    values = {
        key: one_value(params.getlist(key), f"value for parameter {key}")
        for key in params
        if key not in RESERVED_PARAMS
    }
    if wants_page(params):  # a browser: the query page, with these values (or the examples) in VALUES
        query = saved[name]
        values = values or {p.name: p.example for p in query.params if p.example}
        try:
            text = with_values(query, current_state().engine.bind(query, values))
        except QueryError as error:
            raise http_error(400, str(error)) from None
        return query_page(text, autorun=True)
    job = Job(
        media=negotiate_all(params),
        timeout=time_limit(params),
        limit=int(current_app.config["RESULT_LIMIT"]),
        saved=name,
        values=values,
    )
    engine = current_state().engine
    if not engine.backend.local:  # names are resolved here: the workers cannot reach the store
        try:
            job.text = with_values(saved[name], engine.bind(saved[name], values))
        except QueryError as error:
            raise http_error(400, str(error)) from None
        job.values = {}
    return answer(job)

