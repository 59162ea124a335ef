"""What the Ray executor ships with a study's tasks, and how a worker reads it (no Ray needed)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from actlab import locations
from actlab.code_references import load_reference, parse_reference
from actlab.studies import ray_executor
from actlab.studies.ray_executor import pack_files, unpack_shipped_files, user_files


def write_code(folder: Path, marker: str) -> Path:
    """A factory file, a neighbour module it imports, a package beside them, and clutter."""
    (folder / "pkg" / "inner").mkdir(parents=True)
    (folder / "notes").mkdir()
    (folder / "shipped_neighbour.py").write_text(f"VALUE = {marker!r}\n")
    (folder / "factory.py").write_text(
        "from shipped_neighbour import VALUE\n\n\ndef make():\n    return VALUE\n")
    (folder / "pkg" / "__init__.py").write_text("")
    (folder / "pkg" / "inner" / "deep.py").write_text("X = 1\n")
    (folder / "notes" / "script.py").write_text("# not a package: not shipped\n")
    (folder / "data.csv").write_text("not python\n")
    return folder / "factory.py"


def test_a_trial_ships_its_factory_files_and_tensors_files(tmp_path: Path):
    factory = write_code(tmp_path / "code", "a")
    tensors = tmp_path / "saved" / "blobs.pt"
    tensors.parent.mkdir()
    tensors.write_bytes(b"tensors")
    config = {"model": f"{factory}:make", "dataset": str(tensors),
              "loss": "torch.nn.functional:cross_entropy", "activation": "relu",
              "seed": 0, "model_options": {"width": 3}}
    shipped = user_files(config)
    code = tmp_path / "code"
    assert shipped == {
        code: sorted([factory, code / "shipped_neighbour.py", code / "pkg" / "__init__.py",
                      code / "pkg" / "inner" / "deep.py"]),
        tensors.parent: [tensors]}
    assert user_files({"model": "mlp", "dataset": "mnist1d", "activation": "relu"}) == {}


def test_a_crowded_folder_ships_the_factory_file_alone(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch):
    factory = write_code(tmp_path / "code", "b")
    monkeypatch.setattr(ray_executor, "SHIPPED_FOLDER_LIMIT_BYTES", 10)
    assert user_files({"model": f"{factory}:make"}) == {factory.parent: [factory]}


def test_a_worker_loads_a_factory_from_its_shipped_copy(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(locations, "_SHIPPED_FOLDERS", {})
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delitem(sys.modules, "shipped_neighbour", raising=False)
    monkeypatch.setenv("TMPDIR", str(tmp_path / "worker-tmp"))
    (tmp_path / "worker-tmp").mkdir()
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # read $TMPDIR again
    factory = write_code(tmp_path / "driver" / "code", tmp_path.name)
    reference = f"{factory}:make"
    [(folder, files)] = user_files({"model": reference}).items()
    archive = pack_files(folder, files)
    (tmp_path / "driver").rename(tmp_path / "gone")  # this machine never had the files

    here = unpack_shipped_files(archive)
    assert here.parent == tmp_path / "worker-tmp" / "actlab-shipped"
    assert unpack_shipped_files(archive) == here  # once per content
    assert sorted(str(p.relative_to(here)) for p in here.rglob("*.py")) == [
        "factory.py", "pkg/__init__.py", "pkg/inner/deep.py", "shipped_neighbour.py"]
    locations.map_folder(folder, here)
    parsed = parse_reference(reference)
    assert parsed.text == reference  # the trial's identity stays the driver's path
    assert load_reference(parsed)() == tmp_path.name  # the neighbour imported from the copy


def _archive(tmp_path: Path, add) -> bytes:
    import io
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        add(tar)
    return buffer.getvalue()


@pytest.fixture(params=["data filter", "older python"])
def extraction(request, monkeypatch):
    """Both ways of extracting: Python's "data" filter, and the checks made where it is
    missing (Python 3.11.0-3.11.3, Debian 12's 3.11.2)."""
    import tarfile

    if request.param == "older python":
        monkeypatch.delattr(tarfile, "data_filter", raising=False)
    elif not hasattr(tarfile, "data_filter"):
        pytest.skip("this Python has no tarfile data filter")
    return request.param


def test_a_trial_folder_round_trips_through_its_archive(tmp_path: Path, extraction):
    folder = tmp_path / "trial"
    (folder / "tensorboard").mkdir(parents=True)
    (folder / "metrics.json").write_text('{"a": 1}')
    (folder / "tensorboard" / "events.out").write_bytes(b"\x00\x01")
    home = tmp_path / "home" / "trial"
    ray_executor.unpack_trial_folder(ray_executor.pack_trial_folder(folder), home)
    assert (home / "metrics.json").read_text() == '{"a": 1}'
    assert (home / "tensorboard" / "events.out").read_bytes() == b"\x00\x01"


@pytest.mark.parametrize("member", ["../outside.txt", "/abs/outside.txt", "link"])
def test_an_archive_that_would_write_outside_its_folder_is_refused(tmp_path: Path, extraction,
                                                                   member):
    import io
    import tarfile

    def add(tar: tarfile.TarFile) -> None:
        info = tarfile.TarInfo(member)
        if member == "link":
            info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
            tar.addfile(info)
        else:
            info.size = 3
            tar.addfile(info, io.BytesIO(b"bad"))

    archive = _archive(tmp_path, add)
    target = tmp_path / "home"
    if member.startswith("/") and extraction == "data filter":
        # Python's filter strips the leading "/": the file lands inside the folder.
        ray_executor.unpack_trial_folder(archive, target)
        assert (target / "abs" / "outside.txt").read_bytes() == b"bad"
    else:
        with pytest.raises(tarfile.TarError):
            ray_executor.unpack_trial_folder(archive, target)
    assert not (tmp_path / "outside.txt").exists() and not Path("/abs/outside.txt").exists()
    assert not (target / "link").exists()
