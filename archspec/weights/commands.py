"""The commands ``archspec weights`` and ``archspec diff``: their options, and running them.

archspec/cli.py registers them (``add_weights_command``, ``add_diff_command``) and
dispatches to ``run_weights`` and ``run_diff`` with the parsed ``--lib`` folders; this
module reaches the compiler through the floors below the API (``archspec`` itself
imports this package for :func:`archspec.transfer`). Exit codes follow the CLI's:

- ``weights``: 0 everything asked for was transferred (and ``-o`` written); 1 not (a
  shape-mismatched tensor, nothing transferred, ``--strict`` with a new or dropped
  tensor), or an invalid spec, or an unreadable or unsafe checkpoint; 2 a usage error.
  Nothing is written unless the exit is 0.
- ``diff``: 0 the same architecture, 1 different, 2 an error (an invalid spec, a
  checkpoint that cannot be read, a usage error), as diff(1) does, so that a CI gate
  can tell "changed" from "broken".
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, TextIO

# What a command runs is imported when it runs: archspec/cli.py registers these commands
# in every process, ``archspec validate``'s included, which needs none of it.
from archspec.diagnostics import SpecError
from archspec.weights import MATCH_MODES
from archspec.weights import REPORT_FORMATS as FORMATS

if TYPE_CHECKING:
    from torch import nn

    from archspec.compiler.graph import Graph
    from archspec.frontend.roots import LibraryConfig
    from archspec.weights.diff import Side

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_DIFFERENT, EXIT_DIFF_ERROR = 1, 2
# The last is checkpoint.SAFETENSORS_SUFFIX (tests/weights/test_commands.py checks it).
CHECKPOINT_SUFFIXES = (".pt", ".pth", ".bin", ".ckpt", ".safetensors")


def add_weights_command(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    command = commands.add_parser(
        "weights",
        help="load a checkpoint into a spec whose architecture may have changed, and report what went where",
    )
    command.add_argument("spec", help="the spec file (YAML)")
    command.add_argument(
        "checkpoint", help="a state_dict saved by torch.save, or a .safetensors file (never run as code)"
    )
    command.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write the spec's state_dict with the transferred weights to FILE (.safetensors: as "
        "safetensors, else torch.save); only when everything asked for was transferred",
    )
    command.add_argument(
        "--format", choices=FORMATS, default="text", help="the report as text, JSON or Markdown"
    )
    command.add_argument(
        "--match",
        choices=MATCH_MODES,
        default="auto",
        help="pair layers by name, by structure (aligned tensor shapes), or auto: names, then structure",
    )
    command.add_argument(
        "--strict",
        action="store_true",
        help="fail also on any new tensor of the spec or unused one of the checkpoint",
    )
    command.add_argument(
        "--skip",
        metavar="PATTERN",
        action="append",
        default=[],
        help="leave the layers whose path matches at their init (fnmatch: fc, layer4.*); repeatable",
    )
    return command


def add_diff_command(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    command = commands.add_parser(
        "diff", help="what changed between two specs, or a spec and a checkpoint (exit 1: different)"
    )
    command.add_argument("before", metavar="A", help="a spec file, or a checkpoint")
    command.add_argument("after", metavar="B", help="a spec file, or a checkpoint")
    command.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help="text, JSON, or Markdown (a pull-request comment)",
    )
    return command


def _compile(path: str, libraries: LibraryConfig | None) -> Graph:
    from archspec.compiler import compile_spec
    from archspec.frontend.spec import load
    from archspec.primitives.registry import primitives

    return compile_spec(load(path, primitives(), None, libraries))


def _build(graph: Graph) -> nn.Module:
    """The spec's module with its first weights, as archspec.build makes it."""
    from archspec.compiler.init import resolve_init
    from archspec.emit.init import apply_plan
    from archspec.emit.module import build_graph

    return apply_plan(build_graph(graph), resolve_init(graph))


def _torch_problem(command: str) -> str | None:
    """Why torch cannot be imported (weights builds the module), or None."""
    try:
        import torch  # noqa: F401
    except ImportError as error:
        return f"archspec {command} runs PyTorch, which cannot be imported: {error}"
    return None


def _errors(error: SpecError, format: str, stdout: TextIO, stderr: TextIO) -> None:
    """As compile does: with --format json, the diagnostics as a JSON list on stdout
    (where a program reads), else as text on stderr."""
    from archspec.render import render

    if format == "json":
        stdout.write(render(error.diagnostics, "json"))
    else:
        stderr.write(render(error.diagnostics, "text"))


def _usage(stderr: TextIO, message: str) -> int:
    print(f"archspec: error: {message}", file=stderr)
    return EXIT_USAGE


def run_weights(
    args: argparse.Namespace, libraries: LibraryConfig | None, stdout: TextIO, stderr: TextIO
) -> int:
    from archspec.output import OutputError, check_target, input_files, shown
    from archspec.weights.checkpoint import load_checkpoint, save_state_dict
    from archspec.weights.reportformat import format_transfer
    from archspec.weights.transfer import transfer_into

    if args.output is not None and not args.output.endswith(CHECKPOINT_SUFFIXES):
        return _usage(stderr, f"-o {shown(args.output)}: name the file .pt (torch.save) or .safetensors")
    problem = _torch_problem("weights")
    if problem:
        return _usage(stderr, problem)
    try:
        graph = _compile(args.spec, libraries)
        if args.output is not None:  # refuse a bad target before the work, write after it
            check_target(args.output, (*input_files(graph), args.checkpoint))
        checkpoint = load_checkpoint(args.checkpoint)
        module = _build(graph)
    except SpecError as error:
        _errors(error, args.format, stdout, stderr)
        return EXIT_FAILED
    except OutputError as error:
        return _usage(stderr, str(error))
    report = transfer_into(
        module,
        checkpoint.tensors,
        graph=graph,
        match=args.match,
        skip=args.skip,
        strict=args.strict,
        spec_name=args.spec,
        checkpoint_name=args.checkpoint,
        notes=checkpoint.notes,
    )
    stdout.write(format_transfer(report, args.format))
    if not report.ok:
        return EXIT_FAILED
    if args.output is not None:
        try:
            save_state_dict(args.output, module.state_dict(), (*input_files(graph), args.checkpoint))
        except OutputError as error:
            return _usage(stderr, str(error))
    return EXIT_OK


def _side(path: str, libraries: LibraryConfig | None) -> Side:
    from archspec.weights.checkpoint import load_checkpoint, looks_like_checkpoint
    from archspec.weights.diff import checkpoint_side, spec_side

    if looks_like_checkpoint(path):
        return checkpoint_side(load_checkpoint(path))
    return spec_side(_compile(path, libraries), path)


def run_diff(
    args: argparse.Namespace, libraries: LibraryConfig | None, stdout: TextIO, stderr: TextIO
) -> int:
    from archspec.weights.diff import diff
    from archspec.weights.diffformat import format_diff

    try:
        result = diff(_side(args.before, libraries), _side(args.after, libraries))
    except SpecError as error:
        _errors(error, args.format, stdout, stderr)
        return EXIT_DIFF_ERROR
    except ImportError as error:  # two specs need no torch; a checkpoint does
        why = f"archspec diff reads a checkpoint with PyTorch, which cannot be imported: {error}"
        print(f"archspec: error: {why}", file=stderr)
        return EXIT_DIFF_ERROR
    stdout.write(format_diff(result, args.format))
    return EXIT_OK if result.equal else EXIT_DIFFERENT
