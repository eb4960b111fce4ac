"""The files a small build reads, and the key that names their build in the cache."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import owlrl
import pyshacl
import rdflib
from rdflib import URIRef

from lineage.build.errors import BuildError
from lineage.namespaces import data_graph_iri
from lineage.paths import project_root
from lineage.version import __version__


@dataclass(frozen=True)
class Inputs:
    """The files a build reads."""

    ontology: tuple[Path, ...]
    data: tuple[Path, ...]
    shapes: Path

    @classmethod
    def bundled(cls, root: Path | None = None, extra: Iterable[Path] = ()) -> Inputs:
        """The ontology and data in the checkout, plus ``extra`` data files or folders."""
        root = root or project_root()
        data = sorted((root / "data").glob("*.ttl"))
        seen = {path.resolve() for path in data}
        for item in extra:
            item = Path(item)
            more = sorted(item.glob("*.ttl")) if item.is_dir() else [item]
            for path in more:
                if not path.exists():
                    raise BuildError(f"{path}: no such file")
                if path.resolve() not in seen:
                    seen.add(path.resolve())
                    data.append(path)
        return cls(
            ontology=(root / "ontology" / "lineage.ttl", root / "ontology" / "alignments.ttl"),
            data=tuple(data),
            shapes=root / "ontology" / "shapes.ttl",
        )

    def all(self) -> tuple[Path, ...]:
        return (*self.ontology, *self.data, self.shapes)

    def key(self) -> str:
        """A hash of every input byte, the versions of the code and of the libraries that build."""
        digest = hashlib.sha256()
        for part in (__version__, rdflib.__version__, owlrl.__version__, pyshacl.__version__):
            digest.update(part.encode() + b"\0")
        for code in sorted(Path(__file__).parent.glob("*.py")):  # the build package's code
            digest.update(code.read_bytes())
        for path in self.all():
            digest.update(str(path.name).encode() + b"\0" + path.read_bytes() + b"\0")
        return digest.hexdigest()[:32]

    def graph_names(self) -> dict[URIRef, Path]:
        """Named graph IRI of each data file; a second file with the same stem gets a suffix."""
        names: dict[URIRef, Path] = {}
        for path in self.data:
            stem, n = path.stem, 1
            while data_graph_iri(stem) in names:
                n += 1
                stem = f"{path.stem}-{n}"
            names[data_graph_iri(stem)] = path
        return names

