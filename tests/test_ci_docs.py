"""The pre-commit hook and the CI docs: the hook's patterns, the documented commands, the light install."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

from archspec.cli import _parser

HOOKS = yaml.safe_load(Path(".pre-commit-hooks.yaml").read_text())
CI_DOC = Path("docs/ci.md").read_text()


def selected(path: str, hook: dict) -> bool:
    """pre-commit's selection: ``files`` and ``exclude`` are searched (re.search) in the path."""
    return bool(re.search(hook["files"], path)) and not re.search(hook.get("exclude", "^$"), path)


def test_the_hook_runs_archspec_validate() -> None:
    (hook,) = HOOKS
    assert hook["id"] == "archspec-validate" and hook["language"] == "python"
    assert hook["entry"] == "archspec validate" and hook["types"] == ["yaml"]
    _parser().parse_args([*hook["entry"].split()[1:], "specs/nin.yaml"])  # a real command


@pytest.mark.parametrize(
    ("path", "chosen"),
    [
        ("specs/nin.yaml", True),
        ("specs/torchvision/resnet18.yaml", True),
        ("models/specs/net.yml", True),
        ("specs/torchvision/blocks/resnet.yaml", True),  # a block file: checked on its own
        ("config.yaml", False),
        ("docs/specs.yaml", False),
        ("myspecs/net.yaml", False),
        ("specs/net.yaml.bak", False),
    ],
)
def test_the_hooks_default_file_pattern(path: str, chosen: bool) -> None:
    assert selected(path, HOOKS[0]) is chosen


def test_every_spec_and_block_file_in_this_repository_is_selected() -> None:
    for path in Path("specs").rglob("*.y*ml"):
        assert selected(path.as_posix(), HOOKS[0]), path


def test_the_documented_hooks_and_workflow_are_valid_yaml_with_real_commands() -> None:
    blocks = [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", CI_DOC, flags=re.DOTALL)]
    hooks = [h for b in blocks if isinstance(b, list) for h in b]
    hooks += [h for b in blocks if isinstance(b, dict) for repo in b.get("repos", []) for h in repo["hooks"]]
    assert len(hooks) == 3 and all(hook["id"] == HOOKS[0]["id"] for hook in hooks)
    for hook in hooks:
        if "entry" in hook:  # pre-commit appends the file names
            _parser().parse_args([*shlex.split(hook["entry"])[1:], "specs/nin.yaml"])
        for pattern in ("files", "exclude"):
            re.compile(hook.get(pattern, ""))
    (workflow,) = [b for b in blocks if isinstance(b, dict) and "jobs" in b]
    runs = [step["run"] for step in workflow["jobs"]["validate"]["steps"] if "run" in step]
    commands = [line for run in runs for line in run.splitlines() if line.startswith("archspec ")]
    assert len(commands) == 2
    for command in commands:
        command = re.sub(r"\$\([^)]*\)", "specs/nin.yaml", command).split(">>")[0]
        _parser().parse_args(shlex.split(command)[1:])


def test_the_light_install_lists_every_dependency_but_torch() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    project = tomllib.loads(Path("pyproject.toml").read_text())["project"]
    documented = set(
        re.findall(
            r'"([a-z]+[^"]*)"',
            CI_DOC.split("## Installing archspec without torch", 1)[1]
            .split("```sh", 1)[1]
            .split("```", 1)[0],
        )
    )
    # safetensors is read and written only by `archspec weights`, which needs torch too
    needed = {d for d in project["dependencies"] if not d.startswith(("torch", "jsonschema", "safetensors"))}
    assert documented == needed, "docs/ci.md's pip install line is out of date with pyproject.toml"
