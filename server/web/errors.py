"""HTTP errors: one constructor with details, one handler for every error the app answers."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from werkzeug.exceptions import HTTPException, default_exceptions
from werkzeug.wrappers import Response

from lineage.web import render


def http_error(status: int, message: str, **details: Any) -> HTTPException:
    """An HTTP error whose description is ``message``; ``details`` go into JSON error bodies."""
    error = default_exceptions[status](description=message)
    error.details = details  # type: ignore[attr-defined]
    return error


def handle_http_error(error: HTTPException) -> Response:
    """Every error: status, reason and message, as text/plain or, when preferred, JSON."""
    code = error.code or 500
    message = error.description or ""
    details = getattr(error, "details", {}) or {}
    response: Response
    preferred = request.accept_mimetypes.best_match(["text/plain", "application/json", "text/html"])
    if preferred == "application/json":
        response = jsonify(status=code, error=error.name, message=message, **details)
        response.status_code = code
    elif preferred == "text/html":  # a browser: the same message on a page with the site's links
        response = render.render(
            "error.html",
            status=code,
            code=code,
            name=error.name,
            message=message,
            suggestions=details.get("suggestions"),
        )
    else:
        response = Response(f"{code} {error.name}: {message}\n", status=code, content_type="text/plain; charset=utf-8")
    for name, value in error.get_headers():
        if name.lower() not in ("content-type", "content-length"):
            response.headers[name] = value
    return response
