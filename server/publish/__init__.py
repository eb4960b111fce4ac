"""Publishing a build: the graphs sent to a SPARQL 1.1 Graph Store."""
