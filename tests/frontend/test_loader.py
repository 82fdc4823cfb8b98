"""The loader: source map, duplicate keys, tags, non-mappings, YAML 1.1 surprises,
characters and budgets; only SpecError escapes."""

from __future__ import annotations

import gc
import os
import threading
from pathlib import Path

import pytest

from archspec.diagnostics import SpecError
from archspec.frontend.loader import _Composer, load_file, load_text
from archspec.limits import Limits


def error_of(text: str | bytes, **limits: int) -> SpecError:
    with pytest.raises(SpecError) as caught:
        load_text(text, "spec.yaml", Limits(**limits) if limits else None)
    return caught.value


def test_source_map_keeps_line_and_column_of_keys_and_values() -> None:
    data, source = load_text("name: x\nlayers:\n  - conv: {out_channels: 8}\n", "spec.yaml")
    assert data == {"name": "x", "layers": [{"conv": {"out_channels": 8}}]}
    value = source.span(("layers", 0, "conv", "out_channels"))
    assert (value.file, value.line, value.column) == ("spec.yaml", 3, 26)
    key = source.span(("layers", 0, "conv", "out_channels"), key=True)
    assert (key.line, key.column) == (3, 12)


def test_the_source_map_holds_positions_that_the_collector_stops_tracking() -> None:
    """A (line, column) pair per key and value, not a Span object: a 10,000-layer spec
    has ~50,000 of them, which every full collection would otherwise scan."""
    _, source = load_text("name: x\nlayers:\n  - conv: {out_channels: 8, bias: true}\n", "spec.yaml")
    positions = [*source.values.values(), *source.keys.values()]
    assert positions and all(type(p) is tuple and len(p) == 2 for p in positions)
    gc.collect()
    assert not any(gc.is_tracked(p) for p in positions)


def test_the_loader_keeps_no_yaml_node_after_reading_a_value() -> None:
    """PyYAML's constructor caches every node it made; the composer empties the cache after
    each scalar, so that no node (nor its two marks) lives as long as the load."""
    text = "name: x\ninput: [3, 8, 8]\nlayers:\n" + "  - conv: {out_channels: 8, bias: false}\n" * 50
    composer = _Composer("spec.yaml", Limits())
    composer.document(text)
    assert composer.constructor.constructed_objects == {}


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
    assert diagnostic.code == "E401"
    assert "more than 100,000 YAML nodes" in diagnostic.message


def test_an_alias_counts_its_whole_subtree_at_every_use() -> None:
    text = "a: &a [1, 2, 3]\nb: [*a, *a]\n"
    # the mapping, 2 keys, [1, 2, 3] (4 nodes), the list of b, and 4 nodes per alias
    load_text(text, "spec.yaml", Limits(max_nodes=16))
    assert error_of(text, max_nodes=15).diagnostics[0].code == "E401"


def test_file_size_is_checked_before_parsing() -> None:
    (diagnostic,) = error_of("a: 1\n" * 100, max_bytes=64).diagnostics
    assert diagnostic.code == "E400"
    assert "larger than 64 bytes" in diagnostic.message


def test_file_size_counts_utf8_bytes_of_text() -> None:
    assert error_of("a: " + "é" * 40 + "\n", max_bytes=64).diagnostics[0].code == "E400"


def test_nesting_depth_is_bounded() -> None:
    # the top-level mapping is level 0
    load_text("a: " + "[" * 4 + "]" * 4 + "\n", "spec.yaml", Limits(max_depth=4))
    (diagnostic,) = error_of("a: " + "[" * 5 + "]" * 5 + "\n", max_depth=4).diagnostics
    assert diagnostic.code == "E402"
    assert "deeper than 4 levels" in diagnostic.message


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("a: &a [*a]\n", "recursive alias"),
        ("a: &a {b: [1, *a]}\n", "recursive alias"),
        ("a: *a\nb: &a 1\n", "no anchor &a before it"),
    ],
)
def test_recursive_and_dangling_aliases_are_errors(text: str, needle: str) -> None:
    (diagnostic,) = error_of(text).diagnostics
    assert diagnostic.code == "E100"
    assert needle in diagnostic.message


def test_an_alias_names_the_latest_complete_anchor() -> None:
    data, _ = load_text("a: &x [&x [1], *x]\nb: *x\n")
    assert data == {"a": [[1], [1]], "b": [[1], [1]]}


@pytest.mark.parametrize(
    ("text", "reading", "fix"),
    [
        ("a: 012\n", "'012' as an octal number", "write 12"),
        ("a: [-012]\n", "'-012' as an octal number", "write -12"),
        ("a: 1:2\n", "'1:2' as a base-60 number", "quote it ('1:2')"),
        ("a: 190:20:30.5\n", "as a base-60 number", "in decimal"),
        ("a: 2001-12-14\n", "'2001-12-14' as a date", "quote it"),
    ],
)
def test_yaml_11_surprises_are_refused_with_a_hint_to_quote(text: str, reading: str, fix: str) -> None:
    (diagnostic,) = error_of(text).diagnostics
    assert diagnostic.code == "E104"
    assert reading in diagnostic.message
    assert fix in diagnostic.hint
    assert (diagnostic.span.line, diagnostic.span.column) == (1, 4 if "[" not in text else 5)


def test_values_that_read_as_they_look_are_kept() -> None:
    text = "a: 0\nb: 1_000\nc: 0x10\nd: 0b101\ne: '012'\nf: '1:2'\ng: 1:60\nh: =\ni: <<\nj: +12\n"
    data, _ = load_text(text)
    assert data == {
        "a": 0, "b": 1000, "c": 16, "d": 5, "e": "012", "f": "1:2", "g": "1:60", "h": "=", "i": "<<", "j": 12,
    }  # fmt: skip


def test_yes_and_off_stay_booleans_and_keep_their_text_for_the_hint() -> None:
    data, source = load_text("a: yes\nb: [Off, true]\n")
    assert data == {"a": True, "b": [False, True]}
    assert source.readings == {("a",): "yes", ("b", 0): "Off"}


@pytest.mark.parametrize(
    ("text", "reading"),
    [
        ("yes: 1\n", "reads 'yes' as a boolean"),
        ("a: {on: 1}\n", "reads 'on' as a boolean"),
        ("1: x\n", "reads '1' as an integer"),
        ("~: x\n", "reads '~' as null"),
        ("1.5: x\n", "reads '1.5' as a number"),
    ],
)
def test_keys_must_be_strings(text: str, reading: str) -> None:
    (diagnostic,) = error_of(text).diagnostics
    assert diagnostic.code == "E105"
    assert reading in diagnostic.message
    assert diagnostic.hint.startswith("quote it")


@pytest.mark.parametrize("text", ["[a]: 1\n", "? {a: 1}\n: 2\n", "a: &k x\n*k : 1\n"])
def test_keys_must_be_plain_scalars(text: str) -> None:
    assert error_of(text).diagnostics[0].code == "E105"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("a: .nan\n", "'.nan' is not a finite number"),
        ("a: [-.inf]\n", "'-.inf' is not a finite number"),
        ("a: 1.0e+999\n", "'1.0e+999' is not a finite number"),
        ("a: 9223372036854775808\n", "the integer '9223372036854775808' is out of range"),
        ("a: -0x8000000000000001\n", "is out of range"),
        ("a: 0b" + "1" * 20_000 + "\n", "(20004 chars) is out of range"),
        ("a: " + "7" * 5_000 + "\n", "(5002 chars) is out of range"),
    ],
)
def test_non_finite_and_out_of_range_numbers_are_refused(text: str, needle: str) -> None:
    (diagnostic,) = error_of(text).diagnostics
    assert diagnostic.code == "E200"
    assert needle in diagnostic.message
    assert len(diagnostic.message) < 120


def test_the_largest_int64_is_read() -> None:
    assert load_text("a: 9223372036854775807\n")[0] == {"a": (1 << 63) - 1}


@pytest.mark.parametrize(
    ("text", "escape", "where"),
    [
        ("a: 1\x00\n", "'\\x00' (U+0000)", (1, 5)),
        ("a: 1\nb: '\x1b[31m'\n", "'\\x1b'", (2, 5)),
        ("a: b\u202ec\n", "'\\u202e' (U+202E RIGHT-TO-LEFT OVERRIDE)", (1, 5)),
        ("# \u2066 in a comment\na: 1\n", "'\\u2066' (U+2066 LEFT-TO-RIGHT ISOLATE)", (1, 3)),
        ("a: \ud800\n", "'\\ud800'", (1, 4)),
    ],
)
def test_control_and_bidi_characters_are_refused_and_shown_escaped(
    text: str, escape: str, where: tuple[int, int]
) -> None:
    (diagnostic,) = error_of(text).diagnostics
    assert diagnostic.code == "E106"
    assert escape in diagnostic.message
    assert diagnostic.message.isascii() and diagnostic.message.isprintable()
    assert (diagnostic.span.line, diagnostic.span.column) == where


def test_invalid_utf8_names_its_line_and_column() -> None:
    (diagnostic,) = error_of(b"a: 1\nbb: \xc3\x28\n").diagnostics
    assert diagnostic.code == "E100"
    assert (diagnostic.span.line, diagnostic.span.column) == (2, 5)


def test_limits_are_positive_ints_and_strict_is_tighter() -> None:
    with pytest.raises(ValueError, match="max_nodes"):
        Limits(max_nodes=0)
    with pytest.raises(ValueError, match="max_bytes"):
        Limits(max_bytes=True)
    strict, default = Limits.strict(), Limits()
    for name in ("max_bytes", "max_nodes", "max_depth", "max_layers", "max_params", "max_activation"):
        assert getattr(strict, name) < getattr(default, name), name


def test_a_huge_file_is_read_only_up_to_the_budget(tmp_path: Path) -> None:
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as handle:  # sparse: 1 GiB long, no disk used
        handle.truncate(1 << 30)
    with pytest.raises(SpecError) as caught:
        load_file(huge, Limits(max_bytes=1 << 16))
    assert caught.value.diagnostics[0].code == "E400"


def test_yaml_values_keep_their_types() -> None:
    data, _ = load_text("a: 1\nb: 1.5\nc: true\nd: null\ne: '7'\n")
    assert data == {"a": 1, "b": 1.5, "c": True, "d": None, "e": "7"}


def test_unreadable_file_is_a_spec_error(tmp_path) -> None:
    with pytest.raises(SpecError) as caught:
        load_file(tmp_path / "nope.yaml")
    assert "cannot read" in caught.value.diagnostics[0].message


def read_error(path: str | Path) -> str:
    """The one E100 message of load_file(path), located at 1:1 of the path as given."""
    with pytest.raises(SpecError) as caught:
        load_file(path)
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.code == "E100"
    assert (diagnostic.span.file, diagnostic.span.line, diagnostic.span.column) == (str(path), 1, 1)
    return diagnostic.message


def test_paths_that_cannot_be_read_are_located_e100s(tmp_path: Path) -> None:
    os.symlink("b", tmp_path / "a")
    os.symlink("a", tmp_path / "b")
    assert read_error(tmp_path / "nope.yaml") == "cannot read the file: no such file"
    assert read_error(tmp_path) == "cannot read the file: not a regular file (a directory)"
    assert read_error(tmp_path / "a") == "cannot read the file: a loop of symbolic links"
    assert read_error(str(tmp_path / ("x" * 300))) == "cannot read the file: file name too long"
    assert read_error(f"{tmp_path}/a\0b.yaml") == "cannot read the file: the path holds a NUL character"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs os.mkfifo")
def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "spec.yaml"
    os.mkfifo(fifo)
    messages: list[str] = []
    reader = threading.Thread(target=lambda: messages.append(read_error(fifo)), daemon=True)
    reader.start()
    reader.join(timeout=10)  # before the fix, open() waited forever for a writer
    assert messages == ["cannot read the file: not a regular file (a FIFO)"]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file_is_a_located_e100(tmp_path: Path) -> None:
    locked = tmp_path / "locked.yaml"
    locked.write_text("name: n\n")
    locked.chmod(0)
    try:
        assert read_error(locked) == "cannot read the file: permission denied"
    finally:
        locked.chmod(0o600)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"])
def test_utf16_and_utf32_are_named_with_or_without_a_bom(encoding: str) -> None:
    raw = "name: net\ninput: [3, 8, 8]\nlayers: [relu]\n".encode(encoding)
    (diagnostic,) = error_of(raw).diagnostics
    wide = encoding[:6].upper()
    assert diagnostic.code == "E100"
    assert diagnostic.message == f"the file is not UTF-8 (it looks like {wide}); save it as UTF-8"
    assert (diagnostic.span.line, diagnostic.span.column) == (1, 1)


def test_a_stray_nul_in_utf8_is_still_a_located_character_error() -> None:
    (diagnostic,) = error_of(b"name: net\nlayers: [re\x00lu]\n").diagnostics
    assert diagnostic.code == "E106" and (diagnostic.span.line, diagnostic.span.column) == (2, 12)


@pytest.mark.parametrize(
    ("text", "escape", "where"),
    [
        ('description: "x\\u202ey"\n', "'\\u202e'", (1, 14)),
        ('a: 1\nb: "\\e[31m"\n', "'\\x1b'", (2, 4)),
        ('a: "nul \\0 here"\n', "'\\x00'", (1, 4)),
        ('a: "\\x7f"\n', "'\\x7f'", (1, 4)),
        ('a: ["ok", "\\u2066"]\n', "'\\u2066'", (1, 11)),
        ('"key\\e": 1\n', "'\\x1b'", (1, 1)),
        ('a:\n  "\\u202d": 1\n', "'\\u202d'", (2, 3)),
    ],
)
def test_an_escape_cannot_smuggle_a_forbidden_character(
    text: str, escape: str, where: tuple[int, int]
) -> None:
    """E106 applies to decoded strings too: YAML's escapes would otherwise carry them
    into generated source, the terminal and Markdown."""
    assert all(" " <= c <= "~" or c == "\n" for c in text)  # the raw file is clean
    (diagnostic,) = error_of(text).diagnostics
    assert diagnostic.code == "E106"
    assert escape in diagnostic.message and escape in diagnostic.hint
    assert "remove the escape" in diagnostic.hint
    assert diagnostic.message.isascii() and diagnostic.message.isprintable()
    assert (diagnostic.span.line, diagnostic.span.column) == where


@pytest.mark.parametrize("text", ['a: "tab\\there"\n', 'a: "two\\nlines"\n', "a: |\n  two\n  lines\n"])
def test_tabs_and_newlines_in_strings_are_text(text: str) -> None:
    assert isinstance(load_text(text)[0]["a"], str)
