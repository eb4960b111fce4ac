"""The lineage diagram of a model page: a self-contained SVG drawn on the server.

:func:`lineage` picks what to draw from a graph (a model, every direct derivation edge up to the
roots, and its direct children); :func:`lineage_svg` lays that out in layers (roots at the top,
children at the bottom, a barycentre pass against crossings) and writes the SVG. Arrows point
from a model to the model it was derived from, so they read as the edge labels do: "ChatGPT
fine-tuned from …".

The graph may hold inferences (``KnowledgeGraph.union()``): an edge is drawn only where the data
asserts a direct derivation, never for the transitive ``descendantOf`` closure, and never where
the only support is a claim outside the default lineage. Output is a pure function of the graph
and the callbacks, so the same input gives the same string.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.term import Node

from lineage.explain.chains import lineage_properties, most_specific, parents
from lineage.names import label as graph_label
from lineage.names import slug
from lineage.namespaces import LIN, METHOD
from lineage.stores.backend import some_subjects

# Kinds of direct derivation, known even to a graph that lacks the ontology.
DERIVATIONS = (
    LIN.adapterOf,
    LIN.checkpointOf,
    LIN.continuedPretrainingFrom,
    LIN.convertedFrom,
    LIN.derivedFrom,
    LIN.distilledFrom,
    LIN.fineTunedFrom,
    LIN.improvementOf,
    LIN.mergedFrom,
    LIN.prunedFrom,
    LIN.quantizedFrom,
    LIN.snapshotOf,
    LIN.upcycledFrom,
    LIN.upscaledFrom,
)

# The usual order of training steps, so that "SFT + reward modelling + RLHF with PPO" reads in
# the order the steps happen. Methods not listed follow, alphabetically.
_PIPELINE = tuple(
    METHOD[name]
    for name in (
        "pretraining",
        "code-continued-pretraining",
        "long-context-finetuning",
        "multitask-prompted-finetuning",
        "instruction-finetuning",
        "sft",
        "distilled-sft",
        "feedme",
        "reward-modeling",
        "rlhf-ppo",
        "dpo",
        "snapshot",
    )
)
_NOT_A_METHOD = {METHOD.unstated}

MAX_CHILDREN = 8


# -- what to draw ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Edge:
    """A direct derivation: ``child`` was derived from ``parent``; ``kind`` is the property."""

    child: URIRef
    parent: URIRef
    kind: URIRef
    methods: tuple[URIRef, ...] = ()


@dataclass
class Lineage:
    """A model, its ancestry up to the roots, and its direct children (at most ``max_children``)."""

    model: URIRef
    ancestors: list[URIRef]
    children: list[URIRef]
    hidden_children: list[URIRef]
    edges: list[Edge]
    unidentified: set[URIRef] = field(default_factory=set)
    more_unlisted: bool = False  # there are children beyond ``hidden_children`` (a big store: not all fetched)


CANDIDATES = 200
"""Children looked up per derivation property: enough to pick the few drawn, not a big root's 160k."""


def _properties(graph: Graph) -> set[URIRef]:
    return lineage_properties(graph) | set(DERIVATIONS) | {LIN.descendantOf}


def _reachable(graph: Graph, start: URIRef, properties: set[URIRef]) -> set[URIRef]:
    """Every node reached from ``start`` over ``properties`` (``start`` included)."""
    seen, todo = {start}, [start]
    while todo:
        node = todo.pop()
        for parent in parents(graph, node, properties):
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def _lineage_claims(graph: Graph, model: URIRef) -> list[tuple[Node, Node, bool]]:
    """(claim, claimed parent, in the default lineage?) for each lineage claim about ``model``.

    Like :func:`lineage.explain.chains.claims_about`, but keeping the claim's node (which may be blank)
    and without rendering each claim's source and quote, which the diagram does not show.
    """
    found = []
    for claim in graph.objects(model, LIN.hasClaim):
        parent = graph.value(claim, LIN.claimedParent)
        if parent is not None:
            default = graph.value(claim, LIN.inDefaultLineage)
            found.append((claim, parent, isinstance(default, Literal) and default.toPython() is True))
    return found


def direct_parents(graph: Graph, model: URIRef, properties: set[URIRef] | None = None) -> list[Edge]:
    """The direct derivation edges from ``model`` up, sorted by parent.

    An edge by a kind of derivation (``derivedFrom`` or a sub-property) is direct. A bare
    ``descendantOf`` edge is direct when a default-lineage claim backs it, or when no other parent
    implies it (in a graph with inferences, most ``descendantOf`` edges are the transitive closure).
    An edge whose claims are all outside the default lineage is left out.
    """
    properties = _properties(graph) if properties is None else properties
    found = parents(graph, model, properties)
    claims = _lineage_claims(graph, model)
    backed = {parent for _, parent, default in claims if default}
    disputed = {parent for _, parent, default in claims if not default} - backed
    edges = []
    for parent in sorted(found):
        if parent == model or parent in disputed:
            continue
        kinds = sorted(p for p in found[parent] if p != LIN.descendantOf)
        if not kinds and parent not in backed:
            others = [q for q in found if q not in (parent, model)]
            if any(parent in _reachable(graph, q, properties) for q in others):
                continue
        kind = most_specific(graph, kinds) if kinds else LIN.descendantOf
        methods = {
            method
            for claim, claimed, default in claims
            if default and claimed == parent
            for method in graph.objects(claim, LIN.method)
            if isinstance(method, URIRef) and method not in _NOT_A_METHOD
        }
        edges.append(Edge(model, parent, kind, _in_pipeline_order(graph, methods)))
    return edges


def _in_pipeline_order(graph: Graph, methods: Iterable[URIRef]) -> tuple[URIRef, ...]:
    def key(method: URIRef) -> tuple[int, str, str]:
        rank = _PIPELINE.index(method) if method in _PIPELINE else len(_PIPELINE)
        return rank, graph_label(graph, method).casefold(), str(method)

    return tuple(sorted(methods, key=key))


def lineage(graph: Graph, model: URIRef, *, max_children: int = MAX_CHILDREN) -> Lineage:
    """What the diagram of ``model`` shows: every direct edge up to the roots, and one level down."""
    properties = _properties(graph)
    edges: list[Edge] = []
    ancestors: list[URIRef] = []
    seen, todo = {model}, [model]
    while todo:
        node = todo.pop(0)
        for edge in direct_parents(graph, node, properties):
            edges.append(edge)
            if edge.parent not in seen:
                seen.add(edge.parent)
                ancestors.append(edge.parent)
                todo.append(edge.parent)
    found = [some_subjects(graph, p, model, CANDIDATES) for p in properties]
    candidates = sorted({s for subjects in found for s in subjects if isinstance(s, URIRef) and s not in seen})
    child_edges = [e for c in candidates for e in direct_parents(graph, c, properties) if e.parent == model]
    child_edges.sort(key=lambda e: (graph_label(graph, e.child).casefold(), str(e.child)))
    shown = child_edges[:max_children]
    unidentified = {n for n in (model, *ancestors, *candidates) if (n, RDF.type, LIN.UnidentifiedModel) in graph}
    return Lineage(
        model=model,
        ancestors=ancestors,
        children=[e.child for e in shown],
        hidden_children=[e.child for e in child_edges[max_children:]],
        edges=edges + shown,
        unidentified=unidentified,
        more_unlisted=any(len(subjects) == CANDIDATES for subjects in found),
    )


# -- text -----------------------------------------------------------------------------------------

NODE_FONT = 13.0
EDGE_FONT = 12.0
LINE = 16.0  # line height of node text
EDGE_LINE = 14.5
NODE_CHARS = 26  # characters per line in a node; two lines at most
EDGE_CHARS = 30
FONT_FAMILY = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
_NARROW = set("ijlI.,:;'|!()[]{} /-ft")
_WIDE = set("mwMW@%&…+<>=~#")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def text_width(text: str, size: float, bold: bool = False) -> float:
    """An estimate of the rendered width of ``text`` in a sans-serif font, from its characters.

    The widths per kind of character were fitted to DejaVu Sans, one of the widest sans-serif
    fonts (the labels of the bundled data, measured in Chromium: within 9%), so that boxes are
    rather too wide than too narrow in other fonts.
    """
    ems = 0.0
    for char in text:
        if char in _NARROW:
            ems += 0.34
        elif char in _WIDE:
            ems += 0.95
        elif char.isupper() or char.isdigit():
            ems += 0.65
        else:
            ems += 0.59
    return ems * size * (1.11 if bold else 1.0)


def wrap(text: str, limit: int, max_lines: int) -> list[str]:
    """``text`` in lines of at most ``limit`` characters, broken at spaces; an ellipsis ends a cut."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        while len(word) > limit:
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:limit])
            word = word[limit:]
        if not current:
            current = word
        elif len(current) + 1 + len(word) <= limit:
            current += " " + word
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        lines[-1] = (last if len(last) < limit else last[: limit - 1]).rstrip() + "…"
    return lines or [""]


def _join_wrapped(items: list[str], limit: int) -> list[str]:
    """Items joined with " + ", each line holding whole items where they fit."""
    lines: list[str] = []
    for item in items:
        if lines and len(lines[-1]) + 3 + len(item) <= limit:
            lines[-1] += " + " + item
        else:
            lines.append(("+ " if lines else "") + item)
    return lines


def short_method(graph: Graph, method: URIRef) -> str:
    """A method's name as an edge shows it: the abbreviation its label ends with, or the label."""
    text = graph_label(graph, method)
    match = re.search(r"\(([A-Za-z][A-Za-z0-9-]{0,9})\)\s*$", text)
    return match.group(1) if match and any(c.isupper() for c in match.group(1)) else text


def kind_label(graph: Graph, prop: URIRef) -> str:
    """Human words for a derivation property: its rdfs:label, or its name split ("fine tuned from")."""
    value = graph.value(prop, RDFS.label)
    if value is not None:
        return str(value)
    name = re.split(r"[#/]", str(prop))[-1]
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).lower()


def _clean(text: str) -> str:
    return _CONTROL.sub("", text)


def _esc(text: str) -> str:
    return html.escape(_clean(text), quote=True)


def _num(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


# -- layout ---------------------------------------------------------------------------------------

MARGIN = 14.0
NODE_PAD_X = 11.0
NODE_PAD_Y = 7.0
NODE_GAP = 26.0  # between neighbouring slots in a layer
LABEL_GAP = 8.0  # between labels of edges that leave the same node
PORT_GAP = 10.0  # from a node's top to the labels of the edges that leave it
PORT_GAP_SPLIT = 24.0  # the same, where several edges leave one node
CURVE = 40.0  # height of the curved part of an edge
DUMMY_WIDTH = 14.0
MORE = "~more"  # key of the "+N more" box


@dataclass
class _Box:
    key: str
    iri: URIRef | None
    lines: list[str]
    title: str
    style: str  # focus, model, unidentified, more, dummy
    layer: int = 0
    width: float = DUMMY_WIDTH
    height: float = 0.0
    slot: float = DUMMY_WIDTH
    x: float = 0.0
    top: float = 0.0

    @property
    def bottom(self) -> float:
        return self.top + self.height


@dataclass
class _Path:
    """One drawn edge: a chain of boxes from the child (first) up to the parent (last)."""

    chain: list[str]
    lines: list[str]
    label_width: float = 0.0
    label_x: float = 0.0
    arrive_x: float = 0.0
    points: list[tuple[float, float, float]] = field(default_factory=list)  # (x, y from, y to), upward


@dataclass
class _Layout:
    boxes: dict[str, _Box]
    layers: list[list[str]]
    paths: list[_Path]
    width: float = 0.0
    height: float = 0.0


def _layers_of(view: Lineage) -> dict[URIRef, int]:
    """Layer of each node: the model's children at the bottom, each ancestor one above its highest child."""
    down: dict[URIRef, list[URIRef]] = {}
    children = set(view.children)
    for edge in view.edges:
        if edge.child not in children:
            down.setdefault(edge.parent, []).append(edge.child)
    height: dict[URIRef, int] = {view.model: 0}
    active: set[URIRef] = set()

    def rise(node: URIRef) -> int:
        """Longest path from ``node`` down to the model (a cycle's back edge is ignored)."""
        if node not in height:
            active.add(node)
            below = [rise(c) for c in sorted(down.get(node, [])) if c not in active]
            active.discard(node)
            height[node] = 1 + max(below, default=-1)
        return height[node]

    for node in view.ancestors:
        rise(node)
    top = max(height.values())
    layers = {node: top - h for node, h in height.items()}
    for child in view.children:
        layers[child] = top + 1
    return layers


def _crossings(layers: list[list[str]], up: dict[str, list[str]]) -> int:
    total = 0
    for index in range(1, len(layers)):
        above = {key: i for i, key in enumerate(layers[index - 1])}
        segments = [(above[u], i) for i, key in enumerate(layers[index]) for u in up.get(key, []) if u in above]
        for n, (a1, b1) in enumerate(segments):
            for a2, b2 in segments[n + 1 :]:
                if (a1 - a2) * (b1 - b2) < 0:
                    total += 1
    return total


def _order(layers: list[list[str]], up: dict[str, list[str]], down: dict[str, list[str]]) -> list[list[str]]:
    """Barycentre sweeps down and up; the ordering with the fewest crossings wins."""
    best, best_count = [list(layer) for layer in layers], _crossings(layers, up)
    current = [list(layer) for layer in layers]
    for _ in range(6):
        for index, neighbours, ref in [(i, up, i - 1) for i in range(1, len(current))] + [
            (i, down, i + 1) for i in range(len(current) - 2, -1, -1)
        ]:
            position = {key: i for i, key in enumerate(current[ref])}

            def key(item: tuple[int, str], position=position, neighbours=neighbours) -> tuple[float, int]:
                i, node = item
                linked = [position[n] for n in neighbours.get(node, []) if n in position]
                return (sum(linked) / len(linked) if linked else float(i), i)

            current[index] = [node for _, node in sorted(enumerate(current[index]), key=key)]
        count = _crossings(current, up)
        if count < best_count:
            best, best_count = [list(layer) for layer in current], count
    return best


def _isotonic(targets: list[float]) -> list[float]:
    """The non-decreasing sequence closest to ``targets`` in least squares (pool adjacent violators)."""
    blocks: list[list[float]] = []  # [sum, count]
    for value in targets:
        blocks.append([value, 1.0])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            total, count = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += count
    result: list[float] = []
    for total, count in blocks:
        result.extend([total / count] * int(count))
    return result


def _place_layer(boxes: list[_Box], desired: list[float]) -> None:
    """x of each box as near ``desired`` as the order and the slot widths allow."""
    offsets = [0.0]
    for left, right in zip(boxes, boxes[1:], strict=False):
        offsets.append(offsets[-1] + (left.slot + right.slot) / 2 + NODE_GAP)
    fitted = _isotonic([d - o for d, o in zip(desired, offsets, strict=True)])
    for box, y, offset in zip(boxes, fitted, offsets, strict=True):
        box.x = y + offset


def _position(layout: _Layout, up: dict[str, list[str]], down: dict[str, list[str]]) -> None:
    boxes, layers = layout.boxes, layout.layers
    for layer in layers:
        members = [boxes[k] for k in layer]
        _place_layer(members, [0.0] * len(members))

    def settle(index: int, neighbours: list[dict[str, list[str]]]) -> None:
        members = [boxes[k] for k in layers[index]]
        desired = []
        for box in members:
            linked = [boxes[n].x for table in neighbours for n in table.get(box.key, [])]
            desired.append(sum(linked) / len(linked) if linked else box.x)
        _place_layer(members, desired)

    for _ in range(8):
        for index in range(1, len(layers)):
            settle(index, [up])
        for index in range(len(layers) - 2, -1, -1):
            settle(index, [down])
    for index in range(len(layers)):
        settle(index, [up, down])


def _boxes_and_paths(view: Lineage, graph: Graph, label: Callable[[URIRef], str]) -> _Layout:
    """A box per node (with a dummy box where an edge crosses a layer) and a path per edge."""
    layer_of = _layers_of(view)
    boxes: dict[str, _Box] = {}

    def add(node: URIRef) -> str:
        key = str(node)
        if key not in boxes:
            name = _clean(label(node))
            style = "focus" if node == view.model else "unidentified" if node in view.unidentified else "model"
            boxes[key] = _Box(key, node, wrap(name, NODE_CHARS, 2), name, style, layer_of[node])
        return key

    for node in (view.model, *view.ancestors, *view.children):
        add(node)
    paths: list[_Path] = []
    for edge in view.edges:
        chain = [add(edge.child)]
        for layer in range(layer_of[edge.child] - 1, layer_of[edge.parent], -1):
            key = f"~dummy{len(boxes)}"
            boxes[key] = _Box(key, None, [], "", "dummy", layer)
            chain.append(key)
        chain.append(add(edge.parent))
        methods = [short_method(graph, m) for m in edge.methods]
        lines = [kind_label(graph, edge.kind), *_join_wrapped(methods, EDGE_CHARS)]
        paths.append(_Path(chain, [_clean(line) for line in lines]))
    if view.hidden_children:
        names = [_clean(label(c)) for c in view.hidden_children]
        listed = ", ".join(names[:20]) + (", …" if len(names) > 20 else "")
        layer = layer_of[view.model] + 1
        count = f"{len(names)}{'+' if view.more_unlisted else ''}"
        boxes[MORE] = _Box(MORE, None, [f"+{count} more"], f"{count} more: {listed}", "more", layer)
        paths.append(_Path([MORE, str(view.model)], []))

    layers: list[list[str]] = [[] for _ in range(max(box.layer for box in boxes.values()) + 1)]
    for key in sorted(boxes, key=lambda k: (boxes[k].title.casefold(), k)):
        if key != MORE:
            layers[boxes[key].layer].append(key)
    return _Layout(boxes, layers, paths)


def _measure(layout: _Layout) -> dict[str, list[_Path]]:
    """Box sizes, label sizes, and each slot wide enough for its box and the labels of the edges
    leaving it. Returns the paths leaving each box."""
    for box in layout.boxes.values():
        if box.style != "dummy":
            bold = box.style == "focus"
            box.width = max(text_width(line, NODE_FONT, bold) for line in box.lines) + 2 * NODE_PAD_X
            box.height = len(box.lines) * LINE + 2 * NODE_PAD_Y
            box.slot = box.width
    leaving: dict[str, list[_Path]] = {}
    for path in layout.paths:
        if path.lines:
            path.label_width = max(text_width(line, EDGE_FONT) for line in path.lines) + 8
        leaving.setdefault(path.chain[0], []).append(path)
    for key, group in leaving.items():
        need = sum(p.label_width for p in group) + LABEL_GAP * (len(group) - 1)
        layout.boxes[key].slot = max(layout.boxes[key].slot, need)
    return leaving


def _stack(layout: _Layout, leaving: dict[str, list[_Path]]) -> tuple[list[float], list[float]]:
    """y of every box: each layer as tall as its tallest box, with room above it for the labels of
    the edges that leave it. Returns each layer's top and the gap under its labels."""
    y = MARGIN
    tops: list[float] = []
    gaps: list[float] = []
    for index, layer in enumerate(layout.layers):
        band = max((len(p.lines) * EDGE_LINE + 4 for k in layer for p in leaving.get(k, []) if p.lines), default=0.0)
        gaps.append(PORT_GAP_SPLIT if any(len(leaving.get(k, [])) > 1 for k in layer) else PORT_GAP)
        if index:
            y += gaps[-1] + band + CURVE
        height = max((layout.boxes[k].height for k in layer), default=0.0)
        tops.append(y)
        for key in layer:
            box = layout.boxes[key]
            if box.style == "dummy":
                box.top, box.height = y, height
            else:
                box.top = y + (height - box.height) / 2
        y += height
    layout.height = y + MARGIN
    return tops, gaps


def _route_paths(layout: _Layout, leaving: dict[str, list[_Path]], tops: list[float], gaps: list[float]) -> None:
    """Where each edge leaves its child, where its label sits, and where it meets its parent."""
    boxes = layout.boxes
    for key, group in leaving.items():
        group.sort(key=lambda p: boxes[p.chain[1]].x)
        left = boxes[key].x - (sum(p.label_width for p in group) + LABEL_GAP * (len(group) - 1)) / 2
        for path in group:
            path.label_x = left + path.label_width / 2
            left += path.label_width + LABEL_GAP
    arriving: dict[str, list[_Path]] = {}
    for path in layout.paths:
        arriving.setdefault(path.chain[-1], []).append(path)
    for key, group in arriving.items():
        box = boxes[key]
        group.sort(key=lambda p: (boxes[p.chain[-2]].x, p.label_x))
        step = min(14.0, (box.width - 20) / (len(group) - 1)) if len(group) > 1 else 0.0
        for i, path in enumerate(group):
            path.arrive_x = box.x + (i - (len(group) - 1) / 2) * step
    for path in layout.paths:
        child, parent = boxes[path.chain[0]], boxes[path.chain[-1]]
        start_x = min(max(path.label_x, child.x - child.width / 2 + 8), child.x + child.width / 2 - 8)
        points = [(start_x, child.top, child.top)]
        if path.lines:
            band_bottom = tops[child.layer] - gaps[child.layer]
            points.append((path.label_x, band_bottom, band_bottom - len(path.lines) * EDGE_LINE - 4))
        points.extend((boxes[k].x, boxes[k].bottom, boxes[k].top) for k in path.chain[1:-1])
        points.append((path.arrive_x, parent.bottom + 1.5, parent.bottom + 1.5))
        path.points = points


def _layout(view: Lineage, graph: Graph, label: Callable[[URIRef], str]) -> _Layout:
    layout = _boxes_and_paths(view, graph, label)
    up: dict[str, list[str]] = {}
    down: dict[str, list[str]] = {}
    for path in layout.paths:
        for lower, upper in zip(path.chain, path.chain[1:], strict=False):
            up.setdefault(lower, []).append(upper)
            down.setdefault(upper, []).append(lower)
    layout.layers = _order(layout.layers, up, down)
    if MORE in layout.boxes:  # the "+N more" node comes last
        layout.layers[-1].append(MORE)
    leaving = _measure(layout)
    _position(layout, up, down)
    tops, gaps = _stack(layout, leaving)
    _route_paths(layout, leaving, tops, gaps)

    # Move everything right of the margin.
    paths, boxes = layout.paths, layout.boxes.values()
    lefts = [b.x - b.slot / 2 for b in boxes] + [p.label_x - p.label_width / 2 for p in paths if p.lines]
    rights = [b.x + b.slot / 2 for b in boxes] + [p.label_x + p.label_width / 2 for p in paths if p.lines]
    shift = MARGIN - min(lefts)
    for box in boxes:
        box.x += shift
    for path in paths:
        path.label_x += shift
        path.points = [(x + shift, a, b) for x, a, b in path.points]
    layout.width = max(rights) + shift + MARGIN
    return layout


# -- drawing --------------------------------------------------------------------------------------

INK = "#1f2328"
MUTED = "#57606a"
EDGE = "#6e7781"
ACCENT = "#0969da"


def _route(points: list[tuple[float, float, float]]) -> str:
    """An SVG path through vertical runs joined by S-curves, from the child up to the parent."""
    x, start, end = points[0]
    parts = [f"M{_num(x)} {_num(start)}"]
    if end != start:
        parts.append(f"V{_num(end)}")
    for nx, nstart, nend in points[1:]:
        half = (end - nstart) / 2
        if abs(nx - x) < 0.05:
            parts.append(f"V{_num(nstart)}")
        else:
            parts.append(f"C{_num(x)} {_num(end - half)} {_num(nx)} {_num(nstart + half)} {_num(nx)} {_num(nstart)}")
        if nend != nstart:
            parts.append(f"V{_num(nend)}")
        x, end = nx, nend
    return " ".join(parts)


def _text_lines(lines: list[str], x: float, top: float, line: float, size: float, attrs: str = "") -> str:
    spans = "".join(
        f'<tspan x="{_num(x)}" y="{_num(top + line * i + line / 2 + size * 0.35)}">{_esc(text)}</tspan>'
        for i, text in enumerate(lines)
    )
    return f'<text text-anchor="middle" font-size="{_num(size)}"{attrs}>{spans}</text>'


def _draw_box(box: _Box, href: Callable[[URIRef], str]) -> str:
    left, top = box.x - box.width / 2, box.top
    shape = {
        "focus": f'fill="#ddf4ff" stroke="{ACCENT}" stroke-width="2.5"',
        "model": f'fill="#ffffff" stroke="{MUTED}" stroke-width="1.25"',
        "unidentified": f'fill="#f6f8fa" stroke="{MUTED}" stroke-width="1.25" stroke-dasharray="5 3"',
        "more": 'fill="#f6f8fa" stroke="#8c959f" stroke-width="1" stroke-dasharray="2 2"',
    }[box.style]
    text_attrs = {
        "focus": f' font-weight="bold" fill="{INK}"',
        "model": f' fill="{INK}"',
        "unidentified": f' font-style="italic" fill="{INK}"',
        "more": f' fill="{MUTED}"',
    }[box.style]
    rect = (
        f'<rect x="{_num(left)}" y="{_num(top)}" width="{_num(box.width)}" height="{_num(box.height)}" rx="6" {shape}/>'
    )
    text = _text_lines(box.lines, box.x, top + NODE_PAD_Y, LINE, NODE_FONT, text_attrs)
    title = f"<title>{_esc(box.title)}</title>"
    if box.iri is None:
        return f'<g class="ld-more">{title}{rect}{text}</g>'
    link = _esc(href(box.iri))
    return f'<a href="{link}" xlink:href="{link}" class="ld-node ld-{box.style}">{title}{rect}{text}</a>'


def _draw_route(path: _Path, ids: str) -> str:
    return (
        f'<path d="{_route(path.points)}" fill="none" stroke="{EDGE}" stroke-width="1.4" '
        f'marker-end="url(#{ids}-arrow)"/>'
    )


def _draw_label(path: _Path) -> str:
    """An edge's label on a white ground over its line: the kind, then the methods in italics."""
    if not path.lines:
        return ""
    _, bottom, _ = path.points[1]
    top = bottom - len(path.lines) * EDGE_LINE - 4
    back = (
        f'<rect x="{_num(path.label_x - path.label_width / 2)}" y="{_num(top)}" width="{_num(path.label_width)}" '
        f'height="{_num(bottom - top)}" rx="3" fill="#ffffff" fill-opacity="0.94"/>'
    )
    kind = _text_lines(path.lines[:1], path.label_x, top + 2, EDGE_LINE, EDGE_FONT, f' fill="{INK}"')
    if len(path.lines) == 1:
        return f'<g class="ld-label">{back}{kind}</g>'
    methods = _text_lines(
        path.lines[1:], path.label_x, top + 2 + EDGE_LINE, EDGE_LINE, EDGE_FONT, f' fill="{MUTED}" font-style="italic"'
    )
    return f'<g class="ld-label">{back}{kind}{methods}</g>'


def _legend(layout: _Layout, has_unidentified: bool, top: float, ids: str) -> tuple[str, float, float]:
    """The legend rows under the diagram: their SVG, height and the width they need."""
    items: list[tuple[str, float]] = []  # (svg at origin, width)
    arrow_text = "derived from (arrow points to the parent)"
    arrow_w = 34 + text_width(arrow_text, EDGE_FONT)
    items.append(
        (
            f'<path d="M0 9H26" stroke="{EDGE}" stroke-width="1.4" marker-end="url(#{ids}-arrow)"/>'
            f'<text x="34" y="13" font-size="{_num(EDGE_FONT)}" fill="{MUTED}">{arrow_text}</text>',
            arrow_w,
        )
    )
    focus_text = "this model"
    items.append(
        (
            f'<rect x="0" y="2" width="26" height="14" rx="3" fill="#ddf4ff" stroke="{ACCENT}" stroke-width="2"/>'
            f'<text x="34" y="13" font-size="{_num(EDGE_FONT)}" fill="{MUTED}">{focus_text}</text>',
            34 + text_width(focus_text, EDGE_FONT),
        )
    )
    if has_unidentified:
        dashed_text = "unidentified model (no source names it)"
        items.append(
            (
                f'<rect x="0" y="2" width="26" height="14" rx="3" fill="#f6f8fa" stroke="{MUTED}" '
                f'stroke-dasharray="4 2"/>'
                f'<text x="34" y="13" font-size="{_num(EDGE_FONT)}" fill="{MUTED}">{dashed_text}</text>',
                34 + text_width(dashed_text, EDGE_FONT),
            )
        )
    available = max(layout.width - 2 * MARGIN, max(w for _, w in items))
    rows: list[list[tuple[str, float]]] = [[]]
    for item in items:
        used = sum(w for _, w in rows[-1]) + 20 * len(rows[-1])
        if rows[-1] and used + item[1] > available:
            rows.append([])
        rows[-1].append(item)
    parts = []
    for number, row in enumerate(rows):
        x = MARGIN
        for svg, width in row:
            parts.append(f'<g transform="translate({_num(x)} {_num(top + number * 22)})">{svg}</g>')
            x += width + 20
    needed = max(sum(w for _, w in row) + 20 * (len(row) - 1) for row in rows) + 2 * MARGIN
    return "".join(parts), len(rows) * 22, needed


def _describe(view: Lineage, graph: Graph, label: Callable[[URIRef], str]) -> str:
    """The diagram in words, for the SVG's ``<desc>``."""
    sentences = [f"Lineage of {label(view.model)}. Arrows point from a model to the model it was derived from."]
    for edge in view.edges:
        methods = " + ".join(short_method(graph, m) for m in edge.methods)
        how = f" ({methods})" if methods else ""
        sentences.append(f"{label(edge.child)} {kind_label(graph, edge.kind)} {label(edge.parent)}{how}.")
    if not view.edges:
        sentences.append("No derivation edges are known for it.")
    if view.hidden_children:
        more = "More than " if view.more_unlisted else ""
        sentences.append(f"{more}{len(view.hidden_children)} more models derived from it are not drawn.")
    return " ".join(_clean(s) for s in sentences)


def lineage_svg(
    graph: Graph,
    model: URIRef,
    *,
    href: Callable[[URIRef], str],
    label: Callable[[URIRef], str] | None = None,
    max_children: int = MAX_CHILDREN,
    id_prefix: str | None = None,
    min_scale: float | None = None,
) -> str:
    """The lineage diagram of ``model`` as an inline SVG document (a string).

    ``graph`` is the asserted and inferred graph (``KnowledgeGraph.union()``); ``href`` gives each
    node's link; ``label`` its name (default: ``rdfs:label`` or the slug). ``id_prefix`` makes the
    element ids unique when several diagrams share a page (default: from the model's slug).

    The SVG shrinks to fit its container (``max-width:100%``). ``min_scale`` (say 0.75) stops it
    shrinking below that share of its natural size, so that a wide diagram stays readable on a
    phone; the page should then put it in a container with ``overflow-x:auto``.

    >>> from rdflib import Graph, URIRef
    >>> from lineage.namespaces import LIN, MODEL
    >>> g = Graph()
    >>> _ = g.add((MODEL.b, LIN.fineTunedFrom, MODEL.a))
    >>> svg = lineage_svg(g, MODEL.b, href=lambda iri: "/model/" + str(iri).rsplit("/", 1)[-1])
    >>> svg.startswith("<svg") and 'href="/model/a"' in svg and "fine tuned from" in svg
    True
    """
    name = label or (lambda node: graph_label(graph, node))
    view = lineage(graph, model, max_children=max_children)
    layout = _layout(view, graph, name)
    ids = re.sub(r"[^A-Za-z0-9_.-]", "-", id_prefix or f"lineage-{slug(model)}")
    has_unidentified = any(b.style == "unidentified" for b in layout.boxes.values())
    legend, legend_height, legend_width = _legend(layout, has_unidentified, layout.height, ids)
    width = max(layout.width, legend_width)
    height = layout.height + legend_height + MARGIN / 2
    shift = (width - layout.width) / 2
    title = f"Lineage diagram of {_clean(name(model))}"
    style = "max-width:100%;height:auto" + (f";min-width:{_num(width * min_scale)}px" if min_scale else "")
    routes = "".join(_draw_route(p, ids) for p in layout.paths)
    labels = "".join(_draw_label(p) for p in layout.paths)
    nodes = "".join(
        _draw_box(layout.boxes[k], href) for layer in layout.layers for k in layer if layout.boxes[k].style != "dummy"
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'role="img" aria-labelledby="{ids}-title {ids}-desc" class="lineage-diagram" '
        f'width="{_num(width)}" height="{_num(height)}" viewBox="0 0 {_num(width)} {_num(height)}" '
        f'style="{style}" font-family="{_esc(FONT_FAMILY)}">'
        f'<title id="{ids}-title">{_esc(title)}</title>'
        f'<desc id="{ids}-desc">{_esc(_describe(view, graph, name))}</desc>'
        f'<defs><marker id="{ids}-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        f'orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="{EDGE}"/></marker></defs>'
        f'<rect width="100%" height="100%" rx="8" fill="#ffffff"/>'
        f'<g transform="translate({_num(shift)} 0)">{routes}{labels}{nodes}</g>'
        f"{legend}"
        "</svg>"
    )
