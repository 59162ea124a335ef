"""A user's own models and datasets, as the study tests name them ('mymodels.py:...').

Not actlab code: plain PyTorch, the way a user would write it.
"""

from __future__ import annotations

import os
import time

import torch
from torch import nn
from torch.utils.data import Dataset, TensorDataset


def tiny_net(act_layer, hidden: int = 16, num_classes: int = 3, input_shape=(2,)):
    """Two hidden layers, an activation from act_layer after each."""
    if os.environ.get("MYMODELS_SLOW"):
        time.sleep(float(os.environ["MYMODELS_SLOW"]))  # a slow model: the study is cut short
    return nn.Sequential(nn.Flatten(), nn.Linear(input_shape[0], hidden), act_layer(),
                         nn.Linear(hidden, hidden), act_layer(inplace=True),
                         nn.Linear(hidden, num_classes))


class Block(nn.Module):
    """torchvision's pattern: one in-place ReLU module, called twice."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(width, width)
        self.fc2 = nn.Linear(width, width)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.relu(x + self.fc2(self.relu(self.fc1(x))))


def relu_net(hidden: int = 16, num_classes: int = 3, input_shape=(2,)):
    """A model with its own ReLUs (actlab swaps them)."""
    return nn.Sequential(nn.Flatten(), nn.Linear(input_shape[0], hidden), Block(hidden),
                         Block(hidden), nn.Linear(hidden, num_classes))


def linear_only(num_classes: int = 3, input_shape=(2,)):
    """No activation at all: nothing for actlab to swap."""
    return nn.Sequential(nn.Flatten(), nn.Linear(input_shape[0], num_classes))


def not_a_model(act_layer):
    return 42


def blobs(n: int = 300, seed: int = 0):
    """Three Gaussian blobs in the plane: (train, test) TensorDatasets."""
    generator = torch.Generator().manual_seed(seed)
    centres = torch.tensor([[0.0, 2.0], [2.0, -1.0], [-2.0, -1.0]])
    labels = torch.randint(0, 3, (n,), generator=generator)
    points = centres[labels] + 0.7 * torch.randn(n, 2, generator=generator)
    split = int(0.8 * n)
    return (TensorDataset(points[:split], labels[:split]),
            TensorDataset(points[split:], labels[split:]))


class PointsDataset(Dataset):
    """A map-style dataset of (point, label) pairs, with torchvision's `classes`."""

    classes = ["north", "east", "west", "unused"]

    def __init__(self, points, labels) -> None:
        self.points, self.labels = points, labels

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index):
        return self.points[index].tolist(), int(self.labels[index])


def map_style_blobs(n: int = 200):
    train, test = blobs(n)
    return PointsDataset(*train.tensors), PointsDataset(*test.tensors)


def images(n: int = 40):
    """3x8x8 images: the wrong shape for tiny_net."""
    x = torch.randn(n, 3, 8, 8)
    y = torch.arange(n) % 3
    return TensorDataset(x[:30], y[:30]), TensorDataset(x[30:], y[30:])


def not_a_pair():
    return 3


def fractional_labels():
    x = torch.randn(10, 2)
    return (x, torch.full((10,), 0.5)), (x, torch.zeros(10))


class Ragged(Dataset):
    def __len__(self) -> int:
        return 4

    def __getitem__(self, index):
        return torch.zeros(2 + index % 2), 0


def ragged():
    return Ragged(), Ragged()


def smooth_cross_entropy(outputs, labels):
    """A user's own loss: cross-entropy with label smoothing 0.1."""
    return nn.functional.cross_entropy(outputs, labels, label_smoothing=0.1)


class MeanOfEmbeddings(nn.Module):
    def __init__(self, act_layer, vocab: int, width: int, num_classes: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, width)
        self.hidden = nn.Linear(width, width)
        self.act = act_layer()
        self.out = nn.Linear(width, num_classes)

    def forward(self, tokens):
        return self.out(self.act(self.hidden(self.embed(tokens).mean(dim=1))))


def bag_of_words(act_layer, vocab: int = 10, width: int = 8, num_classes: int = 2):
    """Token ids in, through an embedding: the inputs must stay integers."""
    return MeanOfEmbeddings(act_layer, vocab, width, num_classes)
