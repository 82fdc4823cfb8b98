"""The transfer report's three forms, from a plan on keys and shapes alone (no torch)."""

from __future__ import annotations

import json

from archspec.weights.reportformat import format_transfer
from archspec.weights.transfer import TransferReport, plan

SPEC = [("conv.weight", (8, 3, 3, 3)), ("conv.bias", (8,)), ("se.weight", (8, 8)), ("fc.weight", (4, 8))]
CHECKPOINT = [
    ("conv.weight", (8, 3, 3, 3)),
    ("conv.bias", (8,)),
    ("fc.weight", (10, 8)),
    ("old|*x.weight", (3,)),
]


def report(strict: bool = False) -> TransferReport:
    layers = plan(
        SPEC,
        CHECKPOINT,
        kinds={"conv": "conv", "se": "linear", "fc": "linear"},
        parameters={key for key, _ in SPEC},
    )
    return TransferReport("net.yaml", "w.pt", "auto", strict, tuple(layers))


def test_text_lists_every_layer_and_the_verdict() -> None:
    text = format_transfer(report())
    rows = text.splitlines()
    assert rows[0] == "weights: w.pt -> net.yaml (match: auto)"
    assert rows[1].split() == ["layer", "kind", "status", "from"]
    assert rows[2].split() == ["conv", "conv", "transferred", "(same", "path)"]
    assert rows[3].split() == ["se", "linear", "new", "-"]
    assert rows[4].startswith("fc ") and "weight [4, 8] here, [10, 8] in the checkpoint" in rows[4]
    assert rows[5].split() == ["(old|*x)", "-", "dropped", "-"]
    assert (
        "tensors: 2 transferred, 1 shape-mismatched, 1 new in the spec, 1 dropped from the checkpoint" in text
    )
    assert "parameters of the spec transferred: 224 of 320 (70.00%)" in text
    assert "values of the checkpoint used: 224 of 307 (72.96%)" in text
    assert "error[E603]" in text and text.endswith("not ok: see the errors above\n")


def test_json_holds_every_tensor() -> None:
    data = json.loads(format_transfer(report(strict=True), "json"))
    assert data["ok"] is False
    assert [p["code"] for p in data["problems"]] == ["E603", "E605"]
    assert data["totals"]["tensors"] == {
        "transferred": 2,
        "mismatched": 1,
        "new": 1,
        "dropped": 1,
        "skipped": 0,
    }
    fc = next(layer for layer in data["layers"] if layer["path"] == "fc")
    assert fc["tensors"] == [
        {
            "status": "mismatched",
            "key": "fc.weight",
            "source": "fc.weight",
            "shape": [4, 8],
            "source_shape": [10, 8],
            "parameter": True,
        }
    ]


def test_markdown_escapes_what_a_key_could_break() -> None:
    text = format_transfer(report(), "markdown")
    assert "| (old\\|\\*x) | - | dropped | - |  |" in text
    rows = [line for line in text.splitlines() if line.startswith("|")]
    assert all(line.replace("\\|", "").count("|") == 6 for line in rows)
