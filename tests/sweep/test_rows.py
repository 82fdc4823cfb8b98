"""A member's row: its values and figures, or its located error; CSV and JSON lines."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace

import archspec
from archspec.sweep.rows import columns, csv_header, csv_row, jsonl_row, member_row

from .family import FAMILY, STAGES


def spec():  # type: ignore[no-untyped-def]
    return archspec.loads(FAMILY, "fam.yaml")


def test_a_row_has_the_figures_of_the_member_compiled_on_its_own() -> None:
    row = member_row(spec(), 3, {"depth": 1, "width": 8})
    written = archspec.compile(archspec.loads(FAMILY.replace("default: 2", "default: 1").replace("16", "8")))
    assert list(row) == list(columns(spec().family))
    assert row["member"] == 3 and row["groups"] == 1  # the default fills what the grid leaves out
    assert row["params"] == written.num_params and row["macs"] == written.num_macs
    assert row["output"] == "[N, 16]" and row["valid_sizes"] is None and row["error"] is None
    assert row["activations"] > 0


def test_a_broken_member_gives_its_located_error_and_no_figures() -> None:
    row = member_row(spec(), 0, {"depth": 1, "width": 10, "groups": 4})
    assert row["params"] is None and row["macs"] is None
    assert row["error"].startswith("fam.yaml:9:")
    assert "error[E300]" in row["error"] and "groups 4 does not divide" in row["error"]


def test_a_value_of_the_wrong_type_is_a_broken_member_e501() -> None:
    row = member_row(spec(), 0, {"depth": 1.5})
    assert "error[E501]" in row["error"] and row["depth"] == 1.5


def test_a_symbolic_input_gives_formulas_and_valid_sizes() -> None:
    row = member_row(spec(), 0, {"depth": 1}, dims=(3, "H", "W"))
    assert isinstance(row["macs"], str) and "H" in row["macs"]
    assert "H" in row["valid_sizes"] and "W" in row["valid_sizes"]


def test_csv_and_json_lines_read_back_as_the_rows() -> None:
    rows = [member_row(spec(), i, {"depth": 1, "width": w}) for i, w in enumerate((8, 10))]
    rows[1] = member_row(spec(), 1, {"depth": 1, "width": 10, "groups": 4})
    text = csv_header(columns(spec().family)) + "".join(csv_row(r) for r in rows)
    read = list(csv.DictReader(io.StringIO(text)))
    assert read[0]["params"] == str(rows[0]["params"]) and read[0]["error"] == ""
    assert read[1]["error"] == rows[1]["error"] and read[1]["params"] == ""
    lines = "".join(jsonl_row(r) for r in rows).splitlines()
    assert [json.loads(line) for line in lines] == rows


def test_the_figures_are_those_of_the_compile_report() -> None:
    from archspec.report import totals

    for values in ({"depth": 1, "width": 8}, {"depth": 3, "width": 24}):
        row = member_row(spec(), 0, values)
        member = spec()
        graph = archspec.compile(replace(member, arguments=member.family.bind(values)))
        sums = totals(graph)
        assert (row["params"], row["macs"], row["activations"]) == (
            sums["params"],
            sums["macs"],
            sums["activation_bytes"],
        )


def test_a_sweeps_rows_are_those_of_each_member_compiled_alone() -> None:
    """A sweep shares what its members' compiles infer and takes the figures from summary
    compiles (compiler/summary.py): each row is still the member's own, broken or not."""
    from archspec.compiler.reuse import Reuse
    from archspec.limits import Limits

    family = archspec.loads(STAGES, "stages.yaml")
    members = [
        {"d1": d1, "d2": d2, "w1": w1, "w2": w2, "g": g}
        for d1 in (1, 3)
        for d2 in (1, 2)
        for w1 in (8, 16, 24)
        for w2 in (16, 24)
        for g in (1, 3)
    ]
    for limits in (None, Limits(max_params=30_000)):
        shared = Reuse(shallow=True)
        for index, values in enumerate(members * 2):
            row = member_row(family, index, values, limits=limits, reuse=shared)
            assert row == member_row(family, index, values, limits=limits), values
        assert shared.totals
    for values in members[:6]:  # the symbolic rows too
        row = member_row(family, 0, values, (3, "H", "W"), reuse=Reuse(shallow=True))
        assert row == member_row(family, 0, values, (3, "H", "W")) and row["valid_sizes"]


def test_activations_count_attentions_weights_as_the_report_does() -> None:
    """Attention computes heads x L x S weights on the way to its output: the report's
    activation memory counts them, and so does the row, from a full or a summary compile."""
    from archspec.compiler.reuse import Reuse
    from archspec.report import totals

    text = """\
archspec: 1
name: att
input: [64, 16]
params:
  heads: {type: int, default: 2}
layers:
  - multihead_attention: {embed_dim: 16, num_heads: =heads}
  - layernorm
"""
    family = archspec.loads(text, "att.yaml")
    shared = Reuse(shallow=True)
    for heads in (1, 2, 4, 2):
        graph = archspec.compile(replace(family, arguments=family.family.bind({"heads": heads})))
        reported = totals(graph)["activation_bytes"]
        assert any(layer.own_workspace for layer in graph.layers)
        assert member_row(family, 0, {"heads": heads})["activations"] == reported
        assert member_row(family, 0, {"heads": heads}, reuse=shared)["activations"] == reported
