"""Explaining lineage: the chains of claims behind an inferred edge, and lineage diagrams."""
