"""Read and write checkpoints without ever running code from one.

A checkpoint is read in one of two ways, chosen by what the file is, not by its name:

- a safetensors file (an 8-byte header length, then a JSON header): read with the
  ``safetensors`` package, which holds nothing but tensors;
- anything else: ``torch.load(weights_only=True)``, whose unpickler accepts tensors,
  numbers, strings and containers and refuses every other global a pickle names
  (``os.system``, ``builtins.open``, a user's class). A refused pickle is an error
  that names the global it asked for; archspec never retries with
  ``weights_only=False``.

What is read must be a mapping from names to tensors: a ``state_dict``, or a
training checkpoint holding one under ``state_dict``, ``model_state_dict`` or
``model`` (the note says which). Any other entry in the state_dict is an error
that names it. Writing goes through :func:`archspec.output.write_bytes`: a temporary
file renamed over the target, so a failed write leaves nothing behind.
"""

from __future__ import annotations

import io
import json
import os
import re
import struct
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from archspec.codes import E600, E601, E602
from archspec.diagnostics import Diagnostic, SpecError, abridge
from archspec.output import shown, write_bytes

if TYPE_CHECKING:
    import torch

# The keys under which training scripts commonly keep the model's state_dict.
WRAPPER_KEYS = ("state_dict", "model_state_dict", "model")
SAFETENSORS_SUFFIX = ".safetensors"
# The metadata entry where archspec records a safetensors file's key order.
ORDER_METADATA = "archspec.key_order"
# A safetensors header is JSON; a larger header than this is no safetensors file.
MAX_SAFETENSORS_HEADER = 100 * 1024 * 1024


@dataclass
class Checkpoint:
    """The tensors of a checkpoint by key, in the file's order, and what was done to find them."""

    path: str
    tensors: dict[str, torch.Tensor]
    notes: list[str] = field(default_factory=list)


def _error(code: str, path: str, message: str, hint: str | None = None) -> SpecError:
    return SpecError([Diagnostic(code, f"checkpoint {shown(path)}: {message}", None, "", hint)])


def is_safetensors(head: bytes, size: int) -> bool:
    """The first bytes of a file say it is safetensors: a sane header length, then '{'."""
    if len(head) < 9:
        return False
    (length,) = struct.unpack("<Q", head[:8])
    return 0 < length <= min(size - 8, MAX_SAFETENSORS_HEADER) and head[8:9] == b"{"


def looks_like_checkpoint(path: str) -> bool:
    """A zip archive (torch.save), a pickle (its protocol byte) or a safetensors file."""
    try:
        with open(path, "rb") as file:
            head = file.read(16)
        size = os.path.getsize(path)
    except OSError:
        return False
    return head.startswith(b"PK\x03\x04") or head[:1] == b"\x80" or is_safetensors(head, size)


def load_checkpoint(path: str | os.PathLike[str]) -> Checkpoint:
    """Read a checkpoint's tensors safely; raise SpecError (E600-E603) for anything else."""
    path = os.fspath(path)
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as file:
            head = file.read(16)
    except OSError as error:
        raise _error(E600, path, f"cannot be read: {error.strerror or type(error).__name__}") from None
    if size == 0:
        raise _error(E600, path, "the file is empty")
    if is_safetensors(head, size):
        tensors, notes = _load_safetensors(path)
        checkpoint = state_dict_of(path, tensors)
        checkpoint.notes += notes
        return checkpoint
    return state_dict_of(path, _load_pickle(path))


def _load_safetensors(path: str) -> tuple[dict[str, torch.Tensor], list[str]]:
    """The tensors in the state_dict's order, which a safetensors file does not keep
    (it lays tensors out by its own rule): archspec's own files record it in their
    metadata; for others the keys are put in natural order (``layer1.2`` before
    ``layer1.10``), and a note says that the structure match may suffer from it."""
    from safetensors import safe_open
    from safetensors.torch import load_file

    try:
        tensors = load_file(path, device="cpu")
        with safe_open(path, framework="pt") as file:
            metadata = file.metadata() or {}
    except Exception as error:  # SafetensorError, or a header it cannot parse
        raise _error(
            E600, path, f"is a damaged safetensors file: {abridge(str(error), 200, quote=False)}"
        ) from None
    try:
        order = json.loads(metadata.get(ORDER_METADATA, "null"))
    except ValueError:
        order = None
    if isinstance(order, list) and sorted(order) == sorted(tensors):
        return {key: tensors[key] for key in order}, []
    natural = sorted(
        tensors, key=lambda key: [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in key.split(".")]
    )
    note = "a safetensors file keeps no order of its tensors: layers are taken in natural key order"
    return {key: tensors[key] for key in natural}, [note]


# torch's message names the global a pickle asked for: "Unsupported global: GLOBAL os.system".
_GLOBAL = re.compile(r"Unsupported global: GLOBAL ([\w.]+)")
_OPERAND = re.compile(r"Unsupported operand (\d+)")


def _load_pickle(path: str) -> object:
    import pickle

    import torch

    try:
        with warnings.catch_warnings():  # protocol notes that say nothing to the user
            warnings.simplefilter("ignore")
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        text = str(error)
        named = _GLOBAL.search(text)
        if named:
            why = f"its pickle asks for {named.group(1)}, which is neither a tensor nor plain data"
        elif _OPERAND.search(text):
            # The safe loader stopped at an instruction it lacks: garbage, or a pickle that
            # uses more than it allows. Parsing (never running) the stream tells which.
            asked = pickle_globals(path)
            if asked is None:
                raise _error(
                    E600,
                    path,
                    "is not a readable checkpoint: neither a torch.save file nor safetensors",
                    "a checkpoint is a file written by torch.save or a .safetensors file",
                ) from None
            why = (
                f"its pickle asks for {asked[0]}, which is neither a tensor nor plain data"
                if asked
                else "its pickle uses instructions the safe loader refuses"
            )
        else:
            why = "its pickle needs more than tensors and plain data"
        raise _error(
            E601,
            path,
            f"refused: {why}; loading it would run code from the file",
            "archspec loads only weights (torch.load with weights_only=True) and never runs a "
            "checkpoint's code; if you trust the file, re-save its tensors alone: "
            "torch.save(model.state_dict(), 'weights.pt'), or as safetensors",
        ) from None
    except Exception as error:  # a truncated zip, garbage, an unknown format
        reason = abridge(str(error).split(". ")[0], 160, quote=False) or type(error).__name__
        raise _error(
            E600,
            path,
            f"is not a readable checkpoint (truncated or corrupt?): {reason}",
            "a checkpoint is a file written by torch.save or a .safetensors file",
        ) from None


def pickle_globals(path: str) -> list[str] | None:
    """The globals a plain pickle file names (``builtins.open``), read without running
    anything; None where the file is no complete pickle stream."""
    import pickletools

    found: list[str] = []
    strings: list[str] = []  # STACK_GLOBAL takes its module and name from the two strings before it
    try:
        with open(path, "rb") as file:
            for opcode, argument, _ in pickletools.genops(file):
                if opcode.name == "GLOBAL":
                    found.append(str(argument).replace(" ", "."))
                elif opcode.name == "STACK_GLOBAL" and len(strings) >= 2:
                    found.append(f"{strings[-2]}.{strings[-1]}")
                elif isinstance(argument, str):
                    strings.append(argument)
    except Exception:  # ValueError and friends: not a pickle, or cut short
        return None
    return found


def _tensor_kind(value: torch.Tensor) -> str:
    if value.is_quantized:
        return "quantized"
    return "meta" if value.device.type == "meta" else str(value.layout).removeprefix("torch.")


def _a(noun: str) -> str:
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun


def state_dict_of(path: str, loaded: object) -> Checkpoint:
    """The tensors of what a checkpoint held (or of a state_dict given in memory, ``path`` naming it).

    Raises SpecError E602 where it is no mapping of names to tensors."""
    import torch

    notes: list[str] = []
    if isinstance(loaded, Mapping) and not any(isinstance(v, torch.Tensor) for v in loaded.values()):
        for key in WRAPPER_KEYS:
            inner = loaded.get(key)
            if isinstance(inner, Mapping):
                notes.append(f"the state_dict is the checkpoint's {key!r} entry")
                loaded = inner
                break
    if not isinstance(loaded, Mapping):
        raise _error(
            E602,
            path,
            f"holds {_a(type(loaded).__name__)}, not a state_dict (a mapping of names to tensors)",
            "save model.state_dict(), not the model",
        )
    tensors: dict[str, torch.Tensor] = {}
    for key, value in loaded.items():
        if not isinstance(key, str):
            raise _error(E602, path, f"a key is {_a(type(key).__name__)} ({abridge(key)}), not a name")
        if not isinstance(value, torch.Tensor):
            raise _error(
                E602,
                path,
                f"entry {abridge(key)} is {_a(type(value).__name__)}, not a tensor",
                "a state_dict maps each name to a tensor; save model.state_dict()",
            )
        if value.layout != torch.strided or value.is_quantized or value.device.type == "meta":
            raise _error(
                E602,
                path,
                f"entry {abridge(key)} is a {_tensor_kind(value)} tensor; archspec transfers dense tensors",
                "save the dense weights: {k: v.to_dense() for k, v in state.items()} (dequantize first)",
            )
        tensors[key] = value
    if not tensors:
        raise _error(E602, path, "holds no tensor")
    if len(tensors) > 1 and all(key.startswith("module.") for key in tensors):
        # DataParallel and DistributedDataParallel save every key under their 'module'.
        tensors = {key.removeprefix("module."): value for key, value in tensors.items()}
        notes.append("the prefix 'module.' (DataParallel) is left out of every key")
    return Checkpoint(path, tensors, notes)


def state_dict_bytes(state: Mapping[str, torch.Tensor], safetensors: bool) -> bytes:
    """A state_dict as the bytes of a torch.save file or of a safetensors file."""
    import torch

    if safetensors:
        from safetensors.torch import save

        # safetensors stores each tensor's own bytes: no shared storage, no views. The
        # state_dict's order, which the structure match reads, goes in the metadata.
        tensors = {key: value.detach().contiguous().clone() for key, value in state.items()}
        return save(tensors, metadata={"format": "pt", ORDER_METADATA: json.dumps(list(state))})
    buffer = io.BytesIO()
    torch.save(dict(state), buffer)
    return buffer.getvalue()


def save_state_dict(path: str, state: Mapping[str, torch.Tensor], inputs: tuple[str, ...] = ()) -> None:
    """Write ``state`` to ``path`` (safetensors for a .safetensors name), whole or not at all.

    Raises :class:`archspec.output.OutputError` where the target is refused or cannot be written."""
    write_bytes(path, state_dict_bytes(state, path.endswith(SAFETENSORS_SUFFIX)), inputs)
