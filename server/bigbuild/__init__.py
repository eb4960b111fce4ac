"""The big build (``lineage bigbuild``): every input read once into integer columns, the SHACL shapes
checked as compiled table checks, owlrl's inferences computed from the ontology's compiled axioms, and
the result stored in a persistent Oxigraph folder. Same answers as :mod:`lineage.build`.
"""
