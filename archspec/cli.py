"""The command line: ``archspec compile``, ``validate``, ``check``, ``schema``, ``diagram``,
``primitives``, ``lsp`` (archspec/lsp/), ``weights`` and ``diff`` (archspec/weights/commands.py),
``sweep`` (archspec/sweep/command.py) and ``import`` (archspec/importer/command.py); the
options several commands share and the argparse types are in archspec/cliargs.py.

``main(argv)`` parses and calls ``run(args, stdout, stderr) -> exit code``:
0 ok, 1 invalid spec (or, for check, a disagreement), 2 usage error (diff: 0
equal, 1 different, 2 any error). Only ``check``, ``weights``, ``diff`` and ``import``
import torch. Diagnostics are rendered by :mod:`archspec.render`, the compile report by
:mod:`archspec.report`.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from typing import TYPE_CHECKING, TextIO

# Each command imports what it needs when it runs (in the function that runs it), so
# that ``archspec validate`` starts without the report, the writer or the emitters.
from archspec import compile as compile_graph
from archspec import load as load_spec
from archspec import validate as validate_file
from archspec.cliargs import (
    UsageError,
    _add_config,
    _add_lib,
    _add_plugins,
    _columns,
    _compiling_options,
    _count,
    parse_input,
    parse_inputs,
    parse_libraries,
)
from archspec.diagnostics import FORMATS as DIAGNOSTIC_FORMATS
from archspec.diagnostics import SpecError, json_text
from archspec.importer import command as import_command
from archspec.sweep.command import SweepUsageError, add_command, run_command
from archspec.weights.commands import add_diff_command, add_weights_command, run_diff, run_weights

if TYPE_CHECKING:
    from archspec.compiler.graph import Graph

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2
EXIT_BROKEN_PIPE = 128 + 13  # killed by SIGPIPE, as a shell reports it
# compile's --format: the report's form (text, json, markdown), which also sets the
# form of errors (text, json; markdown: text); github: a text report, errors as annotations.
COMPILE_FORMATS = ("text", "json", "markdown", "github")
VALIDATE_FORMATS = (*DIAGNOSTIC_FORMATS, "sarif")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="archspec", description="A declarative architecture-spec compiler for PyTorch."
    )
    from archspec import __version__

    parser.add_argument("--version", action="version", version=f"archspec {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    compile_cmd = commands.add_parser(
        "compile", help="infer every shape and print the layer table with parameters"
    )
    compile_cmd.add_argument("spec", help="the spec file (YAML)")
    compile_cmd.add_argument(
        "--input",
        metavar="DIMS",
        action="append",
        help="override the input dims after the batch: 1x96x96, 1xHxW or 1,H,W; for a spec with "
        "several inputs, NAME=DIMS once per input",
    )
    compile_cmd.add_argument(
        "--depth", type=_count, metavar="D", help="show layers nested at most D levels deep (0: top level)"
    )
    compile_cmd.add_argument(
        "--columns",
        type=_columns,
        metavar="N",
        help="fit the text table in N columns: shapes and formulas wrap within their cells",
    )
    compile_cmd.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="also write the network as standalone PyTorch source (needs only torch) to FILE",
    )
    compile_cmd.add_argument(
        "--format",
        choices=COMPILE_FORMATS,
        default=None,
        help="the report as a text table, JSON or Markdown; errors as text, JSON or GitHub "
        "annotations (github: a text report, errors as annotations)",
    )
    _add_lib(compile_cmd)
    _add_plugins(compile_cmd)
    _add_config(compile_cmd)
    validate_cmd = commands.add_parser("validate", help="check spec files without importing torch")
    validate_cmd.add_argument("specs", nargs="+", metavar="SPEC", help="spec files (YAML)")
    validate_cmd.add_argument(
        "--format",
        choices=VALIDATE_FORMATS,
        default=None,
        help="errors as text (with the source line), a JSON list, GitHub Actions annotations, or a SARIF "
        "2.1.0 log (GitHub code scanning)",
    )
    _add_lib(validate_cmd)
    _add_plugins(validate_cmd)
    _add_config(validate_cmd)
    check_cmd = commands.add_parser(
        "check", help="run the real module (needs torch) and compare every layer's shape"
    )
    check_cmd.add_argument("spec", help="the spec file (YAML)")
    check_cmd.add_argument(
        "--sizes",
        metavar="DIMS",
        nargs="+",
        help="input dims to run at, e.g. 1x64x64 1x97x80 (default: the spec's input, the smallest "
        "valid size and a few random valid sizes)",
    )
    check_cmd.add_argument(
        "--samples", type=_count, default=3, help="how many distinct random valid sizes (3)"
    )
    _add_lib(check_cmd)
    _add_plugins(check_cmd)
    _add_config(check_cmd)
    schema_cmd = commands.add_parser("schema", help="print the JSON Schema of spec files (for editors)")
    schema_cmd.add_argument("-o", "--output", metavar="FILE", help="write it to FILE instead")
    _add_plugins(schema_cmd)
    diagram_cmd = commands.add_parser(
        "diagram", help="draw the network as a Mermaid or Graphviz (dot) diagram, without torch"
    )
    diagram_cmd.add_argument("spec", help="the spec file (YAML)")
    diagram_cmd.add_argument(
        "--format", choices=("mermaid", "dot"), default="mermaid", help="the diagram language (mermaid)"
    )
    diagram_cmd.add_argument(
        "--input",
        metavar="DIMS",
        action="append",
        help="override the input dims after the batch, as for compile",
    )
    diagram_cmd.add_argument(
        "--depth", type=_count, metavar="D", help="draw groups and blocks nested deeper than D as one box"
    )
    _add_lib(diagram_cmd)
    _add_plugins(diagram_cmd)
    _add_config(diagram_cmd)
    from archspec.lsp.command import add_arguments as add_lsp_arguments

    lsp_cmd = commands.add_parser(
        "lsp", help="run the language server over stdio (diagnostics, shapes, hover, completion)"
    )
    add_lsp_arguments(lsp_cmd)
    _add_lib(lsp_cmd)
    _add_plugins(lsp_cmd)
    _add_config(lsp_cmd)
    primitives_cmd = commands.add_parser(
        "primitives", help="list every primitive with the package it comes from, and broken plugins"
    )
    primitives_cmd.add_argument(
        "--format", choices=("text", "markdown"), default="text", help="a table, or reference-style Markdown"
    )
    _add_plugins(primitives_cmd)
    add_command(commands, _compiling_options, _count)
    _add_lib(add_weights_command(commands))
    _add_lib(add_diff_command(commands))
    import_command.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:  # argparse prints its own usage message
        return EXIT_OK if exit_.code == 0 else EXIT_USAGE
    try:
        # No stdout or stderr at all (``1>&-``): the output has nowhere to go.
        return run(args, sys.stdout or io.StringIO(), sys.stderr or io.StringIO())
    except BrokenPipeError:
        # The reader left (``archspec schema | head``): stop quietly, as Unix tools do.
        # stdout now points at devnull, so the flush at exit has nowhere to fail.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):  # stdout is no file (a test's capture)
            pass
        return EXIT_BROKEN_PIPE


def run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    try:
        if not _settings(args, stderr):
            return EXIT_USAGE
        if args.command == "compile":
            return _compile(args, stdout, stderr)
        if args.command == "schema":
            return _schema(args, stdout, stderr)
        if args.command == "check":
            return _check(args, stdout, stderr)
        if args.command == "diagram":
            return _diagram(args, stdout, stderr)
        if args.command == "lsp":
            return _lsp(args)
        if args.command == "primitives":
            return _primitives(args, stdout)
        if args.command == "sweep":
            return _sweep(args, stdout, stderr)
        if args.command == "weights":
            return run_weights(args, parse_libraries(args.lib), stdout, stderr)
        if args.command == "diff":
            return run_diff(args, parse_libraries(args.lib), stdout, stderr)
        if args.command == "import":
            return import_command.run(args, stdout, stderr)
        return _validate(args, stdout, stderr)
    except UsageError as error:
        print(f"archspec: error: {error}", file=stderr)
        return EXIT_USAGE


def _settings(args: argparse.Namespace, stderr: TextIO) -> bool:
    """The [tool.archspec] table and the options, onto ``args`` (archspec/cliconfig.py);
    False after printing a wrong setting of the table."""
    from archspec.cliconfig import apply

    choices = {"compile": COMPILE_FORMATS, "validate": VALIDATE_FORMATS}.get(args.command, ())
    try:
        apply(args, parse_libraries(getattr(args, "lib", None)), choices)
    except SpecError as error:
        _report(error, stderr)
        return False
    except ValueError as error:
        raise UsageError(str(error)) from None
    return True


def _compile(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from archspec.output import input_files
    from archspec.report import report

    dims = parse_inputs(args.input)
    try:
        graph = compile_graph(
            args.spec, dims, limits=args.limits, libraries=args.libraries, plugins=args.plugins
        )
        source = _source(graph) if args.output is not None else None
    except SpecError as error:
        _report(error, stderr, args.format, stdout)
        return EXIT_INVALID
    if source is not None:
        _write(args.output, source, input_files(graph))
    text_format = "text" if args.format == "github" else args.format
    stdout.write(report(graph, text_format, args.depth, getattr(args, "columns", None)))
    return EXIT_OK


def _source(graph: Graph) -> str:
    from archspec.emit.source import emit_source

    return emit_source(graph)


def _write(path: str, text: str, inputs: set[str] | None = None) -> None:
    """Write a whole file, or nothing (see archspec.output); a refusal is a usage error."""
    from archspec.output import OutputError, write_output

    try:
        write_output(path, text, inputs or ())
    except OutputError as error:
        raise UsageError(str(error)) from None


def _validate(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    """Every file, every problem; then one summary line. With ``--format json``
    (``sarif``) stdout is the JSON list (the SARIF log) alone and the summary goes to stderr."""
    fmt = getattr(args, "format", "text")
    whole = fmt in ("json", "sarif")  # one document over all files
    errors = failed = 0
    found = []  # for json and sarif: one list over all files
    for path in args.specs:
        try:
            validate_file(path, limits=args.limits, libraries=args.libraries, plugins=args.plugins)
        except SpecError as error:
            if whole:
                found += error.diagnostics
            else:
                _report(error, stderr, fmt, stdout)
            errors += len(error.diagnostics)
            failed += 1
    if fmt == "json":
        from archspec.render import render as render_diagnostics

        stdout.write(render_diagnostics(found, "json"))
    elif fmt == "sarif":
        from archspec import __version__
        from archspec.sarif import render_sarif

        stdout.write(render_sarif(found, __version__))
    files = len(args.specs)
    found_text = f"{errors} error{'s' * (errors != 1)} in {failed} file{'s' * (failed != 1)}"
    print(
        f"{files} file{'s' * (files != 1)} checked: " + (found_text if errors else "all valid"),
        file=stderr if whole else stdout,
    )
    return EXIT_INVALID if errors else EXIT_OK


def _check(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    sizes = [tuple(parse_input(text)) for text in args.sizes or []]
    if any(not isinstance(d, int) for dims in sizes for d in dims):
        raise UsageError("--sizes takes concrete dims, e.g. 1x64x64")
    try:
        from archspec.check import check_spec, format_runs
    except ImportError as error:
        raise UsageError(f"archspec check runs PyTorch, which cannot be imported: {error}") from None
    try:
        spec = load_spec(args.spec, args.limits, libraries=args.libraries, plugins=args.plugins)
        runs = check_spec(spec, sizes, samples=args.samples)  # type: ignore[arg-type]
    except SpecError as error:
        _report(error, stderr)
        return EXIT_INVALID
    except ValueError as error:
        raise UsageError(str(error)) from None
    stdout.write(format_runs(runs))
    return EXIT_OK if all(run.ok for run in runs) else EXIT_INVALID


def _schema(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from archspec.emit.jsonschema import spec_json_schema
    from archspec.primitives.plugins import load_plugins

    if args.plugins:  # the schema lists the plugins' primitives too
        load_plugins()
    text = json_text(spec_json_schema(), indent=2) + "\n"
    if args.output is None:
        stdout.write(text)
        return EXIT_OK
    _write(args.output, text)
    return EXIT_OK


def _diagram(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from archspec.emit.diagram import diagram

    dims = parse_inputs(args.input)
    try:
        graph = compile_graph(
            args.spec, dims, limits=args.limits, libraries=args.libraries, plugins=args.plugins
        )
    except SpecError as error:
        _report(error, stderr)
        return EXIT_INVALID
    stdout.write(diagram(graph, args.format, args.depth))
    return EXIT_OK


def _primitives(args: argparse.Namespace, stdout: TextIO) -> int:
    """Exit 1 when a plugin is broken, so that CI notices."""
    from archspec.docs import primitives_listing
    from archspec.primitives.plugins import load_plugins

    stdout.write(primitives_listing(args.format, plugins=args.plugins))
    return EXIT_INVALID if args.plugins and load_plugins().broken else EXIT_OK


def _lsp(args: argparse.Namespace) -> int:
    from archspec.lsp.command import MissingServer, start

    try:
        start(args)
    except MissingServer as error:
        raise UsageError(str(error)) from None
    return EXIT_OK


def _sweep(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    try:
        return run_command(args, parse_inputs(args.input), stdout, stderr)
    except SweepUsageError as error:
        raise UsageError(str(error)) from None
    except SpecError as error:
        _report(error, stderr)
        return EXIT_INVALID


def _report(error: SpecError, stream: TextIO, format: str = "text", out: TextIO | None = None) -> None:
    """Print a SpecError's diagnostics: text to ``stream`` (stderr), JSON and
    GitHub annotations to ``out`` (stdout), where programs and Actions read them."""
    from archspec.render import render as render_diagnostics

    target = stream if format in ("text", "markdown") or out is None else out
    target.write(render_diagnostics(error.diagnostics, "text" if format == "markdown" else format))
