"""Pictures of a compiled network: Mermaid (GitHub renders it in Markdown) and Graphviz dot.

Groups and block calls are subgraphs (clusters), the branches of ``add`` and
``concat`` sit side by side inside theirs and meet in one merge node, an
empty branch (the identity) is an edge from the block's input straight to the
merge, and every edge carries the shape that flows along it (the dims after
the batch). Only the compiled graph is read: no torch.

Node and subgraph ids are generated (``n0``, ``g0``); text from the spec only
ever appears inside escaped labels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from archspec.compiler.graph import Graph, LayerInfo
from archspec.primitives.registry import Primitive, lookup
from archspec.shapes.dims import format_dim
from archspec.shapes.tensor import TensorShape

FORMATS = ("mermaid", "dot")


@dataclass
class Node:
    id: str
    lines: tuple[str, ...]
    kind: str  # "io", "layer", "merge" or "folded" (a group or block drawn as one box)


@dataclass
class Cluster:
    id: str
    label: str
    items: list[Any] = field(default_factory=list)  # Node | Cluster


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str


def dims_label(shape: TensorShape) -> str:
    """``64×24×24``: the dims after the batch."""
    return "×".join(format_dim(d) for d in shape.dims)


def _primitive(layer: LayerInfo) -> Primitive:
    primitive = lookup(layer.primitive)
    assert primitive is not None, layer.primitive
    return primitive


def describe(layer: LayerInfo) -> str:
    """A layer's kind with the parameters that matter most (its primitive's label):
    ``conv 3×3, 64, stride 2``; a block call shows the block's name."""
    if layer.block is not None:
        return layer.kind
    return _primitive(layer).describe(layer.params, layer.input)


def _plain_group(layer: LayerInfo) -> bool:
    """A group of layers in sequence that the spec wrote as such (not a block call)."""
    primitive = _primitive(layer)
    return layer.block is None and primitive.composite and not primitive.merges_branches


def folded(layer: LayerInfo) -> str:
    """A group or block drawn as one box: a block's name, or a group's layers in order."""
    if not _plain_group(layer):
        return layer.kind
    parts = [describe(child) if not child.children else child.kind for child in layer.children]
    if len(parts) > 4:
        parts = [parts[0], f"… {len(parts) - 2} more …", parts[-1]]
    return " → ".join(parts)


Ends = list[tuple[str, TensorShape]]
"""The nodes a tensor comes from, with its shape: what feeds the layers that read it."""


class _Drawing:
    """The network as clusters, nodes and edges, independent of the output language."""

    def __init__(self, graph: Graph, depth: int | None) -> None:
        self.depth = depth
        self.count = 0
        self.edges: list[Edge] = []
        self.several: dict[int, dict[str, Ends]] = {}  # a call that returns several tensors
        self.root = Cluster("root", graph.spec.name)
        several_inputs = len(graph.inputs) > 1
        inputs = {
            name: [
                (self.node(self.root.items, (f"input: {name}" if several_inputs else "input",), "io"), shape)
            ]
            for name, shape in (graph.inputs or {"input": graph.input}).items()
        }
        ends = self.flow(graph.roots, inputs, graph.outputs, self.root.items)
        names = list(graph.outputs) if len(graph.outputs) > 1 else [""]
        for name, end in zip(names, ends, strict=True):
            last = self.node(self.root.items, (f"output: {name}" if name else "output",), "io")
            self.connect(end, last)

    @staticmethod
    def title(layer: LayerInfo) -> str:
        """A node's first line: its name inside a group (whose box shows the path), else its path."""
        return layer.name if "." in layer.path else layer.path

    def fresh(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def node(self, items: list[Any], lines: tuple[str, ...], kind: str) -> str:
        node = Node(self.fresh("n"), lines, kind)
        items.append(node)
        return node.id

    def connect(self, sources: Ends, target: str) -> None:
        for source, shape in sources:
            self.edges.append(Edge(source, target, dims_label(shape)))

    def flow(
        self,
        layers: tuple[LayerInfo, ...],
        tensors: dict[str, Ends],
        outputs: tuple[str, ...],
        items: list[Any],
    ) -> list[Ends]:
        """Draw a list of layers, each fed by the tensors it reads; return the ends of
        each tensor the list returns (its last layer's, or its ``outputs``)."""
        tensors = dict(tensors)
        last = next(iter(tensors))
        for layer in layers:
            if layer.learned:  # reads nothing, and stands beside the sequence
                tensors[layer.name] = self.layer(layer, [], items)
                continue
            feeds = [tensors[source] for source in layer.sources] or [tensors[last]]
            tensors[layer.name] = self.layer(layer, feeds, items)
            for output, ends in self.several.get(id(layer), {}).items():
                tensors[f"{layer.name}.{output}"] = ends
            last = layer.name
        return [tensors[name] for name in outputs or (last,)]

    def layer(self, layer: LayerInfo, feeds: list[Ends], items: list[Any]) -> Ends:
        """Draw one layer fed by ``feeds`` (one per tensor it reads); return what it makes."""
        sources = [end for feed in feeds for end in feed]
        if not layer.children:
            if layer.span is None:  # the compiler's stand-in for an empty branch ([]): no layer written
                return sources
            merges = layer.is_join and len(layer.sources) > 1  # a merge of named tensors
            kind = "merge" if merges else "layer"
            lines = (self.title(layer), layer.primitive if merges else describe(layer))
            node = self.node(items, lines, kind)
            self.connect(sources, node)
            if layer.named_outputs:  # a split: each part leaves the node
                self.several[id(layer)] = {k: [(node, v)] for k, v in layer.named_outputs.items()}
            return [(node, layer.output)]
        if self.depth is not None and layer.depth >= self.depth:
            node = self.node(items, (self.title(layer), folded(layer)), "folded")
            self.connect(sources, node)
            return [(node, layer.output)]
        plain_group = _plain_group(layer)
        cluster = Cluster(self.fresh("g"), layer.path if plain_group else f"{layer.path} · {layer.kind}")
        items.append(cluster)
        if _primitive(layer).merges_branches:
            ends: Ends = []
            for branch in layer.children:
                ends += self.layer(branch, [sources], cluster.items)
            merge = self.node(cluster.items, (layer.primitive,), "merge")
            self.connect(ends, merge)
            return [(merge, layer.output)]
        inputs = dict(zip(layer.input_names, feeds, strict=False)) or {"input": sources}
        returned = self.flow(layer.children, inputs, layer.outputs, cluster.items)
        if layer.named_outputs:
            self.several[id(layer)] = dict(zip(layer.named_outputs, returned, strict=True))
        return returned[0]


# --- Mermaid ------------------------------------------------------------------------

_MERMAID_ESCAPES = {"#": "#35;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "&": "#amp;", "|": "#124;"}
_MERMAID_SHAPES = {
    "io": ('(["', '"])'),
    "layer": ('["', '"]'),
    "merge": ('(("', '"))'),
    "folded": ('[["', '"]]'),
}


def mermaid_text(text: str) -> str:
    """Text for a quoted Mermaid label: entity codes for the characters Mermaid would read."""
    return "".join(_MERMAID_ESCAPES.get(c, c) for c in text if c.isprintable())


def _mermaid_items(items: list[Any], indent: str, out: list[str]) -> None:
    for item in items:
        if isinstance(item, Cluster):
            out.append(f'{indent}subgraph {item.id}["{mermaid_text(item.label)}"]')
            out.append(f"{indent}  direction TB")
            _mermaid_items(item.items, indent + "  ", out)
            out.append(f"{indent}end")
        else:
            left, right = _MERMAID_SHAPES[item.kind]
            label = "<br/>".join(mermaid_text(line) for line in item.lines)
            out.append(f"{indent}{item.id}{left}{label}{right}")


def mermaid(graph: Graph, depth: int | None = None) -> str:
    """A ``flowchart TB``: paste it into a ```mermaid block of a Markdown file."""
    drawing = _Drawing(graph, depth)
    out = ["flowchart TB"]
    _mermaid_items(drawing.root.items, "  ", out)
    out += [f'  {e.source} -->|"{mermaid_text(e.label)}"| {e.target}' for e in drawing.edges]
    return "\n".join(out) + "\n"


# --- Graphviz dot -------------------------------------------------------------------

_DOT_SHAPES = {
    "io": "shape=oval",
    "layer": "shape=box, style=rounded",
    "merge": "shape=circle",
    "folded": "shape=box3d",
}


def dot_text(text: str) -> str:
    """Text for a double-quoted dot string."""
    text = "".join(c for c in text if c.isprintable())
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _dot_items(items: list[Any], indent: str, out: list[str]) -> None:
    for item in items:
        if isinstance(item, Cluster):
            out.append(f"{indent}subgraph cluster_{item.id} {{")
            out.append(f'{indent}  label="{dot_text(item.label)}";')
            out.append(f"{indent}  style=rounded;")
            _dot_items(item.items, indent + "  ", out)
            out.append(f"{indent}}}")
        else:
            label = "\\n".join(dot_text(line) for line in item.lines)
            out.append(f'{indent}{item.id} [label="{label}", {_DOT_SHAPES[item.kind]}];')


def dot(graph: Graph, depth: int | None = None) -> str:
    """A Graphviz digraph: ``archspec diagram SPEC --format dot | dot -Tsvg > net.svg``."""
    drawing = _Drawing(graph, depth)
    out = [
        "digraph network {",
        f'  label="{dot_text(graph.spec.name)}";',
        "  labelloc=t;",
        "  rankdir=TB;",
        '  node [fontname="Helvetica", fontsize=11];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    _dot_items(drawing.root.items, "  ", out)
    out += [f'  {e.source} -> {e.target} [label="{dot_text(e.label)}"];' for e in drawing.edges]
    out.append("}")
    return "\n".join(out) + "\n"


def diagram(graph: Graph, format: str = "mermaid", depth: int | None = None) -> str:
    if format == "mermaid":
        return mermaid(graph, depth)
    if format == "dot":
        return dot(graph, depth)
    raise ValueError(f"unknown diagram format {format!r}; expected one of {FORMATS}")
