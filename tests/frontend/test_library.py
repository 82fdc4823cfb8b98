"""Blocks: definitions, calls, imports, cycles, shadowing, the prelude."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

import archspec
from archspec.diagnostics import SpecError
from archspec.frontend.library import prelude
from archspec.primitives.registry import primitives
from archspec.shapes.dims import format_dim

FIRE = """\
    name: tiny_squeeze
    input: [3, 32, 32]
    blocks:
      fire:
        description: SqueezeNet's Fire module.
        params:
          squeeze: int
          expand: {type: int, description: Channels of each expand path.}
          wide: {type: bool, default: false}
        layers:
          - conv: {name: squeeze, out_channels: =squeeze, kernel_size: 1}
          - relu
          - concat:
              branches:
                - [conv: {name: expand1x1, out_channels: =expand, kernel_size: 1}, relu]
                - - conv: {name: expand3x3, out_channels: "=expand * (2 if wide else 1)", kernel_size: 3, padding: 1}
                  - relu
    layers:
      - conv: {out_channels: 64, kernel_size: 3, stride: 2}
      - fire: {squeeze: 16, expand: 64}
      - fire: {name: wide_fire, squeeze: 16, expand: 32, wide: true}
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def problems_of(path_or_text: Path | str) -> list[archspec.Diagnostic]:
    with pytest.raises(SpecError) as caught:
        if isinstance(path_or_text, Path):
            archspec.compile(path_or_text)
        else:
            archspec.compile(archspec.loads(textwrap.dedent(path_or_text), "net.yaml"))
    return list(caught.value.diagnostics)


def test_a_block_is_called_like_a_primitive() -> None:
    graph = archspec.compile(archspec.loads(textwrap.dedent(FIRE)))
    fire = graph.roots[1]
    assert (fire.kind, fire.primitive, fire.path) == ("fire", "sequential", "1")
    assert fire.output_shape[1:] == (128, 15, 15)
    assert graph.roots[2].output_shape[1:] == (96, 15, 15)
    paths = [layer.path for layer in graph.layers]
    assert "1.squeeze" in paths and "1.2.0.expand1x1" in paths and "wide_fire.2.1.expand3x3" in paths
    net = archspec.build(graph)
    assert repr(net[1]).startswith("Fire(")
    assert sum(p.numel() for p in net.parameters()) == graph.num_params


def test_arguments_are_checked_like_params() -> None:
    text = FIRE.replace("fire: {squeeze: 16, expand: 64}", "fire: {squeeze: 16, expnd: 64}")
    found = problems_of(text)
    assert [p.code for p in found] == ["E202", "E201"]
    assert found[1].hint == "did you mean 'expand'?"
    bad_type = problems_of(FIRE.replace("{squeeze: 16, expand: 64}", "{squeeze: 16.5, expand: 64}"))
    assert bad_type[0].code == "E200" and "expected an integer" in bad_type[0].message


def test_a_body_error_names_the_call_and_points_at_the_body() -> None:
    text = FIRE.replace("out_channels: =squeeze,", "out_channels: =squeze,")
    (problem,) = problems_of(text)
    assert problem.code == "E206" and problem.path == "1"
    assert "did you mean 'squeeze'?" in problem.message
    assert problem.span.line == 11  # the expression, in the block's body


def test_shape_errors_inside_a_user_block_point_into_its_body() -> None:
    text = FIRE.replace("input: [3, 32, 32]", "input: [3, 7, 7]").replace("stride: 2}", "stride: 4}")
    text = text.replace("kernel_size: 3, padding: 1}", "kernel_size: 3}")
    (problem,) = problems_of(text)
    assert problem.code == "E301" and problem.path == "1.2.1.expand3x3"
    assert problem.span.line == 16


def test_in_channels_and_if_choose_layers_at_each_call() -> None:
    spec = """\
        name: n
        input: [4, 8, 8]
        blocks:
          maybe_project:
            params: {out: int}
            layers:
              - if:
                  cond: =in_channels != out
                  then: [conv: {out_channels: =out, kernel_size: 1}]
                  else: [identity]
        layers:
          - maybe_project: {out: 4}
          - maybe_project: {out: 6}
        """
    graph = archspec.compile(archspec.loads(textwrap.dedent(spec)))
    assert [(layer.kind, layer.primitive) for layer in graph.roots] == [
        ("maybe_project", "identity"),
        ("maybe_project", "conv"),
    ]


def test_repeat_with_a_different_first_copy_splices_into_the_parent() -> None:
    spec = """\
        name: n
        input: [3, 16, 16]
        layers:
          - sequential:
              name: stage
              layers:
                - repeat:
                    n: 3
                    first: [residual: {out_channels: 8, stride: 2}]
                    layers: [residual: {out_channels: 8}]
        """
    graph = archspec.compile(archspec.loads(textwrap.dedent(spec)))
    stage = graph.roots[0]
    assert [child.path for child in stage.children] == ["stage.0", "stage.1", "stage.2"]
    assert stage.output_shape[1:] == (8, 8, 8)


def test_a_named_layer_repeated_is_an_error() -> None:
    (problem,) = problems_of(
        """\
        name: n
        input: [3, 8, 8]
        layers:
          - repeat: {n: 2, layers: [relu: {name: act}]}
        """
    )
    assert problem.code == "E205" and "act" in problem.message


def test_blocks_that_call_each_other_in_a_cycle_are_refused() -> None:
    found = problems_of(
        """\
        name: n
        input: [3, 8, 8]
        blocks:
          a: {layers: [b]}
          b: {layers: [relu, a]}
        layers: [a]
        """
    )
    assert [(p.code, "a -> b -> a" in p.message) for p in found] == [("E207", True)]


@pytest.mark.parametrize("name", ["conv", "residual"])
def test_a_block_cannot_shadow_a_built_in(name: str) -> None:
    (problem,) = problems_of(
        f"name: n\ninput: [3, 8, 8]\nblocks:\n  {name}: {{layers: [relu]}}\nlayers: [relu]\n"
    )
    assert problem.code == "E207" and "shadows the built-in" in problem.message


def test_bad_declarations() -> None:
    found = problems_of(
        """\
        name: n
        input: [3, 8, 8]
        blocks:
          a:
            params:
              name: int
              in_channels: int
              k: {type: int, default: two}
            layers: [relu]
          b:
            params: {w: tensor}
            layers: [relu]
        layers: [relu]
        """
    )
    assert [p.code for p in found] == ["E207", "E207", "E207", "E200"]
    assert "expected 'int', 'float'" in found[3].message


def test_imports_are_relative_confined_and_acyclic(tmp_path: Path) -> None:
    write(
        tmp_path,
        "blocks/stem.yaml",
        "blocks:\n  stem:\n    params: {w: int}\n    layers: [conv: {out_channels: =w, kernel_size: 3}]\n",
    )
    write(
        tmp_path,
        "blocks/head.yaml",
        "imports: [stem.yaml]\nblocks:\n  head: {layers: [global_avgpool, flatten]}\n",
    )
    spec = write(
        tmp_path,
        "net.yaml",
        """\
        name: n
        input: [3, 8, 8]
        imports: [blocks/stem.yaml, blocks/head.yaml]
        layers: [stem: {w: 4}, head]
        """,
    )
    assert archspec.compile(spec).output_shape[1:] == (4,)
    write(tmp_path, "blocks/a.yaml", "imports: [b.yaml]\nblocks: {}\n")
    write(tmp_path, "blocks/b.yaml", "imports: [a.yaml]\nblocks: {}\n")
    write(tmp_path.parent, "outside.yaml", "blocks: {}\n")
    bad = write(
        tmp_path,
        "bad.yaml",
        f"""\
        name: n
        input: [3, 8, 8]
        imports: [blocks/a.yaml, ../outside.yaml, {tmp_path}/blocks/stem.yaml, nope.yaml]
        layers: [relu]
        """,
    )
    found = problems_of(bad)
    assert [p.code for p in found] == ["E208"] * 4
    messages = " | ".join(p.message for p in found)
    assert "import cycle: a.yaml -> b.yaml -> a.yaml" in messages
    assert (
        "leaves the spec's folder" in messages and "absolute path" in messages and "no such file" in messages
    )


def test_a_block_file_holds_only_blocks(tmp_path: Path) -> None:
    write(tmp_path, "lib.yaml", "name: oops\nblocks: {}\n")
    spec = write(tmp_path, "net.yaml", "name: n\ninput: [3, 8, 8]\nimports: [lib.yaml]\nlayers: [relu]\n")
    (problem,) = problems_of(spec)
    assert problem.code == "E201" and problem.span.file.endswith("lib.yaml")


def test_the_prelude_defines_the_d2l_composites() -> None:
    assert set(prelude(primitives())) == {"vgg_block", "nin_block", "inception", "residual"}
    graph = archspec.compile(archspec.load("specs/nin.yaml"), input=[1, "H", "W"])
    assert graph.min_sizes == {"H": 67, "W": 67}
    assert format_dim(graph.roots[0].output_shape[2]) == "floor((H - 11)/4) + 1"


def test_a_shape_error_in_a_built_in_block_points_at_the_call() -> None:
    (problem,) = problems_of(
        """\
        name: n
        input: [3, 8, 8]
        layers:
          - relu
          - vgg_block: {num_convs: 1, out_channels: 4}
          - vgg_block: {num_convs: 1, out_channels: 4}
          - vgg_block: {num_convs: 1, out_channels: 4}
          - vgg_block: {num_convs: 1, out_channels: 4}
        """
    )
    assert problem.code == "E301" and problem.path == "4.2" and problem.span.line == 8


def test_a_block_file_validates_on_its_own(tmp_path: Path) -> None:
    good = write(
        tmp_path, "good.yaml", "blocks:\n  stem: {layers: [conv: {out_channels: 4, kernel_size: 3}]}\n"
    )
    assert archspec.validate(good) is None
    bad = write(tmp_path, "bad.yaml", "blocks:\n  stem: {layers: [relux]}\n")
    with pytest.raises(SpecError) as caught:
        archspec.validate(bad)
    (problem,) = caught.value.diagnostics
    assert problem.code == "E203" and problem.span.line == 2
    assert archspec.validate("specs/nin.yaml").num_params == 1_992_166


def test_an_unknown_block_after_a_failed_import_says_so(tmp_path: Path) -> None:
    spec = write(tmp_path, "net.yaml", "name: n\ninput: [3, 8, 8]\nimports: [nope.yaml]\nlayers: [fire]\n")
    found = problems_of(spec)
    assert [p.code for p in found] == ["E208", "E203"]
    assert "an import failed" in found[1].hint


def test_a_block_name_cannot_be_a_keyword() -> None:
    (problem,) = problems_of(
        "name: n\ninput: [3, 8, 8]\nblocks:\n  import: {layers: [relu]}\nlayers: [relu]\n"
    )
    assert problem.code == "E207" and "identifier" in problem.message


def test_a_spec_reached_through_a_symlink_imports_the_links_siblings(tmp_path: Path) -> None:
    real = write(
        tmp_path, "real/net.yaml", "name: n\ninput: [3, 8, 8]\nimports: [lib.yaml]\nlayers: [stem]\n"
    )
    write(tmp_path, "nets/lib.yaml", "blocks:\n  stem: {layers: [relu]}\n")
    os.symlink(real, tmp_path / "nets" / "net.yaml")
    assert archspec.compile(tmp_path / "nets" / "net.yaml").output_shape[1:] == (3, 8, 8)
    (problem,) = [p for p in problems_of(real) if p.code == "E208"]  # from its own folder: no lib.yaml
    assert problem.message == "import 'lib.yaml': no such file"


def test_a_symlink_cannot_take_an_import_out_of_the_spec_folder(tmp_path: Path) -> None:
    write(tmp_path, "outside.yaml", "blocks: {}\n")
    spec = write(tmp_path, "nets/net.yaml", "name: n\ninput: [1]\nimports: [lib.yaml]\nlayers: [relu]\n")
    os.symlink(tmp_path / "outside.yaml", tmp_path / "nets" / "lib.yaml")
    (problem,) = problems_of(spec)
    assert problem.code == "E208" and "leaves the spec's folder" in problem.message


@pytest.mark.parametrize("where", ["spec", "block file"])
def test_a_file_that_imports_itself_is_an_import_cycle(where: str, tmp_path: Path) -> None:
    if where == "spec":
        path = write(tmp_path, "a.yaml", "name: n\ninput: [1]\nimports: [a.yaml]\nlayers: [relu]\n")
    else:
        path = write(tmp_path, "a.yaml", "imports: [a.yaml]\nblocks: {}\n")
    with pytest.raises(SpecError) as caught:
        archspec.validate(path)
    (problem,) = caught.value.diagnostics
    assert problem.code == "E208" and problem.message == "import cycle: a.yaml -> a.yaml"
    assert problem.span.file == str(path)


def test_an_import_through_a_symlink_to_the_spec_is_a_cycle(tmp_path: Path) -> None:
    spec = write(tmp_path, "net.yaml", "name: n\ninput: [1]\nimports: [same.yaml]\nlayers: [relu]\n")
    os.symlink("net.yaml", tmp_path / "same.yaml")
    (problem,) = problems_of(spec)
    assert problem.message == "import cycle: net.yaml -> net.yaml"


def import_problem(tmp_path: Path, target: str) -> str:
    """The one E208 of a spec that imports ``target``, at the import's line."""
    spec = tmp_path / "net.yaml"
    spec.write_text(f'name: n\ninput: [1]\nimports: ["{target}"]\nlayers: [relu]\n')
    (problem,) = problems_of(spec)
    assert problem.code == "E208" and (problem.span.line, problem.span.column) == (3, 11)
    return problem.message


def resolved_problem(path: str) -> str:
    from archspec.frontend.paths import PathError, read_regular

    with pytest.raises(PathError) as caught:
        read_regular(path, 1024)
    return str(caught.value)


def test_every_path_error_of_an_import_is_an_e208(tmp_path: Path) -> None:
    os.symlink("b", tmp_path / "a")
    os.symlink("a", tmp_path / "b")
    (tmp_path / "folder").mkdir()
    long = "x" * 300 + ".yaml"
    # A NUL written as a YAML escape is refused as a character first (E106); the
    # path check still guards paths that come from Python.
    assert resolved_problem("a\0b.yaml") == "the path holds a NUL character"
    assert import_problem(tmp_path, long).endswith(": file name too long")
    assert import_problem(tmp_path, "a") == "import 'a': a loop of symbolic links"
    assert import_problem(tmp_path, "folder") == "import 'folder': not a regular file (a directory)"
    assert import_problem(tmp_path, "folder/../nope.yaml") == (
        "import 'folder/../nope.yaml': no such file ('nope.yaml' in the spec's folder)"
    )


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs os.mkfifo")
def test_a_fifo_import_is_refused_without_opening_it(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "lib.yaml")
    assert import_problem(tmp_path, "lib.yaml") == "import 'lib.yaml': not a regular file (a FIFO)"


def test_paths_in_import_messages_are_abridged(tmp_path: Path) -> None:
    deep = tmp_path.joinpath(*["a_rather_long_folder_name"] * 8)
    deep.mkdir(parents=True)
    write(tmp_path, "outside.yaml", "blocks: {}\n")
    write(deep, "lib.yaml", "imports: [" + "../" * 8 + "outside.yaml, missing/nope.yaml]\nblocks: {}\n")
    message = import_problem(deep, "../" * 8 + "outside.yaml")
    assert "leaves the spec's folder" in message and "…" in message and len(message) < 140
    spec = write(deep, "net.yaml", "name: n\ninput: [1]\nimports: [lib.yaml]\nlayers: [relu]\n")
    found = problems_of(spec)
    assert [p.code for p in found] == ["E208", "E208"]
    assert all(len(p.message) < 140 for p in found), found


def test_spec_text_with_an_impossible_file_name_still_resolves_imports_safely() -> None:
    for file in ("x" * 300 + ".yaml", "a\0b.yaml"):
        with pytest.raises(SpecError) as caught:
            archspec.loads("name: n\ninput: [1]\nimports: [nope.yaml]\nlayers: [relu]\n", file)
        assert [p.code for p in caught.value.diagnostics] == ["E208"]


# Block libraries: imports: ["@name/file"] (the roots themselves: test_roots.py)


def library_problems(spec: Path, **libraries: Path) -> list[archspec.Diagnostic]:
    with pytest.raises(SpecError) as caught:
        archspec.compile(spec, libraries=libraries, pyproject=False)
    return list(caught.value.diagnostics)


def test_a_library_file_imports_by_relative_path_inside_its_library_and_from_other_libraries(
    tmp_path: Path,
) -> None:
    write(
        tmp_path,
        "lib/stem.yaml",
        "imports: [parts/act.yaml]\nblocks:\n  stem:\n    params: {w: int}\n    layers: [conv: {out_channels: =w, kernel_size: 3}, act]\n",
    )
    write(
        tmp_path,
        "lib/parts/act.yaml",
        'imports: ["@torchvision/squeezenet", ../head.yaml]\nblocks:\n  act: {layers: [relu]}\n',
    )
    write(tmp_path, "lib/head.yaml", "blocks:\n  head: {layers: [global_avgpool, flatten]}\n")
    spec = write(
        tmp_path,
        "specs/net.yaml",
        'name: n\ninput: [3, 8, 8]\nimports: ["@mine/stem", "@mine/parts/act"]\nlayers: [stem: {w: 4}, head]\n',
    )
    graph = archspec.compile(spec, libraries={"mine": tmp_path / "lib"})
    assert graph.output_shape[1:] == (4,)
    assert {"stem", "act", "head", "fire"} <= set(graph.spec.blocks.blocks)  # act read once


def test_an_unknown_library_is_located_with_the_known_ones(tmp_path: Path) -> None:
    write(tmp_path, "lib/act.yaml", "blocks: {}\n")
    spec = write(tmp_path, "net.yaml", 'name: n\ninput: [1]\nimports: ["@mylb/act"]\nlayers: [relu]\n')
    (problem,) = library_problems(spec, mylib=tmp_path / "lib")
    assert problem.code == "E208" and problem.span == archspec.Span(str(spec), 3, 11)
    assert problem.message == "import '@mylb/act': unknown library 'mylb'"
    assert problem.hint is not None and problem.hint.startswith(
        "did you mean '@mylib'? known libraries: @torchvision, @mylib; add one with --lib DIR"
    )


@pytest.mark.parametrize(
    ("target", "message", "hint"),
    [
        ("@mine/nope", "import '@mine/nope': no such file ('nope.yaml' in the library mine (", None),
        (
            "@mine/stme",
            "import '@mine/stme': no such file ('stme.yaml' in the library mine (",
            "did you mean '@mine/stem'?",
        ),
        ("@mine/sub", "import '@mine/sub': not a regular file (a directory) ('sub.yaml'", None),
        (
            "@torchvision/resnt",
            "import '@torchvision/resnt': no such file ('resnt.yaml' in archspec's library torchvision)",
            "did you mean '@torchvision/resnet'?",
        ),
        (
            "@torchvision/resnet.yaml",
            "import '@torchvision/resnet.yaml': a library import names its file without .yaml",
            "write '@torchvision/resnet'",
        ),
        ("@mine", "import '@mine' names no file", "write '@mine/FILE' (no .yaml)"),
        ("@mine/", "import '@mine/' names no file", None),
        ("@mine/.", "import '@mine/.' names no file", None),
        ("@9lives/x", "import '@9lives/x': '9lives' is not a library name", "write '@name/file'"),
        ("@/x", "import '@/x': '' is not a library name", None),
    ],
)
def test_every_bad_library_import_is_a_located_e208(
    target: str, message: str, hint: str | None, tmp_path: Path
) -> None:
    write(tmp_path, "lib/stem.yaml", "blocks: {}\n")
    write(tmp_path, "lib/sub.yaml/x.yaml", "blocks: {}\n")
    spec = write(tmp_path, "net.yaml", f'name: n\ninput: [1]\nimports: ["{target}"]\nlayers: [relu]\n')
    (problem,) = library_problems(spec, mine=tmp_path / "lib")
    assert problem.code == "E208" and problem.span == archspec.Span(str(spec), 3, 11)
    assert problem.message.startswith(message), problem.message
    assert hint is None or problem.hint == hint or (problem.hint or "").startswith(hint)


def test_a_library_whose_folder_is_missing_is_named_at_the_import(tmp_path: Path) -> None:
    spec = write(tmp_path, "net.yaml", 'name: n\ninput: [1]\nimports: ["@mine/act"]\nlayers: [relu]\n')
    write(tmp_path, "file.yaml", "blocks: {}\n")
    (problem,) = library_problems(spec, mine=tmp_path / "gone")
    assert problem.span.line == 3 and problem.message.startswith("import '@mine/act': the library mine (")
    assert problem.message.endswith("from libraries=): no such folder")
    (problem,) = library_problems(spec, mine=tmp_path / "file.yaml")
    assert "not a folder" in problem.message


def test_an_import_cycle_across_libraries_names_every_file(tmp_path: Path) -> None:
    write(tmp_path, "a/x.yaml", 'imports: ["@b/y"]\nblocks: {}\n')
    y = write(tmp_path, "b/y.yaml", 'blocks: {}\nimports: ["@a/x"]\n')
    spec = write(tmp_path, "net.yaml", 'name: n\ninput: [1]\nimports: ["@a/x"]\nlayers: [relu]\n')
    (problem,) = library_problems(spec, a=tmp_path / "a", b=tmp_path / "b")
    assert problem.code == "E208" and problem.message == "import cycle: @a/x -> @b/y -> @a/x"
    assert problem.span == archspec.Span(str(y.resolve()), 2, 11)  # the import that closes it


def test_a_spec_inside_a_library_that_the_library_imports_back_is_a_cycle(tmp_path: Path) -> None:
    write(tmp_path, "lib/x.yaml", 'imports: ["@lib/net"]\nblocks: {}\n')
    spec = write(tmp_path, "lib/net.yaml", 'name: n\ninput: [1]\nimports: ["@lib/x"]\nlayers: [relu]\n')
    (problem,) = library_problems(spec, lib=tmp_path / "lib")
    assert problem.message == "import cycle: net.yaml -> @lib/x -> @lib/net"


def test_a_file_named_by_path_and_by_library_is_read_once(tmp_path: Path) -> None:
    write(tmp_path, "lib/act.yaml", "blocks:\n  act: {layers: [relu]}\n")
    spec = write(
        tmp_path, "net.yaml", 'name: n\ninput: [1]\nimports: [lib/act.yaml, "@lib/act"]\nlayers: [act]\n'
    )
    assert archspec.compile(spec, libraries={"lib": tmp_path / "lib"}).output_shape[1:] == (1,)


def test_a_library_file_cannot_import_out_of_its_library(tmp_path: Path) -> None:
    write(tmp_path, "outside.yaml", "blocks:\n  evil: {layers: [relu]}\n")
    write(tmp_path, "lib/sub/ok.yaml", "blocks: {}\n")
    lib = write(
        tmp_path,
        "lib/x.yaml",
        f"imports: [../outside.yaml, sub/../../outside.yaml, {tmp_path}/outside.yaml]\nblocks: {{}}\n",
    )
    spec = write(
        tmp_path, "net.yaml", 'name: n\ninput: [1]\nimports: ["@lib/x", outside.yaml]\nlayers: [evil]\n'
    )
    found = [p for p in library_problems(spec, lib=tmp_path / "lib") if p.code == "E208"]
    line = lib.read_text().splitlines()[0]
    columns = [line.index(text) + 1 for text in ("../", "sub/", str(tmp_path))]
    assert [(p.span.file, p.span.line, p.span.column) for p in found] == [
        (str(lib.resolve()), 1, column) for column in columns
    ]
    assert found[0].message.startswith("import '../outside.yaml' leaves the library lib (")
    assert found[1].message.startswith("import 'sub/../../outside.yaml' leaves the library lib (")
    assert found[2].message.endswith("is an absolute path; imports are relative to the importing file")


def test_archspecs_library_files_cannot_reach_out_of_their_library() -> None:
    found = problems_of(
        'name: n\ninput: [1]\nimports: ["@torchvision/../../frontend/prelude", "@torchvision/../torchvision/resnet"]\nlayers: [relu]\n'
    )
    assert [p.message for p in found] == [  # a path that leaves and comes back is refused too
        "import '@torchvision/../../frontend/prelude' leaves archspec's library torchvision",
        "import '@torchvision/../torchvision/resnet' leaves archspec's library torchvision",
    ]


def test_library_files_get_the_same_budgets_as_any_file(tmp_path: Path) -> None:
    spec = write(
        tmp_path, "net.yaml", 'name: n\ninput: [3, 8, 8]\nimports: ["@torchvision/resnet"]\nlayers: [relu]\n'
    )
    with pytest.raises(SpecError) as caught:
        archspec.load(spec, limits=archspec.Limits(max_bytes=1000))
    (problem,) = caught.value.diagnostics
    assert problem.code == "E400" and problem.span.line == 1
    assert Path(problem.span.file).as_posix().endswith("archspec/library/torchvision/resnet.yaml")


def test_an_error_in_a_library_file_points_at_its_line(tmp_path: Path) -> None:
    lib = write(tmp_path, "lib/act.yaml", "blocks:\n  act:\n    layers: [reluu]\n")
    spec = write(tmp_path, "net.yaml", 'name: n\ninput: [1]\nimports: ["@lib/act"]\nlayers: [relu]\n')
    (problem,) = library_problems(spec, lib=tmp_path / "lib")
    assert problem.code == "E203" and problem.span == archspec.Span(str(lib.resolve()), 3, 14)
