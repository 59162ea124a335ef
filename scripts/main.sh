#!/usr/bin/env bash
# actlab's main job on a fresh machine: install, then run the default study.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$(bash "$root/scripts/bootstrap.sh" all | tail -n 1)"
if [ "$#" -eq 0 ]; then
  set -- compare
fi
exec "$venv/bin/actlab" "$@"
