"""Fuzzing: mutated specs and raw bytes give SpecError, located, and nothing else.

Three sources of input, each checked through load, compile and (for small
networks) build:

- the reference specs, parsed, mutated as data (a key or an item deleted,
  duplicated, renamed; a value replaced by one of another type or range, or
  an int by a nearby one; a subtree spliced in from another spec) and dumped
  back to YAML;
- the same, then corrupted as text (a slice deleted, a YAML token inserted,
  lines duplicated or swapped): syntax errors, aliases, tags, YAML 1.1 values;
- raw bytes, and raw bytes spliced into a spec.

The property: only :class:`SpecError` comes out, and every diagnostic has a
span with a line >= 1. The profiles in conftest.py set the number of examples.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given
from hypothesis import strategies as st

import archspec
import archspec.codes
from archspec.diagnostics import SpecError

SPECS = sorted([*Path("specs").glob("*.yaml"), *Path("specs/torchvision").glob("*.yaml")])
TREES = {path: yaml.safe_load(path.read_text()) for path in SPECS}
BUILD_PARAMS = 2_000_000  # build (which allocates every weight) only small networks

# Replacement values: every YAML type, the edges of each range, and strings the
# schema, the expression parser and the name rules must refuse. Valid ints stay
# small: a repeat count is an int too (see the layer budget in docs/security.md).
VALUES: list[Any] = [
    None, True, False, 0, 1, -1, 2, 3, 7, 64, -(2**63), 2**63, 10**30,
    0.0, 0.5, 1.5, -2.5, 1e-300, math.nan, math.inf, -math.inf,
    "", "relu", "conv", "sequential", "concat", "repeat", "N", "H", "W", "same", "valid",
    "yes", "on", "012", "1:2", "1e-5", "=1 +", "=in_channels * 2", "=width", "=[1, 2][5]", "=1 / 0",
    "=__import__('os')", "=max()", "=[]", "=true", "ｒelu", "a\u202eb", "a\nb", "a" * 300,
    [], [1], [1, "H", "W"], [0, 0, 0, 0, 0], [[1]], {}, {"relu": None},
    {"conv": {"out_channels": 4, "kernel_size": 3}}, {"repeat": {"n": 2, "layers": ["relu"]}},
]  # fmt: skip
KEYS = [
    "", "name", "layers", "input", "blocks", "imports", "params", "kernel_sise", "out_channel",
    "n", "cond", "then", "else", "first", "branches", "in_channels", "description", "yes",
    "Name", "ｎame", "__class__", "1",
]  # fmt: skip
TOKENS = [
    "\n", "\t", " ", ":", "- ", "[", "]", "{", "}", ",", "&a ", "*a", "&a [*a]", "!!python/name:os.system ",
    "!x ", "---\n", "...\n", "%YAML 1.1\n", "? ", "|\n", ">-\n", "'", '"', "#", "<<: ", "012", "1:2",
    "yes", "~", ".nan", "0b" + "1" * 80, "9" * 30, "\u202e", "\x00", "\ufeff", "\x85",
]  # fmt: skip


def paths(tree: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a node of a parsed spec, the root included."""
    found = [prefix]
    if isinstance(tree, dict):
        for key, value in tree.items():
            found += paths(value, (*prefix, key))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            found += paths(value, (*prefix, index))
    return found


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def at(tree: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        tree = tree[part]
    return tree


@st.composite
def mutated_trees(draw: st.DrawFn) -> tuple[Path, Any]:
    path = draw(st.sampled_from(SPECS))
    tree = copy.deepcopy(TREES[path])
    sizes_only = draw(st.booleans())  # half the time, only nudge ints: shape errors, not type errors
    for _ in range(draw(st.integers(1, 4))):
        candidates = [p for p in paths(tree) if p and (not sizes_only or is_int(at(tree, p)))]
        if not candidates:
            break
        where = draw(st.sampled_from(candidates))
        parent, last = at(tree, where[:-1]), where[-1]
        actions = ["nudge"] if sizes_only else ["delete", "duplicate", "retype", "rename", "splice", "nudge"]
        action = draw(st.sampled_from(actions))
        value = parent[last]
        if action == "nudge" and is_int(value):
            # a nearby size: shape errors rather than type errors
            parent[last] = draw(st.sampled_from([0, 1, 2, 3, 5, value - 1, value + 1, 2 * value, value // 2]))
        elif action == "delete":
            del parent[last]
        elif action == "duplicate" and isinstance(parent, list):
            parent.insert(last, copy.deepcopy(parent[last]))
        elif action == "rename" and isinstance(parent, dict):
            parent[draw(st.sampled_from(KEYS))] = parent.pop(last)
        elif action == "splice":
            donor = TREES[draw(st.sampled_from(SPECS))]
            parent[last] = copy.deepcopy(at(donor, draw(st.sampled_from(paths(donor)))))
        else:
            parent[last] = copy.deepcopy(draw(st.sampled_from(VALUES)))
    return path, tree


def dump(tree: Any, unicode: bool) -> str:
    return yaml.safe_dump(tree, sort_keys=False, allow_unicode=unicode, default_flow_style=None, width=100)


def corrupt(text: str, data: st.DataObject) -> str:
    lines = text.splitlines(keepends=True) or [""]
    for _ in range(data.draw(st.integers(1, 3))):
        action = data.draw(st.sampled_from(["cut", "insert", "line", "swap"]))
        if action == "line":
            index = data.draw(st.integers(0, len(lines) - 1))
            lines.insert(index, lines[index])
        elif action == "swap":
            i, j = data.draw(st.integers(0, len(lines) - 1)), data.draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        else:
            text = "".join(lines)
            start = data.draw(st.integers(0, len(text)))
            if action == "cut":
                text = text[:start] + text[start + data.draw(st.integers(1, 40)) :]
            else:
                text = text[:start] + data.draw(st.sampled_from(TOKENS)) + text[start:]
            lines = text.splitlines(keepends=True) or [""]
    return "".join(lines)


def only_located_spec_errors(source: str | bytes, file: Path) -> None:
    """load, compile and (if small) build; a SpecError must be located, nothing else may escape."""
    try:
        graph = archspec.compile(archspec.loads(source, str(file)))
        if graph.num_params <= BUILD_PARAMS:
            archspec.build(graph)
    except SpecError as error:
        assert error.diagnostics
        for diagnostic in error.diagnostics:
            assert diagnostic.span is not None and diagnostic.span.line >= 1, diagnostic
            assert diagnostic.code in archspec.codes.CODES, diagnostic


@given(mutated_trees(), st.booleans())
def test_mutated_specs(mutated: tuple[Path, Any], unicode: bool) -> None:
    path, tree = mutated
    only_located_spec_errors(dump(tree, unicode), path)


@given(mutated_trees(), st.data())
def test_corrupted_spec_text(mutated: tuple[Path, Any], data: st.DataObject) -> None:
    path, tree = mutated
    only_located_spec_errors(corrupt(dump(tree, data.draw(st.booleans())), data), path)


@given(st.binary(max_size=3000))
def test_raw_bytes(raw: bytes) -> None:
    only_located_spec_errors(raw, Path("specs/raw.yaml"))


@given(st.sampled_from(SPECS), st.binary(min_size=1, max_size=64), st.floats(0, 1))
def test_bytes_spliced_into_a_spec(path: Path, noise: bytes, where: float) -> None:
    raw = path.read_bytes()
    cut = int(where * len(raw))
    only_located_spec_errors(raw[:cut] + noise + raw[cut:], path)
