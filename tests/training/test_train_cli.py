"""`actlab toy` and `actlab train` through click's CliRunner, good paths and bad."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from actlab.cli import main
from actlab.training import TrialResult


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def one_line_error(result) -> str:
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output
    return lines[0]


def test_train_prints_a_summary_and_writes_logs(tmp_path):
    out = tmp_path / "run"
    result = run("train", "--dataset", "digits", "--model", "mlp", "--activation", "elu",
                 "--param", "alpha=0.5", "--model-option", "widths=[32]", "--epochs", "5",
                 "--lr", "0.01",
                 "--output", str(out), "--no-progress", "--device", "cpu")
    assert result.exit_code == 0, result.output
    assert "test accuracy" in result.output and "mlp / elu on digits" in result.output
    assert "act1: mean" in result.output and "tensorboard --logdir" in result.output
    saved = TrialResult.load(out / "result.json")
    assert saved.config["activation_params"] == {"alpha": 0.5}
    assert saved.config["model_options"] == {"widths": [32]}
    assert saved.final["test_accuracy"] > 0.5
    assert any((out / "tensorboard").iterdir())
    assert (out / "curves.png").is_file() and (out / "first_layer_gradients.png").is_file()
    again = run("train", "--dataset", "digits", "--model", "mlp", "--activation", "elu",
                "--steps", "2", "--output", str(out), "--no-progress", "--no-probes")
    assert again.exit_code == 0 and (tmp_path / "run-2" / "result.json").is_file()


def test_toy_prints_what_seed_000_prints_and_saves_curves(tmp_path):
    result = run("toy", "--epochs", "30", "--seed", "1", "--output", str(tmp_path),
                 "--no-tensorboard")
    assert result.exit_code == 0, result.output
    for name in ("sigmoid", "tanh", "softmax", "relu", "leaky_relu(0.01)", "elu"):
        assert f"===== {name} =====" in result.output
    assert result.output.count("~~~ pre-trained predictions") == 6
    assert result.output.count("~~~ trained predictions") == 6
    assert result.output.count("final loss") == 6
    assert (tmp_path / "toy_curves.png").stat().st_size > 1000
    assert (tmp_path / "softmax" / "curves.png").is_file()
    softmax = TrialResult.load(tmp_path / "softmax" / "result.json")
    rows = softmax.predictions_after.outputs
    assert all(abs(sum(row) - 1) < 1e-5 for row in rows)  # softmax outputs sum to one
    assert len(softmax.history) == 30  # one Keras history entry per epoch


def test_corrupt_mnist_file_is_one_clear_line(tmp_path, shared_data_dir):
    mnist = tmp_path / "mnist"
    shutil.copytree(shared_data_dir / "mnist", mnist)
    (mnist / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(b"not an idx file"))
    result = run("train", "--dataset", "mnist", "--model", "mnist_cnn", "--activation",
                 "relu", "--steps", "1", "--data-dir", str(tmp_path), "--output",
                 str(tmp_path / "out"), "--no-progress")
    line = one_line_error(result)
    assert "train-images-idx3-ubyte.gz" in line and "MD5" in line


def test_model_that_cannot_take_the_dataset(tmp_path, mnist1d_cache, mnist1d):
    cache = mnist1d_cache
    result = run("train", "--dataset", "mnist1d", "--model", "mnist_cnn", "--activation",
                 "relu", "--steps", "1", "--output", str(tmp_path), "--no-progress",
                 env={"ACTLAB_CACHE_DIR": str(cache)})
    line = one_line_error(result)
    assert "mnist_cnn" in line and "1x28x28" in line and "shape 40" in line


@pytest.mark.parametrize("args, fragment", [
    (["--activation", "relux", "--steps", "1"], "unknown activation 'relux'"),
    (["--activation", "relu"], "exactly one of epochs and steps"),
    (["--activation", "relu", "--steps", "1", "--epochs", "1"], "exactly one of"),
    (["--activation", "relu", "--steps", "1", "--model-option", "depth"], "KEY=VALUE"),
    (["--activation", "relu", "--steps", "1", "--model-option", "dept=2"], "'depth'"),
])
def test_bad_options_are_one_clear_line(tmp_path, args, fragment):
    result = run("train", "--dataset", "digits", "--model", "mlp", *args, "--output",
                 str(tmp_path), "--no-progress")
    assert fragment in one_line_error(result)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_cuda_without_a_gpu_is_one_clear_line(tmp_path):
    result = run("train", "--dataset", "digits", "--model", "mlp", "--activation", "relu",
                 "--steps", "1", "--device", "cuda", "--output", str(tmp_path),
                 "--no-progress")
    assert "no CUDA GPU" in one_line_error(result)


def test_toy_refuses_an_unknown_activation_before_training(tmp_path):
    result = run("toy", "-a", "softmax", "-a", "nope", "--output", str(tmp_path))
    assert "unknown activation 'nope'" in one_line_error(result)
    assert not Path(tmp_path, "softmax").exists()
