"""``archspec check``: real forward passes against the inferred shapes, both ways."""

from __future__ import annotations

import itertools
import textwrap
from pathlib import Path

import pytest

import archspec
from archspec.check import compare, expect_failure, format_runs
from archspec.cli import main

SPECS = sorted(Path("specs").glob("*.yaml"))


@pytest.mark.parametrize("path", SPECS, ids=str)
def test_every_spec_checks_out(path: Path, capsys) -> None:
    assert main(["check", str(path), "--samples", "2"]) == 0
    out = capsys.readouterr().out
    symbolic = any(isinstance(d, str) for d in archspec.load(path).input)  # the U-Net's [1, H, W]
    assert "FAIL" not in out and ("(smallest valid)" if symbolic else "(spec input)") in out


def test_symbolic_specs_are_run_at_the_smallest_size_and_just_below(capsys) -> None:
    assert main(["check", "specs/nin.yaml", "--samples", "1"]) == 0
    out = capsys.readouterr().out
    assert "1x67x67          (smallest valid)" in out
    assert "1x66x67          (below smallest): rejected by PyTorch too" in out


def test_given_sizes_archspec_rejects_must_fail_in_pytorch(capsys) -> None:
    assert main(["check", "specs/nin.yaml", "--sizes", "1x60x60", "1x80x70"]) == 0
    out = capsys.readouterr().out
    assert "1x60x60          (given, rejected by archspec): rejected by PyTorch too" in out


def test_sizes_must_keep_the_channels(capsys) -> None:
    assert main(["check", "specs/nin.yaml", "--sizes", "3x80x80"]) == 2
    assert main(["check", "specs/nin.yaml", "--sizes", "1xHx80"]) == 2


def test_a_wrong_inferred_shape_is_reported_per_layer() -> None:
    def spec(padding: int) -> archspec.Spec:
        return archspec.loads(
            textwrap.dedent(
                f"""\
                name: n
                input: [1, 9, 9]
                layers:
                  - conv: {{out_channels: 2, kernel_size: 3, padding: {padding}}}
                  - relu
                """
            )
        )

    # The module pads by 1, the graph believes 0: both layers disagree.
    run = compare(archspec.compile(spec(0)), archspec.build(spec(1)), "spec input")
    assert not run.ok
    assert [(m.path, m.inferred, m.actual) for m in run.mismatches] == [
        ("0", (2, 7, 7), (2, 9, 9)),
        ("1", (2, 7, 7), (2, 9, 9)),
    ]
    assert "0: inferred [N, 2, 7, 7], real [N, 2, 9, 9]" in format_runs([run])


def test_pytorch_accepting_a_rejected_size_is_a_failure() -> None:
    net = archspec.build("specs/googlenet.yaml")
    run = expect_failure(net, (1, 40, 40), "below smallest")
    assert not run.ok and "but PyTorch accepts it" in format_runs([run])


def test_a_spec_whose_valid_sizes_have_gaps_is_run_in_a_gap(tmp_path: Path, capsys) -> None:
    path = tmp_path / "skip.yaml"
    path.write_text(
        "name: skip\ninput: [2, 8, 8]\nlayers:\n"
        "  - concat: {branches: [[], [maxpool: {kernel_size: 2}, upsample: {scale_factor: 2}]]}\n"
    )
    assert main(["check", str(path), "--samples", "3"]) == 0
    out = capsys.readouterr().out
    assert "2x2x2            (smallest valid)" in out
    assert "2x3x2            (not a valid size): rejected by PyTorch too" in out
    assert "FAIL" not in out and "rejected by archspec" not in out  # the random sizes are even


def test_random_samples_are_distinct_and_bounded_by_the_combinations() -> None:
    """A huge --samples runs each combination of the first 65 sizes per axis at most
    once: the draws are distinct, and asking for more than there are returns them all
    (it neither loops on repeats nor builds a list of the size asked for)."""
    from archspec.check import size_variants

    spec = archspec.load("specs/nin.yaml")
    drawn = [dims for label, dims in size_variants(spec, 10**12) if label == "random valid"]
    assert len(drawn) == len(set(drawn)) == 65 * 65
    graph = archspec.compile(spec, input=[1, "S1", "S2"])
    firsts = [set(itertools.islice(graph.valid_sizes[s].members(), 65)) for s in ("S1", "S2")]
    assert all(dims[0] == 1 and dims[1] in firsts[0] and dims[2] in firsts[1] for dims in drawn)
    few = [dims for label, dims in size_variants(spec, 5, seed=7) if label == "random valid"]
    assert len(set(few)) == 5 and few == [
        d for lab, d in size_variants(spec, 5, seed=7) if lab == "random valid"
    ]
