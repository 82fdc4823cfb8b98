"""The reading facts of every primitive, with no list to update: each function a
primitive names exists in this torch, and every torch module an oracle case makes
(tests/primitives/) reads back as a primitive whose module, built again, is the same."""

from __future__ import annotations

import pytest
import torch

from archspec.importer.mapping import read_module, readers, resolve
from archspec.primitives.reads import Unreadable
from archspec.primitives.registry import primitives
from tests.primitives.cases import all_cases
from tests.torchvision_models import zoo

READING = sorted(name for name, p in primitives().items() if p.from_torch is not None)


@pytest.mark.parametrize("name", READING)
def test_every_function_a_primitive_reads_exists(name: str) -> None:
    zoo()  # torchvision imported, as a user's code would have: its functions resolve
    reads = primitives()[name].from_torch
    assert reads is not None
    for qualified in reads.calls:
        if qualified.startswith("torch.Tensor."):
            assert hasattr(torch.Tensor, qualified.removeprefix("torch.Tensor.")), qualified
        else:
            assert callable(resolve(qualified)), qualified
    for qualified in reads.foreign:  # with torchvision imported
        assert isinstance(resolve(qualified), type), qualified


CASES = [
    (name, index, case)
    for name, listed in sorted(all_cases().items())
    for index, case in enumerate(listed)
    if case.make is not None
]


@pytest.mark.parametrize(("name", "index", "case"), CASES, ids=[f"{n}-{i}" for n, i, _ in CASES])
def test_every_module_an_oracle_case_makes_reads_back(name: str, index: int, case) -> None:
    module = case.make()
    table = readers()
    if type(module) not in table.by_class:
        pytest.skip(f"{type(module).__name__}: no primitive reads this class yet")
    why = []
    for primitive, reader in table.by_class[type(module)]:
        try:
            read_module(primitive, reader, module, (2, *case.dims), type(module) in table.foreign)
            return
        except Unreadable as error:
            why.append(f"{primitive.name}: {error}")
    pytest.fail(f"{module} reads as no primitive: {why}")
