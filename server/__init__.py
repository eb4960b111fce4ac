"""Model Lineage Graph: an RDF knowledge graph of where AI models come from, with evidence."""

__version__ = "0.1.0"
