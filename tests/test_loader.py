"""The loader: source map, duplicate keys, tags, non-mappings; only SpecError escapes."""

from __future__ import annotations

import pytest

from archspec.diagnostics import SpecError
from archspec.loader import LoadLimits, load_file, load_text


def error_of(text: str | bytes, **limits: int) -> SpecError:
    with pytest.raises(SpecError) as caught:
        load_text(text, "spec.yaml", LoadLimits(**limits) if limits else None)
    return caught.value


def test_source_map_keeps_line_and_column_of_keys_and_values() -> None:
    data, source = load_text("name: x\nlayers:\n  - conv: {out_channels: 8}\n", "spec.yaml")
    assert data == {"name": "x", "layers": [{"conv": {"out_channels": 8}}]}
    value = source.span(("layers", 0, "conv", "out_channels"))
    assert (value.file, value.line, value.column) == ("spec.yaml", 3, 26)
    key = source.span(("layers", 0, "conv", "out_channels"), key=True)
    assert (key.line, key.column) == (3, 12)


def test_span_falls_back_to_the_nearest_ancestor() -> None:
    _, source = load_text("a:\n  b: 1\n", "spec.yaml")
    assert source.span(("a", "b", "missing")).line == 2


def test_duplicate_key_names_both_lines() -> None:
    error = error_of("name: a\ninput: [1]\nname: b\n")
    (diagnostic,) = error.diagnostics
    assert diagnostic.code == "E101"
    assert "first at line 1, again at line 3" in diagnostic.message
    assert diagnostic.span.line == 3


@pytest.mark.parametrize(
    "text",
    [
        "!!python/object/apply:os.system ['touch /tmp/archspec-pwned']\n",
        "a: !!python/name:os.system\n",
        "a: !custom 1\n",
        "a: !!str 5\n",
        "!!map {a: 1}\n",
        "a: !!binary aGVsbG8=\n",
    ],
)
def test_every_explicit_tag_is_refused_before_anything_is_built(text: str, tmp_path) -> None:
    error = error_of(text)
    assert [d.code for d in error.diagnostics] == ["E102"]
    assert error.diagnostics[0].span.line == 1


def test_a_tagged_payload_never_runs(tmp_path) -> None:
    marker = tmp_path / "ran"
    error_of(f"!!python/object/apply:os.system ['touch {marker}']\n")
    assert not marker.exists()


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "empty"),
        ("# only a comment\n", "empty"),
        ("- a\n- b\n", "got list"),
        ("42\n", "got int"),
        ("a: 1\n---\nb: 2\n", "more than one YAML document"),
    ],
)
def test_a_document_must_be_one_mapping(text: str, needle: str) -> None:
    (diagnostic,) = error_of(text).diagnostics
    assert diagnostic.code == "E103"
    assert needle in diagnostic.message


@pytest.mark.parametrize(
    "text",
    [
        "a:\n\tb: 1\n",
        "a: [1, 2\n",
        "a: b: c\n",
        b"a: \xff\xfe\n",
        b"a: 1\x00\n",
        "a: *missing\n",
        "a: " + "9" * 5000 + "\n",
        "[" * 100_000,
        "{a: " * 2000,
        "<<: {a: 1}\n",
    ],
)
def test_malformed_input_gives_a_located_spec_error(text: str | bytes) -> None:
    error = error_of(text)
    assert error.diagnostics
    for diagnostic in error.diagnostics:
        assert diagnostic.span is not None and diagnostic.span.line >= 1
        assert len(diagnostic.message) < 300


def test_alias_bomb_is_stopped_by_the_node_budget() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 25)]
    (diagnostic,) = error_of("\n".join(lines) + "\n").diagnostics
    assert "more than 100000 nodes" in diagnostic.message


def test_file_size_is_checked_before_parsing() -> None:
    (diagnostic,) = error_of("a: 1\n" * 100, max_bytes=64).diagnostics
    assert "larger than 64 bytes" in diagnostic.message


def test_yaml_values_keep_their_types() -> None:
    data, _ = load_text("a: 1\nb: 1.5\nc: true\nd: null\ne: '7'\n")
    assert data == {"a": 1, "b": 1.5, "c": True, "d": None, "e": "7"}


def test_unreadable_file_is_a_spec_error(tmp_path) -> None:
    with pytest.raises(SpecError) as caught:
        load_file(tmp_path / "nope.yaml")
    assert "cannot read" in caught.value.diagnostics[0].message
