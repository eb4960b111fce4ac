"""What goes wrong in a build: a file that does not parse, an inconsistent graph, anything else."""

from __future__ import annotations

from pathlib import Path


class BuildError(Exception):
    """The inputs cannot be built into a graph. ``str()`` is one readable line (or a few)."""


class SyntaxProblem(BuildError):
    """A source file does not parse; carries file, line and column."""

    def __init__(self, path: Path, line: int, column: int, reason: str):
        self.path, self.line, self.column, self.reason = path, line, column, reason
        super().__init__(f"{path}:{line}:{column}: {reason}")


class InconsistencyError(BuildError):
    """owlrl found the asserted graph inconsistent with the ontology."""

