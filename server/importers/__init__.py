"""Importers: Hugging Face model cards and Hub API records to lineage data."""
