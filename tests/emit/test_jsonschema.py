"""The JSON Schema for editors: valid draft 2020-12, in sync, accepts every spec."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from archspec.cli import main
from archspec.emit.jsonschema import spec_json_schema

# Block files (under a blocks/ folder, e.g. specs/torchvision/blocks/) hold only `blocks:`
# and `imports:`: they are not specs, so this schema does not describe them.
SPECS = sorted(p for p in Path("specs").rglob("*.yaml") if "blocks" not in p.parent.parts)


def test_schema_is_valid_draft_2020_12() -> None:
    jsonschema.Draft202012Validator.check_schema(spec_json_schema())


def test_committed_schema_is_in_sync(tmp_path) -> None:
    target = tmp_path / "schema.json"
    assert main(["schema", "-o", str(target)]) == 0
    assert target.read_text() == Path("archspec.schema.json").read_text(), (
        "run: archspec schema -o archspec.schema.json"
    )


@pytest.mark.parametrize("path", SPECS, ids=str)
def test_every_spec_validates_and_points_at_the_schema(path: Path) -> None:
    validator = jsonschema.Draft202012Validator(spec_json_schema())
    assert list(validator.iter_errors(yaml.safe_load(path.read_text()))) == []
    first = path.read_text().splitlines()[0]
    relative = Path("archspec.schema.json").resolve().relative_to(Path.cwd().resolve())
    up = "../" * (len(path.parts) - 1)
    assert first == f"# yaml-language-server: $schema={up}{relative}"


def test_schema_rejects_what_the_models_reject() -> None:
    validator = jsonschema.Draft202012Validator(spec_json_schema())
    bad = {"name": "x", "input": [1], "layers": ["relux", {"conv": {"out_channels": 3}}]}
    assert len(list(validator.iter_errors(bad))) == 2


def test_every_primitive_field_has_a_description() -> None:
    schema = spec_json_schema()
    for name, definition in schema["$defs"].items():
        for field, info in definition.get("properties", {}).items():
            assert info.get("description"), f"{name}.{field} has no description"
    json.dumps(schema)  # serializable
