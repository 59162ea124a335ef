"""`actlab plot` and `actlab transform` through click's runner: files, names, one-line errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from actlab.cli import main


@pytest.fixture
def runner(tmp_path, monkeypatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def _ok(runner: CliRunner, args: list[str]) -> Path:
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    path = Path(result.stdout.strip())
    assert path.is_file()
    return path


def test_plot_writes_a_default_file_and_prints_its_path(runner):
    path = _ok(runner, ["plot", "relu", "leaky_relu(0.5)", "x*sigmoid(1.702*x)",
                        "--derivatives"])
    assert path.name == "relu_leaky_relu_0.5_x_sigmoid_1.702_x_derivatives.png"
    assert path.read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize(("name", "magic"), [("a.svg", b"<?xml"), ("a.pdf", b"%PDF-"),
                                             ("a.png", b"\x89PNG")])
def test_plot_output_format_by_extension(runner, name, magic):
    path = _ok(runner, ["plot", "keras:leaky_relu", "--range", "-3", "3", "--points", "50",
                        "--output", name])
    assert path.read_bytes().startswith(magic)


def test_vector_plot_and_transform(runner):
    assert _ok(runner, ["plot", "softmax"]).name == "softmax.png"
    assert _ok(runner, ["plot", "glu", "--inputs", "1,2,-1,0"]).name == "glu.png"
    path = _ok(runner, ["transform"])
    assert path.name == "transform_tanh_sigmoid_relu_leaky_relu_0.5_softmax_x_2.png"
    assert _ok(runner, ["transform", "elu", "--inputs", "-1 0 1", "-o", "t.svg"]).name == "t.svg"


@pytest.mark.parametrize(("args", "message"), [
    (["plot", "rleu"], "unknown activation 'rleu'; did you mean 'relu'"),
    (["plot", "relu", "--range", "2", "1"], "low < high"),
    (["plot", "relu", "--range", "0", "inf"], "must be finite"),
    (["plot", "relu", "--range", "nan", "1"], "must be finite"),
    (["plot", "relu", "--points", "1"], "number of points must be between 2"),
    (["plot", "relu", "-o", "f.gif"], "cannot tell the figure format"),
    (["plot", "relu", "-o", "missing/f.png"], "does not exist"),
    (["plot", "relu", "softmax"], "cannot draw softmax"),
    (["plot", "softmax", "--inputs", "1,a"], "numbers separated by commas"),
    (["transform", "glu"], "glu is gated"),
    (["transform", "relu", "--inputs", ""], "non-empty"),
    (["gallery", "missing/deeper/site"], "does not exist"),
])
def test_user_errors_are_one_line_and_nothing_is_written(runner, tmp_path, args, message):
    result = runner.invoke(main, args)
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], lines
    assert os.listdir(tmp_path) == []


def test_usage_errors_exit_2(runner):
    result = runner.invoke(main, ["plot", "relu", "--points", "many"])
    assert result.exit_code == 2
    result = runner.invoke(main, ["plot"])
    assert result.exit_code == 2
