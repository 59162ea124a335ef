#!/usr/bin/env bash
# Run actlab's tests on a fresh machine: install everything they need, then pytest.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
venv="$(bash scripts/bootstrap.sh all,test,dialects | tail -n 1)"

# The report tests check HTML in a real browser: Debian's headless chromium.
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
      >/dev/null) || echo "warning: could not install chromium; browser tests will be skipped"
  else
    echo "warning: chromium is not installed; browser tests will be skipped"
  fi
fi

export KERAS_BACKEND=torch
# Verified MNIST / Fashion-MNIST files live beside the project (never copied into it).
if [ -z "${ACTLAB_DATA_DIR:-}" ] && [ -d "$root/../shared/data" ]; then
  export ACTLAB_DATA_DIR="$(cd "$root/../shared/data" && pwd)"
fi
export ACTLAB_CACHE_DIR="${ACTLAB_CACHE_DIR:-$root/.cache}"
export MPLBACKEND=Agg

"$venv/bin/ruff" check src tests benchmarks
exec "$venv/bin/python" -m pytest -q "$@"
