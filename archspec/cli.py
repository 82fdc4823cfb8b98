"""The command line: ``archspec compile``, ``validate``, ``check`` and ``schema``.

``main(argv)`` parses and calls ``run(args, stdout, stderr) -> exit code``:
0 ok, 1 invalid spec (or, for check, a disagreement), 2 usage error. Only
``check`` imports torch.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

from archspec import compile as compile_graph
from archspec.compiler.graph import Graph
from archspec.diagnostics import SpecError
from archspec.schema.spec import load as load_spec
from archspec.shapes.dims import format_dim

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    pass


def parse_input(text: str) -> list[int | str]:
    """``1x96x96``, ``1xHxW`` or ``1,H,W``: ints stay ints, names become symbols."""
    parts = text.split(",") if "," in text else text.split("x")
    dims: list[int | str] = []
    for part in (p.strip() for p in parts):
        if not part:
            raise UsageError(f"--input {text!r}: an empty dim; write e.g. 1x96x96 or 1,H,W")
        dims.append(int(part) if part.isdigit() else part)
    return dims


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="archspec", description="A declarative architecture-spec compiler for PyTorch."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    compile_cmd = commands.add_parser(
        "compile", help="infer every shape and print the layer table with parameters"
    )
    compile_cmd.add_argument("spec", help="the spec file (YAML)")
    compile_cmd.add_argument(
        "--input",
        metavar="DIMS",
        help="override the input dims after the batch: 1x96x96, 1xHxW or 1,H,W",
    )
    compile_cmd.add_argument(
        "--depth", type=int, metavar="D", help="show layers nested at most D levels deep (0: top level)"
    )
    validate_cmd = commands.add_parser("validate", help="check spec files without importing torch")
    validate_cmd.add_argument("specs", nargs="+", metavar="SPEC", help="spec files (YAML)")
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
    check_cmd.add_argument("--samples", type=int, default=3, help="how many random valid sizes (3)")
    schema_cmd = commands.add_parser("schema", help="print the JSON Schema of spec files (for editors)")
    schema_cmd.add_argument("-o", "--output", metavar="FILE", help="write it to FILE instead")
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:  # argparse prints its own usage message
        return EXIT_OK if exit_.code == 0 else EXIT_USAGE
    return run(args, sys.stdout, sys.stderr)


def run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    try:
        if args.command == "compile":
            return _compile(args, stdout, stderr)
        if args.command == "schema":
            return _schema(args, stdout, stderr)
        if args.command == "check":
            return _check(args, stdout, stderr)
        return _validate(args, stdout, stderr)
    except UsageError as error:
        print(f"archspec: error: {error}", file=stderr)
        return EXIT_USAGE


def _compile(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    dims = parse_input(args.input) if args.input else None
    try:
        graph = compile_graph(args.spec, dims)
    except SpecError as error:
        _report(error, stderr)
        return EXIT_INVALID
    stdout.write(format_table(graph, args.depth))
    return EXIT_OK


def _validate(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    errors = failed = 0
    for path in args.specs:
        try:
            compile_graph(path)
        except SpecError as error:
            _report(error, stderr)
            errors += len(error.diagnostics)
            failed += 1
    files = len(args.specs)
    print(
        f"{files} file{'s' * (files != 1)} checked: "
        + (f"{errors} error{'s' * (errors != 1)} in {failed}" if errors else "all valid"),
        file=stdout,
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
        runs = check_spec(load_spec(args.spec), sizes, samples=args.samples)  # type: ignore[arg-type]
    except SpecError as error:
        _report(error, stderr)
        return EXIT_INVALID
    except ValueError as error:
        raise UsageError(str(error)) from None
    stdout.write(format_runs(runs))
    return EXIT_OK if all(run.ok for run in runs) else EXIT_INVALID


def _schema(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from archspec.schema.jsonschema import spec_json_schema

    text = json.dumps(spec_json_schema(), indent=2, ensure_ascii=False) + "\n"
    if args.output is None:
        stdout.write(text)
        return EXIT_OK
    try:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as error:
        raise UsageError(f"cannot write {args.output}: {error.strerror}") from None
    return EXIT_OK


def _report(error: SpecError, stream: TextIO) -> None:
    for diagnostic in error.diagnostics:
        print(diagnostic.render(), file=stream)


def format_table(graph: Graph, depth: int | None = None) -> str:
    """The layer table: path (indented by nesting), primitive, output shape, params."""
    rows = [("(input)", "", str(graph.input), "")]
    for layer in graph.layers:
        if depth is not None and layer.depth > depth:
            continue
        indent = "  " * layer.depth
        rows.append((indent + layer.path, layer.kind, str(layer.output), f"{layer.num_params:,}"))
    header = ("layer", "primitive", "output shape", "params")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]
    lines = []
    spec = graph.spec
    lines.append(f"{spec.name}: {spec.description}" if spec.description else spec.name)
    lines.append("")
    for row in [header, *rows]:
        cells = [row[i].ljust(widths[i]) for i in range(3)] + [row[3].rjust(widths[3])]
        lines.append("  ".join(cells).rstrip())
    lines.append("")
    lines.append(f"output: {format_shape(graph.output_shape)}")
    lines.append(f"parameters: {graph.num_params:,}")
    if graph.min_sizes:
        sizes = ", ".join(f"{name} >= {size}" for name, size in graph.min_sizes.items())
        lines.append(f"smallest valid sizes: {sizes}")
    single = graph.single_value_layers()
    if single:
        at = " at the smallest sizes" if graph.min_sizes else ""
        lines.append(
            f"training needs a batch of at least 2{at}: {single[0].primitive} {single[0].path} "
            "sees one value per channel per sample"
        )
    return "\n".join(lines) + "\n"


def format_shape(shape: tuple[object, ...]) -> str:
    return "[" + ", ".join(format_dim(d) for d in shape) + "]"
