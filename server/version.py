"""The package version; the ontology's ``owl:versionInfo`` and version IRI follow it."""

__version__ = "0.2.0"
