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
from archspec.shapes.dims import format_dim
from archspec.shapes.tensor import TensorShape

FORMATS = ("mermaid", "dot")
MERGES = {"add": "add", "concat": "concat"}


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


def _size(value: Any, spatial: int) -> str:
    values = [value] * spatial if isinstance(value, int) else list(value)
    if len(values) == 1:
        values *= spatial
    return "×".join(str(v) for v in values)


def describe(layer: LayerInfo) -> str:
    """A layer's kind with the parameters that matter most: ``conv 3×3, 64, stride 2``."""
    p = layer.params
    spatial = max(1, len(layer.input.spatial))
    if layer.block is not None or layer.primitive not in ("conv", "maxpool", "avgpool", "linear"):
        return layer.kind
    if layer.primitive == "linear":
        return f"linear {p.out_features}"
    parts = [f"{layer.primitive} {_size(p.kernel_size, spatial)}"]
    if layer.primitive == "conv":
        parts.append(str(p.out_channels))
    stride = p.stride if p.stride is not None else p.kernel_size
    if stride != 1 and stride != [1] and (layer.primitive == "conv" or p.stride is not None):
        parts.append(f"stride {stride if isinstance(stride, int) else '×'.join(map(str, stride))}")
    if layer.primitive == "conv" and p.groups != 1:
        parts.append(f"groups {p.groups}")
    return ", ".join(parts)


def folded(layer: LayerInfo) -> str:
    """A group or block drawn as one box: a block's name, or a group's layers in order."""
    if layer.block is not None or layer.primitive != "sequential":
        return layer.kind
    parts = [describe(child) if not child.children else child.kind for child in layer.children]
    if len(parts) > 4:
        parts = [parts[0], f"… {len(parts) - 2} more …", parts[-1]]
    return " → ".join(parts)


class _Drawing:
    """The network as clusters, nodes and edges, independent of the output language."""

    def __init__(self, graph: Graph, depth: int | None) -> None:
        self.depth = depth
        self.count = 0
        self.edges: list[Edge] = []
        self.root = Cluster("root", graph.spec.name)
        first = self.node(self.root.items, ("input",), "io")
        outputs = [(first, graph.input)]
        for layer in graph.roots:
            outputs = self.layer(layer, outputs, self.root.items)
        last = self.node(self.root.items, ("output",), "io")
        self.connect(outputs, last)

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

    def connect(self, sources: list[tuple[str, TensorShape]], target: str) -> None:
        for source, shape in sources:
            self.edges.append(Edge(source, target, dims_label(shape)))

    def layer(
        self, layer: LayerInfo, sources: list[tuple[str, TensorShape]], items: list[Any]
    ) -> list[tuple[str, TensorShape]]:
        """Draw one layer fed by ``sources``; return what feeds the next one."""
        if not layer.children:
            if layer.primitive == "identity" and layer.span is None:
                return sources  # an empty branch (no layer written): its input goes straight on
            node = self.node(items, (self.title(layer), describe(layer)), "layer")
            self.connect(sources, node)
            return [(node, layer.output)]
        if self.depth is not None and layer.depth >= self.depth:
            node = self.node(items, (self.title(layer), folded(layer)), "folded")
            self.connect(sources, node)
            return [(node, layer.output)]
        plain_group = layer.primitive == "sequential" and layer.block is None
        cluster = Cluster(self.fresh("g"), layer.path if plain_group else f"{layer.path} · {layer.kind}")
        items.append(cluster)
        if layer.primitive in MERGES:
            ends: list[tuple[str, TensorShape]] = []
            for branch in layer.children:
                ends += self.layer(branch, sources, cluster.items)
            merge = self.node(cluster.items, (MERGES[layer.primitive],), "merge")
            self.connect(ends, merge)
            return [(merge, layer.output)]
        for child in layer.children:
            sources = self.layer(child, sources, cluster.items)
        return sources


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
