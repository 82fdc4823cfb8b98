"""archspec diagram: Mermaid and dot output is well formed for every spec, and shows the network."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import archspec
from archspec.cli import main
from archspec.compiler.graph import Graph
from archspec.emit.diagram import dims_label, dot, dot_text, mermaid, mermaid_text

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
MERMAID_KEYWORDS = {
    "end",
    "graph",
    "flowchart",
    "subgraph",
    "direction",
    "style",
    "class",
    "classDef",
    "click",
    "linkStyle",
    "default",
}
# A quoted Mermaid label: no raw quote; < and > only as <br/>; entity codes for the rest.
MERMAID_LABEL = r'"((?:[^"<>]|<br/>)*)"'
MERMAID_NODE = re.compile(
    rf"^(\w+)(?:\(\[{MERMAID_LABEL}\]\)|\[{MERMAID_LABEL}\]|\(\({MERMAID_LABEL}\)\)|\[\[{MERMAID_LABEL}\]\])$"
)
MERMAID_EDGE = re.compile(rf"^(\w+) -->\|{MERMAID_LABEL}\| (\w+)$")
MERMAID_SUBGRAPH = re.compile(rf"^subgraph (\w+)\[{MERMAID_LABEL}\]$")
DOT_STRING = r'"((?:[^"\\]|\\.)*)"'
DOT_NODE = re.compile(rf"^(\w+) \[label={DOT_STRING}, [a-z0-9=, ]+\];$")
DOT_EDGE = re.compile(rf"^(\w+) -> (\w+) \[label={DOT_STRING}\];$")
DOT_CLUSTER = re.compile(r"^subgraph (cluster_\w+) \{$")


def spec_graphs() -> list[tuple[str, Graph]]:
    """Every spec under specs/ that compiles; block libraries and broken examples are no networks."""
    found = []
    for path in sorted(Path("specs").rglob("*.y*ml")):
        try:
            found.append((str(path), archspec.compile(path)))
        except archspec.SpecError:
            assert "blocks" in path.parts or "examples" in path.parts, f"{path} does not compile"
    return found


GRAPHS = spec_graphs()


def test_every_d2l_spec_is_drawn() -> None:
    names = {name for name, _ in GRAPHS}
    assert {
        f"specs/{n}.yaml" for n in ("alexnet", "vgg11", "nin", "googlenet", "lenet_bn", "resnet18")
    } <= names


class Parsed:
    """Nodes (id -> label), edges and the subgraph nesting, checked while parsing."""

    def __init__(self) -> None:
        self.nodes: dict[str, str] = {}
        self.edges: list[tuple[str, str, str]] = []
        self.groups: dict[str, str] = {}

    def node(self, ident: str, label: str) -> None:
        assert ident not in self.nodes and ident not in self.groups, f"{ident} declared twice"
        self.nodes[ident] = label

    def check_ids(self) -> None:
        for ident in [*self.nodes, *self.groups]:
            assert IDENTIFIER.fullmatch(ident) and ident not in MERMAID_KEYWORDS, ident
        for source, target, _ in self.edges:
            assert source in self.nodes and target in self.nodes, f"edge {source} -> {target}"

    def reachable(self, start: str) -> set[str]:
        seen, todo = {start}, [start]
        while todo:
            here = todo.pop()
            for source, target, _ in self.edges:
                if source == here and target not in seen:
                    seen.add(target)
                    todo.append(target)
        return seen


def parse_mermaid(text: str) -> Parsed:
    lines = text.splitlines()
    assert lines[0] == "flowchart TB" and text.endswith("\n")
    parsed, stack = Parsed(), []
    for raw in lines[1:]:
        line = raw.strip()
        if line == "end":
            assert stack, "end without subgraph"
            stack.pop()
        elif line == "direction TB":
            assert stack
        elif match := MERMAID_SUBGRAPH.match(line):
            parsed.groups[match[1]] = match[2]
            stack.append(match[1])
        elif match := MERMAID_EDGE.match(line):
            parsed.edges.append((match[1], match[3], match[2]))
        elif match := MERMAID_NODE.match(line):
            parsed.node(match[1], next(g for g in match.groups()[1:] if g is not None))
        else:
            raise AssertionError(f"not a Mermaid line this emitter writes: {raw!r}")
    assert not stack, "subgraph without end"
    parsed.check_ids()
    return parsed


def parse_dot(text: str) -> Parsed:
    lines = text.splitlines()
    assert lines[0] == "digraph network {" and lines[-1] == "}"
    parsed, depth = Parsed(), 1
    for raw in lines[1:-1]:
        line = raw.strip()
        if match := DOT_CLUSTER.match(line):
            parsed.groups[match[1]] = ""
            depth += 1
        elif line == "}":
            depth -= 1
            assert depth >= 1, "unbalanced }"
        elif match := DOT_EDGE.match(line):
            parsed.edges.append((match[1], match[2], match[3]))
        elif match := DOT_NODE.match(line):
            parsed.node(match[1], match[2])
        else:
            assert re.fullmatch(
                r'(label=("[^"\\]*"|\w+)|labelloc=t|rankdir=TB|style=rounded|(node|edge) \[[^]]*\]);', line
            ), raw
    assert depth == 1, "unbalanced subgraph"
    parsed.check_ids()
    return parsed


def leaf_layers(graph: Graph) -> int:
    return sum(
        1
        for layer in graph.layers
        if not layer.children and not (layer.primitive == "identity" and layer.span is None)
    )


def merges(graph: Graph) -> int:
    """Merges of branches: one node beside their branches' (a merge of named tensors, a
    join, is a leaf and draws as its merge node)."""
    return sum(1 for layer in graph.layers if layer.primitive in ("add", "concat") and not layer.is_join)


@pytest.mark.parametrize(("name", "graph"), GRAPHS, ids=[name for name, _ in GRAPHS])
@pytest.mark.parametrize("parse", [parse_mermaid, parse_dot], ids=["mermaid", "dot"])
def test_diagram_is_well_formed_and_complete(name: str, graph: Graph, parse) -> None:
    draw = mermaid if parse is parse_mermaid else dot
    parsed = parse(draw(graph))
    # one node per layer that computes something, a merge node per add/concat, each input
    # and each output
    outputs = len(graph.returns)
    assert len(parsed.nodes) == leaf_layers(graph) + merges(graph) + 1 + outputs
    first, lasts = next(iter(parsed.nodes)), list(parsed.nodes)[-outputs:]
    assert parsed.nodes[first] == "input"
    named = [f"output: {name}" for name in graph.returns] if outputs > 1 else ["output"]
    assert [parsed.nodes[last] for last in lasts] == named
    # every node is on a path from the input, or from a learned tensor (a parameter layer,
    # which reads nothing)
    learned = {n for n, label in parsed.nodes.items() if "parameter " in label}
    reachable = parsed.reachable(first).union(*(parsed.reachable(n) for n in learned))
    assert reachable == set(parsed.nodes), "every node is on a path from the input"
    assert next(e for e in parsed.edges if e[0] == first)[2] == dims_label(graph.input)
    for last, shape in zip(lasts, graph.returns.values(), strict=True):
        assert [e[2] for e in parsed.edges if e[1] == last] == [dims_label(shape)]
    # groups and blocks are subgraphs: one per composite layer
    assert len(parsed.groups) == sum(1 for layer in graph.layers if layer.children)


def test_branches_meet_in_one_merge_node_and_the_identity_is_an_edge() -> None:
    graph = archspec.compile(
        archspec.loads(
            "name: n\ninput: [8, 6, 6]\nlayers:\n  - residual: {out_channels: 8}\n  - inception: {c1: 2, c2: [2, 4], c3: [2, 2], c4: 2}\n"
        )
    )
    parsed = parse_mermaid(mermaid(graph))
    add = next(i for i, label in parsed.nodes.items() if label == "add")
    concat = next(i for i, label in parsed.nodes.items() if label == "concat")
    into_add = [e for e in parsed.edges if e[1] == add]
    assert len(into_add) == 2 and {e[2] for e in into_add} == {"8×6×6"}
    assert any(parsed.nodes[e[0]] == "input" for e in into_add), "the shortcut goes straight to the add"
    assert sorted(e[2] for e in parsed.edges if e[1] == concat) == ["2×6×6", "2×6×6", "2×6×6", "4×6×6"]
    assert [e[2] for e in parsed.edges if e[0] == concat] == ["10×6×6"]
    assert parsed.groups["g2"] == "0 · residual"


def test_named_tensors_are_edges_and_joins_are_merge_nodes() -> None:
    parsed = parse_mermaid(mermaid(archspec.compile("specs/fpn_resnet50.yaml")))
    by_label = {label.split("<br/>")[0]: node for node, label in parsed.nodes.items()}
    into = {parsed.nodes[e[0]].split("<br/>")[0] for e in parsed.edges if e[1] == by_label["inner4"]}
    assert into == {"lateral4", "up5"} and parsed.nodes[by_label["inner4"]] == "inner4<br/>add"
    # the lateral conv reads layer3's output (the last relu of its last block)
    (edge,) = [e for e in parsed.edges if e[1] == by_label["lateral4"]]
    assert edge[2] == "1024×14×14" and parsed.nodes[edge[0]] == "10<br/>relu"
    assert [label for label in parsed.nodes.values() if label.startswith("output")] == [
        "output: p3",
        "output: p4",
        "output: p5",
    ]


def test_depth_folds_groups_and_blocks_into_one_box() -> None:
    graph = archspec.compile("specs/googlenet.yaml")
    parsed = parse_mermaid(mermaid(graph, depth=0))
    assert not parsed.groups
    labels = list(parsed.nodes.values())
    assert [label.split("<br/>")[0] for label in labels] == [
        "input",
        "b1",
        "b2",
        "b3",
        "b4",
        "b5",
        "5",
        "output",
    ]
    # a folded group lists its layers (the middle ones elided), a folded block says which block it is
    assert labels[1] == "b1<br/>conv 7×7, 64, stride 2 → relu → maxpool 3×3, stride 2"
    assert labels[4] == "b4<br/>inception → … 4 more … → maxpool 3×3, stride 2"
    assert labels[6] == "5<br/>linear 10"
    assert "[[" in mermaid(graph, depth=0)  # folded boxes look different from layers
    stages = parse_mermaid(mermaid(graph, depth=1))
    assert list(stages.groups.values()) == ["b1", "b2", "b3", "b4", "b5"]
    assert sum(label.endswith("<br/>inception") for label in stages.nodes.values()) == 9
    branches = parse_mermaid(mermaid(graph, depth=2))
    assert "1<br/>conv 1×1, 96 → relu → conv 3×3, 128 → relu" in branches.nodes.values()


def test_symbolic_shapes_label_the_edges() -> None:
    graph = archspec.compile("specs/googlenet.yaml", input=[1, "H", "W"])
    parsed = parse_dot(dot(graph))
    assert any("floor((H - 1)/2) + 1" in label for _, _, label in parsed.edges)


def test_labels_are_escaped() -> None:
    assert mermaid_text('a"b<c>#d|e&f') == "a#quot;b#lt;c#gt;#35;d#124;e#amp;f"
    assert mermaid_text("tab\there\nnewline") == "tabherenewline"
    assert dot_text('a"b\\c') == 'a\\"b\\\\c'


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz (dot) is not installed")
def test_graphviz_accepts_the_dot_output() -> None:
    for name in ("specs/googlenet.yaml", "specs/resnet18.yaml"):
        done = subprocess.run(
            ["dot", "-Tsvg"], input=dot(archspec.compile(name)), capture_output=True, text=True
        )
        assert done.returncode == 0 and "<svg" in done.stdout, done.stderr


def test_cli_draws_without_torch() -> None:
    code = (
        "import sys\n"
        "class _Refuse:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.partition('.')[0] == 'torch':\n"
        "            raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, _Refuse())\n"
        "from archspec.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    for fmt in ("mermaid", "dot"):
        done = subprocess.run(
            [sys.executable, "-c", code, "diagram", "specs/googlenet.yaml", "--format", fmt],
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("flowchart TB" if fmt == "mermaid" else "digraph")


def test_cli_diagram_reports_a_bad_spec(tmp_path, capsys) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\ninput: [1, 8, 8]\nlayers:\n  - relux\n")
    assert main(["diagram", str(bad)]) == 1
    assert "error[E203]" in capsys.readouterr().err
    assert main(["diagram", "specs/nin.yaml", "--input", "1xHxW", "--depth", "0"]) == 0
