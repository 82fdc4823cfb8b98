"""The spec files to benchmark: every ``specs/**/*.yaml`` but the broken examples
and the block files (``blocks:`` only, imported by specs).

The six d2l specs are compared against their hand-written d2l modules
(d2l.NETWORKS); any other spec is compared against ``archspec.build`` of its
compiled graph, which builds the modules a hand-written one would.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from common import ROOT

import archspec

# Deliberately invalid examples (they show diagnostics): never benchmarked.
KNOWN_INVALID = {
    "specs/examples/alexnet_seed_typo.yaml": "invalid on purpose (the seed's 966-channel typo)",
}
# spec path -> its hand-written module in d2l.NETWORKS (named here so that this module needs no torch)
D2L_NAMES = ("alexnet", "vgg11", "nin", "googlenet", "lenet_bn", "resnet18")
D2L_SPECS = {f"specs/{name}.yaml": name for name in D2L_NAMES}


@dataclass(frozen=True)
class SpecFile:
    path: str  # relative to the repository root
    name: str
    dims: tuple[int, ...]  # concrete dims after the batch, for a forward pass
    symbolic: bool  # the spec's input has symbols; dims are then the smallest valid sizes
    layers: int  # every layer, parts of composites included
    ids: bool = False  # the input holds token ids (input_dtypes: int64), not floats

    @property
    def d2l(self) -> str | None:
        """The name of the hand-written d2l module of this spec, if there is one."""
        return D2L_SPECS.get(self.path)


def discover() -> tuple[list[SpecFile], list[tuple[str, str]]]:
    """The valid spec files, and the excluded ones (block files among them) with the reason."""
    found: list[SpecFile] = []
    excluded: list[tuple[str, str]] = []
    paths = sorted({*ROOT.glob("specs/**/*.yaml"), *ROOT.glob("specs/**/*.yml")})
    for path in paths:
        rel = path.relative_to(ROOT).as_posix()
        if rel in KNOWN_INVALID:
            excluded.append((rel, KNOWN_INVALID[rel]))
            continue
        if _is_block_file(path):
            excluded.append((rel, "a block file (imported by specs): no network to compare"))
            continue
        try:
            graph = archspec.compile(path)
        except archspec.SpecError as error:
            first = error.diagnostics[0]
            excluded.append((rel, f"invalid: error[{first.code}] {first.message[:80]}"))
            continue
        symbolic = any(isinstance(d, str) for d in graph.spec.input)
        dims = tuple(graph.min_sizes.get(d, d) if isinstance(d, str) else d for d in graph.spec.input)
        ids = bool(getattr(graph.input, "integer", False))  # an archspec before dtypes has none
        found.append(SpecFile(rel, graph.spec.name, dims, symbolic, len(graph.layers), ids))
    return found, excluded


def _is_block_file(path: Path) -> bool:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return False  # let archspec report it
    return isinstance(data, dict) and "blocks" in data and "layers" not in data


def excluded_note(excluded: list[tuple[str, str]]) -> list[str]:
    if not excluded:
        return []
    return ["Excluded: " + "; ".join(f"`{path}`: {why}" for path, why in excluded) + ".", ""]


def rel(path: str) -> Path:
    return ROOT / path
