"""Scalars: what the loader makes of each is what PyYAML's safe loader makes of it (the
oracle), wherever the loader does not refuse it; the refusals are in test_loader.py."""

from __future__ import annotations

import pytest
import yaml

from archspec.frontend.loader import load_text

ORDINARY = [
    "0",
    "7",
    "-7",
    "+7",
    "1_000",
    "0x1f",
    "0b101",
    "9223372036854775807",
    "1.5",
    "-2.5e-3",
    "1e3",
    "true",
    "False",
    "TRUE",
    "yes",
    "No",
    "on",
    "OFF",
    "~",
    "null",
    "Null",
    "",
    "text",
    "'7'",
    '"true"',
    "=2 * width",
    "y",
    "n",
]


@pytest.mark.parametrize("scalar", ORDINARY)
def test_a_scalar_has_the_value_and_type_pyyaml_gives_it(scalar: str) -> None:
    for text in (f"k: {scalar}\n", f"k: [{scalar}]\n"):
        data, _ = load_text(text, "s.yaml")
        expected = yaml.safe_load(text)
        assert data == expected
        value, wanted = data["k"], expected["k"]
        if isinstance(wanted, list) and wanted:  # "[]" is an empty list: nothing more to type
            value, wanted = value[0], wanted[0]
        assert type(value) is type(wanted), (text, value, wanted)


def test_a_key_is_read_as_a_value_is() -> None:
    data, source = load_text("'7': 1\ntext: 2\n", "s.yaml")
    assert data == {"7": 1, "text": 2} and source.keys[("text",)] == (2, 1)
