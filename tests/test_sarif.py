"""validate --format sarif: a SARIF 2.1.0 log that GitHub code scanning accepts.

The log is checked against the parts of the SARIF 2.1.0 JSON Schema (OASIS,
draft-07) that it uses, written out here from the standard's definitions: the
top-level object, run, tool and toolComponent, reportingDescriptor (a rule),
result, message, location, physicalLocation, artifactLocation and region, with
their required properties, enumerations and minimums.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from archspec.cli import main
from archspec.codes import CODES

MESSAGE = {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}
SARIF_2_1_0 = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "required": ["version", "runs"],
    "properties": {
        "$schema": {"type": "string", "format": "uri"},
        "version": {"enum": ["2.1.0"]},
        "runs": {"type": ["array", "null"], "items": {"$ref": "#/definitions/run"}},
    },
    "definitions": {
        "run": {
            "type": "object",
            "required": ["tool"],
            "properties": {
                "tool": {
                    "type": "object",
                    "required": ["driver"],
                    "properties": {"driver": {"$ref": "#/definitions/toolComponent"}},
                },
                "results": {"type": ["array", "null"], "items": {"$ref": "#/definitions/result"}},
            },
        },
        "toolComponent": {
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string"},
                "version": {"type": "string"},
                "rules": {
                    "type": "array",
                    "uniqueItems": True,
                    "items": {"$ref": "#/definitions/reportingDescriptor"},
                },
            },
        },
        "reportingDescriptor": {
            "type": "object",
            "required": ["id"],
            "properties": {
                "id": {"type": "string"},
                "shortDescription": MESSAGE,
                "help": MESSAGE,
                "defaultConfiguration": {
                    "type": "object",
                    "properties": {"level": {"enum": ["none", "note", "warning", "error"]}},
                },
            },
        },
        "result": {
            "type": "object",
            "required": ["message"],
            "properties": {
                "ruleId": {"type": "string"},
                "ruleIndex": {"type": "integer", "minimum": -1},
                "level": {"enum": ["none", "note", "warning", "error"]},
                "message": MESSAGE,
                "locations": {"type": "array", "items": {"$ref": "#/definitions/location"}},
            },
        },
        "location": {
            "type": "object",
            "properties": {
                "physicalLocation": {
                    "type": "object",
                    "properties": {
                        "artifactLocation": {
                            "type": "object",
                            "properties": {"uri": {"type": "string", "format": "uri-reference"}},
                        },
                        "region": {
                            "type": "object",
                            "properties": {
                                "startLine": {"type": "integer", "minimum": 1},
                                "startColumn": {"type": "integer", "minimum": 1},
                            },
                        },
                    },
                }
            },
        },
    },
}


def sarif(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *files: str
) -> tuple[int, dict, str]:
    monkeypatch.chdir(tmp_path)
    code = main(["validate", "--format", "sarif", *files])
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def test_a_log_with_every_problem_located(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "bad.yaml").write_text(
        "archspec: 1\nname: n\ninput: [3, 8, 8]\nlayers:\n  - conv: {out_channels: 4, kernel_sise: 3}\n  - rellu\n"
    )
    (tmp_path / "good.yaml").write_text("archspec: 1\nname: g\ninput: [3, 8, 8]\nlayers: [relu]\n")
    code, log, err = sarif(tmp_path, monkeypatch, capsys, "specs/bad.yaml", "good.yaml")
    assert code == 1 and err == "2 files checked: 3 errors in 1 file\n"
    jsonschema.validate(log, SARIF_2_1_0, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    (run,) = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == sorted(CODES)
    found = [
        (
            r["ruleId"],
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
        )
        for r in run["results"]
    ]
    assert found == [
        ("E202", "specs/bad.yaml", 5),
        ("E201", "specs/bad.yaml", 5),
        ("E203", "specs/bad.yaml", 6),
    ]
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in run["results"])
    assert "did you mean 'kernel_size'?" in run["results"][1]["message"]["text"]


def test_a_valid_file_gives_a_log_with_no_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "good.yaml").write_text("archspec: 1\nname: g\ninput: [3, 8, 8]\nlayers: [relu]\n")
    code, log, _ = sarif(tmp_path, monkeypatch, capsys, "good.yaml")
    assert code == 0 and log["runs"][0]["results"] == []
    jsonschema.validate(log, SARIF_2_1_0)


def test_the_schema_check_is_not_vacuous() -> None:
    broken = {"version": "2.0.0", "runs": [{"tool": {"driver": {}}, "results": [{"level": "fatal"}]}]}
    errors = list(jsonschema.Draft7Validator(SARIF_2_1_0).iter_errors(broken))
    assert len(errors) >= 3  # the version, the driver's name, the result's message and level
