"""Block libraries (archspec/frontend/roots.py): archspec's own, the API's libraries=,
and [tool.archspec] in the nearest pyproject.toml. Imports through them are in
test_library.py; hostile paths and roots in tests/test_hostile_paths.py."""

from __future__ import annotations

import textwrap
from importlib import resources
from pathlib import Path

import pytest

import archspec
from archspec.diagnostics import SpecError
from archspec.frontend.roots import LibraryConfig, name_problem, nearest_pyproject, packaged_names

ACT = "blocks:\n  act: {layers: [relu]}\n"
SPEC = 'name: n\ninput: [3, 8, 8]\nimports: ["@mine/act"]\nlayers: [relu]\n'


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def project(tmp_path: Path, table: str, spec: str = SPEC) -> Path:
    """A project: pyproject.toml with ``table``, lib/act.yaml, and specs/net.yaml."""
    write(tmp_path, "pyproject.toml", '[project]\nname = "p"\n\n' + textwrap.dedent(table))
    write(tmp_path, "lib/act.yaml", ACT)
    return write(tmp_path, "specs/net.yaml", spec)


def problems(path: Path, **options: object) -> list[archspec.Diagnostic]:
    with pytest.raises(SpecError) as caught:
        archspec.load(path, **options)  # type: ignore[arg-type]
    return list(caught.value.diagnostics)


def test_archspec_ships_torchvisions_blocks_as_a_library() -> None:
    assert packaged_names() == ["torchvision"]
    files = resources.files("archspec").joinpath("library", "torchvision")
    assert sorted(f.name for f in files.iterdir() if f.name.endswith(".yaml")) == [
        "convnext.yaml",
        "densenet.yaml",
        "efficientnet.yaml",
        "googlenet.yaml",
        "inception.yaml",
        "mnasnet.yaml",
        "mobilenet.yaml",
        "mobilenet_v3.yaml",
        "ops.yaml",
        "regnet.yaml",
        "resnet.yaml",
        "shufflenet.yaml",
        "squeezenet.yaml",
        "swin.yaml",
        "vit.yaml",
    ]
    spec = archspec.loads(
        'name: n\ninput: [3, 32, 32]\nimports: ["@torchvision/resnet", "@torchvision/squeezenet"]\n'
        "layers:\n  - conv: {out_channels: 64, kernel_size: 3}\n  - basic_block: {planes: 64}\n"
        "  - fire: {squeeze_planes: 16, expand1x1_planes: 32, expand3x3_planes: 32}\n"
    )
    assert archspec.compile(spec).output_shape[1:] == (64, 30, 30)
    file = spec.blocks.blocks["basic_block"].source.file
    assert Path(file).as_posix().endswith("archspec/library/torchvision/resnet.yaml")


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        *[("mylib", True), ("my-lib_2", True), ("M", True), ("x" * 64, True)],
        *[("2lib", False), ("", False), ("a b", False), ("a/b", False), (".", False), ("..", False)],
        *[("é", False), ("x" * 65, False), (3, False), ("-x", False)],
    ],
)
def test_library_names(name: object, ok: bool) -> None:
    assert (name_problem(name) is None) is ok


def test_the_api_checks_names_and_makes_folders_absolute(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = LibraryConfig.of({"mine": "lib", "other": tmp_path / "x"})
    assert config.roots == (("mine", str(tmp_path / "lib")), ("other", str(tmp_path / "x")))
    with pytest.raises(ValueError, match="is not a library name"):
        LibraryConfig.of({"my lib": "lib"})
    with pytest.raises(ValueError, match="archspec's own"):
        LibraryConfig.of({"torchvision": "lib"})
    with pytest.raises(ValueError, match="must be a path"):
        LibraryConfig.of({"mine": ""})
    with pytest.raises(TypeError, match="mapping"):
        LibraryConfig.of(["lib"])  # type: ignore[arg-type]


def test_libraries_on_every_api_function(tmp_path: Path) -> None:
    write(tmp_path, "lib/act.yaml", ACT)
    spec = write(tmp_path, "net.yaml", SPEC)
    libraries = {"mine": tmp_path / "lib"}
    assert archspec.load(spec, libraries=libraries).blocks.lookup("act") is not None
    assert archspec.loads(spec.read_text(), libraries=libraries).blocks.lookup("act") is not None
    assert archspec.compile(spec, libraries=libraries).output_shape[1:] == (3, 8, 8)
    assert archspec.validate(spec, libraries=libraries) is not None
    assert archspec.validate(tmp_path / "lib" / "act.yaml", libraries=libraries) is None
    assert sum(p.numel() for p in archspec.build(spec, libraries=libraries).parameters()) == 0
    loaded = archspec.load(spec, libraries=libraries)
    with pytest.raises(TypeError, match="when a spec is loaded"):
        archspec.compile(loaded, libraries=libraries)
    with pytest.raises(TypeError, match="when a spec is loaded"):
        archspec.build(archspec.compile(loaded), libraries=libraries)


def test_state_lives_in_a_load_not_in_the_process(tmp_path: Path) -> None:
    write(tmp_path, "one/act.yaml", ACT)
    write(tmp_path, "two/act.yaml", "blocks:\n  act: {layers: [sigmoid]}\n")
    spec = write(tmp_path, "net.yaml", SPEC)
    first = archspec.load(spec, libraries={"mine": tmp_path / "one"})
    second = archspec.load(spec, libraries={"mine": tmp_path / "two"})
    assert first.blocks.blocks["act"].source.file.endswith("one/act.yaml")
    assert second.blocks.blocks["act"].source.file.endswith("two/act.yaml")
    (problem,) = problems(spec)  # nothing stays behind
    assert problem.code == "E208" and "unknown library 'mine'" in problem.message


def test_the_nearest_pyproject_names_libraries_relative_to_itself(tmp_path: Path, monkeypatch) -> None:
    spec = project(tmp_path, '[tool.archspec]\nlibraries = {mine = "lib"}\n')
    monkeypatch.chdir(tmp_path.parent)  # the current directory plays no part
    graph = archspec.compile(spec)
    assert graph.spec.blocks.blocks["act"].source.file == str((tmp_path / "lib" / "act.yaml").resolve())
    # as a sub-table, with a quoted key and a folder given as an absolute path
    spec = project(tmp_path, f'[tool.archspec.libraries]\n"mine" = "{tmp_path / "lib"}"\n')
    assert archspec.compile(spec).output_shape[1:] == (3, 8, 8)
    assert nearest_pyproject(spec.parent.resolve()) == (tmp_path / "pyproject.toml").resolve()


def test_a_nearer_pyproject_hides_the_ones_above(tmp_path: Path) -> None:
    spec = project(tmp_path, '[tool.archspec]\nlibraries = {mine = "lib"}\n')
    write(tmp_path, "specs/pyproject.toml", '[project]\nname = "inner"\n')
    (problem,) = problems(spec)
    assert problem.code == "E208" and "unknown library 'mine'" in problem.message
    assert problem.hint is not None and "known libraries: @torchvision;" in problem.hint


def test_spec_text_finds_the_pyproject_from_the_current_directory(tmp_path: Path, monkeypatch) -> None:
    project(tmp_path, '[tool.archspec]\nlibraries = {mine = "lib"}\n')
    monkeypatch.chdir(tmp_path / "specs")
    assert archspec.loads(SPEC).blocks.lookup("act") is not None
    with pytest.raises(SpecError):
        archspec.loads(SPEC, pyproject=False)


def test_pyproject_false_reads_no_pyproject(tmp_path: Path) -> None:
    spec = project(tmp_path, '[tool.archspec]\nlibraries = {mine = "lib"}\n')
    (problem,) = problems(spec, pyproject=False)
    assert "unknown library 'mine'" in problem.message
    assert archspec.load(spec, pyproject=False, libraries={"mine": tmp_path / "lib"})


def test_the_api_wins_and_then_the_pyproject_is_not_read(tmp_path: Path) -> None:
    spec = project(tmp_path, "[tool.archspec\n")  # not TOML: never read
    write(tmp_path, "other/act.yaml", ACT)
    loaded = archspec.load(spec, libraries={"mine": tmp_path / "other"})
    assert loaded.blocks.blocks["act"].source.file.endswith("other/act.yaml")
    assert str(tmp_path / "pyproject.toml") not in loaded.blocks.imported
    # archspec's own libraries need no pyproject either
    write(
        tmp_path,
        "specs/tv.yaml",
        'name: n\ninput: [3, 8, 8]\nimports: ["@torchvision/resnet"]\nlayers: [relu]\n',
    )
    assert archspec.load(tmp_path / "specs" / "tv.yaml")


@pytest.mark.parametrize(
    ("table", "line", "message", "hint"),
    [
        ("[tool.archspec\n", 4, "is not valid TOML: ", None),
        ("[tool]\narchspec = 3\n", 5, "[tool.archspec] must be a table", None),
        (
            "[tool.archspec]\nlibrary = {mine = 'lib'}\n",
            5,
            "[tool.archspec] has no key 'library'",
            "libraries",
        ),
        (
            "[tool.archspec]\nlibraries = ['lib']\n",
            5,
            "libraries must be a table of names to folders",
            "mylib",
        ),
        ("[tool.archspec]\nlibraries = {'my lib' = 'lib'}\n", 5, "'my lib' is not a library name", None),
        ("[tool.archspec]\nlibraries = {mine = 3}\n", 5, "the folder of library mine must be a path", None),
        ("[tool.archspec]\nlibraries = {mine = ''}\n", 5, "the folder of library mine must be a path", None),
        ("[tool.archspec]\n\nlibraries.torchvision = 'lib'\n", 6, "'torchvision' is archspec's own", None),
    ],
)
def test_every_problem_of_the_table_is_located_in_the_pyproject(
    table: str, line: int, message: str, hint: str | None, tmp_path: Path
) -> None:
    spec = project(tmp_path, table)
    found = problems(spec)
    assert [p.code for p in found] == ["E208"] * len(found)
    pyproject = [p for p in found if p.span.file == str((tmp_path / "pyproject.toml").resolve())]
    assert len(pyproject) == 1, found
    (problem,) = pyproject
    assert message in problem.message and problem.span.line == line, problem
    assert hint is None or hint in (problem.hint or "")
    # the import that needed it says so, at its own line
    (importing,) = [p for p in found if p.span.file == str(spec)]
    assert importing.span.line == 3 and "unknown library 'mine'" in importing.message
    assert "could not be read" in (importing.hint or "")


def test_a_table_without_archspec_is_no_problem(tmp_path: Path) -> None:
    spec = project(tmp_path, "[tool.ruff]\nline-length = 100\n")
    (problem,) = problems(spec)
    assert problem.span.file == str(spec) and "unknown library 'mine'" in problem.message
    assert "add one with --lib DIR" in (problem.hint or "")


def test_the_pyproject_is_read_within_the_byte_budget(tmp_path: Path) -> None:
    spec = project(tmp_path, '[tool.archspec]\nlibraries = {mine = "lib"}\n# ' + "x" * 2000 + "\n")
    found = problems(spec, limits=archspec.Limits(max_bytes=1000))
    assert any("pyproject.toml is larger than 1,000 bytes" in p.message for p in found), found


def test_a_deeply_nested_pyproject_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    spec = project(tmp_path, "a = " + "[" * 50_000 + "\n")
    found = problems(spec)
    assert any("cannot be parsed" in p.message for p in found), found


def test_the_block_libraries_example_of_the_docs_is_what_archspec_prints(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    import re
    import shlex

    from archspec.cli import main

    page = Path("docs/blocks.md").read_text()
    section = page.split("\n## Block libraries\n", 1)[1].split("\n## ", 1)[0]
    files = re.findall(r"\n`([\w/.]+)`:\n\n```(?:yaml|toml)\n(.*?)```", section, flags=re.DOTALL)
    assert [name for name, _ in files] == ["pyproject.toml", "blocks/unet/double_conv.yaml", "specs/net.yaml"]
    for name, text in files:
        write(tmp_path, name, text)
    net = (tmp_path / "specs" / "net.yaml").read_text()
    write(tmp_path, "specs/typo.yaml", net.replace('"@unet/', '"@unets/'))
    monkeypatch.chdir(tmp_path)
    examples = re.findall(r"```console\n\$ (.*?)\n(.*?)```", section, flags=re.DOTALL)
    assert len(examples) == 2
    for command, expected in examples:
        main(shlex.split(command)[1:])
        captured = capsys.readouterr()
        assert captured.err + captured.out == expected, command


def test_the_api_wins_over_the_same_name_in_a_pyproject_that_is_read(tmp_path: Path) -> None:
    spec = project(
        tmp_path,
        '[tool.archspec]\nlibraries = {mine = "nowhere", other = "lib"}\n',
        'name: n\ninput: [3, 8, 8]\nimports: ["@mine/act", "@other/act"]\nlayers: [relu]\n',
    )
    write(tmp_path, "given/act.yaml", "blocks:\n  given: {layers: [relu]}\n")
    loaded = archspec.load(spec, libraries={"mine": tmp_path / "given"})  # the pyproject is read for other
    assert loaded.blocks.blocks["given"].source.file == str((tmp_path / "given/act.yaml").resolve())
    assert loaded.blocks.blocks["act"].source.file == str((tmp_path / "lib/act.yaml").resolve())
    assert str((tmp_path / "pyproject.toml").resolve()) in loaded.blocks.imported


def test_an_unknown_name_lists_at_most_twenty_libraries(tmp_path: Path) -> None:
    table = "[tool.archspec.libraries]\n" + "".join(f'lib{i} = "lib"\n' for i in range(500))
    spec = project(tmp_path, table)
    (problem,) = problems(spec)
    assert problem.hint is not None and "@lib18 and 481 more;" in problem.hint and len(problem.hint) < 400
