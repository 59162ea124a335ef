"""Fixtures of the study tests: the shared MNIST files, a small study run through the CLI."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")
os.environ.setdefault("KERAS_BACKEND", "torch")

SHARED_DATA = (Path(__file__).parents[2] / ".." / "shared" / "data").resolve()


@pytest.fixture(scope="session")
def shared_data_dir() -> Path:
    """The verified MNIST files shared by the team."""
    if not (SHARED_DATA / "mnist" / "train-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"the shared MNIST files are not at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def quick_study_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """`actlab compare` (the quick default) cut to 2 activations x 2 seeds x 1 epoch."""
    from click.testing import CliRunner

    from actlab.cli import main

    folder = tmp_path_factory.mktemp("quick") / "study"
    result = CliRunner().invoke(main, ["compare", "--activations", "relu,tanh", "--seeds", "2",
                                       "--epochs", "1", "--workers", "1",
                                       "--output", str(folder)])
    assert result.exit_code == 0, result.output
    return folder, result.output
