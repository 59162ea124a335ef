"""MNIST and Fashion-MNIST from the shared verified files, checked against published facts,
and the loader's behaviour with missing, altered and inconsistent files."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
import torch

from actlab.data import load_dataset
from actlab.data.errors import ChecksumError, CorruptDataError, DatasetUnavailableError
from actlab.data.mnist import MNIST_SOURCE, load_fashion_mnist, load_mnist
from actlab.data.sources import DatasetSource, RemoteFile

# Published class frequencies of MNIST (LeCun et al.); Fashion-MNIST is balanced.
MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
MNIST_FIRST_TRAIN_LABELS = [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
MNIST_FIRST_TEST_LABELS = [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]


@pytest.fixture(scope="module")
def mnist(shared_data):
    return load_dataset("mnist", data_dir=shared_data, download=False)


@pytest.fixture(scope="module")
def fashion(shared_data):
    return load_dataset("fashion-mnist", data_dir=shared_data, download=False)


def _snapshot(directory):
    return sorted((p.relative_to(directory).as_posix(), p.stat().st_size, p.stat().st_mtime_ns)
                  for p in directory.rglob("*"))


@pytest.mark.parametrize("which", ["mnist", "fashion"])
def test_shapes_dtypes_and_label_ranges(which, request):
    data = request.getfixturevalue(which)
    assert data.train_x.shape == (60000, 1, 28, 28) and data.test_x.shape == (10000, 1, 28, 28)
    assert data.train_x.dtype == torch.float32 and data.train_y.dtype == torch.int64
    assert data.input_shape == (1, 28, 28) and data.num_classes == 10
    assert len(data.class_names) == 10
    for x, y in ((data.train_x, data.train_y), (data.test_x, data.test_y)):
        assert x.min().item() == 0.0 and x.max().item() == 1.0
        assert y.min().item() == 0 and y.max().item() == 9
    # pixels are bytes / 255: multiplying back gives whole numbers
    sample = data.train_x[:100] * 255
    assert torch.equal(sample, sample.round())
    assert data.val_x is None and data.normalization is None


def test_mnist_class_counts_match_the_published_ones(mnist):
    assert torch.bincount(mnist.train_y, minlength=10).tolist() == MNIST_TRAIN_COUNTS
    assert torch.bincount(mnist.test_y, minlength=10).tolist() == MNIST_TEST_COUNTS
    assert mnist.train_y[:10].tolist() == MNIST_FIRST_TRAIN_LABELS
    assert mnist.test_y[:10].tolist() == MNIST_FIRST_TEST_LABELS


def test_fashion_mnist_is_balanced(fashion):
    assert torch.bincount(fashion.train_y, minlength=10).tolist() == [6000] * 10
    assert torch.bincount(fashion.test_y, minlength=10).tolist() == [1000] * 10
    assert fashion.class_names[9] == "Ankle boot"


@pytest.mark.parametrize(("which", "mean", "std"), [("mnist", 0.1307, 0.3081),
                                                    ("fashion", 0.2860, 0.3530)])
def test_training_pixels_reproduce_the_known_statistics(which, mean, std, request):
    pixels = request.getfixturevalue(which).train_x.double()
    assert abs(pixels.mean().item() - mean) < 5e-5
    assert abs(pixels.std(correction=0).item() - std) < 5e-5


def test_standardize_uses_the_known_statistics(shared_data, mnist):
    standardized = load_mnist(data_dir=shared_data, standardize=True)
    assert standardized.normalization == (0.1307, 0.3081)
    expected = (mnist.test_x[:50].numpy().astype(np.float64) - 0.1307) / 0.3081
    np.testing.assert_allclose(standardized.test_x[:50].numpy(), expected, rtol=0, atol=1e-6)
    train = standardized.train_x.double()
    assert abs(train.mean().item()) < 1e-3 and abs(train.std().item() - 1.0) < 1e-3


def test_validation_holds_out_the_first_5000_training_images(shared_data, mnist):
    split = load_mnist(data_dir=shared_data, validation=5000)
    assert split.train_x.shape[0] == 55000 and split.val_x.shape[0] == 5000
    assert split.test_x.shape[0] == 10000
    assert split.val_y[:10].tolist() == MNIST_FIRST_TRAIN_LABELS
    counts = torch.bincount(split.train_y, minlength=10) + torch.bincount(split.val_y,
                                                                          minlength=10)
    assert counts.tolist() == MNIST_TRAIN_COUNTS
    assert torch.equal(split.val_x, mnist.train_x[:5000])
    assert torch.equal(split.train_x[:3], mnist.train_x[5000:5003])


@pytest.mark.parametrize("bad", [-1, 2.5, True, "5000"])
def test_impossible_validation_sizes_are_refused_before_reading(tmp_path, bad):
    with pytest.raises(ValueError, match="validation must be a whole number of samples"):
        load_fashion_mnist(data_dir=tmp_path, validation=bad)  # no files there: not read


def test_a_validation_set_as_large_as_the_training_set_is_refused(shared_data):
    with pytest.raises(ValueError, match="from 0 to 59999 .the training set has 60000"):
        load_fashion_mnist(data_dir=shared_data, validation=60000)


def test_reading_verified_files_writes_nothing(shared_data, isolated_data_locations):
    before = _snapshot(shared_data)
    load_dataset("mnist", data_dir=shared_data)
    assert _snapshot(shared_data) == before
    assert list(isolated_data_locations.iterdir()) == []


def test_data_dir_from_the_environment(shared_data, monkeypatch):
    monkeypatch.setenv("ACTLAB_DATA_DIR", str(shared_data))
    assert load_dataset("mnist", download=False).test_y[:10].tolist() == MNIST_FIRST_TEST_LABELS


def test_missing_files_without_download_are_a_clear_error(tmp_path):
    with pytest.raises(DatasetUnavailableError) as caught:
        load_dataset("mnist", data_dir=tmp_path, download=False)
    message = str(caught.value)
    assert str(tmp_path / "mnist" / "train-images-idx3-ubyte.gz") in message
    assert "download=False" in message
    assert list(tmp_path.iterdir()) == []


def test_a_local_file_with_the_wrong_checksum_is_refused_and_kept(tmp_path):
    path = tmp_path / "mnist" / "train-images-idx3-ubyte.gz"
    path.parent.mkdir()
    path.write_bytes(b"something else")
    with pytest.raises(ChecksumError) as caught:
        load_dataset("mnist", data_dir=tmp_path, download=False)
    assert str(path) in str(caught.value)
    assert hashlib.md5(b"something else").hexdigest() in str(caught.value)
    assert path.read_bytes() == b"something else"


def _tiny_source(tmp_path, write_idx_gz, images, labels):
    """A DatasetSource of hand-made files whose MD5s are computed here from their bytes."""
    files = {}
    for role, array in (("train_images", images), ("train_labels", labels),
                        ("test_images", images), ("test_labels", labels)):
        name = f"{role}.gz"
        path = write_idx_gz(tmp_path / "tiny" / name, array)
        files[role] = RemoteFile(name, hashlib.md5(path.read_bytes()).hexdigest())
    return DatasetSource("tiny", mirrors=(), files=files)


def test_tiny_hand_made_files_round_trip_exactly(tmp_path, write_idx_gz):
    images = np.random.default_rng(0).integers(0, 256, (3, 28, 28), dtype=np.uint8)
    labels = np.array([3, 9, 0], dtype=np.uint8)
    data = load_mnist(data_dir=tmp_path, source=_tiny_source(tmp_path, write_idx_gz, images,
                                                             labels), validation=1)
    np.testing.assert_array_equal(data.train_x.numpy()[:, 0], images[1:] / np.float32(255))
    np.testing.assert_array_equal(data.val_x.numpy()[:, 0], images[:1] / np.float32(255))
    assert data.train_y.tolist() == [9, 0] and data.test_y.tolist() == [3, 9, 0]


@pytest.mark.parametrize(("images", "labels", "bad_file", "phrase"), [
    (np.zeros((3, 28, 28), np.uint8), np.zeros(2, np.uint8), "train_labels.gz",
     "has 2 labels but train_images.gz has 3 images"),
    (np.zeros((3, 27, 28), np.uint8), np.zeros(3, np.uint8), "train_images.gz",
     "not uint8 images of 28x28"),
    (np.zeros((3, 28, 28), np.uint8), np.array([1, 10, 2], np.uint8), "train_labels.gz",
     "contains label 10"),
    (np.zeros((3, 28, 28), np.uint8), np.zeros((3, 1), np.uint8), "train_labels.gz",
     "not a uint8 vector of labels"),
])
def test_inconsistent_files_are_refused_naming_the_file(tmp_path, write_idx_gz, images, labels,
                                                        bad_file, phrase):
    source = _tiny_source(tmp_path, write_idx_gz, images, labels)
    with pytest.raises(CorruptDataError) as caught:
        load_mnist(data_dir=tmp_path, source=source)
    assert phrase in str(caught.value)
    assert caught.value.path == str(tmp_path / "tiny" / bad_file)


def test_sources_name_the_published_files():
    assert MNIST_SOURCE.mirrors[0] == "https://ossci-datasets.s3.amazonaws.com/mnist/"
    assert sorted(f.filename for f in MNIST_SOURCE.files.values()) == [
        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
        "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]
