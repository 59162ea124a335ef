"""Settings and fixtures every test area shares."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest

from support.paths import SHARED_DATA

# Keras is a test dependency used through its PyTorch backend; plots never need a screen.
os.environ.setdefault("KERAS_BACKEND", "torch")
matplotlib.use("Agg")


@pytest.fixture(scope="session")
def shared_data_dir() -> Path:
    """The verified MNIST and Fashion-MNIST files shared by the team."""
    if not (SHARED_DATA / "mnist" / "train-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"the shared MNIST files are not at {SHARED_DATA}")
    return SHARED_DATA


def pytest_report_header(config) -> list[str]:
    """The framework versions the flavor tests compare actlab with (or that are missing)."""
    from support.frameworks import FRAMEWORK_PACKAGES, framework_available, framework_version

    found = [framework_version(f) if framework_available(f) else f"{f}: not installed"
             for f in FRAMEWORK_PACKAGES]
    return ["frameworks checked: " + ", ".join(found)]
