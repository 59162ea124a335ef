"""Saving figures: format by extension, clear errors, nothing half-written."""

from __future__ import annotations

import os

import pytest
from matplotlib.figure import Figure

from actlab.report import OutputPathError, plot_activations, save_figure
from actlab.report.figure_files import default_file_name, write_atomically

MAGIC = {".png": b"\x89PNG\r\n\x1a\n", ".pdf": b"%PDF-", ".svg": b"<?xml"}


@pytest.fixture(scope="module")
def figure() -> Figure:
    return plot_activations("tanh", points=50)


@pytest.mark.parametrize("suffix", [".png", ".svg", ".pdf", ".PNG"])
def test_format_follows_the_extension(figure, tmp_path, suffix):
    path = save_figure(figure, tmp_path / f"f{suffix}")
    assert path.read_bytes().startswith(MAGIC[suffix.lower()])
    assert os.listdir(tmp_path) == [f"f{suffix}"]  # no temporary file left


@pytest.mark.parametrize("name", ["f.gif", "f.jpeg", "f", "f.png.bak"])
def test_unknown_extension_is_a_clear_error(figure, tmp_path, name):
    with pytest.raises(OutputPathError, match="cannot tell the figure format.*png, .svg, .pdf"):
        save_figure(figure, tmp_path / name)
    assert os.listdir(tmp_path) == []


def test_missing_folder_file_as_folder_and_directory_target(figure, tmp_path):
    with pytest.raises(OutputPathError, match="does not exist"):
        save_figure(figure, tmp_path / "missing" / "f.png")
    (tmp_path / "plain").write_text("x")
    with pytest.raises(OutputPathError, match="is not a folder"):
        save_figure(figure, tmp_path / "plain" / "f.png")
    (tmp_path / "dir.png").mkdir()
    with pytest.raises(OutputPathError, match="is a directory"):
        save_figure(figure, tmp_path / "dir.png")


def test_read_only_folder_is_refused(figure, tmp_path, monkeypatch):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        if os.access(folder, os.W_OK):  # root writes anywhere: check the check itself
            real_access = os.access
            monkeypatch.setattr(os, "access", lambda p, mode: False if os.fspath(p)
                                == os.fspath(folder) and mode == os.W_OK
                                else real_access(p, mode))
        with pytest.raises(OutputPathError, match="is not writable"):
            save_figure(figure, folder / "f.png")
        assert os.listdir(folder) == []
    finally:
        folder.chmod(0o700)


def test_a_failed_write_leaves_the_old_file_and_no_partial_one(tmp_path):
    target = tmp_path / "keep.png"
    target.write_bytes(b"old")

    def failing(file):
        file.write(b"half")
        raise OSError(28, "No space left on device")

    with pytest.raises(OutputPathError, match="No space left on device"):
        write_atomically(target, failing)
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["keep.png"]


def test_default_file_names_are_safe():
    assert default_file_name("", ["tanh", "sigmoid"]) == "tanh_sigmoid.png"
    assert default_file_name("transform", ["leaky_relu(0.5)", "x*sigmoid(1.702*x)"]) == \
        "transform_leaky_relu_0.5_x_sigmoid_1.702_x.png"
    long = default_file_name("", ["a_long_activation_name"] * 10)
    assert len(long) < 100 and long.endswith("_and_more.png")
