"""Fixtures for the data tests: isolated data/cache dirs, the shared verified files, a local
HTTP server, and builders of small files in the IDX and CIFAR-10 formats."""

from __future__ import annotations

import functools
import gzip
import http.server
import io
import pickle
import socket
import struct
import tarfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from support.paths import SHARED_DATA

# The MD5s that torchvision publishes (also listed in shared/data/README.md).
PUBLISHED_MD5 = {
    "mnist/train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "mnist/train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "mnist/t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "mnist/t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    "fashion-mnist/train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "fashion-mnist/train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "fashion-mnist/t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "fashion-mnist/t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
}


@pytest.fixture(scope="session")
def published_md5() -> dict[str, str]:
    """The published MD5 of each shared file, keyed by "<dataset dir>/<file name>"."""
    return dict(PUBLISHED_MD5)


@pytest.fixture
def closed_port_url() -> str:
    """An http:// base URL on localhost where nothing listens (connection refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


@pytest.fixture(autouse=True)
def isolated_data_locations(tmp_path_factory: pytest.TempPathFactory,
                            monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep every test away from ~/.cache: a fresh cache dir, no data dir from the outside."""
    cache = tmp_path_factory.mktemp("actlab-cache")
    monkeypatch.setenv("ACTLAB_CACHE_DIR", str(cache))
    monkeypatch.delenv("ACTLAB_DATA_DIR", raising=False)
    return cache


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The verified MNIST / Fashion-MNIST files beside the repository (skip when absent)."""
    missing = [name for name in PUBLISHED_MD5 if not (SHARED_DATA / name).is_file()]
    if missing:
        pytest.skip(f"verified dataset files not found at {SHARED_DATA} (missing {missing[0]})")
    return SHARED_DATA


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def serve_directory() -> Iterator[Callable[[Path], str]]:
    """A function that serves a directory on localhost over HTTP and returns its base URL."""
    servers: list[http.server.ThreadingHTTPServer] = []

    def serve(root: Path) -> str:
        handler = functools.partial(_QuietHandler, directory=str(root))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


def idx_bytes(array: np.ndarray, type_code: int) -> bytes:
    """An IDX encoding written by hand: 0, 0, type code, ndim, big-endian sizes, big-endian data."""
    big_endian = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    header = bytes([0, 0, type_code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(big_endian[type_code]).tobytes()


@pytest.fixture
def write_idx_gz() -> Callable[..., Path]:
    """A function writing a gzip IDX file from an array (or from raw IDX bytes)."""

    def write(path: Path, content: np.ndarray | bytes, type_code: int = 0x08) -> Path:
        raw = content if isinstance(content, bytes) else idx_bytes(content, type_code)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(gzip.compress(raw))
        return path

    return write


class Python2StylePickler(pickle._Pickler):
    """Writes pickles the way Python 2 wrote CIFAR-10's: str as byte strings, numpy.core names."""

    dispatch = pickle._Pickler.dispatch.copy()

    def _save_byte_string(self, obj: bytes | str) -> None:
        data = obj.encode("latin-1") if isinstance(obj, str) else obj
        if len(data) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(data)]) + data)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(data)) + data)
        self.memoize(obj)

    dispatch[bytes] = _save_byte_string
    dispatch[str] = _save_byte_string

    def save_global(self, obj: object, name: str | None = None) -> None:
        module = obj.__module__.replace("numpy._core", "numpy.core")
        qualname = name or obj.__qualname__
        self.write(pickle.GLOBAL + f"{module}\n{qualname}\n".encode("ascii"))
        self.memoize(obj)


def python2_style_pickle(obj: object) -> bytes:
    """`obj` pickled with protocol 2 as Python 2's cPickle would have written it."""
    buffer = io.BytesIO()
    Python2StylePickler(buffer, protocol=2).dump(obj)
    return buffer.getvalue()


CIFAR_CLASSES = ["airplane", "automobile", "bird", "cat", "deer",
                 "dog", "frog", "horse", "ship", "truck"]


def cifar_batch(rng: np.random.Generator, n: int) -> dict[str, object]:
    """A CIFAR-10 batch dict of n random images (N x 3072 uint8) and labels (list of ints)."""
    return {"batch_label": "synthetic batch",
            "labels": [int(v) for v in rng.integers(0, 10, n)],
            "data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
            "filenames": [f"image_{i}.png" for i in range(n)]}


def write_tarball(path: Path, members: dict[str, bytes]) -> Path:
    """A gzip tarball holding the given members (name -> bytes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


@pytest.fixture
def make_cifar_archive() -> Callable[..., tuple[Path, dict[str, dict[str, object]]]]:
    """A function that writes a small CIFAR-10 python tarball; returns it and the batches."""

    def make(path: Path, per_batch: int = 4, test_size: int = 5, seed: int = 0,
             replace: dict[str, bytes] | None = None,
             drop: tuple[str, ...] = ()) -> tuple[Path, dict[str, dict[str, object]]]:
        rng = np.random.default_rng(seed)
        batches = {f"data_batch_{i}": cifar_batch(rng, per_batch) for i in range(1, 6)}
        batches["test_batch"] = cifar_batch(rng, test_size)
        members = {f"cifar-10-batches-py/{name}": python2_style_pickle(batch)
                   for name, batch in batches.items()}
        members["cifar-10-batches-py/batches.meta"] = python2_style_pickle(
            {"label_names": CIFAR_CLASSES, "num_cases_per_batch": per_batch, "num_vis": 3072})
        members["cifar-10-batches-py/readme.html"] = b"<html></html>"
        members.update(replace or {})
        for name in drop:
            members.pop(name)
        return write_tarball(path, members), batches

    return make


@pytest.fixture
def python2_pickle() -> Callable[[object], bytes]:
    """The function `python2_style_pickle`, as a fixture."""
    return python2_style_pickle
