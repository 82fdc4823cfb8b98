"""The table of blocks a spec can call (archspec/frontend/blocktable.py): the prelude's
blocks belong to it from the start, and are parsed in when first called or listed."""

from __future__ import annotations

import pytest

import archspec
from archspec.diagnostics import SpecError
from archspec.frontend import blocktable
from archspec.frontend.blocktable import prelude_names

PLAIN = "name: plain\ninput: [3, 16, 16]\nlayers:\n  - conv: {out_channels: 8, kernel_size: 3}\n  - relu\n"
CALLS_PRELUDE = PLAIN + "  - residual: {out_channels: 8}\n"
OWN_BLOCK = PLAIN.replace("layers:", "blocks:\n  mine: {layers: [relu]}\nlayers:") + "  - mine\n"


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Each parse of the prelude into a spec's table (one entry per parse)."""
    made: list[int] = []
    parse = blocktable.prelude

    def counted(kinds: object) -> object:
        made.append(1)
        return parse(kinds)  # type: ignore[arg-type]

    monkeypatch.setattr(blocktable, "prelude", counted)
    return made


def test_a_spec_that_calls_no_prelude_block_does_not_parse_it(parses: list[int]) -> None:
    for text in (PLAIN, OWN_BLOCK):
        graph = archspec.compile(archspec.loads(text, "net.yaml"))
        assert graph.num_params > 0
    assert parses == []


def test_calling_a_prelude_block_parses_it_in(parses: list[int]) -> None:
    spec = archspec.loads(CALLS_PRELUDE, "net.yaml")
    assert parses == [1]
    assert list(spec.blocks.blocks)[: len(prelude_names())] == list(prelude_names())
    assert archspec.compile(spec).roots[-1].block == "residual"


def test_the_table_lists_the_same_names_in_the_same_order_before_and_after() -> None:
    spec = archspec.loads(OWN_BLOCK, "net.yaml")
    before = spec.blocks.names()
    assert {"residual", "inception", "mine"} <= set(before)
    listed = spec.blocks.blocks  # every block: the prelude's parsed in, first
    assert list(listed) == [*prelude_names(), "mine"]
    assert spec.blocks.names() == before


def test_a_table_equals_one_that_parsed_its_prelude_in() -> None:
    one, other = (archspec.loads(PLAIN, "net.yaml") for _ in range(2))
    assert other.blocks.blocks and one.blocks == other.blocks


def test_prelude_names_are_taken_and_hinted_without_parsing_it(parses: list[int]) -> None:
    with pytest.raises(SpecError) as shadowed:
        archspec.loads(PLAIN.replace("layers:", "blocks:\n  inception: {layers: [relu]}\nlayers:"), "n.yaml")
    assert "shadows the built-in" in shadowed.value.diagnostics[0].message
    with pytest.raises(SpecError) as typo:
        archspec.loads(PLAIN + "  - residul: {}\n", "n.yaml")
    assert typo.value.diagnostics[0].hint == "did you mean 'residual'?"
    assert parses == []
