"""docs/cli.md documents every command and option of the parser, and the README stays true."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from archspec.cli import _parser

CLI_DOC = Path("docs/cli.md")


def commands() -> dict[str, argparse.ArgumentParser]:
    parser = _parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def section(text: str, command: str) -> str:
    parts = text.split(f"\n## archspec {command}\n", 1)
    assert len(parts) == 2, f"docs/cli.md has no section '## archspec {command}'"
    return parts[1].split("\n## ", 1)[0]


def test_every_command_has_a_section_and_a_row() -> None:
    text = CLI_DOC.read_text()
    for command in commands():
        section(text, command)
        assert f"[`{command}`](#archspec-{command})" in text, (
            f"{command} is missing from the table of commands"
        )


def test_every_option_and_choice_is_documented_in_its_command_section() -> None:
    text = CLI_DOC.read_text()
    for command, parser in commands().items():
        body = section(text, command)
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            if not action.option_strings:  # a positional: its metavar (SPEC) is in the table
                assert f"`{action.metavar or action.dest.upper()}" in body, f"{command}: {action.dest}"
                continue
            for option in action.option_strings:
                assert re.search(rf"`{re.escape(option)}[ `]", body), (
                    f"archspec {command} {option} is not documented"
                )
            for choice in action.choices or ():
                assert f"`{action.option_strings[-1]} {choice}`" in body, (
                    f"archspec {command} {action.option_strings[-1]} {choice}"
                )


def test_every_docs_page_the_readme_links_exists() -> None:
    readme = Path("README.md").read_text()
    for link in re.findall(r"\]\((docs/[^)#]+)", readme):
        assert Path(link).exists(), link
    for page in ("getting-started", "cli", "ci", "adding-a-primitive", "errors", "reference"):
        assert f"(docs/{page}.md)" in readme, f"the README does not link docs/{page}.md"


def test_readme_diagram_is_what_archspec_draws() -> None:
    import archspec
    from archspec.emit.diagram import mermaid

    readme = Path("README.md").read_text()
    block = readme.split("## A picture", 1)[1].split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert block == mermaid(archspec.compile("specs/googlenet.yaml"), depth=2), (
        "regenerate: archspec diagram specs/googlenet.yaml --depth 2"
    )


def test_readme_compile_example_is_what_archspec_prints(capsys) -> None:
    from archspec.cli import main

    readme = Path("README.md").read_text()
    example = readme.split("$ archspec compile specs/googlenet.yaml --depth 0\n", 1)[1].split("\n$ ", 1)[0]
    assert main(["compile", "specs/googlenet.yaml", "--depth", "0"]) == 0
    assert capsys.readouterr().out == example.rstrip("\n") + "\n"
