"""Helpers of the summary-compile tests (test_summary, test_tails, test_memberlayers): a
family member, and its figures from the full compile and from a summary compile."""

from __future__ import annotations

from dataclasses import replace

import archspec
from archspec.compiler.reuse import Reuse
from archspec.compiler.summary import compile_summary
from archspec.diagnostics import SpecError
from archspec.limits import Limits
from archspec.report import totals


def member(spec: archspec.Spec, values: dict) -> archspec.Spec:
    """The family ``spec`` with ``values`` bound."""
    assert spec.family is not None
    return replace(spec, arguments=spec.family.bind(values))


def full(spec: archspec.Spec, limits: Limits | None = None) -> tuple | None:
    """The figures of the full compile, as the report gives them; None where it fails."""
    try:
        graph = archspec.compile(spec, limits=limits)
    except SpecError:
        return None
    sums = totals(graph)
    return sums["params"], sums["macs"], sums["activation_bytes"], dict(graph.returns)


def summarized(spec: archspec.Spec, reuse: Reuse, limits: Limits | None = None) -> tuple | None:
    """The same figures from a summary compile with ``reuse``; None where it gives none."""
    summary = compile_summary(spec, None, limits, reuse)
    if summary is None:
        return None
    sums = summary.totals
    return sums.params, sums.macs, sums.activation_bytes, summary.returns
