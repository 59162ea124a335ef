"""Seed 000's toy problem: 5 samples of 10 standard-normal features in 3 one-hot classes."""

from __future__ import annotations

import numpy as np
import torch

from actlab.data.dataset import Dataset

TOY_ONE_HOT = ((0, 0, 1), (0, 0, 1), (0, 1, 0), (0, 1, 0), (1, 0, 0))
TOY_SAMPLES = len(TOY_ONE_HOT)
TOY_FEATURES = 10


def load_toy(*, seed: int = 0) -> Dataset:
    """x = default_rng(seed).standard_normal((5, 10)) as float32; test is the training set."""
    x = torch.from_numpy(np.random.default_rng(seed).standard_normal((TOY_SAMPLES, TOY_FEATURES)))
    x = x.to(torch.float32)
    y = torch.tensor([row.index(1) for row in TOY_ONE_HOT], dtype=torch.int64)
    return Dataset(
        name="toy", train_x=x, train_y=y, test_x=x.clone(), test_y=y.clone(),
        num_classes=len(TOY_ONE_HOT[0]), input_shape=(TOY_FEATURES,),
        class_names=("0", "1", "2"), source=f"numpy default_rng({seed}).standard_normal")
