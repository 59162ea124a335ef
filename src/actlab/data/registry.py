"""Every dataset actlab can load, in one table, and `load_dataset` that looks names up in it.

Adding a dataset means writing its loader and adding one DatasetEntry here. A name like
`"mydata.py:blobs"` (a factory returning (train, test)) or `"data.pt"` (saved tensors) is
the user's own data (see `actlab.data.user_datasets`): its entry is made when first used.
"""

from __future__ import annotations

import difflib
import inspect
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from actlab.code_references import is_code_reference, parse_reference
from actlab.data.cifar10 import load_cifar10
from actlab.data.dataset import Dataset
from actlab.data.digits import load_digits
from actlab.data.errors import UnknownDatasetError
from actlab.data.mnist import load_fashion_mnist, load_mnist
from actlab.data.mnist1d_dataset import load_mnist1d
from actlab.data.toy import load_toy
from actlab.errors import ParameterError

# Arguments load_dataset passes to a loader itself, when the loader's signature has them.
_COMMON_ARGUMENTS = ("data_dir", "seed", "download")


@dataclass(frozen=True)
class DatasetEntry:
    """A dataset's canonical name, its loader, other spellings, and a one-line summary."""

    name: str
    loader: Callable[..., Dataset]
    summary: str
    aliases: tuple[str, ...] = ()
    downloads: bool = False

    @property
    def options(self) -> tuple[str, ...]:
        """The loader's own keyword options (those beyond data_dir, seed and download)."""
        return tuple(p for p in inspect.signature(self.loader).parameters
                     if p not in _COMMON_ARGUMENTS)


DATASETS: tuple[DatasetEntry, ...] = (
    DatasetEntry("toy", load_toy,
                 "seed 000: 5 standard-normal samples x 10 features, 3 classes, test = train"),
    DatasetEntry("mnist1d", load_mnist1d,
                 "MNIST-1D: 4,000 + 1,000 signals of length 40, generated offline",
                 aliases=("mnist-1d", "mnist_1d")),
    DatasetEntry("digits", load_digits,
                 "scikit-learn's 1,797 8x8 digits, seeded stratified train/test split",
                 aliases=("sklearn_digits",)),
    DatasetEntry("mnist", load_mnist,
                 "MNIST: 60,000 + 10,000 28x28 handwritten digits", downloads=True),
    DatasetEntry("fashion_mnist", load_fashion_mnist,
                 "Fashion-MNIST: 60,000 + 10,000 28x28 clothing images",
                 aliases=("fashion-mnist", "fashionmnist"), downloads=True),
    DatasetEntry("cifar10", load_cifar10,
                 "CIFAR-10: 50,000 + 10,000 32x32 colour images, 10 classes",
                 aliases=("cifar-10", "cifar_10"), downloads=True),
)

_BY_SPELLING: dict[str, DatasetEntry] = {
    spelling: entry for entry in DATASETS for spelling in (entry.name, *entry.aliases)}


def dataset_names() -> tuple[str, ...]:
    """The canonical names of every dataset, in registry order."""
    return tuple(entry.name for entry in DATASETS)


_USER_DATASETS: dict[str, DatasetEntry] = {}


def _user_dataset_entry(name: str) -> DatasetEntry:
    from actlab.data.user_datasets import is_tensors_file, user_dataset_loader

    key = str(Path(name).expanduser().resolve()) if is_tensors_file(name) else \
        parse_reference(name, what="dataset").text
    if key not in _USER_DATASETS:
        canonical, summary, loader = user_dataset_loader(key)
        _USER_DATASETS[key] = DatasetEntry(canonical, loader, summary)
    return _USER_DATASETS[key]


def dataset_entry(name: str) -> DatasetEntry:
    """The registry entry for a canonical name or alias (case-insensitive), or for the
    user's own data (a factory reference or a tensors file)."""
    from actlab.data.user_datasets import is_tensors_file

    if isinstance(name, str) and (is_code_reference(name) or is_tensors_file(name)):
        return _user_dataset_entry(name)
    entry = _BY_SPELLING.get(name.strip().lower())
    if entry is None:
        raise UnknownDatasetError(name, dataset_names())
    return entry


def load_dataset(name: str, *, data_dir: str | os.PathLike[str] | None = None,
                 seed: int | None = None, download: bool = True, **options: object) -> Dataset:
    """Load a dataset by name; `seed=None` means the dataset's own default seed.

    `data_dir` and `download` matter only to datasets read from files, `seed` only to those
    built or split at random; other keyword options go to the dataset's loader.
    """
    entry = dataset_entry(name)
    accepted = entry.options
    for option in options:
        if option not in accepted:
            close = difflib.get_close_matches(option, accepted, n=1)
            hint = (f"did you mean {close[0]!r}?" if close else
                    f"its options are {', '.join(accepted)}" if accepted else
                    "it takes no options")
            raise ParameterError(f"dataset {entry.name!r} has no option {option!r}; {hint}")
    parameters = inspect.signature(entry.loader).parameters
    arguments: dict[str, object] = dict(options)
    if "data_dir" in parameters:
        arguments["data_dir"] = data_dir
    if "download" in parameters:
        arguments["download"] = download
    if seed is not None and "seed" in parameters:
        arguments["seed"] = seed
    return entry.loader(**arguments)
