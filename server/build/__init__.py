"""The small build: load the Turtle sources, validate with pyshacl, reason with owlrl.

One named graph per source file (the ontology files share ``…/graph/ontology``), the OWL-RL
closure in ``…/graph/inferred``. A built graph is cached on disk as N-Quads, keyed by a hash of
every input, so an unchanged restart skips reasoning and validation.
"""

from .errors import BuildError, InconsistencyError, SyntaxProblem
from .graph import KnowledgeGraph
from .inputs import Inputs
from .load import load, parse_dataset, parse_turtle, quiet_dataset_deprecations, serialize_dataset
from .pipeline import build_graph
from .reason import is_well_formed, reason
from .validate import Violation, validate

__all__ = [
    "BuildError",
    "InconsistencyError",
    "Inputs",
    "KnowledgeGraph",
    "SyntaxProblem",
    "Violation",
    "build_graph",
    "is_well_formed",
    "load",
    "parse_dataset",
    "parse_turtle",
    "quiet_dataset_deprecations",
    "reason",
    "serialize_dataset",
    "validate",
]
