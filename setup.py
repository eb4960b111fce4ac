"""The wheel carries copies of ontology/, data/ and queries/ inside the package (lineage/bundled/).

In a checkout (and an editable install) the package reads them from the checkout itself;
``lineage.paths.project_root`` picks whichever is there.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

BUNDLED = ("ontology", "data", "queries")


class BuildWithBundledFiles(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        target = Path(self.build_lib) / "lineage" / "bundled"
        for name in BUNDLED:
            shutil.rmtree(target / name, ignore_errors=True)
            shutil.copytree(Path(name), target / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildWithBundledFiles})
