"""archspec sweep on the command line: CSV or JSON lines, -o, --where, -j, the progress bar."""

from __future__ import annotations

import io
import json
from argparse import Namespace
from pathlib import Path

from archspec.cli import _parser, main, run

from .family import write

GRID = "depth: [1, 2]\nwidth: [8, 10]\ngroups: [1, 2]\n"


def sweep(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(_parser().parse_args(["sweep", *args]), out, err)
    return code, out.getvalue(), err.getvalue()


def test_csv_rows_on_stdout_with_a_header(tmp_path: Path) -> None:
    spec, grid = write(tmp_path, GRID)
    code, out, err = sweep(spec, "--grid", grid)
    lines = out.splitlines()
    assert code == 0 and err == ""  # not a terminal: no progress bar
    assert lines[0] == "member,depth,width,groups,params,macs,activations,output,valid_sizes,error"
    assert len(lines) == 9 and lines[1].startswith("0,1,8,1,")


def test_json_lines_and_a_where_budget(tmp_path: Path) -> None:
    spec, grid = write(tmp_path, GRID)
    code, out, _ = sweep(spec, "--grid", grid, "--format", "jsonl", "--where", "macs < 5e5 and params < 1000")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and rows
    assert all(r["error"] or (r["macs"] < 5e5 and r["params"] < 1000) for r in rows)


def test_j2_writes_the_file_of_j1_byte_for_byte(tmp_path: Path) -> None:
    spec, grid = write(
        tmp_path, "depth: [1, 2, 3]\nwidth: {start: 8, stop: 32, step: 2}\ngroups: [1, 2, 4]\n"
    )
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    assert main(["sweep", spec, "--grid", grid, "-o", str(one)]) == 0
    assert main(["sweep", spec, "--grid", grid, "-o", str(two), "-j", "2"]) == 0
    assert one.read_bytes() == two.read_bytes() and len(one.read_text().splitlines()) == 1 + 3 * 13 * 3


def test_a_sample_is_the_same_for_a_seed(tmp_path: Path) -> None:
    spec, grid = write(
        tmp_path, "depth: {uniform_int: [1, 3]}\nwidth: {log_uniform: [8, 64], multiple_of: 8}\n"
    )
    first = sweep(spec, "--grid", grid, "--sample", "20", "--seed", "3")
    assert first == sweep(spec, "--grid", grid, "--sample", "20", "--seed", "3")
    assert first[1] != sweep(spec, "--grid", grid, "--sample", "20", "--seed", "4")[1]
    assert len(first[1].splitlines()) == 21


def test_a_refused_output_leaves_no_file_and_is_a_usage_error(tmp_path: Path) -> None:
    spec, grid = write(tmp_path, GRID)
    assert main(["sweep", spec, "--grid", grid, "-o", str(tmp_path)]) == 2
    assert main(["sweep", spec, "--grid", grid, "-o", spec]) == 2  # an input of the sweep
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fam.yaml", "grid.yaml"]


def test_a_bad_grid_or_filter_is_exit_1_with_its_code(tmp_path: Path) -> None:
    spec, grid = write(tmp_path, "depht: [1]\n")
    code, out, err = sweep(spec, "--grid", grid)
    assert code == 1 and out == "" and "error[E502]" in err and "did you mean 'depth'" in err
    spec, grid = write(tmp_path, GRID)
    code, out, err = sweep(spec, "--grid", grid, "--where", "flops < 1")
    assert code == 1 and out == "" and "error[E503]" in err


def test_a_spec_without_params_is_no_family(tmp_path: Path) -> None:
    spec, grid = write(tmp_path, GRID, "archspec: 1\nname: n\ninput: [3, 8, 8]\nlayers: [relu]\n")
    code, _, err = sweep(spec, "--grid", grid)
    assert code == 1 and "error[E500]" in err and "no family" in err


def test_the_progress_bar_is_drawn_on_a_terminal_only(tmp_path: Path) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    spec, grid = write(tmp_path, GRID)
    out, err = io.StringIO(), Terminal()
    assert run(_parser().parse_args(["sweep", spec, "--grid", grid]), out, err) == 0
    assert "8/8 (100%)" in err.getvalue() and "ETA" in err.getvalue()


def test_scheduler_without_dask_is_a_usage_error(tmp_path: Path) -> None:
    spec, grid = write(tmp_path, GRID)
    assert sweep(spec, "--grid", grid, "--scheduler", "tcp://x:1")[0] == 2
    assert isinstance(_parser().parse_args(["sweep", spec, "--grid", grid]), Namespace)


def test_the_worked_example_of_docs_cli_md_is_what_archspec_prints(capsys) -> None:  # type: ignore[no-untyped-def]
    text = Path("docs/cli.md").read_text().split("### A RegNet-style design space", 1)[1]
    family, grid, sample = (
        "specs/families/anynet.yaml",
        "sweeps/anynet.grid.yaml",
        "sweeps/anynet.sample.yaml",
    )
    shown = text.split("| head -4\n", 1)[1].split("\n\n", 1)[0]
    assert main(["sweep", family, "--grid", grid]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "\n".join(line.removeprefix("    ") for line in shown.splitlines()) == "\n".join(out[:4])
    assert main(["sweep", family, "--grid", grid, "--where", "macs < 1.5e8 and params < 1.5e6"]) == 0
    kept = len(capsys.readouterr().out.splitlines()) - 1
    assert f"A compute budget keeps {kept} of them" in text
    shown = text.split("--sample 3\n", 1)[1].split("\n\n", 1)[0]
    assert main(["sweep", family, "--grid", sample, "--sample", "3"]) == 0
    expected = "\n".join(line.removeprefix("    ") for line in shown.splitlines())
    assert capsys.readouterr().out.rstrip("\n") == expected


def test_a_limit_reaches_every_member_each_a_row_with_its_error(tmp_path: Path) -> None:
    spec, grid = write(tmp_path, GRID)
    code, out, _ = sweep(spec, "--grid", grid, "--format", "jsonl")
    assert code == 0 and not any("E403" in (json.loads(line)["error"] or "") for line in out.splitlines())
    code, out, _ = sweep(spec, "--grid", grid, "--format", "jsonl", "--limit", "max_layers=2")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(rows) == 8
    assert all(row["error"] is not None and "E403" in row["error"] for row in rows)


def test_the_limits_of_a_config_file_reach_the_sweep(tmp_path: Path) -> None:
    spec, grid = write(tmp_path, GRID)
    config = tmp_path / "settings.toml"
    config.write_text("[tool.archspec]\nlimits = {max_layers = 2}\n")
    code, out, _ = sweep(spec, "--grid", grid, "--format", "jsonl", "--config", str(config))
    assert code == 0 and all("E403" in json.loads(line)["error"] for line in out.splitlines())


def test_no_plugins_reaches_the_family_and_its_workers(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import archspec
    from archspec.sweep import engine

    asked: list[bool] = []
    load = archspec.load

    def recording(*args, **kwargs):  # type: ignore[no-untyped-def]
        asked.append(kwargs.get("plugins", True))
        return load(*args, **kwargs)

    monkeypatch.setattr(archspec, "load", recording)
    spec, grid = write(tmp_path, GRID)
    code, _, _ = sweep(spec, "--grid", grid, "--no-plugins")
    assert code == 0 and asked == [False]
    job = engine.Job(spec, plugins=False)
    assert job.spec() is not None and asked == [False, False]
