"""Run the OWL API (3.4.3) + HermiT (1.3.8) on RDF documents, the way Protégé loads them.

Usage::

    from tests.owlapi import run_owlapi
    report = run_owlapi(["ontology/lineage.ttl", "data/models.ttl"],
                        entail=[(subject_iri, property_iri, object_iri)])

The Java side is ``tests/owlapi/OwlApiCheck.java`` (see its header for what is
checked and how owl:imports are kept offline).  The jar comes from the PyPI
package owlready2, which ships ``owlready2/hermit/HermiT.jar`` bundling the OWL
API and HermiT, so only a JDK (``javac`` + ``java``, 11 or later) is needed.

The class is compiled once into a cache directory under the system temp dir,
keyed by the SHA-256 of the .java source and the jar, and reused by later runs
and sessions.  Each ``run_owlapi`` call starts one JVM.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

JAVA_SOURCE = Path(__file__).resolve().parent / "owlapi" / "OwlApiCheck.java"
MAIN_CLASS = "OwlApiCheck"
JVM_OPTIONS = [
    "-Xss16m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-Dfile.encoding=UTF-8",
]


class OwlApiError(RuntimeError):
    """Java is missing, compilation failed, or OwlApiCheck could not load a document."""


def hermit_jar() -> Path:
    """Path of HermiT.jar (OWL API + HermiT) shipped by owlready2."""
    try:
        import owlready2
    except ImportError as e:  # pragma: no cover - owlready2 is a test dependency
        raise OwlApiError("owlready2 is not installed (pip install owlready2); it ships HermiT.jar") from e
    jar = Path(owlready2.__file__).resolve().parent / "hermit" / "HermiT.jar"
    if not jar.is_file():
        raise OwlApiError(f"HermiT.jar not found at {jar}")
    return jar


def _tool(name: str) -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        cand = Path(java_home) / "bin" / name
        if cand.is_file():
            return str(cand)
    found = shutil.which(name)
    if not found:
        raise OwlApiError(
            f"'{name}' not found on PATH: the OWL API check needs a JDK "
            "(e.g. apt-get install -y openjdk-17-jdk-headless)"
        )
    return found


def _build_dir(jar: Path) -> Path:
    h = hashlib.sha256()
    h.update(JAVA_SOURCE.read_bytes())
    st = jar.stat()
    h.update(f"{jar}:{st.st_size}:{int(st.st_mtime)}".encode())
    return Path(tempfile.gettempdir()) / f"owlapi-check-{h.hexdigest()[:16]}"


def compile_check() -> tuple[Path, Path]:
    """Compile OwlApiCheck.java if needed; return (class dir, jar)."""
    jar = hermit_jar()
    out = _build_dir(jar)
    if (out / f"{MAIN_CLASS}.class").is_file():
        return out, jar
    javac = _tool("javac")
    tmp = Path(tempfile.mkdtemp(prefix=out.name + ".tmp-", dir=out.parent))
    try:
        proc = subprocess.run(
            [
                javac,
                "-nowarn",
                "-encoding",
                "UTF-8",
                "-cp",
                str(jar),
                "-d",
                str(tmp),
                str(JAVA_SOURCE),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise OwlApiError(f"javac failed (exit {proc.returncode}):\n{proc.stdout}{proc.stderr}")
        try:
            os.rename(tmp, out)  # atomic; loses the race harmlessly if another process won
        except OSError:
            if not (out / f"{MAIN_CLASS}.class").is_file():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out, jar


def run_owlapi(
    sources: Sequence[str | os.PathLike],
    entail: Iterable[tuple[str, str, str]] = (),
    timeout: float = 600,
    axioms: bool = False,
) -> dict:
    """Load ``sources`` (file paths or http(s) URLs) with the OWL API and return its JSON report.

    The report has, among others: ``documents`` (per source: ``format``,
    ``axioms``, ``triples``, ``unparsed``, ``unparsedTriples``, ``errorAxioms``,
    ``imports``), ``dlViolations`` (OWL 2 DL profile, as strings) and
    ``dlViolationDetails``, ``consistent`` (HermiT; ``None`` if HermiT failed,
    see ``reasonerError``) and ``entailments`` (one per ``entail`` triple, with
    ``entailed`` True/False, or None when inconsistent). With ``axioms``, each
    document also has ``axiomList``: its axioms as sorted strings.

    An http(s) URL is fetched by the OWL API itself, as Protégé's "Open from URL"
    does (OWL API 3.4.3 sends ``Accept: application/rdf+xml, application/xml;
    q=0.5, text/xml; q=0.3, */*; q=0.2``), so a live server's content
    negotiation is part of what is checked.
    """
    if not sources:
        raise ValueError("run_owlapi needs at least one source")
    classes, jar = compile_check()
    cmd = [
        _tool("java"),
        *JVM_OPTIONS,
        "-cp",
        f"{classes}{os.pathsep}{jar}",
        MAIN_CLASS,
    ]
    if axioms:
        cmd.append("--axioms")
    for s, p, o in entail:
        cmd += ["--entail", str(s), str(p), str(o)]
    cmd += [os.fspath(x) for x in sources]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        raise OwlApiError(
            f"OwlApiCheck failed (exit {proc.returncode}) for {list(map(os.fspath, sources))}:\n{proc.stderr.strip()}"
        )
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError as e:
        raise OwlApiError(
            f"OwlApiCheck printed no valid JSON ({e}).\nstdout:\n{proc.stdout[:2000]}\nstderr:\n{proc.stderr[-4000:]}"
        ) from e
    report["stderr"] = proc.stderr
    return report


if __name__ == "__main__":  # python -m tests.owlapi FILE... : print the report
    import sys

    print(json.dumps(run_owlapi(sys.argv[1:]), indent=2))
