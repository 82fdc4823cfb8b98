"""docs/editors.md shows what the server shows: its picture is rendered again here."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("lsprotocol")

from archspec.lsp.picture import picture

SOURCE = """\
archspec: 1
name: small
input: [3, H, W]
layers:
  - conv: {out_channels: 64, kernel_size: 7, stride: 2, padding: 3}
  - batchnorm
  - relu
  - maxpool: {kernel_size: 3, stride: 2, padding: 1}
  - residual: {out_channels: 64}
  - residual: {out_channels: 128, stride: 2}
  - adaptive_avgpool: {output_size: 1}
  - flatten
  - linear: {out_features: 10}
"""


def test_the_editors_page_shows_the_servers_hints_and_hover() -> None:
    page = Path("docs/editors.md").read_text()
    shown = page.split("## What it looks like", 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    assert shown == picture(SOURCE, 9)
    assert (
        "  - maxpool: {kernel_size: 3, stride: 2, padding: 1}  → [N, 64, floor((H - 1)/4) + 1, floor((W - 1)/4) + 1]"
        in shown
    )
    assert "params 230,272" in shown and "block **residual**" in shown
