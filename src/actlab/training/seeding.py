"""Deterministic seeding: the same seed gives the same initialisation, batches and dropout."""

from __future__ import annotations

import random

import numpy as np
import torch

#: The largest seed: NumPy's legacy generator (used by mnist1d) takes seeds below 2**32.
MAX_SEED = 2**32 - 1


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python's, NumPy's and torch's global RNGs (CPU and CUDA); a generator for batches.

    The global torch RNG then drives initialisation and dropout; the returned CPU
    generator drives shuffling and augmentation, so probes that draw no random numbers
    cannot change the batches a trial sees.
    """
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)
