"""Downloads from mirrors served on localhost (or file:// URLs): success, checksum failure,
fallback between mirrors, and what is left on disk in each case."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from actlab.data.download import download_verified, mirror_url
from actlab.data.errors import ChecksumError, DatasetUnavailableError
from actlab.data.mnist import MNIST_SOURCE, load_mnist

TRAIN_LABELS = "train-labels-idx1-ubyte.gz"


@pytest.fixture
def labels_md5(published_md5):
    return published_md5[f"mnist/{TRAIN_LABELS}"]


def _leftovers(directory):
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def test_mirror_url_joins_with_or_without_slash():
    assert mirror_url("http://h/mnist/", "f.gz") == "http://h/mnist/f.gz"
    assert mirror_url("http://h/mnist", "f.gz") == "http://h/mnist/f.gz"


def test_downloads_a_real_file_and_verifies_it(shared_data, serve_directory, tmp_path,
                                                labels_md5):
    base = serve_directory(shared_data / "mnist")
    destination = tmp_path / "data" / "mnist" / TRAIN_LABELS
    result = download_verified(TRAIN_LABELS, [base], destination,
                               labels_md5)
    assert result == destination
    assert destination.read_bytes() == (shared_data / "mnist" / TRAIN_LABELS).read_bytes()
    assert _leftovers(destination.parent) == [TRAIN_LABELS]  # no temporary file left


def test_checksum_failure_leaves_nothing_behind(serve_directory, tmp_path, labels_md5):
    served = tmp_path / "served"
    served.mkdir()
    (served / TRAIN_LABELS).write_bytes(b"not the real labels")
    destination = tmp_path / "data" / "mnist" / TRAIN_LABELS
    base = serve_directory(served)
    with pytest.raises(ChecksumError) as caught:
        download_verified(TRAIN_LABELS, [base], destination,
                          labels_md5)
    message = str(caught.value)
    assert base + TRAIN_LABELS in message
    assert hashlib.md5(b"not the real labels").hexdigest() in message
    assert labels_md5 in message
    assert "nothing was saved" in message
    assert _leftovers(destination.parent) == []


def test_falls_back_to_the_second_mirror_when_the_first_404s(shared_data, serve_directory,
                                                             tmp_path, labels_md5):
    empty = tmp_path / "empty"
    empty.mkdir()
    first = serve_directory(empty)
    second = serve_directory(shared_data / "mnist")
    destination = tmp_path / "data" / TRAIN_LABELS
    download_verified(TRAIN_LABELS, [first, second], destination,
                      labels_md5)
    assert hashlib.md5(destination.read_bytes()).hexdigest() == \
        labels_md5


def test_falls_back_past_a_mirror_with_wrong_bytes(shared_data, serve_directory, tmp_path,
                                                  labels_md5):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / TRAIN_LABELS).write_bytes(b"stale copy")
    destination = tmp_path / "data" / TRAIN_LABELS
    download_verified(TRAIN_LABELS, [serve_directory(bad), serve_directory(shared_data / "mnist")],
                      destination, labels_md5)
    assert destination.read_bytes() == (shared_data / "mnist" / TRAIN_LABELS).read_bytes()


def test_every_mirror_failing_names_each_url(serve_directory, tmp_path, closed_port_url):
    empty = tmp_path / "empty"
    empty.mkdir()
    first = serve_directory(empty)
    unreachable = closed_port_url
    destination = tmp_path / "data" / TRAIN_LABELS
    with pytest.raises(DatasetUnavailableError) as caught:
        download_verified(TRAIN_LABELS, [first, unreachable], destination, "0" * 32,
                          timeout=5)
    message = str(caught.value)
    assert f"{first}{TRAIN_LABELS}: HTTP 404" in message
    assert f"{unreachable}{TRAIN_LABELS}" in message
    assert str(destination) in message
    assert _leftovers(destination.parent) == []


def test_file_urls_work_as_mirrors(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    (served / "f.bin").write_bytes(b"abc")
    destination = tmp_path / "out" / "f.bin"
    download_verified("f.bin", [served.as_uri()], destination,
                      "900150983cd24fb0d6963f7d28e17f72")
    assert destination.read_bytes() == b"abc"


def test_unwritable_destination_is_a_clear_error(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    (served / "f.bin").write_bytes(b"abc")
    blocker = tmp_path / "a-file"
    blocker.write_bytes(b"")
    with pytest.raises(DatasetUnavailableError, match="cannot write .*ACTLAB_DATA_DIR"):
        download_verified("f.bin", [served.as_uri()], blocker / "sub" / "f.bin",
                          "900150983cd24fb0d6963f7d28e17f72")


def test_no_mirrors_is_a_clear_error(tmp_path):
    with pytest.raises(DatasetUnavailableError, match="no download mirror"):
        download_verified("f.bin", [], tmp_path / "f.bin", "0" * 32)


def test_load_mnist_downloads_into_an_empty_data_dir(shared_data, serve_directory, tmp_path,
                                                    published_md5):
    empty = tmp_path / "empty"
    empty.mkdir()
    source = MNIST_SOURCE.with_mirrors(serve_directory(empty),
                                       serve_directory(shared_data / "mnist"))
    data_dir = tmp_path / "data"
    downloaded = load_mnist(data_dir=data_dir, source=source)
    assert _leftovers(data_dir / "mnist") == sorted(
        name.split("/")[1] for name in published_md5 if name.startswith("mnist/"))
    for name in _leftovers(data_dir / "mnist"):
        assert hashlib.md5((data_dir / "mnist" / name).read_bytes()).hexdigest() == \
            published_md5[f"mnist/{name}"]
    assert downloaded.train_x.shape == (60000, 1, 28, 28)
    # the second load finds the verified files and needs no mirror at all
    again = load_mnist(data_dir=data_dir, source=MNIST_SOURCE.with_mirrors(), download=False)
    assert np.array_equal(again.test_y.numpy(), downloaded.test_y.numpy())
