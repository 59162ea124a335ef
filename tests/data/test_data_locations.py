"""Where data and caches go: explicit argument, then environment variable, then ~/.cache."""

from __future__ import annotations

from pathlib import Path

from actlab.data.locations import cache_dir, data_dir


def test_explicit_argument_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("ACTLAB_DATA_DIR", str(tmp_path / "env"))
    assert data_dir(tmp_path / "arg") == tmp_path / "arg"
    assert data_dir(str(tmp_path / "arg")) == tmp_path / "arg"


def test_environment_variable_is_second(tmp_path, monkeypatch):
    monkeypatch.setenv("ACTLAB_DATA_DIR", str(tmp_path / "env"))
    assert data_dir() == tmp_path / "env"
    monkeypatch.setenv("ACTLAB_CACHE_DIR", str(tmp_path / "cache"))
    assert cache_dir() == tmp_path / "cache"


def test_defaults_are_under_the_home_cache(monkeypatch):
    monkeypatch.delenv("ACTLAB_DATA_DIR", raising=False)
    monkeypatch.delenv("ACTLAB_CACHE_DIR", raising=False)
    assert cache_dir() == Path.home() / ".cache" / "actlab"
    assert data_dir() == Path.home() / ".cache" / "actlab" / "data"


def test_data_dir_default_follows_the_cache_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("ACTLAB_DATA_DIR", raising=False)
    monkeypatch.setenv("ACTLAB_CACHE_DIR", str(tmp_path))
    assert data_dir() == tmp_path / "data"


def test_empty_environment_variable_is_ignored_and_tilde_expanded(monkeypatch):
    monkeypatch.setenv("ACTLAB_DATA_DIR", "")
    monkeypatch.setenv("ACTLAB_CACHE_DIR", "~/somewhere")
    assert cache_dir() == Path.home() / "somewhere"
    assert data_dir() == Path.home() / "somewhere" / "data"
