"""What no archspec layer expresses is an error (E623) naming the module's path and the
line of its forward, never an approximation."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import archspec
from archspec.diagnostics import SpecError


def problems(module: nn.Module, dims: tuple[int, ...] = (3, 8, 8)) -> list[str]:
    with pytest.raises(SpecError) as caught:
        archspec.from_module(module, dims)
    assert {d.code for d in caught.value.diagnostics} == {"E623"}
    return [d.render() for d in caught.value.diagnostics]


class Sine(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sin(self.conv(x))


class Shared(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(self.conv(x))


class OwnTensor(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.arange(3.0).reshape(3, 1, 1))
        self.register_buffer("shift", torch.zeros(3, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.scale + self.shift


class Unused(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 1)
        self.spare = nn.Linear(3, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class Wrapper(nn.Module):
    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.body = inner

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


def test_a_function_no_layer_computes_is_named_with_its_line() -> None:
    (found,) = problems(Sine())
    assert "calls torch.sin, which no archspec layer computes" in found
    assert "test_body.py:" in found and "return torch.sin(self.conv(x))" in found


def test_a_module_parameter_archspec_cannot_set_is_named() -> None:
    (found,) = problems(nn.Sequential(nn.Conv2d(3, 4, 3, padding=1, padding_mode="reflect")))
    assert "layer 0: a Conv2d that conv cannot set padding_mode='reflect' (archspec's: 'zeros')" in found


def test_a_torch_module_without_a_primitive_is_named_by_path() -> None:
    (found,) = problems(Wrapper(nn.Sequential(nn.Conv2d(3, 4, 1), nn.PReLU())))
    assert "layer body.1: a torch.nn.modules.activation.PReLU, which no archspec primitive is" in found


def test_a_module_with_weights_called_twice_is_refused() -> None:
    (found,) = problems(Shared())
    assert "calls conv twice: its weights are shared" in found


def test_a_tensor_of_the_module_itself_is_refused_unless_a_parameter_layer_says_it() -> None:
    scale, shift = problems(OwnTensor())
    assert (
        "reads its own tensor self.scale, parameter: a tensor of shape [3, 1, 1] whose entries differ"
        in scale
    )
    assert "reads its own tensor self.shift, which is no nn.Parameter of its own" in shift


def test_a_child_with_weights_never_called_is_refused() -> None:
    (found,) = problems(Unused())
    assert "never calls its child spare (Linear)" in found


def test_every_problem_is_reported_in_one_run() -> None:
    assert len(problems(nn.Sequential(Sine(), nn.Conv2d(4, 4, 1, padding_mode="circular")))) == 2
