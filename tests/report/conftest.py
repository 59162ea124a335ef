"""Shared fixtures of the report tests: one gallery, built once through the CLI."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pytest
from click.testing import CliRunner

matplotlib.use("Agg")

from actlab.cli import main  # noqa: E402


@pytest.fixture(scope="session")
def gallery_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`actlab gallery OUTDIR` on the whole catalog (OUTDIR does not exist before)."""
    outdir = tmp_path_factory.mktemp("gallery") / "site"
    result = CliRunner().invoke(main, ["gallery", str(outdir)])
    assert result.exit_code == 0, result.output
    return outdir
