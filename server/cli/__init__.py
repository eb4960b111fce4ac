"""The ``lineage`` command: one module per command family, gathered under one click group here.

- :mod:`.graph`: ``check``, ``build``, ``bigbuild``, ``export``
- :mod:`.ask`: ``explain``, ``query``, ``licenses``, ``models``
- :mod:`.hub`: ``import hf``, ``harvest hf``
- :mod:`.publish`: ``push``
- :mod:`.serve`: ``serve``
"""

from __future__ import annotations

import click

from lineage.cli import ask, graph, hub, publish, serve
from lineage.version import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="lineage")
def main() -> None:
    """Model Lineage Graph: where did this AI model come from, and who says so?"""


for command in (
    graph.check,
    graph.build,
    graph.bigbuild_command,
    graph.export,
    ask.explain_command,
    ask.query,
    ask.licenses_command,
    ask.models_command,
    hub.import_group,
    hub.harvest_group,
    publish.push_command,
    serve.serve,
):
    main.add_command(command)
