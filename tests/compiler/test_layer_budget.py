"""The layer budget (E403) stops repeats and block calls before they allocate."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import archspec
from archspec.diagnostics import SpecError
from archspec.limits import Limits


def problem(text: str, limits: Limits | None = None) -> archspec.Diagnostic:
    with pytest.raises(SpecError) as caught:
        archspec.compile(archspec.loads(textwrap.dedent(text), "net.yaml"), limits=limits)
    (found,) = caught.value.diagnostics
    return found


def test_nested_repeats_stop_at_the_budget_quickly() -> None:
    found = problem(
        """\
        name: n
        input: [3, 8, 8]
        layers:
          - repeat: {n: 1000000, layers: [repeat: {n: 1000000, layers: [relu]}]}
        """
    )
    assert found.code == "E403" and "10,000 layers" in found.message and found.span.line == 4


def test_a_block_body_counts_at_every_call() -> None:
    text = """\
        name: n
        input: [3, 8, 8]
        blocks:
          wide: {layers: [repeat: {n: 50, layers: [relu]}]}
        layers:
          - repeat: {n: 30, layers: [wide]}
        """
    assert archspec.compile(archspec.loads(textwrap.dedent(text))).num_params == 0
    found = problem(text, Limits(max_layers=1000))
    assert found.code == "E403" and "1,000 layers" in found.message


def test_repeat_counts_are_bounded() -> None:
    found = problem("name: n\ninput: [3]\nlayers:\n  - repeat: {n: 9999999999, layers: [relu]}\n")
    assert found.code == "E200"


VGG = "name: big\ninput: [3, 32, 32]\nlayers:\n  - vgg_block: {{num_convs: {n}, out_channels: 2}}\n"


def verdict(n: int) -> str:
    """The code of the refusal of a vgg_block with n convs, or 'ok'."""
    try:
        archspec.compile(archspec.loads(VGG.format(n=n), "big.yaml"))
    except SpecError as error:
        (found,) = error.diagnostics
        return f"{found.code} at {found.span}"
    return "ok"


def test_each_layer_counts_once_and_a_refusal_points_at_the_users_call() -> None:
    # 4,000 convs: 8,001 layers in the block and its group, under 10,000 (it used to
    # count 16,003: the expansion and the inference each counted every layer).
    assert verdict(4000) == "ok"
    graph = archspec.compile(archspec.loads(VGG.format(n=4000)))
    assert len(graph.layers) == 8002  # the group, its 8,000 convs and ReLUs, its pool
    assert verdict(5000) == "E403 at big.yaml:4:5"  # the call, not <archspec prelude>


@pytest.mark.slow
def test_the_verdict_does_not_depend_on_what_ran_before_or_beside() -> None:
    warm = [verdict(n) for n in (4000, 5000, 4000, 5000)]
    assert warm == ["ok", "E403 at big.yaml:4:5"] * 2
    script = "from tests.compiler.test_layer_budget import verdict; print(verdict(4000), '|', verdict(5000))"
    fresh = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert fresh.stdout.strip() == "ok | E403 at big.yaml:4:5"
    with ThreadPoolExecutor(16) as pool:
        assert set(pool.map(verdict, [4000, 5000] * 8)) == {"ok", "E403 at big.yaml:4:5"}
        assert list(pool.map(verdict, [5000] * 16)) == ["E403 at big.yaml:4:5"] * 16


def test_two_identical_files_get_the_same_verdict(tmp_path, capsys) -> None:
    from archspec.cli import main

    for name in ("a.yaml", "copy_of_a.yaml"):
        (tmp_path / name).write_text(VGG.format(n=5000))
    assert main(["validate", str(tmp_path / "a.yaml"), str(tmp_path / "copy_of_a.yaml")]) == 1
    assert capsys.readouterr().err.count("error[E403]") == 2


def test_symbolic_work_is_bounded_and_located() -> None:
    text = """\
        name: n
        input: [C, H, W, D]
        layers:
          - relu
          - repeat: {n: 9999, layers: [maxpool: {kernel_size: 2, stride: 1}]}
        """
    started = time.perf_counter()
    found = problem(text, Limits(max_symbolic_dims=300))
    assert found.code == "E406" and found.span.line == 5 and "300 symbolic dims" in found.message
    assert "max_symbolic_dims" in found.hint
    assert time.perf_counter() - started < 30  # 100 layers of 3 symbolic dims, not 9,999
    # concrete sizes cost no symbolic work: the same layers run at any budget
    concrete = text.replace("[C, H, W, D]", "[1, 102, 102, 102]").replace("9999", "99")
    assert archspec.compile(archspec.loads(textwrap.dedent(concrete)), limits=Limits(max_symbolic_dims=1))


def test_a_repeats_copies_expanded_once_still_stop_at_the_layer_that_crosses_the_budget() -> None:
    import archspec
    from archspec.diagnostics import SpecError
    from archspec.limits import Limits

    text = """\
archspec: 1
name: deep
input: [3, 8, 8]
layers:
  - repeat: {n: 6, layers: [conv: {out_channels: 3, kernel_size: 1}, relu]}
"""
    assert len(archspec.compile(archspec.loads(text), limits=Limits(max_layers=12)).layers) == 12
    for budget in (1, 2, 4, 5, 10, 11):
        try:
            archspec.compile(archspec.loads(text), limits=Limits(max_layers=budget))
        except SpecError as error:
            (problem,) = error.diagnostics
            assert problem.code == "E403" and problem.span is not None
            # the layer that crosses it: a copy's conv past an even budget, its relu past an odd one
            assert (problem.span.line, problem.span.column) == (5, 29 if budget % 2 == 0 else 70), budget
        else:
            raise AssertionError(budget)
