"""Saved queries (``queries/*.rq``), the query engine, and the worker processes that run queries."""
