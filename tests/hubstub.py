"""A local stand-in for the Hugging Face Hub's HTTP API, on loopback, for the harvest tests.

It answers what ``lineage harvest hf`` asks, in the Hub's shapes:

- ``GET /api/models?author=&search=&filter=&sort=lastModified&direction=-1&limit=`` — a page of
  records, the next page named in ``Link: <…>; rel="next"`` (a ``cursor`` parameter, as the Hub does);
- ``GET /api/models/{owner}/{name}`` — one record, or 404 with ``X-Error-Code: RepoNotFound``;
- ``GET /{owner}/{name}/resolve/{revision}/README.md`` — the card, or 404 ``Entry not found``
  (the Hub first redirects some files elsewhere: here README.md answers with a 302 to itself under
  ``/cdn/``, which a client must follow).

Faults are injected by path: ``hub.faults[path] = [429, 503]`` answers the next two requests of
that path with those statuses (429 with ``Retry-After``) before the real answer; ``hub.slow[path]``
delays an answer; ``hub.bodies[path]`` replaces it (a malformed record). ``hub.hits`` counts the
requests of each path. No test touches the network.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit


def record(
    repo_id: str,
    modified: str,
    *,
    card: dict | None = None,
    tags: tuple[str, ...] = (),
    files: tuple[str, ...] = ("config.json", "model.safetensors"),
    library: str | None = "transformers",
    relation: str | None = None,
) -> dict:
    """A model record as the Hub's API returns it (``full=true``, ``cardData=true``)."""
    card = card or {}
    bases = card.get("base_model") or []
    bases = [bases] if isinstance(bases, str) else bases
    relation = relation or card.get("base_model_relation") or ("merge" if len(bases) > 1 else "finetune")
    computed = [f"base_model:{b}" for b in bases] + [f"base_model:{relation}:{b}" for b in bases]
    return {
        "_id": f"65{abs(hash(repo_id)) % 10**20:020d}",
        "id": repo_id,
        "modelId": repo_id,
        "author": repo_id.split("/")[0],
        "sha": f"{abs(hash(repo_id + modified)) % 16**40:040x}",
        "createdAt": modified,
        "lastModified": modified,
        "private": False,
        "gated": False,
        "disabled": False,
        "downloads": 1000,
        "likes": 10,
        "library_name": library,
        "pipeline_tag": "text-generation",
        "tags": [*tags, *computed],
        "cardData": card,
        "siblings": [{"rfilename": f} for f in (".gitattributes", "README.md", *files)],
    }


def front_matter(card: dict, body: str = "") -> str:
    lines = ["---"]
    for key, value in card.items():
        lines.append(f"{key}: {json.dumps(value)}")
    return "\n".join([*lines, "---", "", body])


class Hub:
    """The stand-in's data and faults; :func:`serve` runs it."""

    def __init__(self, records: list[Any], readmes: dict[str, str], page_size: int = 2):
        self.listing = records  # in the Hub's order, malformed entries included
        self.records = {r["id"].lower(): r for r in records if isinstance(r, dict) and isinstance(r.get("id"), str)}
        self.readmes = {k.lower(): v for k, v in readmes.items()}
        self.page_size = page_size
        self.faults: dict[str, list[int]] = {}
        self.slow: dict[str, float] = {}
        self.bodies: dict[str, bytes] = {}  # path -> a 200 answer to give instead (a malformed record)
        self.retry_after = "0"
        self.hits: Counter[str] = Counter()
        self.url = ""
        self.lock = threading.Lock()

    def add(self, item: dict, readme: str | None = None) -> None:
        self.listing.append(item)
        self.records[item["id"].lower()] = item
        if readme is not None:
            self.readmes[item["id"].lower()] = readme

    def arrived(self, path: str) -> None:
        """Count a request when it arrives, before any delay: a client killed while it waits was asked."""
        with self.lock:
            self.hits[path] += 1

    def fault(self, path: str) -> int | None:
        with self.lock:
            pending = self.faults.get(path)
            return pending.pop(0) if pending else None

    def page(self, query: dict[str, list[str]]) -> tuple[list[Any], str | None]:
        items = self.listing
        if "author" in query:
            items = [r for r in items if not isinstance(r, dict) or r.get("author") == query["author"][0]]
        if "search" in query:
            text = query["search"][0].lower()
            items = [r for r in items if not isinstance(r, dict) or text in str(r.get("id", "")).lower()]
        for tag in query.get("filter", []):
            items = [r for r in items if not isinstance(r, dict) or tag in r.get("tags", [])]
        if query.get("sort") == ["lastModified"]:
            items = sorted(items, key=lambda r: r.get("lastModified", "") if isinstance(r, dict) else "", reverse=True)
        start = int(query.get("cursor", ["0"])[0])
        size = min(int(query.get("limit", ["1000"])[0]), self.page_size)
        following = None
        if start + size < len(items):
            params = {k: v for k, v in query.items() if k != "cursor"}
            following = f"{self.url}/api/models?{urlencode(params, doseq=True)}&cursor={start + size}"
        return items[start : start + size], following


def _handler(hub: Hub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            pass

        def send(self, status: int, body: bytes, kind: str = "application/json", **headers: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name.replace("_", "-"), value)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            parts = urlsplit(self.path)
            path, query = parts.path, parse_qs(parts.query)
            hub.arrived(path)
            if path in hub.slow:
                time.sleep(hub.slow[path])
            status = hub.fault(path)
            if status == 429:
                return self.send(429, b'{"error": "Rate limited"}', Retry_After=hub.retry_after)
            if status is not None:
                return self.send(status, json.dumps({"error": f"injected {status}"}).encode())
            if path in hub.bodies:
                return self.send(200, hub.bodies[path])
            segments = path.strip("/").split("/")
            if path == "/api/models":
                items, following = hub.page(query)
                headers = {"Link": f'<{following}>; rel="next"'} if following else {}
                return self.send(200, json.dumps(items).encode(), **headers)
            if segments[:2] == ["api", "models"] and len(segments) == 4:
                found = hub.records.get(f"{segments[2]}/{segments[3]}".lower())
                if found is None:
                    error = b'{"error": "Repository not found"}'
                    return self.send(404, error, X_Error_Code="RepoNotFound")
                return self.send(200, json.dumps(found).encode())
            if len(segments) == 5 and segments[2] == "resolve" and segments[4] == "README.md":
                return self.send(302, b"", Location=f"/cdn{path}")
            if len(segments) == 6 and segments[0] == "cdn" and segments[5] == "README.md":
                text = hub.readmes.get(f"{segments[1]}/{segments[2]}".lower())
                if text is None:
                    return self.send(404, b"Entry not found", "text/plain", X_Error_Code="EntryNotFound")
                return self.send(200, text.encode(), "text/plain; charset=utf-8")
            return self.send(404, b'{"error": "Not found"}')

    return Handler


@contextmanager
def serve(hub: Hub) -> Iterator[str]:
    """Run the stand-in on a free loopback port; yields its base URL (for HF_ENDPOINT)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(hub))
    server.daemon_threads = True
    server.block_on_close = False  # a slow answer in flight does not hold the test up
    hub.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hub.url
    finally:
        server.shutdown()
        server.server_close()
