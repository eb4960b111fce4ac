"""Push the built graph to a SPARQL 1.1 Graph Store Protocol server, never leaving it half-replaced.

Every named graph is first ``PUT`` to a staging graph ``urn:lineage:staging:<token>:<n>`` and its
triple count read back (``GET``), so the server has accepted all the data before any target is
touched. Then the staged graphs are swapped in:

- with a SPARQL 1.1 Update endpoint, by one update request ``MOVE GRAPH <staging> TO GRAPH <target> ;
  …``; one request is one transaction in Oxigraph, Jena Fuseki (TDB2) and GraphDB, so a reader sees
  every graph old or every graph new;
- without one, by ``PUT``-ing each target from the verified data, graph by graph, after saving the
  targets' current content; if a ``PUT`` fails, the targets already replaced are put back. Readers
  may see some graphs new and others old while this runs, and a single ``PUT`` is only as atomic as
  the server makes it (Oxigraph clears the graph, then loads it).

On any failure the staging graphs are removed (best effort) and :class:`PushError` says which URL,
which graph, what the server answered, and in what state the remote graphs are.

Plain ``http.client``, no HTTP library: a body is streamed from a spooled N-Triples file with a
``Content-Length``, which every server and proxy accepts (a chunked request body is not always).
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import re
import secrets
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, cast
from urllib.parse import quote, unquote, urlencode, urlsplit

from rdflib import BNode, Graph

from lineage.build import KnowledgeGraph, quiet_dataset_deprecations
from lineage.namespaces import BASE, GRAPH_INFERRED, GRAPH_ONTOLOGY

if TYPE_CHECKING:
    import pyoxigraph as ox

    from lineage.bigbuild.folder import LineageStore

GRAPH_BASE = BASE + "graph/"
STAGING_BASE = "urn:lineage:staging:"
N_TRIPLES = "application/n-triples"
DEFAULT_TIMEOUT = 120.0
BULK = {"no_transaction": ""}  # Oxigraph server: load with the bulk loader, not in one transaction

# An absolute IRI that can go between < > in SPARQL and N-Triples as it is.
_ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|^`\\]*$")
_MESSAGE_LIMIT = 400


class PushError(Exception):
    """The push failed; ``str()`` says where, what the server answered, and what state it is left in."""


class RemoteError(PushError):
    """The server answered with a status that is not a success."""

    def __init__(self, method: str, where: str, status: int, reason: str, message: str):
        self.method, self.where, self.status, self.reason, self.message = method, where, status, reason, message
        said = f": {message}" if message else ""
        super().__init__(f"{method} {where} answered HTTP {status} {reason}{said}")


class Unreachable(PushError):
    """No answer: refused connection, unknown host, timeout, connection dropped."""

    def __init__(self, method: str, where: str, why: str, *, timed_out: bool = False, connected: bool = True):
        self.timed_out, self.connected = timed_out, connected
        super().__init__(f"{method} {where}: {why}")


@dataclass(frozen=True)
class Upload:
    """One graph to send: the graph IRI on the server, its N-Triples file, its number of triples."""

    target: str
    path: Path
    triples: int


@dataclass(frozen=True)
class Summary:
    """What a successful push did."""

    store: str
    update: str | None
    graphs: int
    triples: int
    seconds: float
    pruned: list[str] = field(default_factory=list)  # graphs removed: an earlier push sent them, this one did not

    def __str__(self) -> str:
        head = f"pushed {self.graphs} graphs ({self.triples:,} triples) to {self.store} in {self.seconds:.2f} s"
        if self.pruned:
            head += f"\nremoved {len(self.pruned)} graphs the build no longer has: " + ", ".join(
                f"<{g}>" for g in self.pruned
            )
        if self.update:
            return f"{head}\nswapped in by one update request to {self.update}: all graphs replaced at once"
        return (
            f"{head}\nreplaced graph by graph with PUT (no --update URL): each graph on its own, "
            "so a reader may briefly have seen some graphs new and others old"
        )


def check_iri(iri: str, what: str) -> str:
    """``iri`` if it is an absolute IRI that needs no escaping, else :class:`PushError`."""
    if not _ABSOLUTE_IRI.match(iri):
        raise PushError(f'{what} {iri!r} is not an absolute IRI (scheme:…, no spaces or <>"{{}}|^`\\)')
    return iri


def retarget(graph: str, prefix: str) -> str:
    """The name of ``graph`` on the server: the project's graph namespace replaced by ``prefix``."""
    return prefix + graph[len(GRAPH_BASE) :] if graph.startswith(GRAPH_BASE) else graph


def named_graphs(kg: KnowledgeGraph, *, prefix: str = GRAPH_BASE, inferred: bool = True) -> dict[str, Graph]:
    """The graphs of a build by their name on the server: ontology, one per data file, inferences."""
    check_iri(prefix, "graph prefix")
    names = [GRAPH_ONTOLOGY, *kg.inputs.graph_names(), *([GRAPH_INFERRED] if inferred else [])]
    return {retarget(str(iri), prefix): kg.dataset.graph(iri) for iri in names}


def shared_blank_nodes(graphs: Iterable[Graph]) -> int:
    """Blank nodes used in more than one graph: the protocol scopes a blank node to one request, so
    on the server each graph gets its own copy of them."""
    seen: dict[BNode, int] = {}
    shared: set[BNode] = set()
    for index, graph in enumerate(graphs):
        for triple in graph:
            for term in triple:
                if isinstance(term, BNode) and seen.setdefault(term, index) != index:
                    shared.add(term)
    return len(shared)


@contextlib.contextmanager
def spooled(graphs: Mapping[str, Graph]) -> Iterator[list[Upload]]:
    """Each graph written as N-Triples into a temporary folder, removed on exit."""
    with tempfile.TemporaryDirectory(prefix="lineage-push-") as folder:
        uploads = []
        for index, (target, graph) in enumerate(graphs.items()):
            path = Path(folder) / f"{index}.nt"
            with path.open("wb") as out, quiet_dataset_deprecations():
                graph.serialize(destination=out, format="nt", encoding="utf-8")
            uploads.append(Upload(check_iri(target, "graph name"), path, len(graph)))
        yield uploads


def store_graphs(
    opened: LineageStore, *, prefix: str = GRAPH_BASE, inferred: bool = True
) -> dict[str, tuple[str, int]]:
    """The graphs of a store built by ``lineage bigbuild``, by their name on the server: the graph's
    name in the store and its number of triples (from the build's count, else counted now)."""
    check_iri(prefix, "graph prefix")
    counts = (opened.manifest.get("statistics") or {}).get("counts") or {}
    found = {}
    for name in opened.graphs:
        if name == str(GRAPH_INFERRED) and not inferred:
            continue
        if name not in counts:
            text = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{name}> {{ ?s ?p ?o }} }}"
            solutions = cast("ox.QuerySolutions", opened.store.query(text))  # a SELECT query's answer
            counts[name] = int(next(iter(solutions))["n"].value)
        found[retarget(name, prefix)] = (name, counts[name])
    return found


@contextlib.contextmanager
def spooled_store(opened: LineageStore, graphs: Mapping[str, tuple[str, int]]) -> Iterator[list[Upload]]:
    """Each graph of a built store dumped as N-Triples into a temporary folder, removed on exit."""
    import pyoxigraph as ox

    with tempfile.TemporaryDirectory(prefix="lineage-push-") as spool:
        uploads = []
        for index, (target, (name, count)) in enumerate(graphs.items()):
            path = Path(spool) / f"{index}.nt"
            opened.store.dump(path, format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(name))
            uploads.append(Upload(check_iri(target, "graph name"), path, count))
        yield uploads


def describe(counts: Mapping[str, int], store: str, update: str | None) -> str:
    """The plan of a push, for ``--dry-run``: graphs, counts, and how they would be swapped in."""
    width = max((len(name) for name in counts), default=0)
    lines = [f"would push {len(counts)} graphs ({sum(counts.values()):,} triples) to {Endpoint(store).where}"]
    lines += [f"  {name.ljust(width)}  {count:>9,}" for name, count in counts.items()]
    lines.append(f"each is first PUT to a staging graph {STAGING_BASE}<token>:<n> and its triple count checked; then")
    if update:
        lines.append(f"one update request to {Endpoint(update).where} moves them all into place at once (MOVE GRAPH)")
    else:
        lines.append("each target is replaced with PUT, graph by graph (no --update URL: not all at once)")
    return "\n".join(lines)


# -- HTTP ------------------------------------------------------------------------------------------


class Endpoint:
    """An HTTP endpoint given by URL; credentials in the URL (``user:pass@``) are sent as Basic auth
    and never shown in messages (``where``)."""

    def __init__(self, url: str, timeout: float = DEFAULT_TIMEOUT):
        parts = urlsplit(url)
        try:
            port = parts.port
        except ValueError:
            raise PushError(f"{url}: bad port") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise PushError(f"{url!r} is not an http:// or https:// URL")
        self.https = parts.scheme == "https"
        self.host, self.port, self.timeout = parts.hostname, port, timeout
        self.path, self.query = parts.path or "/", parts.query
        netloc = parts.netloc.rpartition("@")[2]
        self.where = f"{parts.scheme}://{netloc}{self.path}" + (f"?{parts.query}" if parts.query else "")
        self.headers: dict[str, str] = {}
        if parts.username is not None:
            pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            self.headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode("ascii")

    def target(self, graph: str | None, params: Mapping[str, str] | None = None) -> str:
        """Path and query of a request, with ``?graph=`` when a graph is named, then ``params``."""
        ours = {**({"graph": graph} if graph else {}), **(params or {})}
        query = "&".join(part for part in (self.query, urlencode(ours)) if part)
        return quote(self.path, safe="/%:@!$&'()*+,;=~-._") + (f"?{query}" if query else "")

    @contextlib.contextmanager
    def call(
        self,
        method: str,
        graph: str | None = None,
        *,
        body: IO[bytes] | bytes | None = None,
        length: int | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        missing_ok: bool = False,
    ) -> Iterator[http.client.HTTPResponse | None]:
        """Send one request; yield the response to read (``None`` for a 404 when ``missing_ok``).

        Raises :class:`RemoteError` on any other status outside 2xx, :class:`Unreachable` when the
        server does not answer."""
        where = self.where + (f" (graph <{graph}>)" if graph else "")
        cls = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
        connection = cls(self.host, self.port, timeout=self.timeout, blocksize=1 << 16)
        sent = {**self.headers, **(headers or {})}
        if body is not None:
            sent["Content-Length"] = str(len(body) if isinstance(body, bytes) else length)
        try:
            connection.connect()
        except TimeoutError:
            raise Unreachable(method, where, f"no connection within {self.timeout:g} s", connected=False) from None
        except OSError as error:
            raise Unreachable(method, where, _reason(error), connected=False) from None
        try:
            # the server may stop reading the body: its answer, if any, says why
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                connection.request(method, self.target(graph, params), body=body, headers=sent)
            response = connection.getresponse()
            if missing_ok and response.status == 404:
                response.read()
                yield None
            elif not 200 <= response.status < 300:
                raise RemoteError(method, where, response.status, response.reason, _server_message(response))
            else:
                yield response
                response.read()
        except TimeoutError:
            raise Unreachable(method, where, f"no answer within {self.timeout:g} s", timed_out=True) from None
        except (OSError, http.client.HTTPException) as error:
            raise Unreachable(method, where, _reason(error)) from None
        finally:
            connection.close()

    def put(self, graph: str, path: Path, media_type: str = N_TRIPLES, params: Mapping[str, str] | None = None) -> None:
        """Replace ``graph`` with the content of a file."""
        size, headers = path.stat().st_size, {"Content-Type": media_type}
        with path.open("rb") as body, self.call("PUT", graph, body=body, length=size, headers=headers, params=params):
            pass

    def delete(self, graph: str) -> None:
        """Remove ``graph``; a graph that is not there is fine."""
        with self.call("DELETE", graph, missing_ok=True):
            pass

    def count(self, graph: str) -> int:
        """Triples in ``graph`` (0 when it does not exist), read back with ``GET``."""
        with self.call("GET", graph, headers={"Accept": N_TRIPLES}, missing_ok=True) as response:
            if response is None:
                return 0
            media = _media_type(response)
            if media in (N_TRIPLES, "text/plain"):
                return sum(1 for line in response if line.strip() and not line.lstrip().startswith(b"#"))
            try:
                return len(Graph().parse(data=response.read(), format=media))
            except Exception as error:  # rdflib raises assorted errors for unknown formats and bad data
                raise PushError(f"cannot count the triples of <{graph}> in the {media!r} sent: {error}") from None

    def fetch(self, graph: str, path: Path) -> str | None:
        """Save the content of ``graph`` to ``path``; its media type, or ``None`` when it does not exist."""
        with self.call("GET", graph, headers={"Accept": N_TRIPLES}, missing_ok=True) as response:
            if response is None:
                return None
            with path.open("wb") as out:
                while chunk := response.read(1 << 16):
                    out.write(chunk)
            return _media_type(response) or N_TRIPLES

    def graphs(self, prefix: str) -> list[str]:
        """The named graphs under ``prefix`` that this SPARQL 1.1 query endpoint holds."""
        text = f'SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ }} FILTER(STRSTARTS(STR(?g), "{prefix}")) }}'
        headers = {"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"}
        with self.call("POST", body=text.encode("utf-8"), headers=headers) as response:
            assert response is not None  # only a 404 with missing_ok gives None
            try:
                rows = json.loads(response.read())["results"]["bindings"]
                return sorted(row["g"]["value"] for row in rows)
            except (ValueError, KeyError, TypeError) as error:
                raise PushError(f"{self.where} did not answer a SPARQL query with JSON results ({error})") from None

    def update(self, text: str) -> None:
        """Run one SPARQL 1.1 Update request."""
        with self.call("POST", body=text.encode("utf-8"), headers={"Content-Type": "application/sparql-update"}):
            pass


def _media_type(response: http.client.HTTPResponse) -> str:
    return (response.getheader("Content-Type") or "").partition(";")[0].strip().lower()


def _server_message(response: http.client.HTTPResponse) -> str:
    """The start of the server's error body, on one line, HTML tags dropped."""
    try:
        raw = response.read(16 * 1024)
    except (OSError, http.client.HTTPException):
        return ""
    text = raw.decode("utf-8", "replace")
    if "html" in _media_type(response):
        text = re.sub(r"<(script|style)\b.*?</\1>|<[^>]+>", " ", text, flags=re.S | re.I)
    text = " ".join(text.split())
    return text if len(text) <= _MESSAGE_LIMIT else text[:_MESSAGE_LIMIT] + "…"


def _reason(error: BaseException) -> str:
    if isinstance(error, ConnectionRefusedError):
        return "connection refused (is the server running, and is this its port?)"
    if isinstance(error, http.client.RemoteDisconnected):
        return "the server closed the connection without answering"
    text = getattr(error, "strerror", None) or str(error) or type(error).__name__
    return text[0].lower() + text[1:]


# -- the push --------------------------------------------------------------------------------------


def staging_iri(token: str, index: int) -> str:
    return f"{STAGING_BASE}{token}:{index}"


def push(
    uploads: Sequence[Upload],
    store_url: str,
    *,
    update_url: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    bulk: bool = False,
    prune: tuple[str, str] | None = None,
    say: Callable[[str], None] = lambda message: None,
) -> Summary:
    """Stage, verify and swap in every upload on the Graph Store at ``store_url``.

    ``update_url`` is the SPARQL Update endpoint of the same store: with it the swap is one
    transaction. ``bulk`` stages with Oxigraph's bulk loader (``?no_transaction``): about ten times
    faster on a big graph, and safe here, since a staged graph is counted before it is used.
    ``prune`` (a SPARQL query endpoint of the same store, a graph prefix) removes the graphs under the
    prefix that the store holds and this push does not send, with the swap when there is
    ``update_url`` (in the same transaction), else after it.
    ``say`` receives a line per step. Raises :class:`PushError`, after removing the
    staging graphs, with the remote graphs as they were (or, if the server stopped answering
    during the one swap request, all old or all new)."""
    store = Endpoint(store_url, timeout)
    update = Endpoint(update_url, timeout) if update_url else None
    started = time.perf_counter()
    token = secrets.token_hex(8)
    staged = [(upload, staging_iri(token, index)) for index, upload in enumerate(uploads)]
    total = sum(upload.triples for upload in uploads)
    step, sent, stale = "", [], []  # sent: staging graphs the server may hold
    try:
        if prune is not None:
            query, prefix = Endpoint(prune[0], timeout), prune[1]
            step = f"listing the graphs under <{prefix}> with a query to {query.where}"
            sending = {upload.target for upload in uploads}
            stale = [g for g in query.graphs(prefix) if g not in sending and _ABSOLUTE_IRI.match(g)]
            say(f"{len(stale)} graphs under <{prefix}> that the build no longer has will be removed")
        say(f"staging {len(uploads)} graphs ({total:,} triples) on {store.where} as {STAGING_BASE}{token}:<n>")
        for upload, staging in staged:
            step = f"staging <{upload.target}> as <{staging}>"
            if upload.triples:
                sent.append(staging)
                store.put(staging, upload.path, params=BULK if bulk else None)
        for upload, staging in staged:
            step = f"checking staged <{upload.target}> (<{staging}>)"
            if upload.triples and (found := store.count(staging)) != upload.triples:
                raise PushError(f"the server holds {found:,} triples in it, {upload.triples:,} were sent")
        say("staged graphs hold exactly the triples sent")
        if update is not None:
            step = f"swapping the staged graphs in with one update request to {update.where}"
            update.update(swap_update(staged, stale))
        else:
            step = "replacing the graphs one by one with PUT"
            _swap_by_put(store, staged, say)
            for graph in stale:
                step = f"removing <{graph}>, which the build no longer has (the new graphs are in place)"
                store.delete(graph)
    except (PushError, KeyboardInterrupt) as error:
        if isinstance(error, Unreachable) and not error.connected and sent and step.startswith("staging"):
            sent.pop()  # that PUT never reached the server
        raise PushError(_failure(error, step, store, update, sent)) from None
    seconds = time.perf_counter() - started
    return Summary(store.where, update.where if update else None, len(uploads), total, seconds, stale)


def swap_update(staged: Sequence[tuple[Upload, str]], stale: Sequence[str] = ()) -> str:
    """One SPARQL Update request that moves every staged graph onto its target (an empty graph
    drops its target) and drops the ``stale`` graphs."""
    operations = [
        f"MOVE GRAPH <{staging}> TO GRAPH <{upload.target}>"
        if upload.triples
        else f"DROP SILENT GRAPH <{upload.target}>"
        for upload, staging in staged
    ]
    operations += [f"DROP SILENT GRAPH <{graph}>" for graph in stale]
    return " ;\n".join(operations) + "\n"


class _SwapFailed(PushError):
    """The graph-by-graph swap failed; the message says what was put back, ``restored`` whether all was."""

    def __init__(self, message: str, *, restored: bool):
        self.restored = restored
        super().__init__(message)


def _swap_by_put(store: Endpoint, staged: Sequence[tuple[Upload, str]], say: Callable[[str], None]) -> None:
    """Save the current targets, PUT each from the verified file; on failure put the old ones back."""
    with tempfile.TemporaryDirectory(prefix="lineage-backup-") as folder:
        backups: dict[str, tuple[Path, str | None]] = {}
        for index, (upload, _) in enumerate(staged):
            path = Path(folder) / f"{index}.nt"
            try:
                backups[upload.target] = (path, store.fetch(upload.target, path))
            except PushError as error:
                raise PushError(f"saving the current <{upload.target}> before replacing it: {error}") from None
        say(f"saved the current content of {len(staged)} graphs; replacing them one by one (no --update URL)")
        touched: list[str] = []
        for upload, _ in staged:
            touched.append(upload.target)
            try:
                if upload.triples:
                    store.put(upload.target, upload.path)
                else:
                    store.delete(upload.target)
            except (PushError, KeyboardInterrupt) as error:
                what = "interrupted" if isinstance(error, KeyboardInterrupt) else str(error)
                lost = _restore(store, touched, backups)
                if lost:
                    raise _SwapFailed(
                        f"replacing <{upload.target}>: {what}; could not put back the previous content of "
                        + ", ".join(lost),
                        restored=False,
                    ) from None
                raise _SwapFailed(
                    f"replacing <{upload.target}>: {what}; put back the previous content of the "
                    f"{len(touched)} graphs touched",
                    restored=True,
                ) from None
    for _, staging in staged:
        with contextlib.suppress(PushError):
            store.delete(staging)


def _restore(store: Endpoint, touched: Sequence[str], backups: Mapping[str, tuple[Path, str | None]]) -> list[str]:
    """Put back the saved content of the graphs touched so far; the ones that could not be, with why."""
    lost = []
    for target in reversed(touched):
        path, media = backups[target]
        try:
            if media is None:
                store.delete(target)
            else:
                store.put(target, path, media)
        except PushError as error:
            lost.append(f"<{target}> ({error})")
    return lost


def _failure(error: BaseException, step: str, store: Endpoint, update: Endpoint | None, sent: Sequence[str]) -> str:
    """The message of a failed push, after removing the staging graphs the server may hold."""
    what = "interrupted" if isinstance(error, KeyboardInterrupt) else str(error)
    lines = [f"push to {store.where} failed while {step}: {what}"]
    left: list[str] = []
    for index, staging in enumerate(sent):
        try:
            store.delete(staging)
        except Unreachable:
            left.extend(sent[index:])  # no use waiting for a server that does not answer, once per graph
            break
        except PushError:
            left.append(staging)
    if left:
        names = ", ".join(f"<{g}>" for g in left) if len(left) <= 3 else f"<{left[0]}> … <{left[-1]}>"
        lines.append(
            f"could not remove {len(left)} staging graph{'s' if len(left) > 1 else ''} ({names}); "
            f"drop them when the server is back: DELETE {store.where}?graph=<IRI>"
        )
    elif sent:
        lines.append(f"removed the {len(sent)} staging graph{'s' if len(sent) > 1 else ''}")
    if isinstance(error, Unreachable) and error.timed_out and update is not None and step.startswith("swapping"):
        lines.append("the server did not answer the swap in time: either every graph was replaced or none was")
    elif isinstance(error, _SwapFailed) and not error.restored:
        lines.append(f"the graphs on {store.where} are partly replaced: push again when the server is back")
    elif isinstance(error, _SwapFailed):
        lines.append(f"the graphs on {store.where} hold their previous content again")
    elif step.startswith("removing"):
        lines.append(f"the new graphs are on {store.where}; push again with --prune to remove the rest")
    else:
        lines.append(f"the graphs on {store.where} were not changed")
    return "\n".join(lines)
