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
echo "$venv"
