"""The benchmarks are scripts in the checkout's benchmarks/ folder: put it on the path."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
if str(BENCHMARKS) not in sys.path:
    sys.path.insert(0, str(BENCHMARKS))


@pytest.fixture(scope="session")
def mnist(shared_data_dir: Path):
    from actlab.data import load_dataset

    return load_dataset("mnist", data_dir=shared_data_dir, download=False)
