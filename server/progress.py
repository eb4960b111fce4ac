"""A progress bar for builds, on standard error, off when not wanted."""

from __future__ import annotations

import sys

from tqdm import tqdm


class Steps:
    """Counts the steps of a build; shows a bar with the current step when enabled (on a terminal), or
    one line per step (to a log, when standard error is not a terminal)."""

    def __init__(self, total: int, description: str, *, enabled: bool = True):
        self._lines = enabled and not sys.stderr.isatty()
        self._description, self._total, self._done = description, total, 0
        if self._lines:
            print(f"lineage: {description} ({total} steps)", file=sys.stderr, flush=True)
        self._bar = tqdm(
            total=total,
            desc=description,
            unit="step",
            file=sys.stderr,
            disable=not enabled or self._lines,
            leave=False,
            bar_format="{desc}: {n_fmt}/{total_fmt} {bar:20} {postfix}",
        )

    def advance(self, what: str) -> None:
        self._done += 1
        if self._lines:
            print(f"lineage: {self._description}: {self._done}/{self._total} {what}", file=sys.stderr, flush=True)
        self._bar.set_postfix_str(what, refresh=False)
        self._bar.update(1)

    def __enter__(self) -> Steps:
        return self

    def __exit__(self, *exc) -> None:
        self._bar.close()
