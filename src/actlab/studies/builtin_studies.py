"""The built-in studies: TOML specs shipped in `actlab/studies/builtin/`."""

from __future__ import annotations

import difflib
from importlib import resources

from actlab.studies.errors import StudySpecError
from actlab.studies.spec import StudySpec, study_spec_from_toml

DEFAULT_STUDY = "quick"


def _folder() -> resources.abc.Traversable:
    return resources.files("actlab.studies").joinpath("builtin")


def builtin_study_names() -> tuple[str, ...]:
    """The names of the built-in studies, the default first."""
    names = sorted(p.name.removesuffix(".toml") for p in _folder().iterdir()
                   if p.name.endswith(".toml"))
    return tuple(sorted(names, key=lambda n: n != DEFAULT_STUDY))


def builtin_study(name: str = DEFAULT_STUDY) -> StudySpec:
    """A built-in study by name (see builtin_study_names())."""
    names = builtin_study_names()
    if name not in names:
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
        hint = (f"did you mean {', '.join(repr(c) for c in close)}?" if close
                else f"the built-in studies are {', '.join(names)}")
        raise StudySpecError(f"unknown study {name!r}; {hint} (or give a spec file with --spec)")
    text = _folder().joinpath(f"{name}.toml").read_text(encoding="utf-8")
    return study_spec_from_toml(text, source=f"built-in study {name!r}")
