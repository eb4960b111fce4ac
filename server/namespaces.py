"""IRIs of the project: the ontology namespace, the namespaces of things, and the named graphs."""

from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DefinedNamespace

BASE = "https://w3id.org/model-lineage/"
ONTOLOGY_IRI = URIRef(BASE + "ontology")


class LIN(DefinedNamespace):
    """Terms of the Model Lineage Ontology; a misspelt term fails at import."""

    _NS = Namespace(BASE + "ontology#")
    _fail = True

    # Classes
    BaseModel: URIRef
    Claim: URIRef
    ConfidenceLevel: URIRef
    DateClaim: URIRef
    DerivedModel: URIRef
    License: URIRef
    LicenseClaim: URIRef
    LineageClaim: URIRef
    MethodClaim: URIRef
    Model: URIRef
    ModelCard: URIRef
    ModelAlias: URIRef
    ModelSeries: URIRef
    Organization: URIRef
    Person: URIRef
    Source: URIRef
    TrainingMethod: URIRef
    UnidentifiedModel: URIRef
    UndisclosedLineageModel: URIRef
    # Object properties
    adapterOf: URIRef
    ancestorOf: URIRef
    checkpointOf: URIRef
    claimedLicense: URIRef
    claimedParent: URIRef
    confidence: URIRef
    continuedPretrainingFrom: URIRef
    convertedFrom: URIRef
    dependsOn: URIRef
    derivedFrom: URIRef
    descendantOf: URIRef
    describedBy: URIRef
    developedBy: URIRef
    distillationTeacher: URIRef
    distilledFrom: URIRef
    fineTunedFrom: URIRef
    hasClaim: URIRef
    hasMember: URIRef
    improvementOf: URIRef
    learnedFrom: URIRef
    license: URIRef
    memberOf: URIRef
    mergedFrom: URIRef
    method: URIRef
    pointsTo: URIRef
    prunedFrom: URIRef
    publishedBy: URIRef
    quantizedFrom: URIRef
    snapshotOf: URIRef
    source: URIRef
    upcycledFrom: URIRef
    upscaledFrom: URIRef
    usedDataGeneratedBy: URIRef
    # Datatype properties
    claimDate: URIRef
    bits: URIRef
    claimedDate: URIRef
    contextLength: URIRef
    formerModelId: URIRef
    inDefaultLineage: URIRef
    library: URIRef
    modelId: URIRef
    parameterCount: URIRef
    pipelineTag: URIRef
    quantizationMethod: URIRef
    quote: URIRef
    releaseDate: URIRef
    spdxId: URIRef
    # Annotation properties
    claimedKind: URIRef
    locator: URIRef
    # Individuals
    high: URIRef
    low: URIRef
    medium: URIRef


SHAPES = Namespace(BASE + "shapes#")
MODEL = Namespace(BASE + "model/")
ORG = Namespace(BASE + "org/")
SERIES = Namespace(BASE + "series/")
SOURCE = Namespace(BASE + "source/")
CLAIM = Namespace(BASE + "claim/")
METHOD = Namespace(BASE + "method/")
LICENSE = Namespace(BASE + "license/")
SCHEMA = Namespace("https://schema.org/")

GRAPH_ONTOLOGY = URIRef(BASE + "graph/ontology")
GRAPH_INFERRED = URIRef(BASE + "graph/inferred")


def data_graph_iri(stem: str) -> URIRef:
    """The named graph that holds one data file, by its file stem."""
    return URIRef(f"{BASE}graph/data/{stem}")


PREFIXES = {
    "lin": str(LIN),
    "model": str(MODEL),
    "org": str(ORG),
    "series": str(SERIES),
    "source": str(SOURCE),
    "claim": str(CLAIM),
    "method": str(METHOD),
    "license": str(LICENSE),
    "schema": str(SCHEMA),
    "prov": "http://www.w3.org/ns/prov#",
    "fair4ml": "https://w3id.org/fair4ml#",
    "dcterms": "http://purl.org/dc/terms/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}


def bind_prefixes(graph: Graph) -> None:
    """Bind the project's prefixes on ``graph`` (or dataset), replacing rdflib's defaults (``org:``)."""
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns, override=True, replace=True)
