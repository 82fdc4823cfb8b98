"""Hostile and broken specs: each fails cleanly, and nothing in a spec ever runs.

Every case goes through ``archspec validate`` in-process (exit 1, the file
named with its line and column, under a second and under 100 MiB by
tracemalloc) and through the Python API (only SpecError, every diagnostic
located); a few run as a real subprocess, whose own peak RSS is measured with
``os.wait4``. The budgets (parameters, activations) and the limits' pass-through
are tested here too. See docs/security.md.
"""

from __future__ import annotations

import math
import random
import re
import signal
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

import archspec
from archspec.cli import main
from archspec.diagnostics import SpecError
from archspec.primitives.registry import primitives

MiB = 1 << 20
HEAD = "name: net\ninput: [1, 8, 8]\nlayers:\n"


def laughs() -> str:
    """The classic billion laughs: 9 levels of 9 aliases, about 500 bytes, 9**9 leaves."""
    lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level, name in enumerate("bcdefghi"):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{'abcdefghi'[level]}"] * 9) + "]")
    return "\n".join(lines) + "\nname: net\ninput: [1]\nlayers: [*i]\n"


def mapping_bomb() -> str:
    lines = ["m0: &m0 {a: lol, b: lol, c: lol, d: lol, e: lol, f: lol, g: lol, h: lol, i: lol}"]
    for i in range(1, 10):
        lines.append(f"m{i}: &m{i} {{" + ", ".join(f"{k}: *m{i - 1}" for k in "abcdefghi") + "}")
    return "\n".join(lines) + "\n"


def doubling_bomb(aliases: int = 25) -> str:
    """Each anchor is a list of two aliases of the one before: 2**25 leaves from 25 lines."""
    lines = ["a0: &a0 [lol, lol]"] + [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]" for i in range(1, aliases + 1)]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Case:
    """A hostile file; ``codes`` are the acceptable codes of its first diagnostic."""

    id: str
    content: bytes
    codes: tuple[str, ...]
    line: int | None = None  # the line of the first diagnostic, where it is known
    needle: str = ""  # a fragment of its message


def case(id: str, content: str | bytes, codes: str, line: int | None = None, needle: str = "") -> Case:
    raw = content.encode() if isinstance(content, str) else content
    return Case(id, raw, tuple(codes.split()), line, needle)


CASES = [
    case("python-tag", "!!python/object/apply:os.system ['touch MARKER']\n", "E102", 1),
    case("python-tag-in-a-value", HEAD + "  - !!python/object/new:os.system [touch MARKER]\n", "E102", 4),
    case("python-tag-on-a-key", "!!python/name:os.system x: 1\n", "E102", 1),
    case(
        "python-tag-by-directive",
        "%TAG !p! tag:yaml.org,2002:python/\n---\na: !p!name:os.system\n",
        "E102",
        3,
    ),
    case("list-alias-bomb", laughs(), "E401", 6, "more than 100,000 YAML nodes"),
    case("mapping-alias-bomb", mapping_bomb(), "E401", None, "more than 100,000 YAML nodes"),
    case("doubling-bomb", doubling_bomb(), "E401", None, "more than 100,000 YAML nodes"),
    case("recursive-alias-list", "name: net\nlayers: &a [relu, *a]\n", "E100", 2, "recursive alias"),
    case("recursive-alias-mapping", "name: &n {a: *n}\n", "E100", 1, "recursive alias"),
    case("duplicate-keys", "name: a\ninput: [1]\nname: b\n", "E101", 3, "first at line 1"),
    case("nested-brackets", "[" * 100_000, "E402", 1, "deeper than 64"),
    case("nested-mappings", "{a: " * 2000 + "1" + "}" * 2000, "E402", 1, "deeper than 64"),
    case("nested-block-mappings", "".join(f"{'  ' * i}a:\n" for i in range(100)), "E402", 66),
    case("nul-byte", HEAD + "  - relu\x00\n", "E106", 4, "'\\x00'"),
    case("invalid-utf8", HEAD.encode() + b"  - r\xffelu\n", "E100", 4, "not valid UTF-8"),
    case("empty", "", "E103", 1),
    case("comment-only", "# nothing here\n# at all\n", "E103", 1),
    case("multi-document", HEAD + "  - relu\n---\n" + HEAD + "  - relu\n", "E103", 5),
    case("top-level-list", "- relu\n- relu\n", "E103", 1, "got list"),
    case("top-level-scalar", "relu\n", "E103", 1, "got string"),
    case("tabs", HEAD + "\t- relu\n", "E100", 4),
    case("bad-indentation", "name: net\n  input: [1]\nlayers: [relu]\n", "E100", 2),
    case("six-megabytes", "# " + "x" * (6 * MiB) + "\n", "E400", 1),
    case("5000-digit-int", HEAD + "  - linear: {out_features: " + "9" * 5000 + "}\n", "E200", 4),
    case("20000-bit-int", HEAD + "  - linear: {out_features: 0b" + "1" * 20_000 + "}\n", "E200", 4),
    case("bidi-in-a-name", "name: res\u202enet\ninput: [1]\nlayers: [relu]\n", "E106", 1, "'\\u202e'"),
    case("bidi-in-a-comment", HEAD + "  - relu  # \u2067hidden\u2069\n", "E106", 4, "'\\u2067'"),
    case("full-width-name", "name: ｒesnet\ninput: [1]\nlayers: [relu]\n", "E200", 1, "'\\uff52'"),
    case("full-width-layer-name", HEAD + "  - relu: {name: ａct}\n", "E200", 4, "'\\uff41'"),
    case("random-bytes", random.Random(6).randbytes(4096), "E100 E106"),
    case("random-printable", "".join(random.Random(7).choices("{}[]:,-&*!|>'\"#%@` \n\tab1", k=3000)), ""),
    case("sexagesimal", HEAD + "  - linear: {out_features: 1:2}\n", "E104", 4, "base-60"),
    case("octal", HEAD + "  - linear: {out_features: 012}\n", "E104", 4, "octal"),
    case("yes-key", HEAD + "  - conv: {out_channels: 4, kernel_size: 3, yes: 1}\n", "E105", 4),
    case("nan", HEAD + "  - dropout: {p: .nan}\n", "E200", 4, "not a finite number"),
    case(
        "huge-parameters", HEAD + "  - flatten\n  - linear: {out_features: 4611686018427387904}\n", "E404", 5
    ),
    case("huge-activation", "name: net\ninput: [65536, 65536, 65536]\nlayers: [relu]\n", "E405", 2),
    case("utf-16-without-bom", (HEAD + "  - relu\n").encode("utf-16-le"), "E100", 1, "looks like UTF-16"),
    case("utf-16-with-bom", (HEAD + "  - relu\n").encode("utf-16"), "E100", 1, "looks like UTF-16"),
    case("utf-32-with-bom", (HEAD + "  - relu\n").encode("utf-32"), "E100", 1, "looks like UTF-32"),
    case(
        # The escape is refused as a character (E106) before the path is looked at.
        "nul-in-an-import",
        'name: n\ninput: [1]\nimports: ["a\\0b.yaml"]\nlayers: [relu]\n',
        "E106",
        3,
        "U+0000",
    ),
    case(
        "long-import", f"name: n\ninput: [1]\nimports: [{'x' * 300}]\nlayers: [relu]\n", "E208", 3, "too long"
    ),
    case(
        "self-import",
        "name: n\ninput: [1]\nimports: [self-import.yaml]\nlayers: [relu]\n",
        "E208",
        3,
        "import cycle: self-import.yaml -> self-import.yaml",
    ),
]
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
LOCATION = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<column>\d+): error\[(?P<code>E\d{3})\]: ")


def write(tmp_path: Path, hostile: Case) -> Path:
    path = tmp_path / f"{hostile.id}.yaml"
    path.write_bytes(hostile.content.replace(b"MARKER", str(tmp_path / "ran").encode()))
    return path


@contextmanager
def measured() -> Iterator[dict[str, float]]:
    """Wall time (s) and tracemalloc peak (MiB) of the block."""
    result: dict[str, float] = {}
    tracemalloc.start()
    start = time.perf_counter()
    try:
        yield result
    finally:
        result["seconds"] = time.perf_counter() - start
        result["mib"] = tracemalloc.get_traced_memory()[1] / MiB
        tracemalloc.stop()


@pytest.mark.parametrize("hostile", CASES, ids=[c.id for c in CASES])
def test_validate_fails_cleanly(hostile: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, hostile)
    with measured() as cost:
        code = main(["validate", str(path)])
    err = capsys.readouterr().err
    assert code == 1, err
    first = LOCATION.match(err)
    assert first is not None, err[:300]
    assert first["file"] == str(path)
    assert int(first["line"]) >= 1 and int(first["column"]) >= 1
    if hostile.codes:
        assert first["code"] in hostile.codes, err[:300]
    if hostile.line is not None:
        assert int(first["line"]) == hostile.line, err[:300]
    assert hostile.needle in err
    # look-alikes and bidi controls are shown escaped in the message, and never raw anywhere
    assert err.splitlines()[0].replace("…", "").isascii(), err[:300]
    assert not UNSAFE.search(err), err[:300]
    assert len(err) < 2000  # nothing huge is echoed
    assert cost["seconds"] < 1.0, cost
    assert cost["mib"] < 100, cost
    assert not (tmp_path / "ran").exists()


@pytest.mark.parametrize("hostile", CASES, ids=[c.id for c in CASES])
def test_the_api_raises_only_located_spec_errors(hostile: Case, tmp_path: Path) -> None:
    path = write(tmp_path, hostile)
    calls: list[Callable[[], object]] = [
        lambda: archspec.compile(archspec.loads(path.read_bytes(), str(path))),
        lambda: archspec.compile(archspec.load(path)),
        lambda: archspec.compile(path),
    ]
    for call in calls:
        with pytest.raises(SpecError) as caught:
            call()
        assert caught.value.diagnostics
        for diagnostic in caught.value.diagnostics:
            assert diagnostic.span is not None and diagnostic.span.line >= 1, diagnostic
            assert diagnostic.span.file == str(path)
    assert not (tmp_path / "ran").exists()


@pytest.mark.parametrize("command", ["compile", "validate", "check", "diagram"])
@pytest.mark.parametrize("hostile_id", ["python-tag", "doubling-bomb", "huge-parameters"])
def test_every_command_exits_1(
    command: str, hostile_id: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, next(c for c in CASES if c.id == hostile_id))
    assert main([command, str(path)]) == 1
    assert capsys.readouterr().err.startswith(f"{path}:")
    assert not (tmp_path / "ran").exists()


def test_schema_to_an_unwritable_path_is_a_usage_error(tmp_path: Path) -> None:
    assert main(["schema", "-o", str(tmp_path)]) == 2  # a directory
    assert main(["schema", "-o", str(tmp_path / "missing" / "schema.json")]) == 2


# The child reports its own peak RSS (VmHWM): a forked child's ru_maxrss would
# include the pages of the big pytest process it was forked from.
CHILD = """\
import sys
from archspec.cli import main
code = main(sys.argv[1:])
with open("/proc/self/status") as status:
    print(next(line for line in status if line.startswith("VmHWM:")).split()[1])
sys.exit(code)
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the peak RSS from /proc")
@pytest.mark.parametrize("hostile_id", ["python-tag", "doubling-bomb"])
def test_validate_in_a_subprocess(hostile_id: str, tmp_path: Path) -> None:
    path = write(tmp_path, next(c for c in CASES if c.id == hostile_id))
    child = subprocess.run(
        [sys.executable, "-c", CHILD, "validate", str(path)], capture_output=True, text=True, timeout=60
    )
    assert child.returncode == 1, child.stderr
    assert LOCATION.match(child.stderr) is not None, child.stderr
    assert child.stderr.startswith(f"{path}:")
    peak_mib = int(child.stdout.splitlines()[-1]) / 1024  # kB
    assert peak_mib < 100, peak_mib  # the whole interpreter, pydantic included
    assert not (tmp_path / "ran").exists()


def test_python_dash_m_archspec_exits_1(tmp_path: Path) -> None:
    path = write(tmp_path, next(c for c in CASES if c.id == "python-tag"))
    child = subprocess.run(
        [sys.executable, "-m", "archspec", "validate", str(path)], capture_output=True, text=True, timeout=60
    )
    assert child.returncode == 1
    assert child.stderr.startswith(f"{path}:1:1: error[E102]: ")
    assert not (tmp_path / "ran").exists()


# -- nothing in a spec runs ---------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        "!!python/object/apply:os.system ['touch {marker}']",
        "!!python/object/apply:subprocess.check_call [[touch, {marker}]]",
        "!!python/object/new:subprocess.Popen [[touch, {marker}]]",
        "!!python/name:os.system",
        "!!python/module:os",
        "!<tag:yaml.org,2002:python/object/apply:os.system> ['touch {marker}']",
        "&a !!python/object/apply:os.system ['touch {marker}']",
    ],
)
@pytest.mark.parametrize("where", ["document", "value", "layer", "key"])
def test_no_tag_can_run_code(payload: str, where: str, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    payload = payload.format(marker=marker)
    text = {
        "document": f"{payload}\n",
        "value": f"name: {payload}\ninput: [1]\nlayers: [relu]\n",
        "layer": f"{HEAD}  - {payload}\n",
        "key": f"name: net\n? {payload}\n: 1\n",
    }[where]
    with pytest.raises(SpecError) as caught:
        archspec.compile(archspec.loads(text))
    assert [d.code for d in caught.value.diagnostics] == ["E102"]
    assert not marker.exists()


@pytest.mark.parametrize(
    "expression",
    [
        "=__import__('os').system('touch {marker}')",
        "=open('{marker}', 'w')",
        "=(1).__class__.__bases__[0].__subclasses__()",
        "=[c for c in ().__class__.__base__.__subclasses__()]",
        "=exec('import os')",
        "=eval('1')",
        "=globals()",
        "=lambda: 1",
        "=out.__class__",
    ],
)
def test_no_expression_can_run_code(expression: str, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    text = (
        "name: net\ninput: [1, 8, 8]\n"
        "blocks:\n  evil:\n    params: {out: int}\n    layers:\n"
        f'      - conv: {{out_channels: "{expression.format(marker=marker)}", kernel_size: 1}}\n'
        "layers:\n  - evil: {out: 4}\n"
    )
    with pytest.raises(SpecError) as caught:
        archspec.compile(archspec.loads(text, str(tmp_path / "spec.yaml")))
    assert {d.code for d in caught.value.diagnostics} == {"E206"}
    assert not marker.exists()


@pytest.mark.parametrize("target", ["/etc/passwd", "../../../../../../etc/passwd", "../outside.yaml"])
def test_imports_never_leave_the_spec_folder(target: str, tmp_path: Path) -> None:
    (tmp_path / "outside.yaml").write_text("blocks: {}\n")
    folder = tmp_path / "specs"
    folder.mkdir()
    spec = folder / "net.yaml"
    spec.write_text(f"name: net\ninput: [1]\nimports: ['{target}']\nlayers: [relu]\n")
    with pytest.raises(SpecError) as caught:
        archspec.load(spec)
    assert [d.code for d in caught.value.diagnostics] == ["E208"]
    assert caught.value.diagnostics[0].span.line == 3


# -- strict values --------------------------------------------------------------

FIELD_VALUES = [math.nan, math.inf, -math.inf, -1, True, "1", 1.5]
# Fields whose negative values mean something, as in PyTorch (a dim counted from the end,
# a slope or a scale): each is a decision, listed here, not a bound left out by mistake.
NEGATIVE_ALLOWED = {
    ("softmax", "dim"),
    ("log_softmax", "dim"),
    ("leaky_relu", "negative_slope"),
    ("elu", "alpha"),
    ("flatten", "start_dim"),
    ("flatten", "end_dim"),
    ("unflatten", "dim"),
    ("scale", "init"),
    ("split", "dim"),
    ("parameter", "init"),
    ("chunk", "dim"),
    ("roll", "shifts"),  # towards the start (Swin's shifted windows roll back by -shift)
    ("roll", "dims"),
    ("select", "dim"),
    ("select", "index"),  # from the end, as a Python index
}


@pytest.mark.parametrize("name", sorted(primitives()))
def test_every_field_refuses_non_finite_negative_and_mistyped_values(name: str) -> None:
    model = primitives()[name].params
    for field, info in model.model_fields.items():
        types = {info.annotation, *getattr(info.annotation, "__args__", ())}
        if bool in types:  # a flag (or an optional one): anything but a bool is refused
            bad = [v for v in FIELD_VALUES if not isinstance(v, bool)]
        elif float in types:
            bad = [v for v in FIELD_VALUES if v != 1.5]
        elif field == "name":
            bad = [v for v in FIELD_VALUES if not isinstance(v, str)]
        else:
            bad = FIELD_VALUES
        if (name, field) in NEGATIVE_ALLOWED:
            bad = [v for v in bad if v != -1]
        for value in bad:
            errors = model_errors(model, {field: value})
            assert any(loc[0] == field for loc in errors), f"{name}.{field} accepts {value!r}"


def model_errors(model: type, data: dict[str, object]) -> list[tuple[object, ...]]:
    from archspec.frontend.model import ValidationError

    try:
        model.model_validate(data)  # type: ignore[attr-defined]
    except ValidationError as error:
        return [tuple(item["loc"]) for item in error.errors()]
    return []


def test_yes_where_an_int_belongs_gets_a_hint_to_quote() -> None:
    with pytest.raises(SpecError) as caught:
        archspec.loads(HEAD + "  - conv: {out_channels: yes, kernel_size: 3}\n")
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.code == "E200"
    assert "got True" in diagnostic.message
    assert "YAML 1.1 reads yes as the boolean true; quote it ('yes')" in diagnostic.hint


def test_a_number_yaml_reads_as_text_gets_a_hint() -> None:
    with pytest.raises(SpecError) as caught:
        archspec.loads(HEAD + "  - batchnorm: {eps: 1e-5}\n")
    assert "1.0e-5" in caught.value.diagnostics[0].hint


def test_a_layer_path_with_a_look_alike_or_a_newline_is_escaped() -> None:
    with pytest.raises(SpecError) as caught:
        archspec.loads(HEAD + '  - relu: {name: "ok\\nnet.yaml:1:1: error[E000]: forged"}\n')
    text = str(caught.value)
    assert len(text.splitlines()) == 2  # the message and its hint: no forged line
    assert "layer ok\\nnet.yaml" in text


# -- resource budgets ---------------------------------------------------------


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs SIGALRM")
def test_a_huge_kernel_fails_fast() -> None:
    with deadline(1.0), pytest.raises(SpecError):
        archspec.compile(archspec.loads(HEAD + "  - conv: {out_channels: 4, kernel_size: 4000000000000}\n"))


def test_a_huge_repeat_is_refused_before_it_allocates() -> None:
    with pytest.raises(SpecError, match="must be <= 1000000"):
        archspec.compile(archspec.loads(HEAD + "  - repeat: {n: 4611686018427387904, layers: [relu]}\n"))
    with pytest.raises(SpecError, match="E403"):
        archspec.compile(archspec.loads(HEAD + "  - repeat: {n: 1000000, layers: [relu]}\n"))


def test_an_expression_cannot_build_a_huge_list() -> None:
    with pytest.raises(SpecError, match="E206"):
        archspec.compile(
            archspec.loads(HEAD + '  - conv: {out_channels: 4, kernel_size: "=[1] * 4611686018427387904"}\n')
        )


def test_compile_to_source_with_a_quote_in_the_description(tmp_path: Path) -> None:
    path = tmp_path / "net.yaml"
    path.write_text('name: net\ndescription: a quote"\ninput: [1, 8, 8]\nlayers: [relu]\n')
    assert main(["compile", str(path), "-o", str(tmp_path / "net.py")]) == 0
    assert "a quote'" in (tmp_path / "net.py").read_text()


def test_a_superscript_digit_in_input_is_a_usage_error() -> None:
    assert main(["compile", "specs/nin.yaml", "--input", "1x\u00b2x3"]) == 2


def test_a_huge_invalid_input_override_is_a_spec_error() -> None:
    with pytest.raises(SpecError):
        archspec.compile("specs/nin.yaml", input=[10**5000, 0])


# -- paths: the SPEC argument is any path at all --------------------------------------
