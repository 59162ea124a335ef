"""Looking datasets up by name: canonical names, aliases, typos, options."""

from __future__ import annotations

import pytest

from actlab.data import dataset_entry, dataset_names, load_dataset
from actlab.data.errors import DataError, UnknownDatasetError
from actlab.errors import ActlabError, ParameterError


def test_dataset_names():
    assert dataset_names() == ("toy", "mnist1d", "digits", "mnist", "fashion_mnist", "cifar10")


@pytest.mark.parametrize(("spelling", "name"), [
    ("fashion-mnist", "fashion_mnist"), ("Fashion-MNIST", "fashion_mnist"),
    ("CIFAR-10", "cifar10"), ("cifar10", "cifar10"), (" mnist ", "mnist"),
    ("MNIST-1D", "mnist1d"),
])
def test_spellings_resolve(spelling, name):
    assert dataset_entry(spelling).name == name


def test_a_typo_gets_suggestions():
    with pytest.raises(UnknownDatasetError) as caught:
        load_dataset("mnsit")
    error = caught.value
    assert "mnist" in error.suggestions
    assert str(error).startswith("unknown dataset 'mnsit'; did you mean 'mnist'")
    assert isinstance(error, KeyError) and isinstance(error, DataError)
    assert isinstance(error, ActlabError)


def test_a_name_unlike_any_lists_the_known_ones():
    with pytest.raises(UnknownDatasetError, match="known datasets are 'toy', 'mnist1d'"):
        dataset_entry("imagenet")


def test_an_unknown_option_is_refused_with_a_suggestion(shared_data):
    with pytest.raises(ParameterError, match="dataset 'mnist' has no option 'validaton'; "
                                             "did you mean 'validation'"):
        load_dataset("mnist", data_dir=shared_data, validaton=5000)


def test_an_option_for_a_dataset_without_options():
    with pytest.raises(ParameterError, match="dataset 'toy' has no option 'size'; it takes no"):
        load_dataset("toy", size=3)


def test_options_listed_per_dataset():
    assert dataset_entry("mnist").options == ("validation", "standardize", "source")
    assert dataset_entry("digits").options == ("test_fraction",)
    assert dataset_entry("toy").options == ()


def test_arguments_a_dataset_does_not_use_are_ignored(tmp_path):
    data = load_dataset("toy", data_dir=tmp_path / "nowhere", download=False, seed=2)
    assert data.name == "toy"
    assert not (tmp_path / "nowhere").exists()
