"""The user's own data: a factory named by reference, or a file of saved tensors.

- `"mydata.py:blobs"` (or `"package.module:blobs"`): a function returning `(train, test)`,
  each a torch `Dataset` of `(input, label)` pairs (a `TensorDataset`, or anything with
  `__len__` and `__getitem__`) or an `(inputs, labels)` pair of tensors or arrays. Its
  keyword parameters are the dataset's options; `seed` and `data_dir` are passed by
  actlab when it takes them.
- `"path/to/data.pt"`: a file written by `save_tensors_file` (what a Python study does
  with datasets it is given as objects, so that workers can load them).

Inputs become float32 tensors, or int64 when they are integers (token ids); labels are
int64 class indices. The number of classes is `len(train.classes)` where the training
set has `classes` (as torchvision's do), else the largest label + 1.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from actlab.code_references import load_reference, parse_reference
from actlab.data.dataset import Dataset
from actlab.errors import ParameterError
from actlab.locations import local_path

TENSORS_SUFFIX = ".pt"
#: Beyond this, materialising the data in memory is refused (inputs as float32).
MAX_BYTES = 32 * 2**30


class UserDatasetError(ParameterError):
    """The user's data cannot be used: not (train, test), wrong shapes, bad labels."""


def is_tensors_file(name: str) -> bool:
    """Whether a dataset name is a file of saved tensors."""
    return isinstance(name, str) and name.endswith(TENSORS_SUFFIX) and ":" not in name


def dataset_from_splits(train: Any, test: Any, name: str,
                        num_classes: int | None = None) -> Dataset:
    """An actlab Dataset from a training and a test split (see the module's doc)."""
    train_x, train_y = _split_tensors(train, "training", name)
    test_x, test_y = _split_tensors(test, "test", name)
    if train_x.shape[1:] != test_x.shape[1:]:
        raise UserDatasetError(f"dataset {name!r}: training inputs have shape "
                               f"{_shape(train_x.shape[1:])} but test inputs "
                               f"{_shape(test_x.shape[1:])}")
    if train_x.is_floating_point() != test_x.is_floating_point():
        raise UserDatasetError(f"dataset {name!r}: training inputs are {train_x.dtype} but "
                               f"test inputs {test_x.dtype}")
    classes = getattr(train, "classes", None)
    if num_classes is None and isinstance(classes, list | tuple) and classes:
        num_classes = len(classes)
    largest = int(max(train_y.max(), test_y.max()))
    if num_classes is None:
        num_classes = largest + 1
    elif largest >= num_classes:
        raise UserDatasetError(f"dataset {name!r}: label {largest} is out of range for "
                               f"{num_classes} classes")
    if num_classes < 2:
        raise UserDatasetError(f"dataset {name!r}: every label is {largest}; a classifier "
                               f"needs at least two classes")
    names = tuple(str(c) for c in classes) if isinstance(classes, list | tuple) and \
        len(classes) == num_classes else ()
    return Dataset(name=name, train_x=train_x, train_y=train_y, test_x=test_x, test_y=test_y,
                   num_classes=num_classes, input_shape=tuple(train_x.shape[1:]),
                   class_names=names, source=name)


def _shape(shape: Any) -> str:
    return "x".join(str(s) for s in shape) or "a scalar"


def _as_tensor(value: Any) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    return torch.as_tensor(np.asarray(value))


def _split_tensors(split: Any, which: str, name: str) -> tuple[torch.Tensor, torch.Tensor]:
    tensors = getattr(split, "tensors", None)  # a TensorDataset
    if isinstance(tensors, tuple) and len(tensors) == 2:
        x, y = tensors
    elif isinstance(split, tuple | list) and len(split) == 2 and all(
            hasattr(part, "shape") for part in split):
        x, y = split  # (inputs, labels) as tensors or arrays
    elif hasattr(split, "__len__") and hasattr(split, "__getitem__"):
        x, y = _gather(split, which, name)
    else:
        raise UserDatasetError(f"dataset {name!r}: the {which} split is a "
                               f"{type(split).__name__}, not a torch Dataset of (input, label) "
                               f"pairs")
    x, y = _as_tensor(x), _as_tensor(y)
    if len(x) == 0:
        raise UserDatasetError(f"dataset {name!r}: the {which} split is empty")
    if len(x) != len(y):
        raise UserDatasetError(f"dataset {name!r}: the {which} split has {len(x)} inputs but "
                               f"{len(y)} labels")
    return _inputs(x, which, name), _labels(y, which, name)


def _gather(split: Any, which: str, name: str) -> tuple[torch.Tensor, torch.Tensor]:
    count = len(split)
    if count == 0:
        raise UserDatasetError(f"dataset {name!r}: the {which} split is empty")
    inputs, labels = [], []
    for index in range(count):
        item = split[index]
        if not isinstance(item, tuple | list) or len(item) != 2:
            raise UserDatasetError(f"dataset {name!r}: {which}[{index}] is a "
                                   f"{type(item).__name__}, not an (input, label) pair")
        x = _as_tensor(item[0])
        if index == 0 and count * x.numel() * 4 > MAX_BYTES:
            raise UserDatasetError(f"dataset {name!r}: {count} examples of shape "
                                   f"{_shape(x.shape)} do not fit in memory "
                                   f"({count * x.numel() * 4 / 2**30:.0f} GiB as float32)")
        if inputs and x.shape != inputs[0].shape:
            raise UserDatasetError(f"dataset {name!r}: {which}[{index}] has shape "
                                   f"{_shape(x.shape)} but {which}[0] has "
                                   f"{_shape(inputs[0].shape)}; every input must have one "
                                   f"shape")
        inputs.append(x)
        labels.append(_as_tensor(item[1]))
    if any(label.numel() != 1 for label in labels):
        raise UserDatasetError(f"dataset {name!r}: {which} labels must be class indices, "
                               f"one number per example")
    return torch.stack(inputs), torch.stack([label.reshape(()) for label in labels])


def _inputs(x: torch.Tensor, which: str, name: str) -> torch.Tensor:
    if x.dim() < 2:
        raise UserDatasetError(f"dataset {name!r}: {which} inputs have shape {_shape(x.shape)};"
                               f" each example must be at least a vector")
    if x.dtype == torch.bool:
        return x.to(torch.float32)
    if x.is_floating_point():
        return x.to(torch.float32)
    if x.is_complex():
        raise UserDatasetError(f"dataset {name!r}: {which} inputs are complex")
    return x.to(torch.int64)  # token ids or other indices


def _labels(y: torch.Tensor, which: str, name: str) -> torch.Tensor:
    if y.dim() != 1:
        raise UserDatasetError(f"dataset {name!r}: {which} labels have shape "
                               f"{_shape(y.shape)}; give one class index per example "
                               f"(not one-hot rows)")
    if y.is_floating_point():
        if not torch.all(torch.isfinite(y) & (y == y.round())):
            raise UserDatasetError(f"dataset {name!r}: {which} labels must be whole-number "
                                   f"class indices, got values such as "
                                   f"{float(y[~(y == y.round())][0]):g}")
    elif y.is_complex():
        raise UserDatasetError(f"dataset {name!r}: {which} labels are complex")
    y = y.to(torch.int64)
    if int(y.min()) < 0:
        raise UserDatasetError(f"dataset {name!r}: {which} labels must be class indices >= 0, "
                               f"got {int(y.min())}")
    return y


def _factory_result(result: Any, name: str) -> tuple[Any, Any, int | None]:
    if isinstance(result, Dataset):
        return (result.train_x, result.train_y), (result.test_x, result.test_y), \
            result.num_classes
    if not isinstance(result, tuple | list) or len(result) != 2:
        raise UserDatasetError(f"dataset factory {name!r} returned {type(result).__name__}; it "
                               f"must return (train, test) torch Datasets")
    return result[0], result[1], None


def user_dataset_loader(text: str) -> tuple[str, str, Callable[..., Dataset]]:
    """(canonical name, summary, loader) of a dataset named by reference or tensors file.

    The loader's signature is the factory's, so the dataset's options are its keyword
    parameters (`seed`, `data_dir` and `download` are passed by actlab when taken).
    """
    if is_tensors_file(text):
        path = Path(text).expanduser().resolve()
        if not local_path(path).is_file():
            raise UserDatasetError(f"dataset file {text!r} does not exist")
        canonical = str(path)

        def load_file() -> Dataset:
            return load_tensors_file(local_path(canonical))
        return canonical, f"tensors saved in {path.name}", load_file
    reference = parse_reference(text, what="dataset")
    factory = load_reference(reference, what="dataset")
    label = reference.short
    if not callable(factory):
        raise UserDatasetError(f"dataset {label!r} is a {type(factory).__name__}, not a "
                               f"factory returning (train, test)")
    canonical = reference.text

    def load(**options: Any) -> Dataset:
        try:
            result = factory(**options)
        except TypeError as err:
            raise UserDatasetError(f"dataset factory {label!r} could not be called: "
                                   f"{str(err).splitlines()[0]}") from err
        train, test, num_classes = _factory_result(result, label)
        return dataclasses.replace(dataset_from_splits(train, test, label, num_classes),
                                   name=canonical)

    try:
        parameters = [p for p in inspect.signature(factory).parameters.values()
                      if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    except (TypeError, ValueError):
        parameters = []
    load.__signature__ = inspect.Signature(
        [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in parameters])
    summary = (inspect.getdoc(factory) or "").split("\n")[0] or "the user's dataset factory"
    return canonical, summary, load


def save_tensors_file(dataset: Dataset, folder: str | os.PathLike[str]) -> Path:
    """Save a dataset's tensors under `folder`, named by their content; returns the path."""
    buffer = io.BytesIO()
    torch.save({"train_x": dataset.train_x, "train_y": dataset.train_y,
                "test_x": dataset.test_x, "test_y": dataset.test_y,
                "num_classes": dataset.num_classes,
                "class_names": list(dataset.class_names)}, buffer)
    data = buffer.getvalue()
    path = Path(folder) / f"data-{hashlib.sha256(data).hexdigest()[:16]}{TENSORS_SUFFIX}"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        partial.write_bytes(data)
        partial.replace(path)
    return path


def load_tensors_file(path: str | os.PathLike[str]) -> Dataset:
    """A dataset saved by save_tensors_file (read without unpickling code)."""
    path = Path(path)
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # a corrupt or foreign file: one sentence
        raise UserDatasetError(f"dataset file {str(path)!r} cannot be read as saved tensors: "
                               f"{str(err).splitlines()[0] if str(err) else type(err).__name__}"
                               ) from None
    keys = ("train_x", "train_y", "test_x", "test_y")
    if not isinstance(data, dict) or any(k not in data for k in keys):
        raise UserDatasetError(f"dataset file {str(path)!r} holds no train_x, train_y, test_x "
                               f"and test_y tensors")
    dataset = dataset_from_splits((data["train_x"], data["train_y"]),
                                  (data["test_x"], data["test_y"]), str(path),
                                  data.get("num_classes"))
    return dataset
