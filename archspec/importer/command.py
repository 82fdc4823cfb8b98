"""``archspec import MODULE:FACTORY [--input 3x224x224] -o SPEC.yaml``: the subcommand's
parser and its run. No torch until it runs (the CLI registers every command at start)."""

from __future__ import annotations

import argparse
from typing import TextIO

from archspec.diagnostics import SpecError, abridge

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2
DEFAULT_INPUT = "3x224x224"
WARNING = (
    "imports your Python module and runs its code (the factory, the module's forward): "
    "use it on code you trust, never on a path a spec names"
)


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    command = commands.add_parser(
        "import",
        help="write an existing nn.Module (MODULE:FACTORY) as a spec; runs that Python code",
        description="Trace an nn.Module with torch.fx and write it as a spec whose layer names are "
        f"the module's attributes (its state_dict loads by name). This {WARNING}.",
    )
    command.add_argument(
        "target",
        metavar="MODULE:FACTORY",
        help="a module path and a callable in it that makes the module with no arguments, e.g. "
        "torchvision.models:resnet18 or mypkg.nets:Net (imported from the current folder too)",
    )
    command.add_argument(
        "--input",
        metavar="DIMS",
        default=DEFAULT_INPUT,
        help=f"the dims of one example input after the batch, e.g. 1x28x28 ({DEFAULT_INPUT})",
    )
    command.add_argument("-o", "--output", metavar="FILE", required=True, help="the spec file to write")


def parse_dims(text: str) -> list[int] | None:
    parts = text.split(",") if "," in text else text.split("x")
    if not all(p.strip().isascii() and p.strip().isdigit() and int(p) > 0 for p in parts):
        return None
    return [int(p) for p in parts]


def run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    # imported here: the CLI registers this command in every process, validate's included
    from archspec.output import OutputError, write_output
    from archspec.render import render

    dims = parse_dims(args.input)
    if dims is None:
        print(
            f"archspec: error: --input {abridge(args.input)}: write positive sizes, e.g. 3x224x224",
            file=stderr,
        )
        return EXIT_USAGE
    try:
        from archspec.importer.api import import_target
    except ImportError as error:
        print(
            f"archspec: error: archspec import runs PyTorch, which cannot be imported: {error}", file=stderr
        )
        return EXIT_INVALID
    try:
        text = import_target(args.target, dims)
    except SpecError as error:
        stderr.write(render(error.diagnostics, "text"))
        return EXIT_INVALID
    try:
        write_output(args.output, text, ())
    except OutputError as error:
        print(f"archspec: error: {error}", file=stderr)
        return EXIT_INVALID
    stdout.write(f"wrote {args.output}: {args.target} on {'x'.join(map(str, dims))} inputs\n")
    return EXIT_OK
