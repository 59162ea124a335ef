"""Fixtures of the study tests: the shared MNIST files, a small study run through the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest


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
