/*
 * OwlApiCheck -- load RDF documents with the OWL API the way Protégé does and
 * report what the OWL API thinks of them.
 *
 * Build / run (tests/owlapi.py does this for you):
 *   javac -cp HermiT.jar -d BUILD OwlApiCheck.java
 *   java  -cp BUILD:HermiT.jar OwlApiCheck [--axioms] [--entail S P O]... SOURCE...
 *
 * HermiT.jar is the one shipped by the PyPI package owlready2
 * (owlready2/hermit/HermiT.jar); it bundles OWL API 3.4.3 and HermiT 1.3.8.
 *
 * SOURCE is a file path or an http(s) URL of a document in any syntax the
 * OWL API reads (Turtle, RDF/XML, OWL/XML, functional syntax, ...).  The
 * parser is chosen by the OWL API itself: OWLManager's ParsableOWLOntologyFactory
 * tries every registered parser until one accepts the document -- exactly what
 * Protégé's "Open..." does.  The format that won is reported per document.
 *
 * What it does:
 *  1. Loads every SOURCE with one OWLOntologyManager from OWLManager.
 *     owl:imports are NEVER fetched from the network:
 *       - the manager's IRI mappers are replaced by an offline mapper that maps
 *         an imported ontology IRI to the SOURCE document declaring that
 *         ontology IRI (or versionIRI) -- like Protégé's auto-mapping of the
 *         ontologies in the opened file's folder / catalog-v001.xml -- and maps
 *         every other import to a non-existent file: URI, so it fails locally;
 *       - the loader configuration uses
 *         setMissingImportHandlingStrategy(MissingImportHandlingStrategy.SILENT)
 *         (and the manager setSilentMissingImportsHandling(true)), so an
 *         unresolvable import is not an error; it is reported under
 *         "missingImports" of the document.
 *     Resolving imports to the local documents matters: the OWL API RDF parser
 *     types the vocabulary used in a document (object vs data vs annotation
 *     property, class, ...) from the declarations in the document AND its
 *     imports closure.  If a SOURCE imports an ontology that is given later on
 *     the command line, everything is loaded again with the full map
 *     (at most one reload).
 *  2. Records, per document, the loader metadata (RDFParserMetaData): number of
 *     triples, and the triples the OWL API could not turn into axioms
 *     (getUnparsedTriples()).  Non-RDF syntaxes have no such metadata
 *     ("unparsed": null).  "unparsedButTranslated" is the subset of the
 *     unparsed triples that OWL API 3.4.3 lists although it did turn them into
 *     ontology annotations (see isOntologyAnnotation).  OWL API 3 does not list every triple it could not
 *     use: malformed class expressions (e.g. an owl:Restriction with no
 *     owl:someValuesFrom/allValuesFrom/...) become placeholder entities in
 *     http://org.semanticweb.owlapi/error#, so the axioms mentioning such an
 *     entity are reported as "errorAxioms"; and a few stray triples (e.g.
 *     owl:onProperty on a node not typed owl:Restriction, a dangling rdf:first)
 *     are dropped silently by this OWL API version.
 *  3. Copies the axioms of all SOURCE ontologies into ONE fresh ontology
 *     (urn:owlapi-check:merged; imports declarations are not copied -- the
 *     local imports are among the SOURCEs anyway) and runs
 *     new OWL2DLProfile().checkOntology(merged).
 *     OWL API 3.4.3's checker does not look at the datatypes of literals, so
 *     datatypes of the reserved vocabulary that are not in the OWL 2 datatype
 *     map (e.g. xsd:date, xsd:gYear, which Structural Specification 5.2
 *     forbids in OWL 2 DL and HermiT does not support) are reported separately:
 *     under "datatypeViolations" when used in logical axioms (e.g. a data
 *     property assertion; HermiT then warns and ignores the datatype), under
 *     "datatypeNotes" when used in annotations only.
 *  4. Runs HermiT on the merged ontology with the configuration Protégé's
 *     HermiT plug-in uses (ignoreUnsupportedDatatypes = true; HermiT warnings
 *     are reported under "reasonerWarnings"): isConsistent(), and for each
 *     --entail S P O whether ObjectPropertyAssertion(P S O) is entailed
 *     (reasoner.isEntailed).  "entailed" is null when the ontology is
 *     inconsistent (everything is entailed then) or the reasoner failed.
 *
 * With --axioms, each document also lists its axioms ("axiomList", sorted, in
 * the OWL API's functional-syntax-like toString), so that two documents can be
 * compared axiom by axiom (e.g. the same graph served as RDF/XML and Turtle).
 *
 * Output: ONE JSON object on stdout.  Everything else (OWL API / HermiT log
 * output, System.out writes of libraries) goes to stderr.
 * Exit status: 0 whenever the documents loaded (whatever the findings);
 * 2 on a usage error; 3 when a document cannot be loaded (message on stderr).
 */

import java.io.File;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.logging.Level;
import java.util.logging.Logger;

import org.semanticweb.HermiT.Configuration;
import org.semanticweb.HermiT.Reasoner;
import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.io.FileDocumentSource;
import org.semanticweb.owlapi.io.IRIDocumentSource;
import org.semanticweb.owlapi.io.OWLOntologyDocumentSource;
import org.semanticweb.owlapi.io.OWLOntologyLoaderMetaData;
import org.semanticweb.owlapi.io.RDFParserMetaData;
import org.semanticweb.owlapi.io.RDFLiteral;
import org.semanticweb.owlapi.io.RDFNode;
import org.semanticweb.owlapi.io.RDFResource;
import org.semanticweb.owlapi.io.RDFTriple;
import org.semanticweb.owlapi.model.IRI;
import org.semanticweb.owlapi.model.MissingImportEvent;
import org.semanticweb.owlapi.model.MissingImportHandlingStrategy;
import org.semanticweb.owlapi.model.MissingImportListener;
import org.semanticweb.owlapi.model.OWLAnnotation;
import org.semanticweb.owlapi.model.OWLAnnotationValue;
import org.semanticweb.owlapi.model.OWLAxiom;
import org.semanticweb.owlapi.model.OWLDataFactory;
import org.semanticweb.owlapi.model.OWLDatatype;
import org.semanticweb.owlapi.model.OWLEntity;
import org.semanticweb.owlapi.model.OWLImportsDeclaration;
import org.semanticweb.owlapi.model.OWLObjectPropertyAssertionAxiom;
import org.semanticweb.owlapi.model.OWLOntology;
import org.semanticweb.owlapi.model.OWLOntologyAlreadyExistsException;
import org.semanticweb.owlapi.model.OWLOntologyCreationException;
import org.semanticweb.owlapi.model.OWLOntologyFormat;
import org.semanticweb.owlapi.model.OWLOntologyID;
import org.semanticweb.owlapi.model.OWLOntologyIRIMapper;
import org.semanticweb.owlapi.model.OWLOntologyLoaderConfiguration;
import org.semanticweb.owlapi.model.OWLOntologyManager;
import org.semanticweb.owlapi.profiles.OWL2DLProfile;
import org.semanticweb.owlapi.profiles.OWLProfileReport;
import org.semanticweb.owlapi.profiles.OWLProfileViolation;
import org.semanticweb.owlapi.vocab.OWL2Datatype;

public class OwlApiCheck {

    /** Namespace of the placeholder entities OWL API 3 creates for malformed RDF. */
    static final String ERROR_NS = "http://org.semanticweb.owlapi/error#";

    /** --axioms: list every document's axioms in the report. */
    static boolean listAxioms = false;

    /** Where blocked imports are "fetched" from: a file that never exists. */
    static final String BLOCKED_PREFIX = "file:/nonexistent/owlapi-check-offline-import/";

    /** Maps imported ontology IRIs to local SOURCE documents; blocks everything else. */
    static final class OfflineMapper implements OWLOntologyIRIMapper {
        final Map<IRI, IRI> local;
        final Set<IRI> blocked = new LinkedHashSet<IRI>();

        OfflineMapper(Map<IRI, IRI> local) { this.local = local; }

        public IRI getDocumentIRI(IRI ontologyIRI) {
            IRI doc = local.get(ontologyIRI);
            if (doc != null) return doc;
            blocked.add(ontologyIRI);
            String s = ontologyIRI.toString().replaceAll("[^A-Za-z0-9._-]", "_");
            return IRI.create(BLOCKED_PREFIX + s);
        }
    }

    static final class Doc {
        String source;
        IRI documentIRI;
        OWLOntology ontology;
        OWLOntologyManager manager;
        String note;
    }

    static final class LoadResult {
        List<Doc> docs = new ArrayList<Doc>();
        Map<IRI, String> missingImports = new LinkedHashMap<IRI, String>();
        OfflineMapper mapper;
    }

    // ------------------------------------------------------------------ main

    public static void main(String[] args) {
        // Keep stdout for the JSON only.
        PrintStream realOut = new PrintStream(
            new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
        System.setOut(System.err);
        Logger.getLogger("").setLevel(Level.WARNING); // JUL -> stderr (ConsoleHandler) anyway
        System.setProperty("org.apache.commons.logging.Log", "org.apache.commons.logging.impl.NoOpLog");

        List<String> sources = new ArrayList<String>();
        List<String[]> entail = new ArrayList<String[]>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--entail")) {
                if (i + 3 >= args.length) usage("--entail needs SUBJECT_IRI PROPERTY_IRI OBJECT_IRI");
                entail.add(new String[] { args[i + 1], args[i + 2], args[i + 3] });
                i += 3;
            } else if (a.equals("--axioms")) {
                listAxioms = true;
            } else if (a.equals("-h") || a.equals("--help")) {
                usage(null);
            } else if (a.startsWith("--")) {
                usage("unknown option " + a);
            } else {
                sources.add(a);
            }
        }
        if (sources.isEmpty()) usage("no documents given");

        long t0 = System.nanoTime();
        LoadResult lr;
        try {
            lr = loadAll(sources, new HashMap<IRI, IRI>());
            // Did a document import an ontology that a (later) SOURCE provides?
            Map<IRI, IRI> local = localOntologyMap(lr);
            boolean reload = false;
            for (IRI blocked : lr.mapper.blocked) if (local.containsKey(blocked)) reload = true;
            if (reload) lr = loadAll(sources, local);
        } catch (LoadFailure e) {
            System.err.println("OwlApiCheck: cannot load " + e.source + ": " + e.getCause());
            System.exit(3);
            return;
        }
        long tLoad = System.nanoTime();

        OWLOntologyManager mm = OWLManager.createOWLOntologyManager();
        OWLDataFactory df = mm.getOWLDataFactory();
        OWLOntology merged;
        try {
            merged = mm.createOntology(IRI.create("urn:owlapi-check:merged"));
        } catch (OWLOntologyCreationException e) {
            throw new RuntimeException(e);
        }
        for (Doc d : lr.docs) mm.addAxioms(merged, d.ontology.getAxioms());

        // ---- OWL 2 DL profile
        OWLProfileReport report = new OWL2DLProfile().checkOntology(merged);
        List<String> violations = new ArrayList<String>();
        List<Map<String, Object>> violationDetails = new ArrayList<Map<String, Object>>();
        for (OWLProfileViolation v : report.getViolations()) {
            String msg = oneLine(String.valueOf(v));
            violations.add(msg);
            Map<String, Object> det = new LinkedHashMap<String, Object>();
            det.put("type", v.getClass().getSimpleName());
            det.put("message", msg);
            OWLAxiom ax = v.getAxiom();
            det.put("axiom", ax == null ? null : oneLine(ax.toString()));
            List<String> in = new ArrayList<String>();
            if (ax != null) for (Doc d : lr.docs) if (d.ontology.containsAxiom(ax)) in.add(d.source);
            det.put("documents", in);
            violationDetails.add(det);
        }
        // ---- datatypes outside the OWL 2 datatype map (OWL API 3.4.3's profile
        // checker does not look at the datatypes of literals)
        List<String> datatypeViolations = new ArrayList<String>();
        List<String> datatypeNotes = new ArrayList<String>();
        for (OWLDatatype dt : merged.getDatatypesInSignature()) {
            IRI iri = dt.getIRI();
            if (OWL2Datatype.isBuiltIn(iri) || dt.isTopDatatype() || !isReserved(iri)) continue;
            int logical = 0, other = 0;
            String example = null;
            Set<String> in = new TreeSet<String>();
            for (OWLAxiom ax : merged.getAxioms()) {
                if (!ax.getDatatypesInSignature().contains(dt)) continue;
                if (ax.isLogicalAxiom()) {
                    logical++;
                    if (example == null) example = oneLine(ax.toString());
                    for (Doc d : lr.docs) if (d.ontology.containsAxiom(ax)) in.add(d.source);
                } else {
                    other++;
                }
            }
            if (logical > 0) {
                datatypeViolations.add("Use of datatype not in the OWL 2 datatype map: " + iri
                    + " in " + logical + " logical axiom(s) of " + in + ", e.g. " + example);
            } else {
                datatypeNotes.add(iri + " (not in the OWL 2 datatype map) is used only in "
                    + other + " annotation(s)/declaration(s); HermiT ignores those");
            }
        }
        java.util.Collections.sort(datatypeViolations);
        java.util.Collections.sort(datatypeNotes);
        long tProfile = System.nanoTime();

        // ---- HermiT
        final List<String> warnings = new ArrayList<String>();
        Boolean consistent = null;
        String reasonerError = null;
        List<Map<String, Object>> entailments = new ArrayList<Map<String, Object>>();
        Reasoner reasoner = null;
        try {
            Configuration conf = new Configuration();
            conf.ignoreUnsupportedDatatypes = true; // as Protégé's HermiT plug-in
            conf.throwInconsistentOntologyException = false;
            conf.warningMonitor = new Configuration.WarningMonitor() {
                public void warning(String w) { warnings.add(oneLine(w)); }
            };
            reasoner = new Reasoner(conf, merged);
            consistent = reasoner.isConsistent();
        } catch (Throwable e) {
            reasonerError = oneLine(e.toString());
        }
        for (String[] e : entail) {
            Map<String, Object> m = new LinkedHashMap<String, Object>();
            m.put("s", e[0]);
            m.put("p", e[1]);
            m.put("o", e[2]);
            OWLObjectPropertyAssertionAxiom ax = df.getOWLObjectPropertyAssertionAxiom(
                df.getOWLObjectProperty(IRI.create(e[1])),
                df.getOWLNamedIndividual(IRI.create(e[0])),
                df.getOWLNamedIndividual(IRI.create(e[2])));
            m.put("asserted", merged.containsAxiom(ax));
            Boolean ent = null;
            if (reasoner != null && Boolean.TRUE.equals(consistent)) {
                try {
                    ent = reasoner.isEntailed(ax);
                } catch (Throwable ex) {
                    m.put("error", oneLine(ex.toString()));
                }
            }
            m.put("entailed", ent);
            entailments.add(m);
        }
        if (reasoner != null) reasoner.dispose();
        long tReason = System.nanoTime();

        // ---- JSON
        Map<String, Object> out = new LinkedHashMap<String, Object>();
        out.put("owlapiVersion", implVersion(OWLManager.class, "owlapi-api"));
        out.put("hermitVersion", implVersion(Reasoner.class, null));
        List<Map<String, Object>> docsJson = new ArrayList<Map<String, Object>>();
        for (Doc d : lr.docs) docsJson.add(docJson(d, lr));
        out.put("documents", docsJson);
        Map<String, Object> mergedJson = new LinkedHashMap<String, Object>();
        mergedJson.put("axioms", merged.getAxiomCount());
        mergedJson.put("logicalAxioms", merged.getLogicalAxiomCount());
        out.put("merged", mergedJson);
        out.put("inDLProfile", report.isInProfile());
        out.put("dlViolations", violations);
        out.put("dlViolationDetails", violationDetails);
        out.put("datatypeViolations", datatypeViolations);
        out.put("datatypeNotes", datatypeNotes);
        out.put("consistent", consistent);
        out.put("reasonerError", reasonerError);
        out.put("reasonerWarnings", warnings);
        out.put("entailments", entailments);
        Map<String, Object> timing = new LinkedHashMap<String, Object>();
        timing.put("loadMs", (tLoad - t0) / 1000000);
        timing.put("profileMs", (tProfile - tLoad) / 1000000);
        timing.put("reasonerMs", (tReason - tProfile) / 1000000);
        out.put("timing", timing);

        StringBuilder sb = new StringBuilder();
        json(sb, out);
        realOut.println(sb);
        realOut.flush();
        System.exit(0);
    }

    static void usage(String err) {
        if (err != null) System.err.println("OwlApiCheck: " + err);
        System.err.println("usage: java -cp BUILD:HermiT.jar OwlApiCheck [--axioms] [--entail SUBJECT_IRI PROPERTY_IRI OBJECT_IRI]... SOURCE...");
        System.exit(err == null ? 0 : 2);
    }

    // --------------------------------------------------------------- loading

    static final class LoadFailure extends Exception {
        final String source;
        LoadFailure(String source, Throwable cause) { super(cause); this.source = source; }
    }

    static boolean isUrl(String s) {
        String l = s.toLowerCase();
        return l.startsWith("http://") || l.startsWith("https://");
    }

    static IRI documentIRI(String source) {
        return isUrl(source) ? IRI.create(source) : IRI.create(new File(source).getAbsoluteFile());
    }

    static OWLOntologyManager newManager(OfflineMapper mapper, final LoadResult lr) {
        OWLOntologyManager m = OWLManager.createOWLOntologyManager();
        m.clearIRIMappers();          // drop the NonMappingOntologyIRIMapper (= fetch the IRI itself)
        m.addIRIMapper(mapper);
        m.setSilentMissingImportsHandling(true);
        m.addMissingImportListener(new MissingImportListener() {
            public void importMissing(MissingImportEvent e) {
                Throwable c = e.getCreationException();
                lr.missingImports.put(e.getImportedOntologyURI(),
                    c == null ? "" : oneLine(c.getClass().getSimpleName() + ": " + c.getMessage()));
            }
        });
        return m;
    }

    static OWLOntologyLoaderConfiguration loaderConfig() {
        return new OWLOntologyLoaderConfiguration()
            .setMissingImportHandlingStrategy(MissingImportHandlingStrategy.SILENT);
    }

    static LoadResult loadAll(List<String> sources, Map<IRI, IRI> local) throws LoadFailure {
        LoadResult lr = new LoadResult();
        lr.mapper = new OfflineMapper(local);
        OWLOntologyManager shared = newManager(lr.mapper, lr);
        for (String src : sources) {
            Doc d = new Doc();
            d.source = src;
            d.documentIRI = documentIRI(src);
            // Already pulled in as an import of an earlier SOURCE?
            for (OWLOntology o : shared.getOntologies()) {
                if (d.documentIRI.equals(shared.getOntologyDocumentIRI(o))) {
                    d.ontology = o;
                    d.manager = shared;
                    d.note = "loaded as an import of an earlier document";
                }
            }
            if (d.ontology == null) {
                try {
                    d.ontology = shared.loadOntologyFromOntologyDocument(source(src), loaderConfig());
                    d.manager = shared;
                } catch (OWLOntologyAlreadyExistsException e) {
                    // Same ontology IRI as an earlier document: load it on its own.
                    OWLOntologyManager own = newManager(lr.mapper, lr);
                    try {
                        d.ontology = own.loadOntologyFromOntologyDocument(source(src), loaderConfig());
                    } catch (OWLOntologyCreationException e2) {
                        throw new LoadFailure(src, e2);
                    }
                    d.manager = own;
                    d.note = "ontology IRI already used by another document; loaded with its own manager";
                } catch (OWLOntologyCreationException e) {
                    throw new LoadFailure(src, e);
                } catch (RuntimeException e) {
                    throw new LoadFailure(src, e);
                }
            }
            lr.docs.add(d);
        }
        return lr;
    }

    static OWLOntologyDocumentSource source(String src) {
        if (isUrl(src)) return new IRIDocumentSource(IRI.create(src));
        return new FileDocumentSource(new File(src).getAbsoluteFile());
    }

    static Map<IRI, IRI> localOntologyMap(LoadResult lr) {
        Map<IRI, IRI> m = new HashMap<IRI, IRI>();
        for (Doc d : lr.docs) {
            OWLOntologyID id = d.ontology.getOntologyID();
            if (id.getOntologyIRI() != null && !m.containsKey(id.getOntologyIRI()))
                m.put(id.getOntologyIRI(), d.documentIRI);
            if (id.getVersionIRI() != null && !m.containsKey(id.getVersionIRI()))
                m.put(id.getVersionIRI(), d.documentIRI);
        }
        return m;
    }

    /**
     * OWL API 3.4.3 quirk: an IRI-valued annotation of the ontology header whose
     * property is declared later in the document (or not at all), e.g.
     *   <ont> a owl:Ontology ; dcterms:license <https://...> .
     * IS added to the ontology's annotations but is still listed by
     * getUnparsedTriples().  True if triple t is such an annotation.
     */
    static boolean isOntologyAnnotation(OWLOntology ont, RDFTriple t) {
        IRI ontIRI = ont.getOntologyID().getOntologyIRI();
        if (ontIRI == null || t.getSubject().isAnonymous() || !ontIRI.equals(t.getSubject().getResource()))
            return false;
        IRI prop = t.getPredicate().getResource();
        RDFNode obj = t.getObject();
        for (OWLAnnotation a : ont.getAnnotations()) {
            if (!a.getProperty().getIRI().equals(prop)) continue;
            OWLAnnotationValue v = a.getValue();
            if (obj.isLiteral()) {
                if (v.equals(((RDFLiteral) obj).getLiteral())) return true;
            } else if (!((RDFResource) obj).isAnonymous()) {
                if (v.equals(((RDFResource) obj).getResource())) return true;
            }
        }
        return false;
    }

    /** IRIs of the OWL 2 reserved vocabulary namespaces (Structural Specification 2.4). */
    static boolean isReserved(IRI iri) {
        String s = iri.toString();
        return s.startsWith("http://www.w3.org/2001/XMLSchema#")
            || s.startsWith("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
            || s.startsWith("http://www.w3.org/2000/01/rdf-schema#")
            || s.startsWith("http://www.w3.org/2002/07/owl#");
    }

    static Map<String, Object> docJson(Doc d, LoadResult lr) {
        Map<String, Object> m = new LinkedHashMap<String, Object>();
        m.put("source", d.source);
        OWLOntologyID id = d.ontology.getOntologyID();
        m.put("ontologyIRI", id.getOntologyIRI() == null ? null : id.getOntologyIRI().toString());
        m.put("versionIRI", id.getVersionIRI() == null ? null : id.getVersionIRI().toString());
        OWLOntologyFormat fmt = d.manager.getOntologyFormat(d.ontology);
        m.put("format", fmt == null ? null : fmt.getClass().getSimpleName());
        List<String> oa = new ArrayList<String>();
        for (OWLAnnotation a : d.ontology.getAnnotations()) oa.add(oneLine(a.toString()));
        java.util.Collections.sort(oa);
        m.put("ontologyAnnotations", oa);
        m.put("axioms", d.ontology.getAxiomCount());
        m.put("logicalAxioms", d.ontology.getLogicalAxiomCount());
        OWLOntologyLoaderMetaData md = fmt == null ? null : fmt.getOntologyLoaderMetaData();
        if (md instanceof RDFParserMetaData) {
            RDFParserMetaData rmd = (RDFParserMetaData) md;
            m.put("triples", rmd.getTripleCount());
            Set<String> ts = new TreeSet<String>();
            Set<String> translated = new TreeSet<String>();
            for (RDFTriple t : rmd.getUnparsedTriples()) {
                String str = oneLine(t.toString());
                ts.add(str);
                if (isOntologyAnnotation(d.ontology, t)) translated.add(str);
            }
            m.put("unparsed", ts.size());
            m.put("unparsedTriples", new ArrayList<String>(ts));
            m.put("unparsedButTranslated", new ArrayList<String>(translated));
        } else {
            m.put("triples", null);
            m.put("unparsed", null);
            m.put("unparsedTriples", new ArrayList<String>());
            m.put("unparsedButTranslated", new ArrayList<String>());
        }
        // OWL API 3 turns malformed constructs (e.g. an owl:Restriction without
        // owl:someValuesFrom/...) into entities in the namespace
        // http://org.semanticweb.owlapi/error# instead of listing unparsed triples.
        List<String> errs = new ArrayList<String>();
        for (OWLAxiom ax : d.ontology.getAxioms()) {
            for (OWLEntity e : ax.getSignature()) {
                if (e.getIRI().toString().startsWith(ERROR_NS)) {
                    errs.add(oneLine(ax.toString()));
                    break;
                }
            }
        }
        java.util.Collections.sort(errs);
        m.put("errorAxioms", errs);
        List<Map<String, Object>> imps = new ArrayList<Map<String, Object>>();
        for (OWLImportsDeclaration decl : d.ontology.getImportsDeclarations()) {
            Map<String, Object> im = new LinkedHashMap<String, Object>();
            IRI iri = decl.getIRI();
            im.put("iri", iri.toString());
            IRI localDoc = lr.mapper.local.get(iri);
            boolean missing = lr.missingImports.containsKey(iri)
                || d.manager.getImportedOntology(decl) == null;
            im.put("resolved", !missing);
            im.put("resolvedTo", missing ? null
                : String.valueOf(localDoc != null ? localDoc
                    : d.manager.getOntologyDocumentIRI(d.manager.getImportedOntology(decl))));
            if (missing) im.put("reason", lr.missingImports.containsKey(iri)
                ? "not fetched (offline; not one of the given documents)" : "not loaded");
            imps.add(im);
        }
        m.put("imports", imps);
        m.put("note", d.note);
        if (listAxioms) {
            List<String> all = new ArrayList<String>();
            for (OWLAxiom ax : d.ontology.getAxioms()) all.add(oneLine(ax.toString()));
            java.util.Collections.sort(all);
            m.put("axiomList", all);
        }
        return m;
    }

    // ------------------------------------------------------------------ misc

    static String implVersion(Class<?> c, String mavenArtifact) {
        if (mavenArtifact != null) {
            try (java.io.InputStream in = c.getResourceAsStream(
                    "/META-INF/maven/net.sourceforge.owlapi/" + mavenArtifact + "/pom.properties")) {
                if (in != null) {
                    java.util.Properties p = new java.util.Properties();
                    p.load(in);
                    if (p.getProperty("version") != null) return p.getProperty("version");
                }
            } catch (java.io.IOException e) {
                // fall through
            }
        }
        Package p = c.getPackage();
        return p == null ? null : p.getImplementationVersion();
    }

    static String oneLine(String s) {
        return s == null ? null : s.replaceAll("\\s*[\\r\\n]+\\s*", " ").trim();
    }

    @SuppressWarnings("unchecked")
    static void json(StringBuilder sb, Object o) {
        if (o == null) {
            sb.append("null");
        } else if (o instanceof Boolean || o instanceof Integer || o instanceof Long) {
            sb.append(o);
        } else if (o instanceof Map) {
            sb.append('{');
            boolean first = true;
            for (Map.Entry<String, Object> e : ((Map<String, Object>) o).entrySet()) {
                if (!first) sb.append(',');
                first = false;
                str(sb, e.getKey());
                sb.append(':');
                json(sb, e.getValue());
            }
            sb.append('}');
        } else if (o instanceof Collection) {
            sb.append('[');
            boolean first = true;
            for (Object x : (Collection<Object>) o) {
                if (!first) sb.append(',');
                first = false;
                json(sb, x);
            }
            sb.append(']');
        } else {
            str(sb, o.toString());
        }
    }

    static void str(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"': sb.append("\\\""); break;
                case '\\': sb.append("\\\\"); break;
                case '\n': sb.append("\\n"); break;
                case '\r': sb.append("\\r"); break;
                case '\t': sb.append("\\t"); break;
                default:
                    if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
            }
        }
        sb.append('"');
    }
}
