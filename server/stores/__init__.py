"""The graph served, wherever it lives: in memory, in a store folder, at a remote SPARQL endpoint."""
