"""Where the tests find the team's verified dataset files (never copied into the repo)."""

from __future__ import annotations

from pathlib import Path

#: ../shared/data beside the repository: MNIST and Fashion-MNIST, torchvision's MD5s.
SHARED_DATA = (Path(__file__).resolve().parents[2] / ".." / "shared" / "data").resolve()
