"""Admission before work: lanes with a few slots, a short bounded queue and a short bounded wait.

A request that cannot start soon is refused at once (:class:`Refused`, answered ``503`` with
``Retry-After``) instead of waiting inside the HTTP server, where no limit counts and where it
holds a thread that ``/health`` and everyone else need. Each kind of traffic has its own lane, so
one kind cannot starve another:

* ``pages``: Linked Data pages, the index, the ontology documents and saved queries;
* ``sparql``: ad-hoc queries, at most ``per_client`` in flight from one address;
* ``remote``: requests that talk to a remote store (``serve --store sparql:URL``).

Control traffic (``/health``, static files) takes no lane and never touches the query workers.

A lane admits a request when one of its ``slots`` is free; otherwise the request waits at most
``wait`` seconds, and only if fewer than ``queue`` are already waiting. ``Retry-After`` is the time
until the soonest expected finish of a request holding a slot (its time limit), at least one second.
A lane is *saturated* while it keeps refusing requests (a per-client refusal does not count: one
greedy client is not a full lane); ``/health`` reports it.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

SATURATION_WINDOW = 5.0
"""Seconds after its last refusal during which a lane still counts as saturated."""


class Refused(Exception):
    """Not admitted: which lane, why, and in how many seconds to try again."""

    def __init__(self, lane: str, message: str, retry_after: int):
        super().__init__(message)
        self.lane, self.message, self.retry_after = lane, message, retry_after


@dataclass
class _Holder:
    client: str | None
    finish: float  # monotonic time by which it is expected to be done (its time limit)


class Lane:
    """``slots`` requests at once, ``queue`` more waiting at most ``wait`` seconds; the rest refused."""

    def __init__(self, name: str, *, slots: int, queue: int, wait: float, per_client: int = 0):
        if slots < 1 or queue < 0 or wait < 0 or per_client < 0:
            raise ValueError(f"lane {name}: slots must be at least 1, queue, wait and per_client not negative")
        self.name, self.slots, self.queue, self.wait, self.per_client = name, slots, queue, wait, per_client
        self._cond = threading.Condition()
        self._holders: dict[int, _Holder] = {}
        self._clients: Counter[str] = Counter()  # requests in flight (holding or waiting) per client
        self._tokens = itertools.count()
        self.waiting = 0
        self.admitted = 0
        self.refused = 0
        self._saturated_since: float | None = None  # wall-clock time of the first refusal of this run
        self._last_refusal = 0.0  # monotonic

    @contextlib.contextmanager
    def admit(self, *, client: str | None = None, expected: float = 1.0) -> Iterator[None]:
        """Hold a slot for the block; :class:`Refused` when none is free within the bounded wait.

        ``expected``: seconds the work may take at most (its time limit), for ``Retry-After``."""
        token = self._enter(client, expected)
        try:
            yield
        finally:
            with self._cond:
                holder = self._holders.pop(token)
                self._leave_client(holder.client)
                self._cond.notify()

    def _enter(self, client: str | None, expected: float) -> int:
        with self._cond:
            if self.per_client and client is not None and self._clients[client] >= self.per_client:
                self.refused += 1
                raise Refused(
                    self.name,
                    f"{self.per_client} {self.name} requests from {client} are already in flight; "
                    "wait for one to finish",
                    self._retry_after(),
                )
            if len(self._holders) >= self.slots and self.waiting >= self.queue:
                raise self._refuse(f"the {self.name} lane is full ({self.slots} running, {self.waiting} waiting)")
            if client is not None:
                self._clients[client] += 1
            until = time.monotonic() + self.wait
            self.waiting += 1
            try:
                while len(self._holders) >= self.slots:
                    left = until - time.monotonic()
                    if left <= 0:
                        self._leave_client(client)
                        raise self._refuse(
                            f"the {self.name} lane stayed full for {self.wait:g} s ({self.slots} running)"
                        )
                    self._cond.wait(left)
            finally:
                self.waiting -= 1
            token = next(self._tokens)
            self._holders[token] = _Holder(client, time.monotonic() + expected)
            self.admitted += 1
            return token

    def _leave_client(self, client: str | None) -> None:
        if client is not None:
            self._clients[client] -= 1
            if self._clients[client] <= 0:
                del self._clients[client]

    def _refuse(self, message: str) -> Refused:
        now = time.monotonic()
        if self._saturated_since is None or now - self._last_refusal > SATURATION_WINDOW:
            self._saturated_since = time.time()
        self._last_refusal = now
        self.refused += 1
        return Refused(self.name, f"{message}: the server is busy, try again later", self._retry_after())

    def _retry_after(self) -> int:
        finishes = [holder.finish for holder in self._holders.values()]
        soonest = min(finishes) - time.monotonic() if finishes else 1.0
        return max(1, math.ceil(soonest))

    def saturated_since(self) -> float | None:
        """Wall-clock time since when the lane has kept refusing requests; None when it is not."""
        with self._cond:
            if self._saturated_since is not None and time.monotonic() - self._last_refusal > SATURATION_WINDOW:
                self._saturated_since = None
            return self._saturated_since

    def report(self) -> dict[str, Any]:
        """The lane as ``/health`` shows it."""
        since = self.saturated_since()
        with self._cond:
            return {
                "slots": self.slots,
                "running": len(self._holders),
                "queue": self.queue,
                "waiting": self.waiting,
                "admitted": self.admitted,
                "refused": self.refused,
                **({"per_client": self.per_client} if self.per_client else {}),
                "saturated_since": _iso(since) if since is not None else None,
            }


def _iso(when: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when))


class Admission:
    """The app's lanes (one set per app: they outlive a hot reload's swap of the served state)."""

    def __init__(
        self,
        *,
        workers: int,
        wait: float = 0.25,
        queue: int = 4,
        per_client: int = 2,
        page_slots: int = 4,
        remote_slots: int = 4,
    ):
        # Ad-hoc queries may take every worker but one (when there are two or more): saved queries always find one.
        query_slots = max(1, workers - 1) if workers > 0 else 2
        self.lanes = {
            "pages": Lane("pages", slots=page_slots, queue=queue, wait=wait),
            "sparql": Lane("sparql", slots=query_slots, queue=queue, wait=wait, per_client=per_client),
            "remote": Lane("remote", slots=remote_slots, queue=queue, wait=wait),
        }
        self.wait = wait

    def __getitem__(self, name: str) -> Lane:
        return self.lanes[name]

    def saturated(self) -> dict[str, float]:
        """The saturated lanes and since when (wall-clock time)."""
        found = {}
        for name, lane in self.lanes.items():
            since = lane.saturated_since()
            if since is not None:
                found[name] = since
        return found

    def report(self) -> dict[str, dict[str, Any]]:
        return {name: lane.report() for name, lane in self.lanes.items()}
