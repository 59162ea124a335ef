"""Where the tests find the team's verified dataset files (never copied into the repo)."""

from __future__ import annotations

import os
from pathlib import Path

#: ../shared/data beside the repository (MNIST and Fashion-MNIST, torchvision's MD5s), or
#: $ACTLAB_DATA_DIR where that is set (as the README says).
SHARED_DATA = Path(os.environ.get("ACTLAB_DATA_DIR") or (
    Path(__file__).resolve().parents[2] / ".." / "shared" / "data")).resolve()
