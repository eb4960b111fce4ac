"""HTTP errors: one constructor with details, one handler for every error the app answers."""

from __future__ import annotations

from typing import Any

from werkzeug.exceptions import HTTPException, default_exceptions


def http_error(status: int, message: str, **details: Any) -> HTTPException:
    """An HTTP error whose description is ``message``; ``details`` go into JSON error bodies."""
    error = default_exceptions[status](description=message)
    error.details = details  # type: ignore[attr-defined]
    return error

