"""The CIFAR-10 loader on small tarballs written in the published format by the tests."""

from __future__ import annotations

import gzip
import hashlib
import os
import pickle
import tarfile

import numpy as np
import pytest
import torch

from actlab.data import load_dataset
from actlab.data.cifar10 import CIFAR10_SOURCE, load_cifar10, read_batch, read_cifar10_archive
from actlab.data.errors import ChecksumError, CorruptDataError, UnsafePickleError
from actlab.data.sources import DatasetSource, RemoteFile

ARCHIVE = "cifar-10-python.tar.gz"
BATCHES = [f"data_batch_{i}" for i in range(1, 6)]


def _expected_images(batch):
    """A batch's rows as (N, 3, 32, 32): channel c, row r, column k at c*1024 + r*32 + k."""
    rows = np.asarray(batch["data"])
    out = np.empty((len(rows), 3, 32, 32), dtype=np.uint8)
    for n in range(len(rows)):
        for c in range(3):
            for r in range(32):
                start = c * 1024 + r * 32
                out[n, c, r] = rows[n, start:start + 32]
    return out


def _source_for(archive_path):
    md5 = hashlib.md5(archive_path.read_bytes()).hexdigest()
    return DatasetSource("cifar10", mirrors=(), files={"archive": RemoteFile(ARCHIVE, md5)})


def test_values_round_trip_exactly(tmp_path, make_cifar_archive):
    path, batches = make_cifar_archive(tmp_path / ARCHIVE, per_batch=4, test_size=5)
    arrays = read_cifar10_archive(path)
    expected_train = np.concatenate([_expected_images(batches[b]) for b in BATCHES])
    np.testing.assert_array_equal(arrays.train_images, expected_train)
    assert arrays.train_labels.tolist() == sum((batches[b]["labels"] for b in BATCHES), [])
    np.testing.assert_array_equal(arrays.test_images, _expected_images(batches["test_batch"]))
    assert arrays.test_labels.tolist() == batches["test_batch"]["labels"]
    assert arrays.class_names[0] == "airplane" and arrays.class_names[9] == "truck"


def test_load_dataset_reads_a_verified_archive(tmp_path, make_cifar_archive):
    path, batches = make_cifar_archive(tmp_path / "cifar10" / ARCHIVE, per_batch=3, test_size=4)
    data = load_dataset("cifar-10", data_dir=tmp_path, download=False,
                        source=_source_for(path), validation=2)
    assert data.name == "cifar10" and data.input_shape == (3, 32, 32) and data.num_classes == 10
    assert data.train_x.shape == (13, 3, 32, 32) and data.val_x.shape == (2, 3, 32, 32)
    assert data.train_x.dtype == torch.float32 and data.test_y.dtype == torch.int64
    first = _expected_images(batches["data_batch_1"])
    np.testing.assert_array_equal(data.val_x.numpy(), first[:2] / np.float32(255))
    np.testing.assert_array_equal(data.train_x[0].numpy(), first[2] / np.float32(255))
    assert data.test_y.tolist() == batches["test_batch"]["labels"]


def test_download_from_a_local_mirror(tmp_path, make_cifar_archive, serve_directory):
    served, _ = make_cifar_archive(tmp_path / "served" / ARCHIVE)
    source = _source_for(served).with_mirrors(serve_directory(served.parent))
    data = load_cifar10(data_dir=tmp_path / "data", source=source)
    assert (tmp_path / "data" / "cifar10" / ARCHIVE).read_bytes() == served.read_bytes()
    assert data.train_x.shape == (20, 3, 32, 32)


def test_the_published_checksum_rejects_a_look_alike_archive(tmp_path, make_cifar_archive):
    make_cifar_archive(tmp_path / "cifar10" / ARCHIVE)
    assert CIFAR10_SOURCE.files["archive"].md5 == "c58f30108f718f92721af3b95e74349a"
    with pytest.raises(ChecksumError, match="c58f30108f718f92721af3b95e74349a"):
        load_dataset("cifar10", data_dir=tmp_path, download=False)


def test_truncated_archive_is_refused(tmp_path, make_cifar_archive):
    path, _ = make_cifar_archive(tmp_path / ARCHIVE)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CorruptDataError, match="is not a readable gzip tarball") as caught:
        read_cifar10_archive(path)
    assert caught.value.path == str(path)


def test_a_file_that_is_not_gzip_is_refused(tmp_path):
    path = tmp_path / ARCHIVE
    path.write_bytes(b"<html>404 not found</html>")
    with pytest.raises(CorruptDataError, match="is not a readable gzip tarball"):
        read_cifar10_archive(path)


def test_a_missing_batch_is_named(tmp_path, make_cifar_archive):
    path, _ = make_cifar_archive(tmp_path / ARCHIVE, drop=("cifar-10-batches-py/data_batch_4",))
    with pytest.raises(CorruptDataError, match="lacks the member cifar-10-batches-py/data_batch_4"):
        read_cifar10_archive(path)


def test_a_truncated_batch_is_named(tmp_path, make_cifar_archive):
    good, _ = make_cifar_archive(tmp_path / "good.tar.gz")
    with tarfile.open(good) as archive:
        batch = archive.extractfile("cifar-10-batches-py/test_batch").read()
    path, _ = make_cifar_archive(tmp_path / ARCHIVE, replace={
        "cifar-10-batches-py/test_batch": batch[: len(batch) - 40]})
    with pytest.raises(CorruptDataError, match="test_batch is not a readable pickle"):
        read_cifar10_archive(path)


@pytest.mark.parametrize(("batch", "phrase"), [
    ([1, 2, 3], "holds a pickled list, not a dict"),
    ({"data": np.zeros((2, 3072), np.uint8)}, "not the 'data' and 'labels'"),
    ({"data": np.zeros((2, 3071), np.uint8), "labels": [0, 1]}, "shape (2, 3071)"),
    ({"data": np.zeros((2, 3072), np.float32), "labels": [0, 1]}, "float32 array"),
    ({"data": np.zeros((2, 3072), np.uint8), "labels": [0, 1, 2]}, "has 3 labels for 2 images"),
    ({"data": np.zeros((2, 3072), np.uint8), "labels": [0, 10]}, "labels from 0 to 10"),
    ({"data": np.zeros((2, 3072), np.uint8), "labels": ["a", "b"]}, "not integers"),
])
def test_malformed_batches_are_refused(batch, phrase, python2_pickle):
    with pytest.raises(CorruptDataError) as caught:
        read_batch(python2_pickle(batch), source="archive.tar.gz:data_batch_1")
    assert phrase in str(caught.value)
    assert str(caught.value).startswith("archive.tar.gz:data_batch_1 ")


def test_a_batch_pickled_by_python3_with_str_keys_also_reads(python2_pickle):
    data = np.arange(2 * 3072, dtype=np.int64).astype(np.uint8).reshape(2, 3072)
    payload = pickle.dumps({"data": data, "labels": [4, 2]}, protocol=4)
    images, labels = read_batch(payload, source="py3 batch")
    np.testing.assert_array_equal(images.reshape(2, 3072), data)
    assert labels.tolist() == [4, 2]


def test_a_malicious_batch_in_the_archive_is_refused_before_it_runs(tmp_path,
                                                                   make_cifar_archive):
    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    payload = pickle.dumps({"data": Exploit(), "labels": []}, protocol=4)
    path, _ = make_cifar_archive(tmp_path / ARCHIVE,
                                 replace={"cifar-10-batches-py/data_batch_2": payload})
    with pytest.raises(UnsafePickleError, match="data_batch_2 asks the unpickler for "
                                                "(posix|nt).system"):
        read_cifar10_archive(path)
    assert not marker.exists()


def test_archive_members_are_never_extracted_to_disk(tmp_path, make_cifar_archive):
    path, _ = make_cifar_archive(tmp_path / "in" / ARCHIVE, replace={
        "../escaped": b"x", "cifar-10-batches-py/extra": gzip.compress(b"y")})
    before = sorted(p.name for p in tmp_path.rglob("*"))
    read_cifar10_archive(path)
    assert sorted(p.name for p in tmp_path.rglob("*")) == before
