"""Fixtures for the training tests: real datasets loaded once per session."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def mnist(shared_data_dir: Path):
    from actlab.data import load_dataset

    return load_dataset("mnist", data_dir=shared_data_dir, download=False)


@pytest.fixture(scope="session")
def mnist1d(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    from actlab.data import load_dataset

    # pytest's own cache dir keeps the generated arrays between sessions (a temporary
    # folder when the cache plugin is off: -p no:cacheprovider).
    store = getattr(request.config, "cache", None)
    cache = (store.mkdir("actlab-mnist1d") if store is not None
             else tmp_path_factory.mktemp("actlab-mnist1d"))
    return load_dataset("mnist1d", cache_dir=cache)


@pytest.fixture(scope="session")
def digits():
    from actlab.data import load_dataset

    return load_dataset("digits")
