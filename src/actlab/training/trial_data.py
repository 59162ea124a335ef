"""A trial's data: the dataset loaded, cut to size, optionally standardised, on the device."""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch

from actlab.data import Dataset, dataset_entry, load_dataset
from actlab.errors import ParameterError
from actlab.training.config import TrialConfig
from actlab.training.recipes import InputTransform


@dataclass(frozen=True, eq=False)
class TrialData:
    """Train and test tensors on the trial's device, and the view the model gets of them."""

    name: str
    train_x: torch.Tensor
    train_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    num_classes: int
    dataset_shape: tuple[int, ...]
    inputs: InputTransform

    @property
    def model_input_shape(self) -> tuple[int, ...]:
        """The shape of one example after the input transform (what the model takes)."""
        return tuple(self.inputs.output_shape(self.dataset_shape))


def load_trial_data(config: TrialConfig, inputs: InputTransform, device: torch.device, *,
                    data_dir: str | os.PathLike[str] | None = None, download: bool = True,
                    dataset: Dataset | None = None) -> TrialData:
    """The config's dataset (or `dataset`, already loaded), prepared for training."""
    if dataset is not None and dataset.name != dataset_entry(config.dataset).name:
        raise ParameterError(f"the dataset given is {dataset.name!r} but the trial is "
                             f"configured for {config.dataset!r}")
    if dataset is None:
        dataset = load_dataset(config.dataset, data_dir=data_dir, seed=config.data_seed,
                               download=download, **config.dataset_options)
    train_x, train_y = _first(dataset.train_x, dataset.train_y, config.train_samples)
    test_x, test_y = _first(dataset.test_x, dataset.test_y, config.test_samples)
    if len(train_x) == 0 or len(test_x) == 0:
        raise ParameterError(f"dataset {dataset.name!r} has {len(train_x)} training and "
                             f"{len(test_x)} test examples; a trial needs both")
    if config.standardize_inputs:
        if not train_x.is_floating_point():
            raise ParameterError(f"standardize_inputs needs real-valued inputs; dataset "
                                 f"{dataset.name!r} has {train_x.dtype} inputs (token ids?)")
        train_x, test_x = standardize_features(train_x, test_x)
    return TrialData(
        name=dataset.name,
        train_x=_model_inputs(train_x, device), train_y=train_y.to(device, torch.int64),
        test_x=_model_inputs(test_x, device), test_y=test_y.to(device, torch.int64),
        num_classes=dataset.num_classes, dataset_shape=tuple(dataset.input_shape),
        inputs=inputs)


def _model_inputs(x: torch.Tensor, device: torch.device) -> torch.Tensor:
    """float32 inputs, or int64 where they are integers (token ids for an embedding)."""
    return x.to(device, torch.float32 if x.is_floating_point() else torch.int64)


def _first(x: torch.Tensor, y: torch.Tensor, count: int | None
           ) -> tuple[torch.Tensor, torch.Tensor]:
    if count is None:
        return x, y
    return x[:count], y[:count]


def standardize_features(train_x: torch.Tensor, test_x: torch.Tensor
                         ) -> tuple[torch.Tensor, torch.Tensor]:
    """Each input feature to zero mean and unit variance, with the training set's statistics.

    z = (x - mean_train) / std_train per feature; a constant feature is only centred.
    """
    mean = train_x.mean(dim=0, keepdim=True)
    std = train_x.std(dim=0, correction=0, keepdim=True)
    std = torch.where(std > 0, std, torch.ones_like(std))
    return (train_x - mean) / std, (test_x - mean) / std
