"""Harvest lineage from the Hugging Face Hub: the engine of ``lineage harvest hf``.

Records come from the Hub's HTTP API through ``huggingface_hub`` (its HTTP session, its headers with
``HF_TOKEN``, its file URLs; ``HF_ENDPOINT`` selects the server, as in that library): a model's
record ``/api/models/{id}`` (``cardData``, ``tags`` with the Hub's ``base_model:{relation}:{id}``,
``siblings``), its card ``/{id}/resolve/{sha}/README.md`` (the body holds a merge's configuration;
a broken YAML front matter is reported, and the record's own ``cardData`` kept), and listings
``/api/models?author=…&search=…&filter=…`` followed page by page (``Link: <…>; rel="next"``). The
JSON is read as is and handed to :mod:`lineage.importers.hf`, so a harvest writes exactly what
``lineage import hf`` writes for the same records.

From each model the walk goes to its base models, recursively, to the roots (or one level only). A
base the Hub does not serve (404: deleted, private, or never there; 401/403: gated) is reported and
kept as a leaf, known by its id. 429 (honouring ``Retry-After``), 5xx and dropped connections are
retried with exponential backoff; a request that still fails stops the harvest, and the checkpoint
(a JSON-lines log of every answer, appended as it comes) lets the same command resume where it
stopped, without asking again for what it already has.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlencode, urljoin

from tqdm import tqdm

from lineage.importers import hf
from lineage.version import __version__

RETRIED = frozenset({429, 500, 502, 503, 504})
MISSING = {
    401: "gated or private (401)",
    403: "gated (403)",
    404: "not on the Hub (404: deleted, private, or never there)",
    410: "gone from the Hub (410)",
}
PAGE = 100  # records a listing page asks for


class HubError(Exception):
    """A request the Hub did not answer after every retry, or an answer no retry mends."""


def endpoint() -> str:
    """The Hub's address: ``HF_ENDPOINT`` when set (read now, not when huggingface_hub was imported)."""
    from huggingface_hub import constants

    return (os.environ.get("HF_ENDPOINT") or constants.ENDPOINT).rstrip("/")


def _retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds (the delay form; a date is not honoured, the backoff applies)."""
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _sleep(seconds: float) -> None:
    time.sleep(seconds)


@dataclass
class Client:
    """GET requests to the Hub through huggingface_hub's session, retried on 429, 5xx and transport errors."""

    base: str
    token: str | None = None
    retries: int = 5
    backoff: float = 1.0  # seconds before the first retry, doubled each time
    max_wait: float = 60.0
    timeout: float = 30.0
    sleep: Callable[[float], None] | None = None  # None: time.sleep
    say: Callable[[str], None] = lambda message: None
    requests: int = 0
    retried: int = 0

    def get(self, url: str) -> Any:
        """The response to GET ``url`` (redirects followed) once it is not a 429 or 5xx."""
        from huggingface_hub.utils import build_hf_headers, get_session

        headers = build_hf_headers(token=self.token, library_name="model-lineage-graph", library_version=__version__)
        wait = self.backoff
        for attempt in range(self.retries + 1):
            self.requests += 1
            retry_after = None
            try:
                response = get_session().get(url, headers=headers, timeout=self.timeout)
                for _ in range(5):  # huggingface_hub's session may not follow redirects (the CDN for files)
                    if response.status_code not in (301, 302, 303, 307, 308) or "location" not in response.headers:
                        break
                    url = urljoin(url, response.headers["location"])
                    response = get_session().get(url, headers=headers, timeout=self.timeout)
            except Exception as error:  # the transport (httpx or requests): refused, reset, timed out
                problem = f"{type(error).__name__}: {error}"
            else:
                if response.status_code not in RETRIED:
                    return response
                problem = f"HTTP {response.status_code}"
                retry_after = _retry_after(response.headers.get("retry-after"))
            if attempt == self.retries:
                raise HubError(f"{url}: {problem}, still after {self.retries} retries")
            pause = min(self.max_wait, retry_after if retry_after is not None else wait)
            self.retried += 1
            self.say(f"{url}: {problem}; retry {attempt + 1} of {self.retries} in {pause:g} s")
            (self.sleep or _sleep)(pause)
            wait = min(self.max_wait, wait * 2)
        raise AssertionError("unreachable")

    def json(self, url: str) -> tuple[int, Any]:
        """The status and the JSON body (None when the body is not JSON)."""
        response = self.get(url)
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, None


# -- the checkpoint --------------------------------------------------------------------------------


@dataclass
class State:
    """What a harvest has learnt so far; every change is appended to the checkpoint as one JSON line."""

    query: dict[str, Any]
    records: dict[str, dict] = field(default_factory=dict)  # lower id -> the Hub's record
    readmes: dict[str, str | None] = field(default_factory=dict)  # lower id -> README text (None: none)
    missing: dict[str, tuple[str, str]] = field(default_factory=dict)  # lower id -> (id, why)
    listed: list[str] = field(default_factory=list)  # ids the listing gave, in order
    next_page: str | None = None
    listing_done: bool = False
    malformed: list[tuple[str, Any]] = field(default_factory=list)  # (where, what) of records not usable
    log: TextIO | None = None

    def _write(self, event: dict) -> None:
        if self.log is not None:
            self.log.write(json.dumps(event, ensure_ascii=False) + "\n")
            self.log.flush()

    def apply(self, event: dict) -> None:
        if "record" in event:
            self.records[event["id"].lower()] = event["record"]
        if "readme" in event:
            self.readmes[event["id"].lower()] = event["readme"]
        if "missing" in event:
            self.missing[event["id"].lower()] = (event["id"], event["missing"])
        if "page" in event:
            self.listed += event["page"]
            self.next_page = event.get("next")
            self.listing_done = event.get("next") is None or bool(event.get("done"))
        if "malformed" in event:
            self.malformed.append((event["where"], event["malformed"]))

    def record(self, **event: Any) -> None:
        self.apply(event)
        self._write(event)

    @classmethod
    def resume(cls, path: Path | None, query: dict[str, Any]) -> State:
        """The state a checkpoint holds (a line cut short by a kill is ignored), ready to append to."""
        state = cls(query)
        if path is None:
            return state
        if path.exists():
            lines = path.read_text(encoding="utf-8").splitlines()
            for number, line in enumerate(lines, 1):
                try:
                    event = json.loads(line)
                except json.JSONDecodeError:
                    if number == len(lines):
                        break  # the last line, half written when the harvest was killed
                    raise HubError(f"{path}:{number}: not a harvest checkpoint line") from None
                if number == 1:
                    if event.get("harvest") != query:
                        raise HubError(
                            f"{path} is the checkpoint of another harvest ({event.get('harvest')}); "
                            "remove it or name another with --checkpoint"
                        )
                    continue
                state.apply(event)
            with path.open("rb+") as handle:  # drop a half-written last line before appending
                text = handle.read()
                handle.truncate(len(text) if text.endswith(b"\n") or not text else text.rfind(b"\n") + 1)
        path.parent.mkdir(parents=True, exist_ok=True)
        state.log = path.open("a", encoding="utf-8")
        if path.stat().st_size == 0:
            state._write({"harvest": query})
        return state

    def close(self) -> None:
        if self.log is not None:
            self.log.close()
            self.log = None


# -- the walk --------------------------------------------------------------------------------------


@dataclass
class Harvest:
    """What a harvest found: the checked entries, the problems, and its counts."""

    entries: list[hf.Entry]
    problems: list[hf.Problem]
    fetched: int
    missing: int
    requests: int
    retried: int

    def summary(self) -> str:
        return (
            f"harvested {self.fetched} model records ({self.missing} not on the Hub, kept as leaves); "
            f"{self.requests} requests, {self.retried} retried"
        )


def _iso_date(value: object) -> dt.date | None:
    return hf._date(value)


def listing_url(base: str, *, author: str | None, search: str | None, filters: Iterable[str], since: bool) -> str:
    """The first page of a listing, with every record's card data, tags and files."""
    params: list[tuple[str, str]] = []
    if author:
        params.append(("author", author))
    if search:
        params.append(("search", search))
    params += [("filter", f) for f in filters]
    params += [("full", "true"), ("cardData", "true"), ("limit", str(PAGE))]
    if since:
        params += [("sort", "lastModified"), ("direction", "-1")]
    return f"{base}/api/models?{urlencode(params)}"


def _next_link(response: Any) -> str | None:
    """The ``Link: <…>; rel="next"`` page (requests and httpx both parse it into ``.links``)."""
    links = getattr(response, "links", None) or {}
    target = links.get("next", {}).get("url")
    return str(target) if target else None


def _list(client: Client, state: State, first: str, since: dt.date | None, limit: int | None, bar: tqdm) -> None:
    """Follow the listing's pages from where the checkpoint left it."""
    url = state.next_page or first
    while not state.listing_done:
        response = client.get(url)
        if response.status_code != 200:
            raise HubError(f"{url}: HTTP {response.status_code}: {response.text[:200]}")
        try:
            page = response.json()
        except ValueError:
            raise HubError(f"{url}: the listing is not JSON") from None
        if not isinstance(page, list):
            raise HubError(f"{url}: the listing is not a JSON list")
        ids: list[str] = []
        done = False
        for index, item in enumerate(page):
            where = f"{url} [{index}]"
            if not isinstance(item, dict) or not isinstance(item.get("id") or item.get("modelId"), str):
                state.record(malformed=item if isinstance(item, (dict, list, str, int, float)) else None, where=where)
                continue
            repo_id = item.get("id") or item["modelId"]
            modified = _iso_date(item.get("lastModified"))
            if since is not None and modified is not None and modified < since:
                done = True  # sorted newest first: the rest is older
                break
            if repo_id.lower() not in state.records:
                state.record(id=repo_id, record=item)
            ids.append(repo_id)
            if limit is not None and len(state.listed) + len(ids) >= limit:
                done = True
                break
        following = None if done else _next_link(response)
        state.record(page=ids, next=following, done=done)
        bar.set_postfix(listed=len(state.listed), refresh=False)
        if following is None:
            break
        url = following


def _readme_url(base: str, repo_id: str, record: dict) -> str:
    from huggingface_hub import hf_hub_url

    revision = record.get("sha") if isinstance(record.get("sha"), str) else "main"
    return hf_hub_url(repo_id, "README.md", revision=revision, endpoint=base)


def _fetch(client: Client, state: State, repo_id: str) -> None:
    """The record (unless a listing gave it) and the README of one model, into the state."""
    key = repo_id.lower()
    if key not in state.records:
        status, record = client.json(f"{client.base}/api/models/{repo_id}")
        if status in MISSING:
            state.record(id=repo_id, missing=MISSING[status])
            return
        if status != 200:
            raise HubError(f"{client.base}/api/models/{repo_id}: HTTP {status}")
        if not isinstance(record, dict) or not isinstance(record.get("id") or record.get("modelId"), str):
            state.record(id=repo_id, missing="its record is malformed (not a model record)")
            state.record(malformed=record, where=f"{client.base}/api/models/{repo_id}")
            return
        state.record(id=repo_id, record=record)
    if key not in state.readmes:
        response = client.get(_readme_url(client.base, repo_id, state.records[key]))
        text = response.text if response.status_code == 200 else None
        if response.status_code not in (200, 401, 403, 404):
            raise HubError(f"{repo_id}/README.md: HTTP {response.status_code}")
        state.record(id=repo_id, readme=text)


def card_of(state: State, key: str, base: str) -> tuple[hf.Card | hf.Problem, list[hf.Problem]]:
    """The importer's card for a harvested record: its cardData, tags and files, and its README's
    body; a README whose front matter is broken is reported, and the record's cardData is kept."""
    record = state.records[key]
    repo_id = record.get("id") or record.get("modelId")
    text = state.readmes.get(key)
    body, problems = "", []
    if text is not None:
        parsed = hf.parse_readme(text, f"{repo_id}/README.md")
        if isinstance(parsed, hf.Problem):
            problems.append(hf.Problem(parsed.where, f"{parsed.reason}; the Hub record's cardData is used", True))
        else:
            body = parsed.body
    return hf.card_from_record(record, f"{base}/api/models/{repo_id}", body), problems


def _bases(card: hf.Card | hf.Problem) -> tuple[str, ...]:
    if isinstance(card, hf.Problem):
        return ()
    entry, _ = hf.check(card)
    return entry.bases if entry is not None else ()


def harvest(
    client: Client,
    *,
    models: Iterable[str] = (),
    author: str | None = None,
    search: str | None = None,
    filters: Iterable[str] = (),
    since: dt.date | None = None,
    limit: int | None = None,
    ancestors: bool = True,
    checkpoint: Path | None = None,
    progress: bool = False,
) -> Harvest:
    """Fetch the models named and listed, then their base models (to the roots, or one level with
    ``ancestors=False``); check them as ``lineage import hf`` does. Raises :class:`HubError` when a
    request fails for good: the checkpoint then holds everything fetched so far."""
    models, filters = list(models), list(filters)
    query: dict[str, Any] = {"endpoint": client.base, "models": models, "author": author, "search": search}
    query["filters"] = filters
    query |= {"since": since.isoformat() if since else None, "limit": limit, "ancestors": ancestors}
    state = State.resume(checkpoint, query)
    bar = tqdm(desc="harvesting", unit="model", file=sys.stderr, disable=not progress, delay=1.0, leave=False)
    try:
        if author or search or filters:
            first = listing_url(client.base, author=author, search=search, filters=filters, since=since is not None)
            _list(client, state, first, since, limit, bar)
        queue: list[tuple[str, int]] = [(m, 0) for m in [*models, *state.listed]]
        seen: set[str] = set()
        while queue:
            repo_id, depth = queue.pop(0)
            key = repo_id.lower()
            if key in seen:
                continue
            seen.add(key)
            if key not in state.missing and (key not in state.records or key not in state.readmes):
                _fetch(client, state, repo_id)
                bar.update(1)
                bar.set_postfix(missing=len(state.missing), retried=client.retried, refresh=False)
            if ancestors and key in state.records:
                card, _ = card_of(state, key, client.base)
                queue += [(b, depth + 1) for b in _bases(card) if b.lower() not in seen]
    finally:
        bar.close()
        state.close()
    cards: list[hf.Card | hf.Problem] = []
    problems: list[hf.Problem] = []
    for where, what in state.malformed:
        problems.append(hf.Problem(where, f"a malformed record, left out: {json.dumps(what)[:120]}"))
    for key in state.records:
        card, found = card_of(state, key, client.base)
        cards.append(card)
        problems += found
    entries, checked = hf.check_cards(cards)
    asked = {m.lower() for m in [*models, *state.listed]}
    for key, (repo_id, why) in sorted(state.missing.items()):
        kept = "not harvested" if key in asked else "kept as a leaf, known by its id"
        problems.append(hf.Problem(f"{client.base}/api/models/{repo_id}", f"{why}; {kept}", True))
    return Harvest(entries, problems + checked, len(state.records), len(state.missing), client.requests, client.retried)


def parse_since(text: str) -> dt.date:
    """``--since``: a date (``2024-05-01``) or a timestamp the Hub writes (``2024-05-01T10:00:00Z``)."""
    date = hf._date(text)
    if date is None:
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD)")
    return date
