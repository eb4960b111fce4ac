"""Model Lineage Graph: an RDF knowledge graph of where AI models come from, with evidence.

The package is organised by concern, data flowing one way (nothing imports the web app):

- :mod:`lineage.build` — the small build: rdflib loads, pyshacl validates, owlrl reasons.
- :mod:`lineage.bigbuild` — the big build: facts as integer columns, compiled shapes, the closure, the store folder.
- :mod:`lineage.query` — saved queries, the query engine and its worker processes.
- :mod:`lineage.stores` — the served graph in memory, in a store folder or at a remote endpoint, behind one interface.
- :mod:`lineage.importers` — Hugging Face model cards and Hub records to lineage data.
- :mod:`lineage.publish` — pushing a build to a SPARQL 1.1 Graph Store.
- :mod:`lineage.explain` — chains of claims behind an inferred edge, and lineage diagrams.
- :mod:`lineage.formats` — RDF and result formats, content negotiation, ordered RDF/XML.
- :mod:`lineage.web` — the Flask app: factory, served state, one blueprint module per area.
- :mod:`lineage.cli` — the ``lineage`` command.
"""

from .version import __version__

__all__ = ["__version__"]
