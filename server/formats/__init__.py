"""Formats: RDF and result media types, content negotiation, RDF/XML that the OWL API reads."""
