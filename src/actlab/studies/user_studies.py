"""Studies of the user's own model and data, from Python or the command line.

    >>> from actlab.studies import user_study, run_study
    >>> spec = user_study(model="mymodels.py:tiny_net", dataset="mymodels.py:blobs",
    ...                   activations=["relu", "gelu", "tanh"], seeds=3, epochs=5)
    ... # doctest: +SKIP
    >>> run = run_study(spec, "actlab-runs/tiny")                         # doctest: +SKIP

`model` is a factory `factory(act_layer, **options) -> nn.Module` (or one that builds its
own activations, which actlab swaps; or a transformers model class), given as a function
or class, or by reference (`"file.py:name"`, `"package.module:name"`), or a built-in
model's name. `dataset` is a factory returning `(train, test)`, by object or reference,
the `(train, test)` Datasets themselves (saved once as tensors, so that worker
processes can load them), or a built-in dataset's name. Worker processes import
factories by reference: one defined in a notebook cannot be used (the error says what
to do). Training defaults to classification (cross-entropy on logits, Adam 1e-3, batches
of 128, 5 epochs); `training` (any TrialConfig field: `loss`, `lr`, ...) and `metric`
override them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from actlab.code_references import is_code_reference, reference_slug, reference_to
from actlab.data.user_datasets import dataset_from_splits, is_tensors_file, save_tensors_file
from actlab.locations import cache_dir
from actlab.studies.errors import StudySpecError
from actlab.studies.metrics import DEFAULT_METRIC
from actlab.studies.spec import StudySpec, study_spec_from_dict

#: Compared when no activations are given: the usual rectifiers, smooth ones, a saturating one.
DEFAULT_ACTIVATIONS = ("relu", "leaky_relu", "elu", "gelu", "silu", "tanh")
DEFAULT_SEEDS = 5
DEFAULT_EPOCHS = 5
SAVED_DATA_DIR = "datasets"


def _short(name: str) -> str:
    """`mymodels.tiny_net` for a reference, the name itself for a built-in."""
    if is_code_reference(name):
        return reference_slug(name)
    if is_tensors_file(name):
        return name.rsplit("/", 1)[-1].removesuffix(".pt")
    return name


def default_study_name(model: str, dataset: str) -> str:
    """`tiny_net-on-blobs`: a folder-safe name from the model and the dataset."""
    def last(name: str) -> str:
        return _short(name).rsplit(".", 1)[-1]
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{last(model)}-on-{last(dataset)}").strip("_.-")


def dataset_name_for(dataset: Any) -> str:
    """The name a study stores for a dataset given as a name, a factory or the data."""
    if isinstance(dataset, str):
        return dataset
    if isinstance(dataset, tuple | list) and len(dataset) == 2:
        data = dataset_from_splits(dataset[0], dataset[1], "the datasets given")
        return str(save_tensors_file(data, cache_dir() / SAVED_DATA_DIR))
    if callable(dataset):
        return reference_to(dataset, "dataset factory")
    raise StudySpecError(f"dataset must be a name, a factory returning (train, test), or the "
                         f"(train, test) datasets, got {type(dataset).__name__}")


def user_study(*, model: Any, dataset: Any,
               activations: Sequence[str | Mapping[str, Any]] = DEFAULT_ACTIVATIONS,
               seeds: int | Sequence[int] = DEFAULT_SEEDS, epochs: int | None = None,
               steps: int | None = None, name: str | None = None,
               model_options: Mapping[str, Any] | None = None,
               dataset_options: Mapping[str, Any] | None = None,
               training: Mapping[str, Any] | None = None,
               probes: Mapping[str, Any] | None = None,
               metric: str = DEFAULT_METRIC, description: str = "",
               source: str = "user_study()") -> StudySpec:
    """A validated study of `model` on `dataset` (see the module's doc)."""
    model_name = reference_to(model, "model factory") if not isinstance(model, str) else model
    dataset_name = dataset_name_for(dataset)
    if epochs is not None and steps is not None:
        raise StudySpecError("give either epochs or steps, not both")
    length = {"steps": steps} if steps is not None else {
        "epochs": epochs if epochs is not None else DEFAULT_EPOCHS}
    training = dict(training or {})
    if not any(key in training for key in ("epochs", "steps")):
        training.update(length)
    elif epochs is not None or steps is not None:
        raise StudySpecError("give the training length once: epochs/steps or in training")
    data = {
        "name": name or default_study_name(model_name, dataset_name),
        "description": description or f"{_short(model_name)} on {_short(dataset_name)}.",
        "dataset": {"name": dataset_name, **dict(dataset_options or {})},
        "model": {"name": model_name, **dict(model_options or {})},
        "activations": list(activations),
        "seeds": seeds if isinstance(seeds, int) else list(seeds),
        "training": training, "probes": dict(probes or {}),
        "analysis": {"metric": metric},
    }
    return study_spec_from_dict(data, source=source)
