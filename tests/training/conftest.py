"""Fixtures for the training tests: real datasets loaded once per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")

SHARED_DATA = (Path(__file__).parents[2] / ".." / "shared" / "data").resolve()


@pytest.fixture(scope="session")
def shared_data_dir() -> Path:
    """The verified MNIST and Fashion-MNIST files shared by the team."""
    if not (SHARED_DATA / "mnist" / "train-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"the shared MNIST files are not at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def mnist(shared_data_dir: Path):
    from actlab.data import load_dataset

    return load_dataset("mnist", data_dir=shared_data_dir, download=False)


@pytest.fixture(scope="session")
def mnist1d(request: pytest.FixtureRequest):
    from actlab.data import load_dataset

    # pytest's own cache dir keeps the generated arrays between sessions.
    cache = request.config.cache.mkdir("actlab-mnist1d")
    return load_dataset("mnist1d", cache_dir=cache)


@pytest.fixture(scope="session")
def digits():
    from actlab.data import load_dataset

    return load_dataset("digits")
