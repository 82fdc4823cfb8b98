"""Diagnostics as a SARIF 2.1.0 log, the format GitHub code scanning reads.

``archspec validate --format sarif`` prints one log with one run: the tool
(archspec, its version, and a rule for each code in the catalogue, with the
code's summary and where docs/errors.md explains it), and a result per
diagnostic, located in its file (a path relative to the current directory where
it is below it, as code scanning expects), line and column. A diagnostic with no
place is a result with no location.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from archspec.codes import CODES
from archspec.diagnostics import Diagnostic, json_text

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
VERSION = "2.1.0"


def sarif_log(diagnostics: Iterable[Diagnostic], version: str) -> dict[str, Any]:
    items = list(diagnostics)
    codes = sorted(CODES)
    return {
        "$schema": SCHEMA,
        "version": VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "archspec",
                        "version": version,
                        "rules": [_rule(code) for code in codes],
                    }
                },
                "results": [_result(d, codes.index(d.code) if d.code in CODES else None) for d in items],
            }
        ],
    }


def _rule(code: str) -> dict[str, Any]:
    return {
        "id": code,
        "shortDescription": {"text": CODES[code]},
        "help": {"text": f"docs/errors.md, section {code}"},
        "defaultConfiguration": {"level": "error"},
    }


def _result(diagnostic: Diagnostic, rule_index: int | None) -> dict[str, Any]:
    text = f"layer {diagnostic.path}: {diagnostic.message}" if diagnostic.path else diagnostic.message
    if diagnostic.hint:
        text += f"\nhint: {diagnostic.hint}"
    result: dict[str, Any] = {"ruleId": str(diagnostic.code), "level": "error", "message": {"text": text}}
    if rule_index is not None:
        result["ruleIndex"] = rule_index
    if diagnostic.span is not None:
        span = diagnostic.span
        result["locations"] = [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": _uri(span.file)},
                    "region": {"startLine": max(span.line, 1), "startColumn": max(span.column, 1)},
                }
            }
        ]
    return result


def _uri(file: str) -> str:
    """A relative path with '/' for a file below the current directory; else the path as given."""
    try:
        relative = os.path.relpath(file)
    except ValueError:  # another drive (Windows)
        return file.replace(os.sep, "/")
    if relative.startswith(".."):
        return file.replace(os.sep, "/")
    return relative.replace(os.sep, "/")


def render_sarif(diagnostics: Iterable[Diagnostic], version: str) -> str:
    return json_text(sarif_log(diagnostics, version), indent=2) + "\n"
