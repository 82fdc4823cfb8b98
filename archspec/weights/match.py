"""Which checkpoint tensor goes to which tensor of the network: matching by name and by structure.

Both sides are seen the same way, as the sequence of their layers: the tensors of a
state_dict grouped by key prefix (``layer1.0.conv1.weight`` belongs to layer
``layer1.0.conv1``), in the state_dict's order, which is the order the modules were
made in. A layer's *signature* is its tensors' names and shapes
(``weight [64, 3, 7, 7]``, ``bias [64]``); its *kind* their names and ranks, all a
checkpoint tells of what a layer is (a conv has a 4-d weight, a batchnorm running
statistics).

The modes (``match=``):

- ``name``: a layer goes to the checkpoint's layer of the same path; each tensor of
  the same name transfers when its shape is the same, and is shape-mismatched when not.
- ``structure``: the two sequences are aligned by the longest common subsequence of
  signatures, so that a renamed layer, an inserted one or a removed one still lines
  up with the rest (among alignments as long, the one keeping more paths wins).
- ``auto`` (the default): ``name`` for layers whose path and signature are both the
  same, then ``structure`` for the others, then ``name`` again for what is left (a
  layer whose shapes changed under the same path is shape-mismatched).

In ``structure`` and ``auto``, what is still unpaired between two aligned layers is
paired by kind, in order, so that a head whose class count changed is reported as
shape-mismatched against the old head rather than as one new and one dropped layer.
A tensor transfers only to a tensor of the same shape. Pure Python: no torch here.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, TypeVar

from archspec.weights import MATCH_MODES

Shape = tuple[int, ...]
# Buffers that count rather than weigh: left out of a layer's signature, so that a
# batchnorm saved before PyTorch 0.4.1 (which had no num_batches_tracked) still lines up.
COUNTERS = frozenset({"num_batches_tracked"})
MatchMode = Literal["auto", "name", "structure"]
# How a pair was found: the same path, the alignment of signatures, or the same kind in a gap.
How = Literal["name", "structure", "kind"]
Layer = TypeVar("Layer", bound="HasPath")
# Past this many cells (about 4,000 layers on each side after the common head and tail),
# the exact alignment's table would cost too much time and memory, so a greedy one is
# used: a checkpoint can hold any number of tensors.
MAX_ALIGN_CELLS = 2**24


@dataclass(frozen=True)
class LayerTensors:
    """One layer of a state_dict: its path (the key prefix) and its tensors' names and shapes."""

    path: str
    tensors: tuple[tuple[str, Shape], ...]

    @property
    def signature(self) -> tuple[tuple[str, Shape], ...]:
        return tuple(sorted((name, shape) for name, shape in self.tensors if name not in COUNTERS))

    @property
    def kind(self) -> tuple[tuple[str, int], ...]:
        return tuple(sorted((name, len(shape)) for name, shape in self.tensors if name not in COUNTERS))

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    @property
    def numel(self) -> int:
        return sum(count(shape) for _, shape in self.tensors)


@dataclass(frozen=True)
class Pair:
    """A layer of the network and the checkpoint layer it takes its tensors from."""

    spec: LayerTensors
    checkpoint: LayerTensors
    how: How


@dataclass(frozen=True)
class Matching:
    """Every pair, and the layers of either side left without one."""

    pairs: tuple[Pair, ...]
    new: tuple[LayerTensors, ...]  # in the network only
    dropped: tuple[LayerTensors, ...]  # in the checkpoint only


def count(shape: Shape) -> int:
    total = 1
    for size in shape:
        total *= size
    return total


def layers_of(shapes: Iterable[tuple[str, Shape]]) -> list[LayerTensors]:
    """Group (key, shape) pairs by key prefix, each layer where its first tensor is."""
    grouped: dict[str, list[tuple[str, Shape]]] = {}
    for key, shape in shapes:
        path, _, name = key.rpartition(".")
        grouped.setdefault(path, []).append((name, tuple(shape)))
    return [LayerTensors(path, tuple(tensors)) for path, tensors in grouped.items()]


def match_layers(
    spec: Sequence[LayerTensors], checkpoint: Sequence[LayerTensors], mode: MatchMode = "auto"
) -> Matching:
    """Pair the network's layers with the checkpoint's (see the module's docstring)."""
    if mode not in MATCH_MODES:
        raise ValueError(f"match must be one of {', '.join(MATCH_MODES)}, got {mode!r}")
    pairs: dict[int, tuple[int, How]] = {}  # spec index -> (checkpoint index, how)
    if mode in ("auto", "name"):
        _pair_by_path(spec, checkpoint, pairs, same_signature=mode == "auto")
    if mode in ("auto", "structure"):
        _pair_by_alignment(spec, checkpoint, pairs)
    if mode == "auto":
        _pair_by_path(spec, checkpoint, pairs, same_signature=False)
    if mode in ("auto", "structure"):
        _pair_by_kind_in_gaps(spec, checkpoint, pairs)
    taken = {c for c, _ in pairs.values()}
    return Matching(
        pairs=tuple(Pair(spec[s], checkpoint[c], how) for s, (c, how) in sorted(pairs.items())),
        new=tuple(layer for index, layer in enumerate(spec) if index not in pairs),
        dropped=tuple(layer for index, layer in enumerate(checkpoint) if index not in taken),
    )


def _free(
    spec: Sequence[LayerTensors], checkpoint: Sequence[LayerTensors], pairs: dict[int, tuple[int, How]]
) -> tuple[list[int], list[int]]:
    taken = {c for c, _ in pairs.values()}
    return [i for i in range(len(spec)) if i not in pairs], [
        j for j in range(len(checkpoint)) if j not in taken
    ]


def _pair_by_path(
    spec: Sequence[LayerTensors],
    checkpoint: Sequence[LayerTensors],
    pairs: dict[int, tuple[int, How]],
    same_signature: bool,
) -> None:
    free_spec, free_checkpoint = _free(spec, checkpoint, pairs)
    by_path = {checkpoint[j].path: j for j in free_checkpoint}
    for i in free_spec:
        j = by_path.get(spec[i].path)
        if j is not None and (not same_signature or spec[i].signature == checkpoint[j].signature):
            pairs[i] = (j, "name")


def _pair_by_alignment(
    spec: Sequence[LayerTensors], checkpoint: Sequence[LayerTensors], pairs: dict[int, tuple[int, How]]
) -> None:
    free_spec, free_checkpoint = _free(spec, checkpoint, pairs)
    aligned = align(
        [spec[i] for i in free_spec],
        [checkpoint[j] for j in free_checkpoint],
        lambda layer: layer.signature,
    )
    for a, b in aligned:
        pairs[free_spec[a]] = (free_checkpoint[b], "structure")


def _pair_by_kind_in_gaps(
    spec: Sequence[LayerTensors], checkpoint: Sequence[LayerTensors], pairs: dict[int, tuple[int, How]]
) -> None:
    """Pair what is left by kind, only between the same two aligned layers on both sides."""
    chain = monotone_chain(sorted((s, c) for s, (c, _) in pairs.items()))
    spec_marks = [s for s, _ in chain]
    checkpoint_marks = [c for _, c in chain]
    free_spec, free_checkpoint = _free(spec, checkpoint, pairs)
    gaps: dict[int, tuple[list[int], list[int]]] = {}
    for i in free_spec:
        gaps.setdefault(bisect.bisect(spec_marks, i), ([], []))[0].append(i)
    for j in free_checkpoint:
        gaps.setdefault(bisect.bisect(checkpoint_marks, j), ([], []))[1].append(j)
    for left, right in gaps.values():
        aligned = align(
            [spec[i] for i in left],
            [checkpoint[j] for j in right],
            lambda layer: layer.kind,
        )
        for a, b in aligned:
            pairs[left[a]] = (right[b], "kind")


def monotone_chain(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest run of pairs increasing on both sides (pairs sorted by the first)."""
    tails: list[int] = []  # tails[k]: the checkpoint index ending the best chain of length k + 1
    tail_at: list[int] = []  # its position in pairs
    before = [-1] * len(pairs)
    for position, (_, c) in enumerate(pairs):
        k = bisect.bisect_left(tails, c)
        if k == len(tails):
            tails.append(c)
            tail_at.append(position)
        else:
            tails[k] = c
            tail_at[k] = position
        before[position] = tail_at[k - 1] if k else -1
    chain = []
    position = tail_at[-1] if tail_at else -1
    while position >= 0:
        chain.append(pairs[position])
        position = before[position]
    return chain[::-1]


class HasPath(Protocol):
    @property
    def path(self) -> str: ...


def align(
    left: Sequence[Layer], right: Sequence[Layer], key: Callable[[Layer], Hashable]
) -> list[tuple[int, int]]:
    """The longest common subsequence of two layer sequences, equal where ``key`` is, as index pairs.

    Among subsequences of the same length, the one with the most pairs of the same path
    wins, so that a sequence of identical blocks keeps its names. O(len(left) x len(right))
    time and memory, up to MAX_ALIGN_CELLS; past that, a greedy common subsequence."""
    left_keys, right_keys = [key(layer) for layer in left], [key(layer) for layer in right]

    def same(i: int, j: int) -> bool:
        return left_keys[i] == right_keys[j] and left[i].path == right[j].path

    # A common head and tail (same key, same path) pair up in every best alignment: the
    # table is built for the middle alone, which for two similar networks is small.
    head = 0
    while head < min(len(left), len(right)) and same(head, head):
        head += 1
    tail = 0
    while tail < min(len(left), len(right)) - head and same(len(left) - 1 - tail, len(right) - 1 - tail):
        tail += 1
    middle = _align_middle(
        left_keys[head : len(left) - tail],
        right_keys[head : len(right) - tail],
        [layer.path for layer in left[head : len(left) - tail]],
        [layer.path for layer in right[head : len(right) - tail]],
    )
    return [
        *((i, i) for i in range(head)),
        *((i + head, j + head) for i, j in middle),
        *((len(left) - tail + k, len(right) - tail + k) for k in range(tail)),
    ]


def _align_middle(
    left_keys: list[Hashable], right_keys: list[Hashable], left_paths: list[str], right_paths: list[str]
) -> list[tuple[int, int]]:
    n, m = len(left_keys), len(right_keys)
    if n * m > MAX_ALIGN_CELLS:
        return _align_greedy(left_keys, right_keys)
    weight = max(n, m) + 1  # one more pair outweighs any number of kept paths

    def gain(i: int, j: int) -> int:
        if left_keys[i] != right_keys[j]:
            return -1
        return weight + (left_paths[i] == right_paths[j])

    # score[i][j]: the best (pairs x weight + kept paths) of left[i:] against right[j:].
    score = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        row, below = score[i], score[i + 1]
        for j in range(m - 1, -1, -1):
            best = below[j] if below[j] > row[j + 1] else row[j + 1]
            step = gain(i, j)
            if step > 0 and below[j + 1] + step > best:
                best = below[j + 1] + step
            row[j] = best
    pairs = []
    i = j = 0
    while i < n and j < m:
        step = gain(i, j)
        if step > 0 and score[i][j] == score[i + 1][j + 1] + step:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif score[i][j] == score[i + 1][j]:
            i += 1
        else:
            j += 1
    return pairs


def _align_greedy(left_keys: list[Hashable], right_keys: list[Hashable]) -> list[tuple[int, int]]:
    """A common subsequence, not always the longest, in O((n + m) log m): each left layer
    takes the first right layer of its key after the last one taken."""
    positions: dict[Hashable, list[int]] = {}
    for j, key in enumerate(right_keys):
        positions.setdefault(key, []).append(j)
    pairs = []
    last = -1
    for i, key in enumerate(left_keys):
        candidates = positions.get(key, [])
        k = bisect.bisect_right(candidates, last)
        if k < len(candidates):
            last = candidates[k]
            pairs.append((i, last))
    return pairs
