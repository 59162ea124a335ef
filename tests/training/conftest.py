"""Fixtures for the training tests: real datasets loaded once per session."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def mnist(shared_data_dir: Path):
    from actlab.data import load_dataset

    return load_dataset("mnist", data_dir=shared_data_dir, download=False)


@pytest.fixture(scope="session")
def mnist1d_cache(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """pytest's own cache dir, which keeps the generated MNIST-1D arrays between sessions
    (a temporary folder when the cache plugin is off: -p no:cacheprovider)."""
    store = getattr(request.config, "cache", None)
    if store is not None:
        return store.mkdir("actlab-mnist1d")
    return tmp_path_factory.mktemp("actlab-mnist1d")


@pytest.fixture(scope="session")
def mnist1d(mnist1d_cache: Path):
    from actlab.data import load_dataset

    return load_dataset("mnist1d", cache_dir=mnist1d_cache)


@pytest.fixture(scope="session")
def digits():
    from actlab.data import load_dataset

    return load_dataset("digits")
