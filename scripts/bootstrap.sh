#!/usr/bin/env bash
# Create (or reuse) the project's virtual environment and install actlab into it.
# Usage: scripts/bootstrap.sh EXTRAS   (e.g. "all" or "all,test")
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${ACTLAB_VENV:-$root/.venv}"
extras="${1:-all}"
python="${PYTHON:-python3}"
if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
# torch is pinned to 2.13.0 (the CPU build); installing it first keeps pip from
# resolving a newer build with CUDA packages for any dependency that asks for torch.
"$venv/bin/pip" install --quiet --disable-pip-version-check "torch==2.13.0"
"$venv/bin/pip" install --quiet --disable-pip-version-check -e "$root[$extras]"
# The keras2 and dialects extras' companions, without their declared dependencies: tf-keras
# asks for `tensorflow`, which tensorflow-cpu already is under another name, and timm for
# torchvision, whose PyPI wheel cannot load with the CPU build of torch (the tests load only
# timm's activation files, which need torch alone).
if [[ ",$extras," == *",keras2,"* || ",$extras," == *",dialects,"* ]]; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps "tf-keras==2.21.0"
fi
if [[ ",$extras," == *",dialects,"* ]]; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps "timm==1.0.31"
fi
echo "$venv"
